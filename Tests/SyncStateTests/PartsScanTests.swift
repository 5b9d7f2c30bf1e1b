import Foundation
import Synchronization
import SyncCore
@testable import SyncState
import Testing

/// `forEachFile(parts:)`: the state read on several threads, light records completed on demand.
@Suite struct PartsScanTests {
    /// What each part saw: light files and the completed ones, per part.
    final class Seen: Sendable {
        let state = Mutex<(light: [[RecordedFile]], full: [[RecordedFile]])>(([], []))
        init(parts: Int) { state.withLock { $0 = (Array(repeating: [], count: parts), Array(repeating: [], count: parts)) } }
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyFileOnceAcrossThePartsLightThenComplete(parts: Int) throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: ManualClock()))
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
        // Part k gets rows k, k + parts, … of the address order.
        for part in 0..<parts {
            #expect(full[part] == expected.files.enumerated().filter { $0.offset % parts == part }.map(\.element))
        }
        for (l, f) in zip(light.joined(), full.joined()) {
            #expect(l.address == f.address && l.source == f.source && l.metadata == f.metadata && l.tags == f.tags)
            #expect(l.specDigest.isEmpty && l.fileID == nil && l.actualName.isEmpty && l.jobID == nil && l.createdAt == 0)
            #expect(!f.specDigest.isEmpty && !f.actualName.isEmpty)
        }
    }

    @Test(arguments: [1, 2])
    func aFileReplacedSinceOpeningIsAnError(parts: Int) throws {
        let dir = TemporaryDirectory()
        for (name, i) in [("s.state", 1), ("other.state", 2)] {
            let writer = try StateStore.open(at: dir.file(name), create: true, options: .testing(clock: ManualClock()))
            try writer.withLock(operation: "test") { try writer.record([sampleFile(i)]) }
        }
        let store = try StateStore.open(at: dir.file("s.state"), create: false, options: .testing(clock: ManualClock()))
        #expect(rename(dir.file("other.state"), dir.file("s.state")) == 0)
        #expect(throws: StateError.self) { try store.forEachFile(parts: parts) { _, _, _ in } }
    }

    @Test func aMissingFileIsAnErrorNotAnEmptyScan() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: ManualClock()))
        try FileManager.default.removeItem(atPath: dir.file("s.state"))
        #expect(throws: StateError.self) { try store.forEachFile(parts: 2) { _, _, _ in } }
    }
}
