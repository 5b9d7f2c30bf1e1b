import Foundation
import Synchronization
@testable import SyncCore
@testable import SyncState
import Testing
import TestSupport

/// `forEachFile(parts:)`: the state read on several threads, light records completed on demand.
@Suite struct PartsScanTests {
    /// What each part saw: light files and the completed ones, per part.
    final class Seen: Sendable {
        let state = Mutex<(light: [[RecordedFile]], full: [[RecordedFile]])>(([], []))
        init(parts: Int) { state.withLock { $0 = (Array(repeating: [], count: parts), Array(repeating: [], count: parts)) } }
    }

    @Test(arguments: [1, 2, 3, 8, 64])
    func everyFileOnceAcrossThePartsLightThenComplete(parts: Int) throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        let files = (0..<50).map { sampleFile($0, drs: $0 % 3 == 0) }
        try store.withLock(operation: "test") { try store.record(files) }
        let expected = try store.loadAllFilesAndSerial()

        let seen = Seen(parts: parts)
        let serial = try store.forEachFile(parts: parts) { part, light, complete in
            let full = complete()
            seen.state.withLock {
                $0.light[part].append(light)
                $0.full[part].append(full)
            }
        }
        #expect(serial == expected.serial)
        let (light, full) = seen.state.withLock { $0 }
        // Part k gets the k-th of `parts` equal runs of the address order (64 parts: some empty).
        let count = expected.files.count
        for part in 0..<parts {
            #expect(full[part] == Array(expected.files[count * part / parts ..< count * (part + 1) / parts]))
        }
        for (l, f) in zip(light.joined(), full.joined()) {
            #expect(l.address == f.address && l.source == f.source && l.metadata == f.metadata && l.tags == f.tags)
            #expect(l.specDigest.isEmpty && l.fileID == nil && l.actualName.isEmpty && l.jobID == nil && l.createdAt == 0)
            #expect(!f.specDigest.isEmpty && !f.actualName.isEmpty)
        }
    }

    @Test func anEmptyStateGivesNoFileToAnyPart() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        let seen = Locked(0)
        _ = try store.forEachFile(parts: 3) { _, _, _ in seen.withLock { $0 += 1 } }
        #expect(seen.withLock { $0 } == 0)
    }

    /// `RowDecoder.isUnchanged`: true only when the row's stored spec digest and source match
    /// the desired file (SyncCore's fast path); anything else (even an equal value spelled
    /// otherwise) goes to decoding and the field-by-field comparison.
    @Test func aRowIsUnchangedUndecodedOnlyOnItsDigestAndSource() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        var bare = sampleFile(2, drs: true)
        bare.metadata = Metadata()
        bare.tags = []
        bare.specDigest = bare.computedSpecDigest
        var accented = sampleFile(4)
        accented.source = .volume(volume: "rfranklin/input", location: "caf\u{e9}.bam")  // precomposed
        accented.specDigest = accented.computedSpecDigest
        var stale = sampleFile(5)
        stale.specDigest = "0123"  // not a digest: never taken as one
        let files = [sampleFile(0), sampleFile(1, drs: true), bare, accented, stale]
        try store.withLock(operation: "test") { try store.record(files) }

        func unchanged(_ file: RecordedFile, source: FileSource? = nil, metadata: Metadata? = nil, tags: [String]? = nil) throws -> Bool {
            let desired = DesiredFile(address: file.address, source: source ?? file.source, metadata: metadata ?? file.metadata,
                                      tags: tags ?? file.tags, policy: .skip, mark: nil)
            return try store.read { db in
                let select = try db.prepare("SELECT \(StateStore.fileColumns) FROM files WHERE project = ? AND path = ?")
                defer { select.reset() }
                try select.bind(.text(file.address.project), .text(file.address.path))
                guard try select.step() else { return false }
                // Both ways: the digest worked out for the row, and worked out ahead for the state.
                let state = DesiredState(files: [desired])
                var decoder = RowDecoder()
                let now = state.withLookup { decoder.isUnchanged($0, at: 0, select) }
                #expect(state.withSpecDigests().withLookup { decoder.isUnchanged($0, at: 0, select) } == now)
                return now
            }
        }
        for file in [sampleFile(0), sampleFile(1, drs: true), bare, accented] { #expect(try unchanged(file), "\(file.address)") }
        let file = sampleFile(0)
        var changed = file.metadata
        changed["lane"] = .int(99)
        #expect(try !unchanged(file, metadata: changed))
        #expect(try !unchanged(file, metadata: Metadata()))
        #expect(try !unchanged(file, tags: file.tags.reversed()))  // the same set: decoded, then compared
        #expect(try !unchanged(file, tags: []))
        #expect(try !unchanged(file, source: .volume(volume: "rfranklin/other", location: "fastq/" + file.address.path)))
        #expect(try !unchanged(file, source: .drs(uri: "drs://nci-crdc.datacommons.io/dg.4DFC/0")))
        #expect(try !unchanged(sampleFile(1, drs: true), source: .volume(volume: "drs://nci-crdc.datacommons.io/dg.4DFC/1", location: "")))
        #expect(try !unchanged(bare, metadata: Metadata([("k", .null)])))
        #expect(try !unchanged(stale))
        #expect(try !unchanged(accented, source: .volume(volume: "rfranklin/input", location: "cafe\u{301}.bam")))  // decomposed
    }

    @Test(arguments: [1, 2])
    func aFileReplacedSinceOpeningIsAnError(parts: Int) throws {
        let dir = TemporaryDirectory()
        for (name, i) in [("s.state", 1), ("other.state", 2)] {
            try newState(at: dir.file(name), holding: [sampleFile(i)])
        }
        let store = try StateStore.open(at: dir.file("s.state"), create: false, options: .testing(clock: TestClock()))
        #expect(rename(dir.file("other.state"), dir.file("s.state")) == 0)
        #expect(throws: StateError.self) { try store.forEachFile(parts: parts) { _, _, _ in } }
    }

    @Test func aMissingFileIsAnErrorNotAnEmptyScan() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        try FileManager.default.removeItem(atPath: dir.file("s.state"))
        #expect(throws: StateError.self) { try store.forEachFile(parts: 2) { _, _, _ in } }
    }
}
