import Foundation
import Synchronization
import SyncCore
import TestSupport
@testable import SyncState

extension StateStore.Options {
    /// Options for tests: a manual clock, a fixed identity, and a process table the test controls.
    static func testing(clock: TestClock, pid: Int32 = 1000, host: String = "test-host", machine: String = "test-machine",
                        alive: @escaping @Sendable (Int32) -> Bool = { _ in true }) -> StateStore.Options {
        StateStore.Options(now: { clock.seconds }, lockTTL: 120, processIsAlive: alive, pid: pid, host: host,
                           machine: machine, busyTimeoutMilliseconds: 2_000)
    }
}

func sampleFile(_ i: Int, project: String = "rfranklin/my-project", drs: Bool = false) -> RecordedFile {
    let path = String(format: "raw/s%06d/s%06d_R1.fastq.gz", i, i)
    let address = Address(project: project, path: path)
    let source: FileSource = drs
        ? .drs(uri: "drs://nci-crdc.datacommons.io/dg.4DFC/\(i)")
        : .volume(volume: "rfranklin/input", location: "fastq/" + path)
    let metadata = Metadata([("sample_id", .string(String(format: "S%06d", i))), ("lane", .int(i % 8)),
                             ("quality", .float(Double(i) / 7)), ("paired", .bool(i % 2 == 0)), ("note", .null)])
    let tags = ["ICDC", "raw"]
    return RecordedFile(address: address, source: source, metadata: metadata, tags: tags,
                        specDigest: SpecDigest.compute(source: source, metadata: metadata, tags: tags),
                        fileID: String(format: "%024x", i), actualName: address.name, jobID: "job-\(i / 100)",
                        createdAt: 1_800_000_000 + Int64(i), updatedAt: 1_800_000_100 + Int64(i))
}

func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// A new state at `path` (test options, a manual clock) holding `files`, recorded in one write.
@discardableResult
func newState(at path: String, holding files: [RecordedFile]) throws -> StateStore {
    let store = try StateStore.open(at: path, create: true, options: .testing(clock: TestClock()))
    try store.withLock(operation: "test") { try store.record(files) }
    return store
}

/// A value shared with `@Sendable` closures.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
