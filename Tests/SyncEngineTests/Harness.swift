import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCore
import SyncEngine
import SyncState
import Testing
import TestSupport

/// Which state backend a `Harness` records into.
enum StateKind: String, CaseIterable, CustomTestStringConvertible {
    /// A state file in the harness's temporary directory.
    case sqlite
    /// A workspace of its own on the test process's throwaway cluster (`PostgresTestServer.shared()`).
    case postgres

    var testDescription: String { rawValue }
}

/// An emulator answered in process (no sockets), a client on it, and a fresh state store.
struct Harness {
    static let token = "engine-test-token"
    static let project = "alice/p1"
    static let volume = "alice/vol"

    let emulator: Emulator
    /// One clock for the emulator and the client: when the engine "sleeps" (poll intervals, the
    /// DRS pace, backoff) platform time moves forward by as much; nothing really sleeps.
    let clock: TestClock
    var emulatorClock: TestClock { clock }
    let client: PlatformClient
    let store: any StateBackend
    let scratch = TemporaryDirectory()
    var directory: URL { scratch.url }

    init(objects: [String: Int], jobDuration: TimeInterval = 4, faults: EmulatorFaults = .none, drsPace: Int = 500,
         start: Date = Date(timeIntervalSince1970: 1_780_000_000), state: StateKind = .sqlite) throws {
        clock = TestClock(start.timeIntervalSince1970)
        emulator = try Emulator(configuration: EmulatorConfiguration(
            tokens: [Self.token], projects: [Self.project], volumes: [Self.volume: .objects(objects)],
            jobDuration: jobDuration, rateLimit: 1_000_000, drsPace: drsPace, faults: faults, seed: 11, clock: clock.emulatorClock))
        let emulator = self.emulator
        let transport = ClosureTransport { request in
            // http://host/v2/... → /v2/...
            let afterScheme = request.url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
            let target = afterScheme.count == 4 ? "/" + afterScheme[3] : "/"
            var headers: [String: String] = ["host": "127.0.0.1"]
            for header in request.headers { headers[header.name] = header.value }
            let response = await emulator.respond(to: EmulatorRequest(
                method: request.method.rawValue, target: target, headers: headers, body: Data(request.body ?? [])))
            if response.dropConnection {
                throw TransportError(phase: .maybeSent, kind: .connectionDropped, message: "connection dropped")
            }
            return TransportResponse(status: response.status, headers: response.headers, body: [UInt8](response.body))
        }
        let retry = RetryPolicy(maxAttempts: 8, baseBackoff: .milliseconds(200), maxBackoff: .seconds(5), random: { $0 / 2 })
        client = PlatformClient(
            config: PlatformConfig(endpoint: try PlatformEndpoint(parsing: "http://127.0.0.1/v2"), token: AuthToken(Self.token)),
            transport: transport, clock: clock, options: PlatformClientOptions(retry: retry))
        switch state {
        case .sqlite:
            store = try StateStore.open(at: scratch.file("test.state"), create: true)
        case .postgres:
            let url = try PostgresTestServer.shared().url(workspace: "engine-\(UUID().uuidString.lowercased())")
            store = try PostgresStateStore.open(try PostgresLocation.parse(url, environment: [:]), create: true)
        }
        try store.acquireLock(operation: "apply")
    }

    func executor(_ options: ExecutorOptions = ExecutorOptions()) -> Executor {
        Executor(client: client, store: store, options: options, clock: clock)
    }

    /// Settle, plan, execute: what `sbsync apply` does.
    @discardableResult
    func apply(_ desired: [DesiredFile], options: ExecutorOptions = ExecutorOptions()) async throws -> (Plan, ExecutionReport) {
        let executor = executor(options)
        _ = try await executor.settle(desired: Dictionary(desired.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a }))
        let plan = Diff.compute(desired: desired, recorded: try store.loadAllFiles())
        let report = try await executor.execute(plan.changes)
        return (plan, report)
    }

    func plan(_ desired: [DesiredFile]) throws -> Plan {
        Diff.compute(desired: desired, recorded: try store.loadAllFiles())
    }

    /// Files (not folders) of the project by path.
    func platformFiles() async -> [String: EmulatorSnapshot.File] {
        let files = await emulator.snapshot().project(Self.project)?.files.filter { $0.type == "file" } ?? []
        var byPath: [String: EmulatorSnapshot.File] = [:]
        for file in files { byPath[file.path] = file }
        return byPath
    }

    func platformFileList() async -> [EmulatorSnapshot.File] {
        await emulator.snapshot().project(Self.project)?.files.filter { $0.type == "file" } ?? []
    }

    func importCalls() async -> Int {
        let counters = await emulator.counters().requestsByEndpoint
        return (counters["POST /bulk/storage/imports/create"] ?? 0) + (counters["POST /bulk/drs/imports/create"] ?? 0)
            + (counters["POST /storage/imports"] ?? 0)
    }
}

func volumeFile(_ path: String, location: String? = nil, policy: ConflictPolicy = .skip,
                metadata: Metadata = Metadata(), tags: [String] = []) -> DesiredFile {
    DesiredFile(address: Address(project: Harness.project, path: path),
                source: .volume(volume: Harness.volume, location: location ?? path), metadata: metadata, tags: tags, policy: policy, mark: nil)
}

func drsFile(_ path: String, uri: String? = nil, policy: ConflictPolicy = .skip,
             metadata: Metadata = Metadata(), tags: [String] = []) -> DesiredFile {
    DesiredFile(address: Address(project: Harness.project, path: path),
                source: .drs(uri: uri ?? "drs://drs.example.org/\(path.replacingOccurrences(of: "/", with: "-"))"),
                metadata: metadata, tags: tags, policy: policy, mark: nil)
}
