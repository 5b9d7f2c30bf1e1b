// sbsync-state-bench: how fast SyncState fills and loads a large state.
//
//   sbsync-state-bench fill N PATH   records N files (the entries `Benchmarks/gen-manifest.py N`
//                                    writes, so a later no-op plan finds each one unchanged) in a
//                                    fresh state file at PATH (or a new PostgreSQL workspace, PATH
//                                    a postgres:// URL), in one transaction
//   sbsync-state-bench load PATH     loads every recorded file, as a plan does
//   sbsync-state-bench N             both, in a temporary directory
//   sbsync-state-bench fill-manifest MANIFEST PATH
//                                    records every file MANIFEST declares (tables included),
//                                    so a later plan of it is a no-op
//   sbsync-state-bench list N        prints the N generated files (address, source, metadata),
//                                    to check them against the script's manifest
//
// Prints one line per step: time, files, and the process's peak resident memory.

import Foundation
import SyncCore
import SyncEngine
import SyncState

func peakRSSMiB() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

/// CPU seconds (user + system) of this process: on a shared machine, wall time mostly
/// measures the neighbours.
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Wall and CPU seconds that `body` took.
func seconds(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    let start = ContinuousClock.now, startCPU = cpuSeconds()
    try body()
    let elapsed = ContinuousClock.now - start
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, cpuSeconds() - startCPU)
}

func fill(count: Int, path: String) throws {
    let files = CohortGenerator(count: count).recordedFiles(now: Int64(Date().timeIntervalSince1970))
    try? FileManager.default.removeItem(atPath: path)
    // PATH may be a PostgreSQL workspace (`postgres://…?workspace=NAME`; give a new one).
    let store = try StateBackends.open(path, create: true).store
    let time = try seconds {
        try store.withLock(operation: "bench") { try store.record(files) }
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print(String(format: "fill  %8d files  %6.2f s wall  %6.2f s CPU  %7.1f MiB file  peak RSS %7.1f MiB (input included)",
                 files.count, time.wall, time.cpu, Double(size) / 1_048_576, peakRSSMiB()))
}

func load(path: String) throws {
    let store = try StateStore.open(at: path, create: false)
    var files: [RecordedFile] = []
    let time = try seconds { files = try store.loadAllFiles() }
    let count = try seconds { _ = try store.fileCount() }
    print(String(format: "load  %8d files  %6.2f s wall  %6.2f s CPU  peak RSS %7.1f MiB  (count(*) alone %.2f s CPU)",
                 files.count, time.wall, time.cpu, peakRSSMiB(), count.cpu))
    var streamed = 0
    let stream = try seconds { try store.forEachFile { _ in streamed += 1 } }
    print(String(format: "scan  %8d files  %6.2f s wall  %6.2f s CPU  (forEachFile: one file at a time)", streamed, stream.wall, stream.cpu))
    // Let the process exit without freeing a million values one by one.
    withExtendedLifetime(files) { exit(0) }
}

let arguments = CommandLine.arguments.dropFirst()
do {
    switch (arguments.first, arguments.count) {
    case ("fill", 3):
        try fill(count: Int(arguments[arguments.startIndex + 1])!, path: arguments[arguments.startIndex + 2])
    case ("fill-manifest", 3):
        let (_, desired) = try ManifestLoader.load(path: arguments[arguments.startIndex + 1])
        let files = desired.files.map { f in
            RecordedFile(address: f.address, source: f.source, metadata: f.metadata, tags: f.tags,
                         specDigest: SpecDigest.compute(source: f.source, metadata: f.metadata, tags: f.tags),
                         fileID: nil, actualName: f.address.name, jobID: nil, createdAt: 1, updatedAt: 1)
        }
        let path = arguments[arguments.startIndex + 2]
        try? FileManager.default.removeItem(atPath: path)
        let store = try StateStore.open(at: path, create: true)
        try store.withLock(operation: "bench") { try store.record(files) }
        print("recorded \(files.count) files")
    case ("load", 2):
        try load(path: arguments[arguments.startIndex + 1])
    case ("list", 2):
        for file in CohortGenerator(count: Int(arguments[arguments.startIndex + 1])!).recordedFiles(now: 0) {
            let metadata = file.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            print("\(file.address)\t\(file.source)\t\(metadata)")
        }
    case (let n?, 1) where Int(n) != nil:
        let dir = NSTemporaryDirectory() + "sbsync-state-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fill(count: Int(n)!, path: dir + "/bench.state")
        try load(path: dir + "/bench.state")
    default:
        FileHandle.standardError.write(Data("usage: sbsync-state-bench fill N PATH | load PATH | N\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("sbsync-state-bench: \(error)\n".utf8))
    exit(1)
}
