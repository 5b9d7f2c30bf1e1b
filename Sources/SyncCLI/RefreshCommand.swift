public import ArgumentParser
import Foundation
import PlatformAPI
import SyncCore
import SyncEngine
import SyncState
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--refresh`, `--refresh-budget`, `--yes-drift`: shared by `plan` and `apply`.
public struct RefreshOptions: ParsableArguments, Sendable {
    @Flag(name: .long, help: "First check the recorded files on the platform (read-only, about one request per 100 files) and plan the way back for what drifted.")
    public var refresh = false

    @Option(name: .long, help: ArgumentHelp(
        "With --refresh: make at most this many requests, checking the least recently verified files first.", valueName: "n"))
    public var refreshBudget: Int?

    @Flag(name: .long, help: "With --refresh: act on drift even when more than half of the checked files drifted.")
    public var yesDrift = false

    public init() {}

    public func validate() throws {
        try Self.check(budget: refreshBudget)
    }

    /// A budget must pay for one project call and one bulk call.
    static func check(budget: Int?) throws {
        if let budget, budget < 2 {
            throw ValidationError("--refresh-budget must be at least 2 (one project call and one bulk call), not \(budget)")
        }
    }

    /// The reader a refresh checks with: no retries, so a 5xx or a dropped connection stops the
    /// refresh (the state stays as it was) instead of being waited out.
    static func reader(config: PlatformConfig, transport: any HTTPTransport, clock: any PlatformClock) -> PlatformReader {
        var options = PlatformClientOptions()
        options.retry.maxAttempts = 1
        return PlatformClient(config: config, transport: transport, clock: clock, options: options).reader
    }
}

/// The refresh wording shared by `plan --refresh`, `apply --refresh` and `refresh`.
enum RefreshText {
    /// `Refresh: 2,000 of 2,000 recorded files checked in 21 requests: 1,990 as recorded, 10 drifted.`
    /// and one line per drift.
    static func report(_ report: Refresh.Report, detail: Bool = true, limit: Int = 20) -> String {
        var out = "Refresh: \(report.checked) of \(report.recorded) recorded files checked in \(report.requests) "
            + "request\(report.requests == 1 ? "" : "s"): \(report.verified.count) as recorded, \(report.drifts.count) drifted"
        if report.unchecked > 0 { out += "; \(report.unchecked) not checked this run (least recently verified go first next time)" }
        out += ".\n"
        let shown = detail ? report.drifts[...] : report.drifts.prefix(limit)
        for drift in shown {
            out += "  ! \(drift.address.description.terminalEscaped) (\(drift.found.map(\.description).joined(separator: "; ").terminalEscaped))\n"
        }
        if shown.count < report.drifts.count { out += "  … and \(report.drifts.count - shown.count) more\n" }
        return out
    }

    static func tooMuchDrift(_ report: Refresh.Report) -> String {
        "\(report.drifts.count) of \(report.checked) checked files drifted (more than half): that looks more like a wrong "
            + "project or token than like edits"
    }

    static let tooMuchDriftHint = "check the project and the credentials; to act on it anyway, pass --yes-drift (or confirm on a terminal)"
}

/// `sbsync refresh`: Terraform's `-refresh-only`. Checks the recorded files on the platform,
/// shows what drifted and, once confirmed, writes only what was found into the state
/// (`Refresh.record`), importing nothing.
public struct RefreshCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Check the recorded files on the platform and record what was found, changing nothing on the platform.",
        discussion: """
            Asks the platform about every recorded file (read-only: one request per project, one per 100 files, \
            least recently verified first under --refresh-budget), lists what drifted (deleted, renamed or moved, \
            metadata or tags edited, replaced), and writes into the state only what was found, after confirmation \
            when something drifted (without a terminal, --auto-approve; declined or without it, only the files \
            found as recorded are written): the time each file was verified, gone files forgotten (the next \
            plan imports them), edited metadata and tags recorded (the next plan sets them back). Renamed and \
            moved files stay recorded at their address: 'sbsync apply --refresh' moves them back. A failed check \
            (token, server, a project or folder answering 404) changes nothing. \
            Exit codes: \(ExitStatus.summary([.success, .error, .locked, .usage])).
            """
    )

    @OptionGroup public var manifestOption: PositionalManifest
    @OptionGroup public var stateOption: StatePathOption
    @OptionGroup public var platform: PlatformOptions

    @Option(name: .long, help: ArgumentHelp("Make at most this many requests, least recently verified files first.", valueName: "n"))
    public var refreshBudget: Int?

    @Flag(name: .long, help: "Record drift without asking (required to record drift when standard input is not a terminal).")
    public var autoApprove = false

    @Flag(name: .long, help: "Record the drift even when more than half of the checked files drifted.")
    public var yesDrift = false

    public init() {}

    public func validate() throws {
        try RefreshOptions.check(budget: refreshBudget)
    }

    public func run() async throws {
        try await InternalFailure.guarding {
            try finish(await execute(io: .standard, environment: ProcessInfo.processInfo.environment,
                                     environmentIO: .process))
        }
    }

    /// Runs the command, writing through `io`; returns the exit code.
    public func execute(io: CommandIO, environment: [String: String], environmentIO: ApplyCommand.Environment) async -> Int32 {
        do { try validate() } catch {
            io.error("\(error)")
            return ExitStatus.usage.rawValue
        }
        let statePath = stateOption.path(forManifest: manifestOption.manifest, environment: environment)
        guard let config = platform.resolved(environment: environment, io: io) else { return ExitStatus.error.rawValue }
        let store: any StateBackend
        do throws(StateError) {
            store = try StateBackends.open(statePath)
            try store.verify()
            _ = try store.acquireLock(operation: "refresh")
        } catch {
            return io.fail(error)
        }
        defer { try? store.releaseLock() }
        do {
            if let transport = environmentIO.transport {
                return try await perform(store, transport: transport, config: config, io: io, environmentIO: environmentIO)
            }
            return try await AsyncHTTPTransport.withTransport { transport in
                try await perform(store, transport: transport, config: config, io: io, environmentIO: environmentIO)
            }
        } catch let failure as Refresh.Failure {
            io.error(failure.description, hint: failure.hint)
            return ExitStatus.error.rawValue
        } catch let error as StateError {
            return io.fail(error)
        } catch is CancellationError {
            io.notice("interrupted; the state keeps the verification written so far")
            return ExitStatus.interrupted.rawValue
        } catch {
            io.error("\(shown: error)")
            return ExitStatus.error.rawValue
        }
    }

    private func perform(_ store: any StateBackend, transport: any HTTPTransport, config: PlatformConfig, io: CommandIO,
                         environmentIO: ApplyCommand.Environment) async throws -> Int32 {
        let clock = environmentIO.clock
        io.stderr(try Refresh.cost(store: store, budget: refreshBudget).line + "\n")
        let reader = RefreshOptions.reader(config: config, transport: transport, clock: clock)
        let report = try await Refresh.run(store: store, reader: reader, budget: refreshBudget)
        io.stdout(RefreshText.report(report))
        guard report.checked > 0 else { return ExitStatus.success.rawValue }
        if report.driftShare > 0.5, !yesDrift {
            guard environmentIO.inputIsTerminal else {
                io.error(RefreshText.tooMuchDrift(report) + "; nothing was recorded", hint: RefreshText.tooMuchDriftHint)
                return ExitStatus.error.rawValue
            }
        }
        // Nothing drifted: only verification times are written, which nobody needs to review.
        if !autoApprove, !report.drifts.isEmpty {
            guard environmentIO.inputIsTerminal else {
                // The files found as recorded keep their verification: the requests are not wasted.
                try Refresh.recordVerification(report.verified, in: store, at: Int64(clock.now()))
                io.error("refresh asks for confirmation before it records drift, and standard input is not a terminal; "
                         + "\(report.drifts.count) drifted file(s) were not recorded (the \(report.verified.count) found as recorded were)",
                         hint: "pass --auto-approve")
                return ExitStatus.error.rawValue
            }
            io.stdout("\nRecord what was found in the state? Only 'yes' is accepted: ")
            guard environmentIO.readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                // As without a terminal: the drift is not recorded, what was found as recorded is.
                try Refresh.recordVerification(report.verified, in: store, at: Int64(clock.now()))
                io.stdout("Drift not recorded; the \(report.verified.count) file(s) found as recorded were.\n")
                return ExitStatus.success.rawValue
            }
        }
        try Refresh.record(report, in: store, at: Int64(clock.now()))
        let gone = report.drifts.filter { $0.gone != nil }.count
        let displaced = report.drifts.filter { $0.gone == nil && $0.displaced != nil }.count
        io.stdout("Recorded: \(report.checked - displaced) file(s) verified or corrected, \(gone) gone file(s) forgotten"
            + (displaced > 0 ? "; \(displaced) renamed or moved file(s) left as recorded ('sbsync apply --refresh' moves them back)" : "")
            + ".\n")
        return ExitStatus.success.rawValue
    }
}

extension PlanCommand {
    /// `plan --refresh`: credentials are required; the cost goes to standard error first, the
    /// refresh's findings to standard output before the plan.
    func refreshedPlan(_ manifestModel: Manifest, _ desired: DesiredState, statePath: String, io: CommandIO,
                       environment: [String: String], transport: (any HTTPTransport)?) async throws -> PlanPipeline.Result {
        let config: PlatformConfig
        do throws(PlatformConfigError) {
            config = try platform.resolve(environment: environment, io: io)
        } catch {
            throw PlatformCheckFailure(message: "--refresh needs platform credentials: \(shown: error)")
        }
        let budget = refreshOptions.refreshBudget, json = output.json
        func run(_ transport: any HTTPTransport) async throws -> PlanPipeline.Result {
            let clock = SystemPlatformClock()
            let reader = RefreshOptions.reader(config: config, transport: transport, clock: clock)
            let prefixReader = PlatformClient(config: config, transport: transport, clock: clock).reader
            let (result, report) = try await PlanPipeline.refreshedPlan(
                manifestModel, desired, reader: reader, prefixReader: prefixReader, statePath: statePath, budget: budget,
                onCost: { io.stderr($0.line + "\n") })
            if let report, !json { io.stdout(RefreshText.report(report, detail: detail, limit: PlanCommand.groupLimit) + "\n") }
            if let report, report.driftShare > 0.5 {
                io.warning(RefreshText.tooMuchDrift(report) + "; apply acts on it only with --yes-drift or a terminal confirmation")
            }
            return result
        }
        if let transport { return try await run(transport) }
        return try await AsyncHTTPTransport.withTransport { try await run($0) }
    }
}
