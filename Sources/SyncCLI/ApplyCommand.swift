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
            file, and counted by what a retry can fix (platform errors, timeouts, failed jobs: the next \
            apply retries them) and what it cannot (a missing source, a permission, a file skipped by \
            policy: the summary says what to change). Without a terminal, a progress line is printed \
            every --progress-interval seconds. Ctrl-C once stops submitting and saves what is in \
            flight; twice exits at once (the next apply settles the rest). \
            Credentials: SB_API_ENDPOINT and SB_AUTH_TOKEN, or a profile of ~/.sevenbridges/credentials. \
            Exit codes: \(ExitStatus.summary([.success, .error, .failedItems, .stalePlan, .locked, .usage, .interrupted])).
            """
    )

    @Argument(help: ArgumentHelp("A plan saved by 'sbsync plan --out' to run exactly, without confirmation.", valueName: "plan-file"))
    public var planFile: String?

    @OptionGroup public var manifestOption: ManifestOption
    @OptionGroup public var stateOption: StatePathOption

    @Flag(name: .long, help: "Apply without asking for confirmation (required when standard input is not a terminal).")
    public var autoApprove = false

    @OptionGroup public var platform: PlatformOptions

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

    @OptionGroup public var refreshOptions: RefreshOptions

    @Option(name: .long, help: ArgumentHelp(
        "Seconds between two progress lines when standard error is not a terminal (CI logs, pipes).", valueName: "seconds"))
    public var progressInterval: Double = 5

    @OptionGroup public var output: OutputOptions

    public init() {}

    public var manifest: String { manifestOption.manifest }

    /// Numeric options out of range are usage errors (exit 64).
    public func validate() throws {
        _ = try NumericOptions.checked { () throws(OptionRangeError) in try executorOptions() }
        if !(progressInterval.isFinite && progressInterval >= 0.1 && progressInterval <= 3600) {
            throw ValidationError("--progress-interval must be a number of seconds between 0.1 and 3600, not \(progressInterval)")
        }
        if let maxDuration, !(maxDuration.isFinite && maxDuration > 0 && maxDuration <= 31_536_000) {
            throw ValidationError("--max-duration must be a number of seconds between 0 and 31536000, not \(maxDuration)")
        }
    }

    /// The executor options the flags give, range-checked.
    func executorOptions() throws(OptionRangeError) -> ExecutorOptions {
        try ExecutorOptions.commandLine(jobs: jobs, pollInterval: pollInterval, drsPace: drsPace, drsWindow: drsWindow)
    }

    public func run() async throws {
        try await InternalFailure.guarding {
            try finish(await execute(io: .standard, environment: ProcessInfo.processInfo.environment,
                                     environmentIO: .process))
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

    /// Whether `data`, which is not a saved plan, is a manifest: not JSON, and named `.yaml` or
    /// `.yml` or declaring a `version` at the top level.
    static func looksLikeManifest(_ data: Data, path: String) -> Bool {
        let text = String(decoding: data.prefix(64 * 1024), as: UTF8.self)
        let start = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if start.hasPrefix("{") { return false }
        let lower = path.lowercased()
        return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || text.hasPrefix("version:") || text.contains("\nversion:")
    }

    /// Runs the command; returns the exit code.
    public func execute(io: CommandIO, environment: [String: String], environmentIO: Environment) async -> Int32 {
        do { try validate() } catch {
            io.error("\(error)")
            return ExitStatus.usage.rawValue
        }
        // A saved plan names its manifest and state.
        var saved: SavedPlan?
        if let planFile {
            let data: Data
            do throws(BoundedFile.Failure) {
                data = try BoundedFile.planContents(of: planFile)
            } catch {
                io.error("cannot read the plan file: \(shown: error)")
                return ExitStatus.error.rawValue
            }
            do throws(SavedPlanError) {
                saved = try SavedPlan.decode(data)
            } catch {
                // `plan x.yaml` takes a manifest; `apply x.yaml` is the natural next thing to type.
                if Self.looksLikeManifest(data, path: planFile) {
                    io.error("'\(shown: planFile)' is a manifest, not a saved plan",
                             hint: "run 'sbsync apply -f \(shown: planFile)'; the argument of apply is a plan saved by 'sbsync plan --out'")
                    return ExitStatus.usage.rawValue
                }
                io.error("'\(shown: planFile)': \(shown: error)")
                return ExitStatus.error.rawValue
            }
        }
        let manifestPath = saved?.manifest.path ?? manifest
        let statePath = stateOption.given(forManifest: manifestPath, environment: environment) ?? saved?.state.path
            ?? StatePath.defaultPath(forManifest: manifestPath)

        guard let config = platform.resolved(environment: environment, io: io) else { return ExitStatus.error.rawValue }

        if refreshOptions.refresh, planFile != nil {
            io.error("--refresh cannot be combined with a saved plan", hint: "a saved plan runs exactly as it was made")
            return ExitStatus.usage.rawValue
        }
        var request = ApplySession.Request(manifestPath: manifestPath, statePath: statePath,
                                           saved: saved.map { ($0, planFile ?? "") })
        request.inSyncNotes = !InSyncNote.disabled(by: environment)
        do {
            if let transport = environmentIO.transport {
                return try await perform(request, transport: transport, config: config, io: io,
                                         environment: environment, environmentIO: environmentIO)
            }
            return try await AsyncHTTPTransport.withTransport { transport in
                try await perform(request, transport: transport, config: config, io: io,
                                  environment: environment, environmentIO: environmentIO)
            }
        } catch ApplySession.Failure.invalid(let diagnostics) {
            io.diagnostics(diagnostics, manifest: manifestPath, color: output.colored(2, environment))
            return ExitStatus.error.rawValue
        } catch ApplySession.Failure.state(let error) {
            return io.fail(error)
        } catch ApplySession.Failure.stale(let reasons) {
            let planPath = planFile ?? "PLAN"
            let again = ["sbsync", "plan", "-f", manifestPath, "--state", StateBackends.display(statePath), "--out", planPath].map(shellQuoted).joined(separator: " ")
            io.error("the saved plan '\(planPath)' is stale and was not applied:\n"
                + reasons.map { "  - \($0)" }.joined(separator: "\n"),
                hint: "make the plan again with '\(again)', review it, then run 'sbsync apply \(shellQuoted(planPath))'")
            return ExitStatus.stalePlan.rawValue
        } catch ApplySession.Failure.refresh(let failure) {
            io.error(failure.description, hint: failure.hint)
            return ExitStatus.error.rawValue
        } catch ApplySession.Failure.driftNotConfirmed(let report) {
            io.error(RefreshText.tooMuchDrift(report) + "; nothing was applied", hint: RefreshText.tooMuchDriftHint)
            return ExitStatus.error.rawValue
        } catch ApplySession.Failure.listing(let error), PlanPipeline.Failure.listing(let error) {
            io.error(error, context: "cannot list the manifest's volume prefixes")
            return ExitStatus.error.rawValue
        } catch PlanPipeline.Failure.invalid(let diagnostics) {
            io.diagnostics(diagnostics, manifest: manifestPath, color: output.colored(2, environment))
            return ExitStatus.error.rawValue
        } catch PlanPipeline.Failure.checking(let error) {
            io.error(error, context: "cannot check the manifest's destinations on the platform", more: "nothing was changed")
            return ExitStatus.error.rawValue
        } catch is CancellationError {
            io.notice("interrupted; the journal holds what was in flight: the next apply settles it")
            return ExitStatus.interrupted.rawValue
        } catch let error as ExecutorError {
            let hint = "nothing is lost: the next 'sbsync apply' settles what was in flight"
            if case .platform(let platform, let context) = error {
                io.error(platform, context: context, more: hint)
            } else {
                io.error("\(shown: error)", hint: hint)
            }
            return ExitStatus.error.rawValue
        } catch let error as PlatformError {
            io.error(error, context: nil)
            return ExitStatus.error.rawValue
        } catch {
            io.error("\(shown: error)")
            return ExitStatus.error.rawValue
        }
    }

    private func perform(_ request: ApplySession.Request, transport: any HTTPTransport, config: PlatformConfig,
                         io: CommandIO, environment: [String: String], environmentIO: Environment) async throws -> Int32 {
        let clock = environmentIO.clock
        var request = request
        if refreshOptions.refresh {
            request.refresh = RefreshRequest(budget: refreshOptions.refreshBudget, yesDrift: refreshOptions.yesDrift,
                                             reader: RefreshOptions.reader(config: config, transport: transport, clock: clock))
        }
        let json = output.json
        let live = environmentIO.errorIsTerminal && !json
        let reporter = ProgressReporter(io: io, json: json, live: live, color: output.colored(2, environment),
                                        interval: live ? nil : progressInterval)
        var options = try environmentIO.executorOptions ?? NumericOptions.checked { () throws(OptionRangeError) in try executorOptions() }
        options.maxJobsInFlight = max(1, jobs)
        if let maxDuration { options.maxDuration = .milliseconds(Int64(maxDuration * 1000)) }
        let pace = options
        let session = ApplySession(request, client: PlatformClient(config: config, transport: transport, clock: clock,
                                                                   options: PlatformOptions.clientOptions(io: io)),
                                   options: options, clock: clock, onEvent: { reporter.handle($0) })
        let signals = environmentIO.handleSignals ? InterruptHandler(session: session, io: io) : nil
        defer { signals?.cancel() }
        let planColor = output.colored(1, environment), autoApprove = self.autoApprove, refreshing = request.refresh != nil, statePath = request.statePath
        let outcome = try await reporter.ticking { try await session.run(ApplySession.Hooks(
            settled: { settled in
                guard !json else { return }
                io.stderr("Settled \(settled.batches) unfinished batch(es) of an interrupted apply: \(settled.adopted) file(s) found and recorded, "
                    + "\(settled.notSubmitted) never submitted (planned again).\n")
            },
            planned: { plan in
                guard !json else { return }
                var shown = plan
                shown.notes += PlanPipeline.costNotes(for: plan, statePath: statePath, pace: pace)
                if !refreshing, let note = PlanPipeline.freshnessNote(statePath: statePath) { shown.notes.append(note) }
                io.stdout(shown.text(.init(detail: false, limit: PlanCommand.groupLimit, color: planColor)))
            },
            confirm: { _ in
                guard !autoApprove else { return true }
                guard environmentIO.inputIsTerminal else {
                    io.error("apply asks for confirmation, and standard input is not a terminal",
                             hint: "pass --auto-approve, or apply a saved plan ('sbsync plan --out FILE', then 'sbsync apply FILE')")
                    return false
                }
                io.stdout("\nDo you want to apply these changes? Only 'yes' is accepted: ")
                guard environmentIO.readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                    io.stdout("Apply cancelled; nothing was changed.\n")
                    return false
                }
                return true
            },
            refreshing: { cost in
                if !json { io.stderr(cost.line + "\n") }
            },
            refreshed: { report in
                if !json { io.stdout(RefreshText.report(report, detail: false)) }
            },
            confirmDrift: { report in
                guard environmentIO.inputIsTerminal else { return false }
                io.stdout("\n\(RefreshText.tooMuchDrift(report)). Act on it anyway? Only 'yes' is accepted: ")
                return environmentIO.readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
            })) }

        switch outcome {
        case .noChanges:
            if json { reporter.emit(.done(changes: 0, report: nil, failuresFile: nil)) }
            return ExitStatus.success.rawValue
        case .declined:
            return ExitStatus.error.rawValue
        case .executed(let plan, let report):
            reporter.finish()
            return summarize(report, plan: plan, reporter: reporter, statePath: request.statePath, io: io,
                             interrupted: signals?.interrupted == true)
        }
    }

    /// The summary, the failures file and the exit code of an executed plan.
    private func summarize(_ report: ExecutionReport, plan: Plan, reporter: ProgressReporter, statePath: String,
                           io: CommandIO, interrupted: Bool) -> Int32 {
        let o = report.outcomes
        let interrupted = report.interrupted || interrupted
        var summary = "Apply \(interrupted ? "interrupted" : "complete"): \(o[.imported] ?? 0) imported, "
            + "\(o[.replaced] ?? 0) replaced, \(o[.updated] ?? 0) updated, \(o[.forgotten] ?? 0) forgotten"
            + ((o[.adopted] ?? 0) > 0 ? ", \(o[.adopted] ?? 0) adopted; " : "; ")
            + "\(report.skips.count) skipped by policy; \(report.failures.count) failed."
        if interrupted {
            summary += "\nWhat was done is saved in the state; run 'sbsync apply' again to do the rest."
        }
        // A PostgreSQL state has no folder of its own here: its failures file goes beside the manifest's default state.
        let failuresPath = failures ?? (PostgresLocation.isPostgres(statePath) ? StatePath.defaultPath(forManifest: manifest) : statePath)
            + ".failures.json"
        if !report.problems.isEmpty {
            if let data = try? FailuresDocument(report.problems).jsonData() { try? PrivateFile.write(data, to: failuresPath) }
        } else {
            try? FileManager.default.removeItem(atPath: failuresPath)
        }
        if output.json {
            reporter.emit(.done(changes: plan.counts.changes, report: report, failuresFile: report.problems.isEmpty ? nil : failuresPath))
        } else {
            io.stdout("\n" + summary + "\n")
            let shown = report.problems.prefix(20)
            for problem in shown { io.stdout("  \(problem.outcome == .failed ? "failed" : "skipped"): \(shown: problem.address): \(shown: problem.message)\n") }
            if report.problems.count > shown.count { io.stdout("  … and \(report.problems.count - shown.count) more\n") }
            if !report.problems.isEmpty {
                // A file whose metadata or tags failed is recorded all the same (it shows as an update).
                let recorded = report.problems.filter(\.recorded).count
                let unrecorded = report.problems.count - recorded
                let which = recorded == 0 ? "Those files are not recorded"
                    : unrecorded == 0 ? "Those files are recorded, but without the metadata or tags the manifest gives them"
                    : "\(unrecorded) of them are not recorded, and \(recorded) are recorded without the metadata or tags the manifest gives them"
                io.stdout("The full list is in \(failuresPath). \(which).\n")
                // What a retry can fix, and what it cannot (with what to do instead).
                var byAdvice: [RetryAdvice: Int] = [:]
                for problem in report.problems { byAdvice[problem.retryAdvice, default: 0] += 1 }
                for advice in RetryAdvice.allCases {
                    guard let count = byAdvice[advice] else { continue }
                    io.stdout("  \(count) \(advice.label): \(advice.action).\n")
                }
            }
        }
        if interrupted { return ExitStatus.interrupted.rawValue }
        return (report.failures.isEmpty ? ExitStatus.success : .failedItems).rawValue
    }
}

/// SIGINT: the first stops submitting (in flight is settled and saved), the second exits 130 at once.
final class InterruptHandler {
    private let source: any DispatchSourceSignal
    private let count = SignalCounter()

    init(session: ApplySession, io: CommandIO) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        self.source = source
        let count = self.count
        source.setEventHandler {
            let n = count.increment()
            if n == 1 {
                session.requestStop()
                io.stderr("\n")
                io.notice("stopping: no new batches; waiting for those in flight (Ctrl-C again to exit at once)")
            } else {
                io.stderr("\n")
                io.notice("exiting; the next apply settles what was in flight")
                exit(ExitStatus.interrupted.rawValue)
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

/// `text` as one word for a POSIX shell: unchanged when it is plain, else in single quotes.
func shellQuoted(_ text: String) -> String {
    let plain = !text.isEmpty && text.unicodeScalars.allSatisfy {
        CharacterSet.alphanumerics.contains($0) && $0.isASCII || "/._-+:=@%,".unicodeScalars.contains($0)
    }
    return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
