import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCore
import SyncEngine
import SyncState
import Testing

/// The same scenario on both state backends: the SQLite file and a PostgreSQL workspace on the
/// throwaway local cluster (`PostgresTestServer.shared()`, a workspace of its own). The whole
/// scenario runs on PostgreSQL, not a subset: the executor writes the state per batch, not per
/// file, so the PostgreSQL case costs about what the SQLite one does (on a busy 2-core machine the
/// two cases side by side took 16 s alone, 41 s amid the rest of SyncEngineTests).
@Suite("Executor under faults")
struct FaultTests {
    @Test("10% 5xx, 429 bursts, 5% dropped connections, 2% failed items: 5,000 files converge, nothing lost, no duplicates",
          arguments: StateKind.allCases)
    func convergesUnderFaults(_ state: StateKind) async throws {
        var objects: [String: Int] = [:]
        for i in 0..<3000 { objects["cohort/s\(i).bam"] = i + 1 }
        let faults = EmulatorFaults(errorRate: 0.10, dropRate: 0.05, dropAfterApplyShare: 0.5, itemFailureRate: 0.02, rateLimitBurst: 5)
        // A clock starting now: burst 429s reset one real second ahead.
        let h = try Harness(objects: objects, faults: faults, start: Date(), state: state)
        var desired = (0..<3000).map { volumeFile("v/g\($0 % 7)/s\($0).bam", location: "cohort/s\($0).bam", tags: ["v"]) }
        desired += (0..<2000).map { drsFile("d/g\($0 % 5)/o\($0).cram", policy: $0 % 2 == 0 ? .skip : .overwrite,
                                            metadata: Metadata([("i", .int($0))])) }

        var runs = 0, stoppedRuns = 0
        while runs < 12 {
            runs += 1
            await h.emulator.setFaults(faults)  // a fresh 429 burst each run
            do {
                let (plan, report) = try await h.apply(desired, options: ExecutorOptions(maxJobsInFlight: 4))
                if !plan.hasChanges && report.problems.isEmpty { break }
            } catch let error as ExecutorError {
                // The platform stayed unreachable while polling: the next run settles it.
                stoppedRuns += 1
                print("fault test (\(state)): run \(runs) stopped: \(error)")
            }
        }
        print("fault test (\(state)): \(runs) runs, \(stoppedRuns) stopped early")
        let counters = await h.emulator.counters()
        print("fault test (\(state)): \(counters.totalRequests) requests, \(counters.injectedErrors) injected 5xx, \(counters.droppedConnections) dropped")
        #expect(counters.injectedErrors > 0 && counters.droppedConnections > 0)
        #expect(!(try h.plan(desired).hasChanges))

        let files = await h.platformFileList()
        let expected = Set(desired.map(\.address.path))
        #expect(files.count == expected.count, "\(files.count) files for \(expected.count) desired")
        let paths = Set(files.map(\.path))
        #expect(paths.subtracting(expected).isEmpty && expected.subtracting(paths).isEmpty,
                "\(expected.subtracting(paths).count) missing, \(paths.subtracting(expected).count) unexpected")
        let byPath = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let recorded = try h.store.loadAllFiles()
        #expect(recorded.count == expected.count)
        for file in recorded { #expect(byPath[file.address.path]?.id == file.fileID, "\(file.address)") }
        #expect(try h.store.unfinishedBatches().isEmpty)
    }
}
