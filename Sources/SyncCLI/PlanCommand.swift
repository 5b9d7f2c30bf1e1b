public import ArgumentParser
import Foundation
public import PlatformAPI
import SyncCore
import SyncEngine
import SyncState
import SyncYAML

/// `sbsync plan`: compares the manifest with the state and shows what `apply` would do.
///
/// It changes nothing: no state file created, no lock taken, and the only platform calls are
/// read-only volume listings (through `PlatformReader`, which has no mutating method) when the
/// manifest has volume prefixes.
public struct PlanCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change, without changing anything.",
        discussion: """
            Compares the manifest with the state file and lists, per project, the files to import (+), \
            replace (-/+), update (~) and forget (-), each with its reason. Forget never deletes a file \
            on the platform. Creates no state file: without one, every file is an import. When the \
            manifest has volume prefixes, plan lists those volumes (read-only calls; credentials as for \
            apply) so that it shows what apply will do; with --offline, or without credentials, it \
            leaves them unexpanded and says so. \
            Exit codes: 0 success, 1 error, 2 changes pending (with --detailed-exitcode), 64 usage.
            """
    )

    @Option(name: [.customShort("f"), .customLong("manifest")],
            help: ArgumentHelp("The manifest to plan.", valueName: "path"))
    public var manifest = "sbsync.yaml"

    @Option(name: .long, help: ArgumentHelp(
        "The state file (default: .sbsync/<manifest name>.state beside the manifest).", valueName: "path"))
    public var state: String?

    @Flag(name: .long, help: "List every entry, not only the first \(Self.groupLimit) of each project and action.")
    public var detail = false

    @Option(name: .long, help: ArgumentHelp(
        "Also save the plan to this file, for 'sbsync apply <file>' to run exactly (refused there if stale).",
        valueName: "file"))
    public var out: String?

    @Flag(name: .long, help: "Exit 2 when the plan has changes and 0 when it has none (1 on error).")
    public var detailedExitcode = false

    @Flag(name: .long, help: "Never colour the output (same as --color never; NO_COLOR is honoured too).")
    public var noColor = false

    @Option(name: .long, help: ArgumentHelp(
        "The platform API, for listing volume prefixes: a URL ending in /v2 or a short name (cgc, cavatica, bdc, sbg-us, sbg-eu).",
        valueName: "url-or-name"))
    public var endpoint: String?

    @Option(name: .long, help: ArgumentHelp("The profile of ~/.sevenbridges/credentials to use for listing volume prefixes.", valueName: "name"))
    public var profile: String?

    @Flag(name: .long, help: "Contact nothing: leave volume prefixes unexpanded (recorded files under them are kept, not compared).")
    public var offline = false

    @OptionGroup public var output: OutputOptions

    /// Entries listed per project and action without `--detail`.
    public static let groupLimit = 10

    public init() {}

    public func run() async throws {
        try await InternalFailure.guarding {
            let code = await execute(io: .standard, environment: ProcessInfo.processInfo.environment)
            if code != 0 { throw ExitCode(code) }
        }
    }

    /// Runs the command, writing through `io`; returns the exit code.
    /// - Parameter transport: how to reach the platform for prefix listings (`nil`: AsyncHTTPClient).
    public func execute(io: CommandIO, environment: [String: String], transport: (any HTTPTransport)? = nil) async -> Int32 {
        let statePath = state ?? StatePath.defaultPath(forManifest: manifest)
        // The two expensive loads are independent: parse the manifest and read the state at once.
        // The manifest first, then the state streamed through the diff one file at a time: the
        // recorded state is never held whole, so a million-file plan stays within memory.
        let loaded = Self.loadManifest(path: manifest, digest: out != nil)
        let useColor = !noColor && output.color.enabled(fileDescriptor: output.json ? 2 : 1, environment: environment)
        guard loaded.check.isValid, let manifestModel = loaded.check.manifest, var desired = loaded.check.state else {
            let printer = DiagnosticPrinter(useColor: !noColor && output.color.enabled(fileDescriptor: 2, environment: environment))
            if output.json {
                io.stdout(JSONOutput.diagnostics(loaded.check.diagnostics, manifest: manifest))
            } else {
                io.stderr(printer.render(loaded.check.diagnostics,
                                         sourceLines: DiagnosticPrinter.sourceLines(for: loaded.check.diagnostics, path: manifest)))
            }
            return 1
        }
        if !loaded.check.diagnostics.isEmpty {
            // Warnings only (errors returned above).
            let printer = DiagnosticPrinter(useColor: !noColor && output.color.enabled(fileDescriptor: 2, environment: environment))
            io.stderr(printer.render(loaded.check.diagnostics,
                                     sourceLines: DiagnosticPrinter.sourceLines(for: loaded.check.diagnostics, path: manifest)))
        }

        var unexpandedReason = "plan ran with --offline"
        if !manifestModel.prefixes.isEmpty && !offline {
            switch await listPrefixes(of: manifestModel, environment: environment, transport: transport, io: io) {
            case .listed(let expansion):
                guard expansion.isValid else {
                    let printer = DiagnosticPrinter(useColor: !noColor && output.color.enabled(fileDescriptor: 2, environment: environment))
                    io.stderr(printer.render(expansion.diagnostics,
                                             sourceLines: DiagnosticPrinter.sourceLines(for: expansion.diagnostics, path: manifest)))
                    return 1
                }
                desired = expansion.state
            case .noCredentials:
                unexpandedReason = "no platform credentials were found (set SB_API_ENDPOINT and SB_AUTH_TOKEN, or use --profile)"
            case .failed(let message):
                io.stderr("sbsync: error: cannot list the manifest's volume prefixes: \(shown: message)\n")
                return 1
            }
        }

        let recorded: RecordedState
        switch Self.diffState(path: statePath, manifest: manifestModel, desired: desired) {
        case .success(let value): recorded = value
        case .failure(let error):
            io.stderr("sbsync: error: cannot read the state '\(statePath)': \(shown: error)\n")
            return 1
        }
        var plan = recorded.plan
        plan.notes = Self.notes(path: manifest, desired: desired, setAside: recorded.setAside, reason: unexpandedReason)
        // The plan holds what it shows; the rest (a million files) is freed meanwhile.
        let sha256 = loaded.sha256, lineage = recorded.lineage, serial = recorded.serial
        releaseInBackground((loaded, desired))

        if let out {
            guard let digest = sha256 else {
                io.stderr("sbsync: error: cannot read the manifest '\(manifest)' to fingerprint it\n")
                return 1
            }
            let saved = SavedPlan(plan: plan, manifest: .init(path: manifest, sha256: digest),
                                  state: .init(path: statePath, lineage: lineage, serial: serial))
            do {
                try PrivateFile.write(try saved.encoded(), to: out)
            } catch let error as PrivateFileError {
                io.stderr("sbsync: error: cannot write the plan to '\(out)': \(error.reason)\n")
                return 1
            } catch {
                io.stderr("sbsync: error: cannot write the plan to '\(out)': \(error.localizedDescription)\n")
                return 1
            }
        }

        if output.json {
            do {
                io.stdout(String(decoding: try plan.json(), as: UTF8.self))
            } catch {
                io.stderr(InternalFailure.message(for: error))
                return 1
            }
        } else {
            io.stdout(plan.text(.init(detail: detail, limit: Self.groupLimit, color: useColor)))
            if let out { io.stdout("Saved the plan to \(out); run it with: sbsync apply \(out)\n") }
        }
        return detailedExitcode && plan.hasChanges ? 2 : 0
    }

    // MARK: - Loading

    struct LoadedManifest: Sendable {
        var check: ManifestLoader.Check
        /// SHA-256 of the bytes, when asked for and readable.
        var sha256: String?
    }

    static func loadManifest(path: String, digest: Bool) -> LoadedManifest {
        // Fingerprint first: if the file changes while we parse, the plan is stale rather than wrong.
        var sha256: String?
        if digest, let bytes = FileManager.default.contents(atPath: path) {
            sha256 = SavedPlan.sha256(of: bytes)
        }
        return LoadedManifest(check: ManifestLoader.check(path: path), sha256: sha256)
    }

    /// The plan and where the state stood.
    struct RecordedState {
        var plan: Plan
        var lineage: String?
        var serial: Int64
        /// Recorded files left out because an unexpanded prefix may want them.
        var setAside: Int
    }

    /// Streams the state through the diff. A missing state file is an empty state (nothing
    /// imported yet); plan does not create one.
    /// - Parameter parts: threads to read and compare on; by default one per core (up to 4)
    ///   for a large manifest, else one.
    static func diffState(path: String, manifest: Manifest, desired: DesiredState, parts: Int? = nil) -> Result<RecordedState, StateError> {
        let prefixes = desired.unexpandedPrefixes.map { (reference: $0, prefix: manifest.volumes[$0.group].prefixes[$0.index]) }
        // A large state is read and compared on every core, each part with a diff of its own.
        let parts = parts ?? (desired.count >= Self.parallelDiffMinimum ? min(4, ProcessInfo.processInfo.activeProcessorCount) : 1)
        let diffs = DiffParts(count: parts, desired: desired)
        do {
            let store = try StateStore.open(at: path, create: false)
            // Files and serial come from one snapshot.
            let serial = try store.forEachFile(parts: parts, comparingWith: desired, unchanged: { part, position, address in
                diffs.diffs[part].addUnchanged(position: position, project: address.project)
            }) { part, file, complete in
                // A recorded file that an unexpanded prefix may still want is not forgotten:
                // without the listing, plan cannot know.
                if !prefixes.isEmpty, case .volume(let volume, let location) = file.source, desired[file.address] == nil,
                   prefixes.contains(where: { $0.reference.volume == volume && $0.prefix.includes(location: location) }) {
                    diffs.setAside[part] += 1
                } else {
                    diffs.diffs[part].add(file, complete: complete)
                }
            }
            let (plan, setAside) = diffs.finish()
            return .success(RecordedState(plan: plan, lineage: store.lineage, serial: serial, setAside: setAside))
        } catch {
            if case .notFound = error {
                return .success(RecordedState(plan: StreamingDiff(desired: desired).finish(), lineage: nil, serial: 0, setAside: 0))
            }
            return .failure(error)
        }
    }

    /// Desired files from which plan compares on every core.
    static let parallelDiffMinimum = 50_000

    /// One streaming diff (and set-aside count) per part of a state read in parts; each part's
    /// thread touches only its own element.
    final class DiffParts: @unchecked Sendable {  // Unchecked: disjoint per-part elements, read after the join.
        let diffs: UnsafeMutableBufferPointer<StreamingDiff>
        let setAside: UnsafeMutableBufferPointer<Int>

        init(count: Int, desired: DesiredState) {
            diffs = .allocate(capacity: count)
            diffs.initialize(repeating: StreamingDiff(desired: desired))
            setAside = .allocate(capacity: count)
            setAside.initialize(repeating: 0)
        }

        deinit {
            diffs.deinitialize()
            diffs.deallocate()
            setAside.deallocate()
        }

        func finish() -> (Plan, Int) {
            var diff = diffs[0]
            for part in diffs.indices.dropFirst() { diff.merge(diffs[part]) }
            return (diff.finish(), setAside.reduce(0, +))
        }
    }

    // MARK: - Prefixes

    enum PrefixListing {
        case listed(ManifestExpansion)
        case noCredentials
        case failed(String)
    }

    /// Lists the manifest's volume prefixes through the read-only side of the client.
    /// No credentials at all is not an error (plan works offline); bad credentials are. The
    /// configuration's warnings (a credentials file others can read) are printed as apply prints them.
    func listPrefixes(of manifestModel: Manifest, environment: [String: String], transport: (any HTTPTransport)?,
                      io: CommandIO) async -> PrefixListing {
        let config: PlatformConfig
        do throws(PlatformConfigError) {
            let resolution = try PlatformConfig.resolve(profile: profile, endpoint: endpoint, environment: environment)
            for warning in resolution.warnings { io.stderr("sbsync: warning: \(warning)\n") }
            config = resolution.config
        } catch {
            if case .noCredentials = error, profile == nil, endpoint == nil { return .noCredentials }
            return .failed("\(error)")
        }
        func list(_ transport: any HTTPTransport) async throws -> ManifestExpansion {
            let reader = PlatformClient(config: config, transport: transport).reader
            return manifestModel.expand(listings: try await PrefixListings.list(manifestModel, using: PlatformVolumeListing(reader: reader)))
        }
        do {
            if let transport { return .listed(try await list(transport)) }
            return .listed(try await AsyncHTTPTransport.withTransport { try await list($0) })
        } catch let error as PlatformError {
            return .failed("\(error)" + (error.hint.map { "\nhint: \($0)" } ?? ""))
        } catch {
            return .failed("\(error)")
        }
    }

    static func notes(path: String, desired: DesiredState, setAside: Int, reason: String) -> [String] {
        var notes: [String] = []
        for reference in desired.unexpandedPrefixes {
            let shown = reference.prefix.isEmpty ? "(the whole volume)" : "'\(reference.prefix)'"
            notes.append("\(path):\(reference.mark): volume prefix \(shown) of '\(reference.volume)' was not expanded: "
                + "\(reason); apply lists it")
        }
        if setAside > 0 {
            notes.append("\(setAside) recorded \(setAside == 1 ? "file" : "files") under those prefixes "
                + "\(setAside == 1 ? "was" : "were") not compared and will not be forgotten")
        }
        return notes
    }
}
