public import ArgumentParser
import Dispatch
import Foundation
public import PlatformAPI
import SyncCore
public import SyncEngine
import SyncState
import SyncYAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sbsync apply`: settles the journal, plans, asks, executes and records.
public struct ApplyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the projects match the manifest: import, replace, update and forget.",
        discussion: """
            First finishes anything an interrupted apply left behind (without ever submitting a file \
            twice), then plans, shows the plan and asks for confirmation on a terminal (without one, \
            --auto-approve is required). 'sbsync apply PLANFILE' runs exactly a plan saved by \
            'sbsync plan --out', without asking, and refuses it when the manifest or the state changed \
            since. Failed items never stop the run: they are listed at the end, written to a failures \
            file, and retried by the next apply. Ctrl-C once stops submitting and saves what is in \
            flight; twice exits at once (the next apply settles the rest). \
            Credentials: SB_API_ENDPOINT and SB_AUTH_TOKEN, or a profile of ~/.sevenbridges/credentials. \
            Exit codes: 0 success, 1 error, 3 finished with failed items, 4 saved plan is stale, \
            5 state locked, 64 usage, 130 interrupted.
            """
    )

    @Argument(help: ArgumentHelp("A plan saved by 'sbsync plan --out' to run exactly, without confirmation.", valueName: "plan-file"))
    public var planFile: String?

    @Option(name: [.customShort("f"), .customLong("manifest")],
            help: ArgumentHelp("The manifest to apply (with a plan file: the manifest the plan names).", valueName: "path"))
    public var manifest = "sbsync.yaml"

    @Option(name: .long, help: ArgumentHelp(
        "The state file (default: .sbsync/<manifest name>.state beside the manifest).", valueName: "path"))
    public var state: String?

    @Flag(name: .long, help: "Apply without asking for confirmation (required when standard input is not a terminal).")
    public var autoApprove = false

    @Option(name: .long, help: ArgumentHelp(
        "The platform API: a URL ending in /v2 or a short name (cgc, cavatica, bdc, sbg-us, sbg-eu).", valueName: "url-or-name"))
    public var endpoint: String?

    @Option(name: .long, help: ArgumentHelp("The profile of ~/.sevenbridges/credentials to use.", valueName: "name"))
    public var profile: String?

    @Option(name: .long, help: ArgumentHelp(
        "Where to write the failed and skipped items (default: the state file's path + .failures.json).", valueName: "path"))
    public var failures: String?

    @Option(name: .long, help: ArgumentHelp("Bulk jobs in flight at once, at most.", valueName: "n"))
    public var jobs = 4

    @Option(name: .long, help: ArgumentHelp("Seconds before the first poll of a job; doubled up to 30 s.", valueName: "seconds"))
    public var pollInterval: Double = 2

    @Option(name: .long, help: ArgumentHelp(
        "DRS items submitted per --drs-window, at most (the platform's pace is 500 per 300 s).", valueName: "n"))
    public var drsPace = 500

    @Option(name: .long, help: ArgumentHelp("The DRS pace window in seconds.", valueName: "seconds"))
    public var drsWindow: Double = 300

    @Option(name: .long, help: ArgumentHelp(
        "Stop after this many seconds (what is in flight stays in the journal for the next apply). "
            + "Without it, a rate-limited apply keeps going, waiting out each reset.", valueName: "seconds"))
    public var maxDuration: Double?

    @Flag(name: .long, help: "Never colour the output (NO_COLOR is honoured too).")
    public var noColor = false

    @OptionGroup public var output: OutputOptions

    public init() {}

    public func validate() throws {
        if let maxDuration, !(maxDuration.isFinite && maxDuration > 0 && maxDuration <= 31_536_000) {
            throw ValidationError("--max-duration must be a number of seconds between 0 and 31536000, not \(maxDuration)")
        }
    }

    public func run() async throws {
        try await InternalFailure.guarding {
            let code = await execute(io: .standard, environment: ProcessInfo.processInfo.environment,
                                     environmentIO: .process)
            if code != 0 { throw ExitCode(code) }
        }
    }

    /// What the command needs from its surroundings, swappable in tests.
    public struct Environment: Sendable {
        /// Whether standard input is a terminal (a confirmation can be asked).
        public var inputIsTerminal: Bool
        /// Whether standard error is a terminal (a live status line).
        public var errorIsTerminal: Bool
        /// Reads the answer to the confirmation prompt.
        public var readLine: @Sendable () -> String?
        /// The transport to use; `nil`: AsyncHTTPClient.
        public var transport: (any HTTPTransport)?
        /// The clock for polls and pacing.
        public var clock: any PlatformClock
        /// Executor options (tests shorten poll intervals).
        public var executorOptions: ExecutorOptions?
        /// Install SIGINT handling (the real process only).
        public var handleSignals: Bool

        public init(inputIsTerminal: Bool, errorIsTerminal: Bool, readLine: @escaping @Sendable () -> String?,
                    transport: (any HTTPTransport)? = nil, clock: any PlatformClock = SystemPlatformClock(),
                    executorOptions: ExecutorOptions? = nil, handleSignals: Bool = false) {
            self.inputIsTerminal = inputIsTerminal
            self.errorIsTerminal = errorIsTerminal
            self.readLine = readLine
            self.transport = transport
            self.clock = clock
            self.executorOptions = executorOptions
            self.handleSignals = handleSignals
        }

        public static var process: Environment {
            Environment(inputIsTerminal: isatty(0) == 1, errorIsTerminal: isatty(2) == 1,
                        readLine: { Swift.readLine() }, handleSignals: true)
        }
    }

    /// Runs the command; returns the exit code.
    public func execute(io: CommandIO, environment: [String: String], environmentIO: Environment) async -> Int32 {
        // A saved plan names its manifest and state.
        var saved: SavedPlan?
        if let planFile {
            guard let data = FileManager.default.contents(atPath: planFile) else {
                io.stderr("sbsync: error: cannot read the plan file '\(planFile)'\n")
                return 1
            }
            do throws(SavedPlanError) {
                saved = try SavedPlan.decode(data)
            } catch {
                io.stderr("sbsync: error: '\(planFile)': \(error)\n")
                return 1
            }
        }
        let manifestPath = saved?.manifest.path ?? manifest
        let statePath = state ?? saved?.state.path ?? StatePath.defaultPath(forManifest: manifestPath)
        let manifestBytes = FileManager.default.contents(atPath: manifestPath)

        let check = ManifestLoader.check(path: manifestPath)
        guard check.isValid, let manifestModel = check.manifest, var desired = check.state else {
            let printer = DiagnosticPrinter(useColor: !noColor && output.color.enabled(fileDescriptor: 2, environment: environment))
            io.stderr(printer.render(check.diagnostics, sourceLines: DiagnosticPrinter.sourceLines(for: check.diagnostics, path: manifestPath)))
            return 1
        }

        let config: PlatformConfig
        do throws(PlatformConfigError) {
            let resolution = try PlatformConfig.resolve(profile: profile, endpoint: endpoint, environment: environment)
            for warning in resolution.warnings { io.stderr("sbsync: warning: \(warning)\n") }
            config = resolution.config
        } catch {
            io.stderr("sbsync: error: \(error)\n")
            return 1
        }

        // The state, locked for the whole run.
        let stateDirectory = (statePath as NSString).deletingLastPathComponent
        if !stateDirectory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            } catch {
                io.stderr("sbsync: error: cannot create the state's directory '\(stateDirectory)': \(error.localizedDescription)\n")
                return 1
            }
        }
        // A plan made before the first apply was made against no state file at all.
        let stateExisted = FileManager.default.fileExists(atPath: statePath)
        let store: StateStore
        do throws(StateError) {
            store = try StateStore.open(at: statePath, create: true)
            try store.acquireLock(operation: "apply")
        } catch {
            io.stderr("sbsync: error: \(error)\n")
            return StateCommandIO.exitCode(for: error)
        }
        defer { try? store.releaseLock() }

        // A saved plan must still fit, before anything (settling included) changes the state.
        if let saved {
            var reasons = saved.staleness(manifestSHA256: manifestBytes.map { SavedPlan.sha256(of: $0) } ?? "",
                                          lineage: stateExisted ? store.lineage : nil,
                                          serial: stateExisted ? (try? store.serial()) ?? -1 : 0)
            if reasons.isEmpty, let unfinished = try? store.unfinishedBatches(), !unfinished.isEmpty {
                reasons.append("the state '\(statePath)' has \(unfinished.count) unfinished batch(es) of an interrupted apply; "
                    + "run 'sbsync apply' without a plan file to settle them, then plan again")
            }
            if !reasons.isEmpty {
                io.stderr("sbsync: error: the saved plan '\(planFile ?? "")' is stale and was not applied:\n")
                for reason in reasons { io.stderr("  - \(reason)\n") }
                io.stderr("Run 'sbsync plan --out \(planFile ?? "PLAN")' again.\n")
                return 4
            }
        }

        do {
            if let transport = environmentIO.transport {
                return try await perform(transport: transport, config: config, store: store, manifest: manifestModel,
                                     desired: &desired, saved: saved, statePath: statePath, io: io,
                                     environment: environment, environmentIO: environmentIO)
            }
            return try await AsyncHTTPTransport.withTransport { transport in
                var desired = desired
                return try await perform(transport: transport, config: config, store: store, manifest: manifestModel,
                                     desired: &desired, saved: saved, statePath: statePath, io: io,
                                     environment: environment, environmentIO: environmentIO)
            }
        } catch is CancellationError {
            io.stderr("sbsync: interrupted; the journal holds what was in flight: the next apply settles it\n")
            return 130
        } catch let error as ExecutorError {
            io.stderr("sbsync: error: \(error)\n")
            if case .platform(let platform, _) = error, let hint = platform.hint { io.stderr("hint: \(hint)\n") }
            io.stderr("Nothing is lost: the next 'sbsync apply' settles what was in flight.\n")
            return 1
        } catch let error as PlatformError {
            io.stderr("sbsync: error: \(error)\n")
            if let hint = error.hint { io.stderr("hint: \(hint)\n") }
            return 1
        } catch {
            io.stderr("sbsync: error: \(error)\n")
            return 1
        }
    }

    private func perform(transport: any HTTPTransport, config: PlatformConfig, store: StateStore, manifest manifestModel: Manifest,
                     desired: inout DesiredState, saved: SavedPlan?, statePath: String, io: CommandIO,
                     environment: [String: String], environmentIO: Environment) async throws -> Int32 {
        let clock = environmentIO.clock
        let client = PlatformClient(config: config, transport: transport, clock: clock)
        // The lock expires when its heartbeat is old; long waits (DRS pace, polls) write nothing.
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                try? store.refreshLock()
            }
        }
        defer { heartbeat.cancel() }
        let json = output.json
        let reporter = ProgressReporter(io: io, json: json, live: environmentIO.errorIsTerminal && !json,
                                        color: !noColor && output.color.enabled(fileDescriptor: 2, environment: environment))
        var options = environmentIO.executorOptions ?? ExecutorOptions(
            pollInterval: .milliseconds(Int64(max(0.001, pollInterval) * 1000)),
            maxPollInterval: .milliseconds(Int64(max(30, pollInterval) * 1000)),
            drsPace: drsPace, drsWindow: .milliseconds(Int64(max(0.001, drsWindow) * 1000)))
        options.maxJobsInFlight = max(1, jobs)
        if let maxDuration { options.maxDuration = .milliseconds(Int64(maxDuration * 1000)) }
        let executor = Executor(client: client, store: store, options: options, clock: clock,
                                onEvent: { reporter.handle($0) })

        // Volume prefixes are listed whenever the manifest has them.
        if saved == nil, !manifestModel.prefixes.isEmpty {
            let listings = try await PrefixListings.list(manifestModel, using: PlatformVolumeListing(reader: client.reader))
            let expansion = manifestModel.expand(listings: listings)
            guard expansion.isValid else {
                let printer = DiagnosticPrinter(useColor: false)
                io.stderr(printer.render(expansion.diagnostics, sourceLines: DiagnosticPrinter.sourceLines(for: expansion.diagnostics, path: manifestModel.file)))
                return 1
            }
            desired = expansion.state
        }

        // 1. Settle what an interrupted apply left.
        var byAddress: [Address: DesiredFile] = [:]
        byAddress.reserveCapacity(desired.count)
        for file in desired.files { byAddress[file.address] = file }
        let settled = try await executor.settle(desired: byAddress)
        if settled.batches > 0 && !json {
            io.stderr("Settled \(settled.batches) unfinished batch(es) of an interrupted apply: \(settled.adopted) file(s) found and recorded, "
                + "\(settled.notSubmitted) never submitted (planned again).\n")
        }

        // 2. Plan (or the saved plan, exactly).
        let plan: Plan
        if let saved {
            plan = try saved.plan()
        } else {
            plan = Diff.compute(desired: desired, recorded: try store.loadAllFiles())
        }
        if !json {
            io.stdout(plan.text(.init(detail: false, limit: PlanCommand.groupLimit,
                                      color: !noColor && output.color.enabled(fileDescriptor: 1, environment: environment))))
        }
        guard plan.hasChanges else {
            if json { io.stdout(#"{"event":"done","changes":0}"# + "\n") }
            return 0
        }

        // 3. Confirmation.
        if saved == nil && !autoApprove {
            guard environmentIO.inputIsTerminal else {
                io.stderr("sbsync: error: apply asks for confirmation, and standard input is not a terminal; "
                    + "pass --auto-approve, or apply a saved plan ('sbsync plan --out FILE', then 'sbsync apply FILE')\n")
                return 1
            }
            io.stdout("\nDo you want to apply these changes? Only 'yes' is accepted: ")
            guard environmentIO.readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                io.stdout("Apply cancelled; nothing was changed.\n")
                return 1
            }
        }

        // 4. Execute, with Ctrl-C: once stops submitting, twice exits.
        let signals = environmentIO.handleSignals ? InterruptHandler(executor: executor, io: io) : nil
        defer { signals?.cancel() }
        let report = try await executor.execute(plan.changes)
        reporter.finish()

        // 5. Summary, failures file, exit code.
        let o = report.outcomes
        let summary = "Apply \(report.interrupted ? "interrupted" : "complete"): \(o[.imported] ?? 0) imported, "
            + "\(o[.replaced] ?? 0) replaced, \(o[.updated] ?? 0) updated, \(o[.forgotten] ?? 0) forgotten; "
            + "\(report.skips.count) skipped by policy; \(report.failures.count) failed."
        let failuresPath = failures ?? statePath + ".failures.json"
        if !report.problems.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let entries = report.problems.map { FailureEntry($0) }
            try? encoder.encode(entries).write(to: URL(fileURLWithPath: failuresPath), options: .atomic)
        } else {
            try? FileManager.default.removeItem(atPath: failuresPath)
        }
        if json {
            var event: [String: Any] = ["event": "done", "imported": o[.imported] ?? 0, "replaced": o[.replaced] ?? 0,
                                        "updated": o[.updated] ?? 0, "forgotten": o[.forgotten] ?? 0,
                                        "skipped": report.skips.count, "failed": report.failures.count,
                                        "interrupted": report.interrupted]
            if !report.problems.isEmpty { event["failures_file"] = failuresPath }
            if let data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) {
                io.stdout(String(decoding: data, as: UTF8.self) + "\n")
            }
        } else {
            io.stdout("\n" + summary + "\n")
            let shown = report.problems.prefix(20)
            for problem in shown { io.stdout("  \(problem.outcome == .failed ? "failed" : "skipped"): \(problem.address): \(problem.message)\n") }
            if report.problems.count > shown.count { io.stdout("  … and \(report.problems.count - shown.count) more\n") }
            if !report.problems.isEmpty {
                // A file whose metadata or tags failed is recorded all the same (it shows as an update).
                let recorded = report.problems.filter(\.recorded).count
                let unrecorded = report.problems.count - recorded
                let which = recorded == 0 ? "Those files are not recorded"
                    : unrecorded == 0 ? "Those files are recorded, but without the metadata or tags the manifest gives them"
                    : "\(unrecorded) of them are not recorded, and \(recorded) are recorded without the metadata or tags the manifest gives them"
                io.stdout("The full list is in \(failuresPath). \(which): run 'sbsync apply' again to retry them.\n")
            }
        }
        if report.interrupted || signals?.interrupted == true { return 130 }
        return report.failures.isEmpty ? 0 : 3
    }
}

/// One line of the failures file.
struct FailureEntry: Encodable {
    var address: String
    var source: String?
    var outcome: String
    var message: String

    init(_ problem: ItemProblem) {
        address = problem.address.description
        source = problem.source?.description
        outcome = problem.outcome.rawValue
        message = problem.message
    }
}

/// SIGINT: the first stops submitting (in flight is settled and saved), the second exits 130 at once.
final class InterruptHandler {
    private let source: any DispatchSourceSignal
    private let count = SignalCounter()

    init(executor: Executor, io: CommandIO) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        self.source = source
        let count = self.count
        source.setEventHandler {
            let n = count.increment()
            if n == 1 {
                executor.requestStop()
                io.stderr("\nsbsync: stopping: no new batches; waiting for those in flight (Ctrl-C again to exit at once)\n")
            } else {
                io.stderr("\nsbsync: exiting; the next apply settles what was in flight\n")
                exit(130)
            }
        }
        source.resume()
    }

    var interrupted: Bool { count.value > 0 }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
