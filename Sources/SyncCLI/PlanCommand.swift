public import ArgumentParser
import Foundation
public import PlatformAPI
import SyncCore
import SyncEngine
import SyncState

/// `sbsync plan`: compares the manifest with the state and shows what `apply` would do.
///
/// It changes no record: no state file created, no lock taken (it may leave an `InSyncNote`
/// beside the records), and the only platform calls are read-only (through `PlatformReader`,
/// which has no mutating method). The stages are SyncEngine's `PlanPipeline`, shared with apply.
public struct PlanCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change, without changing anything.",
        discussion: """
            Compares the manifest with the state file and lists, per project, the files to import (+), \
            replace (-/+), update (~) and forget (-), each with its reason. Forget never deletes a file \
            on the platform. Creates no state file. With credentials (as for apply) it checks the token, \
            projects and volumes, lists volume prefixes, and looks at the destinations the state does not \
            hold, so a file already there from the same source is adopted (=) rather than imported; all \
            read-only calls. With --offline, or without credentials, it does none of this and says so. \
            A plan that finds no change leaves an in-sync note in an existing state (no record changes), \
            and the next plan of the same files says so from it without comparing every file again \
            (SBSYNC_IN_SYNC_NOTE=off compares every file). \
            Exit codes: \(ExitStatus.summary([.success, .error, .changesPending, .usage])).
            """
    )

    @OptionGroup public var manifestOption: PositionalManifest
    @OptionGroup public var stateOption: StatePathOption

    @Flag(name: .long, help: "List every entry, not only the first \(Self.groupLimit) of each project and action.")
    public var detail = false

    @Option(name: .long, help: ArgumentHelp(
        "Also save the plan to this file, for 'sbsync apply <file>' to run exactly (refused there if stale).",
        valueName: "file"))
    public var out: String?

    @Flag(name: .long, help: "Exit 2 when the plan has changes and 0 when it has none (1 on error).")
    public var detailedExitcode = false

    @OptionGroup public var platform: PlatformOptions

    @Flag(name: .long, help: "Contact nothing: leave volume prefixes unexpanded (recorded files under them are kept, not compared) and check no destination.")
    public var offline = false

    @OptionGroup public var refreshOptions: RefreshOptions

    @Option(name: .long, help: ArgumentHelp(
        "How to print the plan: text, json (as --json) or markdown (a summary for a pull-request comment).",
        valueName: "format"))
    public var format: PlanFormat?

    @OptionGroup public var output: OutputOptions

    /// Entries listed per project and action without `--detail`.
    public static let groupLimit = 10

    public init() {}

    /// `--format`, or `json` for `--json`, or `text`.
    public var chosenFormat: PlanFormat { format ?? (output.json ? .json : .text) }

    public func validate() throws {
        if output.json, let format, format != .json {
            throw ValidationError("--json and --format \(format.rawValue) disagree; give one")
        }
    }

    public var manifest: String { manifestOption.manifest }

    public func run() async throws {
        try await InternalFailure.guarding {
            try finish(await execute(io: .standard, environment: ProcessInfo.processInfo.environment))
        }
    }

    /// Runs the command, writing through `io`; returns the exit code.
    /// - Parameter transport: how to reach the platform for prefix listings (`nil`: AsyncHTTPClient).
    public func execute(io: CommandIO, environment: [String: String], transport: (any HTTPTransport)? = nil) async -> Int32 {
        let statePath = stateOption.path(forManifest: manifest, environment: environment)
        // A note the last plan left, when it still stands for these files: the manifest and its
        // tables are then read as `validate` reads them, and the state is not compared again.
        // SBSYNC_IN_SYNC_NOTE=off: compare every file, and leave no note (a check of the note itself).
        let notes = !refreshOptions.refresh && !InSyncNote.disabled(by: environment)
        var inSync = notes ? InSyncNote.find(manifestPath: manifest, statePath: statePath) : nil
        // With a note, the files are digested again as they are read, and must still be the note's.
        var loaded = PlanPipeline.load(manifest, fingerprint: out != nil, noteDigests: notes,
                                       detail: inSync == nil ? .full : .addresses)
        if let found = inSync, loaded.valid != nil, !found.stands(for: loaded) {
            inSync = nil
            loaded = PlanPipeline.load(manifest, fingerprint: out != nil, noteDigests: true)
        }
        let errorColor = output.colored(2, environment)
        guard let (manifestModel, desired) = loaded.valid else {
            io.diagnostics(loaded.diagnostics, manifest: manifest, json: chosenFormat == .json, color: errorColor)
            return ExitStatus.error.rawValue
        }
        if !loaded.diagnostics.isEmpty {
            io.diagnostics(loaded.diagnostics, manifest: manifest, color: errorColor)  // warnings only
        }

        if refreshOptions.refresh, out != nil || offline {
            io.error("--refresh cannot be combined with \(offline ? "--offline" : "--out")",
                     hint: "a refreshed plan is carried out by 'sbsync apply --refresh'")
            return ExitStatus.usage.rawValue
        }
        let result: PlanPipeline.Result
        do {
            if refreshOptions.refresh {
                result = try await refreshedPlan(manifestModel, desired, statePath: statePath, io: io, environment: environment,
                                                 transport: transport)
            } else {
                result = try await withPrefixes(of: manifestModel, io: io, environment: environment, transport: transport) { prefixes in
                    try await PlanPipeline.plan(manifestModel, desired, prefixes: prefixes, statePath: statePath,
                                                inputs: notes ? InSyncNote.Inputs(loaded) : nil, inSync: inSync)
                }
            }
        } catch let failure as Refresh.Failure {
            io.error(failure.description, hint: failure.hint)
            return ExitStatus.error.rawValue
        } catch PlanPipeline.Failure.invalid(let diagnostics) {
            io.diagnostics(diagnostics, manifest: manifest, color: errorColor)
            return ExitStatus.error.rawValue
        } catch PlanPipeline.Failure.listing(let error) {
            io.error(error, context: "cannot list the manifest's volume prefixes")
            return ExitStatus.error.rawValue
        } catch PlanPipeline.Failure.checking(let error) {
            io.error(error, context: "cannot check the manifest's destinations on the platform")
            return ExitStatus.error.rawValue
        } catch PlanPipeline.Failure.state(let error) {
            io.error("cannot read the state '\(StateBackends.display(statePath))': \(shown: error)")
            return ExitStatus.error.rawValue
        } catch let failure as PlatformCheckFailure {
            io.error(failure.message)
            return ExitStatus.error.rawValue
        } catch is CancellationError {
            return ExitStatus.interrupted.rawValue
        } catch {
            io.stderr(InternalFailure.message(for: error))
            return ExitStatus.error.rawValue
        }
        // The plan holds what it shows; the rest (a million files) is freed meanwhile.
        let plan = result.plan
        releaseInBackground((loaded, desired))

        if let out {
            guard let digest = loaded.sha256 else {
                io.error("cannot read the manifest '\(manifest)' to fingerprint it")
                return ExitStatus.error.rawValue
            }
            let saved = SavedPlan(plan: plan, manifest: .init(path: manifest, sha256: digest,
                                                                  sources: loaded.sources.isEmpty ? nil : loaded.sources),
                                  state: .init(path: StateBackends.display(statePath), lineage: result.lineage, serial: result.serial))
            do {
                // Streamed: a million actions are close to a gigabyte of JSON.
                try PrivateFile.write(to: out) { sink in try saved.writeJSONBytes { $0.withUnsafeBytes(sink) } }
            } catch let error as PrivateFileError {
                io.error("cannot write the plan to '\(out)': \(error.reason)")
                return ExitStatus.error.rawValue
            } catch let error as EncodingError {
                io.error("cannot write the plan to '\(out)': \(JSONWriter.describe(error))")
                return ExitStatus.error.rawValue
            } catch {
                io.error("cannot write the plan to '\(out)': \(error.localizedDescription)")
                return ExitStatus.error.rawValue
            }
        }

        switch chosenFormat {
        case .json:
            do {
                io.stdout(String(decoding: try plan.json(), as: UTF8.self))
            } catch {
                io.stderr(InternalFailure.message(for: error))
                return ExitStatus.error.rawValue
            }
        case .markdown:
            do {
                io.stdout(plan.markdown(detail: detail, limit: Self.groupLimit, hash: try plan.sha256()))
                if let out { io.stderr("Saved the plan to \(out); run it with: sbsync apply \(out)\n") }
            } catch {
                io.stderr(InternalFailure.message(for: error))
                return ExitStatus.error.rawValue
            }
        case .text:
            // How old the state's knowledge is, unless this plan checked (text only: not a change).
            var shown = plan
            shown.notes += PlanPipeline.costNotes(for: plan, statePath: statePath)
            if !refreshOptions.refresh, let note = PlanPipeline.freshnessNote(statePath: statePath, recordedFiles: result.recordedFiles) { shown.notes.append(note) }
            io.stdout(shown.text(.init(detail: detail, limit: Self.groupLimit, color: output.colored(1, environment))))
            if let out { io.stdout("Saved the plan to \(out); run it with: sbsync apply \(out)\n") }
        }
        let status = detailedExitcode && plan.hasChanges ? ExitStatus.changesPending : .success
        releaseInBackground((result, plan))  // a first plan's million changes: the process is about to end
        return status.rawValue
    }

    /// Runs `body` with the way to expand the manifest's volume prefixes: listed through the
    /// platform's read-only side when there are prefixes and credentials, else left unexpanded
    /// with the reason. No credentials at all is not an error (plan works offline); bad ones are.
    private func withPrefixes<T: Sendable>(of manifestModel: Manifest, io: CommandIO, environment: [String: String],
                                           transport: (any HTTPTransport)?,
                                           _ body: (PlanPipeline.Prefixes) async throws -> T) async throws -> T {
        if offline { return try await body(.unexpanded(reason: "plan ran with --offline")) }
        let config: PlatformConfig
        do throws(PlatformConfigError) {
            config = try platform.resolve(environment: environment, io: io)
        } catch {
            if case .noCredentials = error, !platform.named {
                return try await body(.unexpanded(
                    reason: "no platform credentials were found (set SB_API_ENDPOINT and SB_AUTH_TOKEN, or use --profile)"))
            }
            throw PlatformCheckFailure(message: "cannot check the manifest against the platform: \(shown: error)")
        }
        if let transport { return try await body(.listed(PlatformClient(config: config, transport: transport, options: PlatformOptions.clientOptions(io: io)).reader)) }
        return try await AsyncHTTPTransport.withTransport { transport in
            try await body(.listed(PlatformClient(config: config, transport: transport, options: PlatformOptions.clientOptions(io: io)).reader))
        }
    }
}

/// What `sbsync plan --format` prints.
public enum PlanFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json, markdown
}

/// A problem reaching the platform that the command words itself.
struct PlatformCheckFailure: Error {
    var message: String
}
