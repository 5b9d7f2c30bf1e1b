import Foundation
import Testing
import TestSupport
import SyncCore
@testable import SyncState

@Suite struct JournalTests {
    func items(_ range: Range<Int>, drs: Bool = false) -> [JournalItem] {
        range.map { i in
            let file = sampleFile(i, drs: drs)
            return JournalItem(address: file.address, source: file.source, requestedName: file.address.name,
                               destinationProject: file.address.project, destinationParent: i % 2 == 0 ? "folder-\(i)" : nil)
        }
    }

    @Test func followsABatchThroughItsLifeCycle() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: clock))
        try store.acquireLock(operation: "apply")

        // 1. submitting, before the POST
        let batch = try store.beginBatch(kind: .volume, policy: .rename, tags: ["ICDC", "raw"], items: items(0..<3))
        #expect(batch.state == .submitting)
        #expect(try store.unfinishedBatches() == [batch])
        #expect(try store.serial() == 1)

        // 2. submitted, with the ids the response gave
        clock.advance(by: 5)
        try store.markSubmitted(batch: batch.id, jobID: nil, importIDs: ["imp-0", "imp-1", nil],
                                results: [2: JournalItemResult(outcome: .failed, error: "no such object")])
        let submitted = try #require(try store.batch(batch.id))
        #expect(submitted.state == .submitted)
        #expect(submitted.items.map(\.importID) == ["imp-0", "imp-1", nil])
        #expect(submitted.items[2].result == JournalItemResult(outcome: .failed, error: "no such object"))
        #expect(submitted.updatedAt == batch.createdAt + 5)
        #expect(submitted.items[0].destinationParent == "folder-0" && submitted.items[1].destinationParent == nil)
        #expect(submitted.tags == ["ICDC", "raw"] && submitted.policy == .rename && submitted.kind == .volume)

        // 3. done: results folded into the recorded files, in one transaction
        var renamed = sampleFile(1)
        renamed.actualName = "s000001_R1_1.fastq.gz"
        let results = [0: JournalItemResult(outcome: .imported, fileID: "f0", actualName: sampleFile(0).actualName),
                       1: JournalItemResult(outcome: .imported, fileID: "f1", actualName: renamed.actualName)]
        try store.completeBatch(batch.id, results: results, recording: [sampleFile(0), renamed])
        #expect(try store.unfinishedBatches() == [])
        let done = try #require(try store.batch(batch.id))
        #expect(done.state == .done)
        #expect(done.items.map(\.result?.outcome) == [.imported, .imported, .failed])
        #expect(try store.loadAllFiles() == [sampleFile(0), renamed])
        #expect(try store.serial() == 3)

        #expect(throws: StateError.self) { try store.completeBatch(batch.id, results: [:], recording: []) }
        #expect(throws: StateError.self) { try store.markSubmitted(batch: batch.id, jobID: "j") }
    }

    @Test func listsUnfinishedBatchesOldestFirstForSettling() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let drs: JournalBatch
        let stuck: JournalBatch
        do {
            let store = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100))
            try store.acquireLock(operation: "apply")
            let finished = try store.beginBatch(kind: .volume, policy: .skip, tags: [], items: items(0..<2))
            try store.completeBatch(finished.id, results: [:], recording: [])
            drs = try store.beginBatch(kind: .drs, policy: .overwrite, tags: ["t"], items: items(10..<12, drs: true))
            try store.markSubmitted(batch: drs.id, jobID: "drs-job-1")
            stuck = try store.beginBatch(kind: .volume, policy: .skip, tags: [], items: items(20..<21))
            // The process dies here: its lock stays, its batches are unfinished.
        }
        clock.advance(by: 600)
        let next = try StateStore.open(at: path, create: false, options: .testing(clock: clock, pid: 200))
        try next.acquireLock(operation: "apply")
        let unfinished = try next.unfinishedBatches()
        #expect(unfinished.map(\.id) == [drs.id, stuck.id])
        #expect(unfinished[0].state == .submitted && unfinished[0].jobID == "drs-job-1")
        #expect(unfinished[1].state == .submitting)
        // A batch stuck in submitting can be settled directly (its files were found at the destination).
        try next.completeBatch(stuck.id, results: [0: JournalItemResult(outcome: .imported, fileID: "found")],
                               recording: [sampleFile(20)])
        #expect(try next.unfinishedBatches().map(\.id) == [drs.id])
        #expect(try next.allBatches().count == 3)
        #expect(try next.pruneDoneBatches(keeping: 0) == 2)
        #expect(try next.allBatches().map(\.id) == [drs.id])
    }

    @Test func foldingIsAllOrNothing() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        try store.acquireLock(operation: "apply")
        let batch = try store.beginBatch(kind: .volume, policy: .skip, tags: [], items: items(0..<2))
        var bad = sampleFile(1)
        bad.specDigest = ""
        #expect(throws: StateError.self) {
            try store.completeBatch(batch.id, results: [0: JournalItemResult(outcome: .imported)], recording: [sampleFile(0), bad])
        }
        #expect(try store.batch(batch.id)?.state == .submitting)
        #expect(try store.batch(batch.id)?.items[0].result == nil)
        #expect(try store.fileCount() == 0)
        #expect(throws: StateError.self) {
            try store.completeBatch(batch.id, results: [5: JournalItemResult(outcome: .imported)], recording: [])
        }
    }

    @Test func refusesMalformedBatches() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        try store.acquireLock(operation: "apply")
        #expect(throws: StateError.self) { _ = try store.beginBatch(kind: .volume, policy: .skip, tags: [], items: []) }
        #expect(throws: StateError.self) { _ = try store.beginBatch(kind: .volume, policy: .skip, tags: [], items: items(0..<1, drs: true)) }
        let batch = try store.beginBatch(kind: .volume, policy: .skip, tags: [], items: items(0..<2))
        #expect(throws: StateError.self) { try store.markSubmitted(batch: batch.id, jobID: nil, importIDs: ["one"]) }
        #expect(try store.batch(999) == nil)
    }
}

@Suite struct RecordCodecTests {
    @Test func refusesDamagedBlobs() {
        let good = RecordCodec.encode(metadata: Metadata([("k", .string("value")), ("n", .int(3))]))!
        for cut in 1..<good.count {
            let prefix = Array(good.prefix(cut))
            let ok = prefix.withUnsafeBytes { (try? RecordCodec.decodeMetadata($0)) != nil }
            // The entry count up front makes every shorter blob invalid.
            #expect(!ok, "a blob cut to \(cut) of \(good.count) bytes was accepted")
        }
        let wrongType = [UInt8(1), UInt8(ascii: "k"), UInt8(ascii: "?")]
        #expect(wrongType.withUnsafeBytes { (try? RecordCodec.decodeMetadata($0)) == nil })
        let hugeLength: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(hugeLength.withUnsafeBytes { (try? RecordCodec.decodeTags($0)) == nil })
    }
}
