public import ArgumentParser
import Foundation
import SyncCore
import SyncState
import SyncYAML

/// `sbsync plan`: compares the manifest with the state and shows what `apply` would do.
///
/// It changes nothing: no network call, no state file created, no lock taken.
public struct PlanCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change, without changing anything.",
        discussion: """
            Compares the manifest with the state file and lists, per project, the files to import (+), \
            replace (-/+), update (~) and forget (-), each with its reason. Forget never deletes a file \
            on the platform. Contacts nothing, and creates no state file: without one, every file is an \
            import. Volume prefixes are not listed by plan in this version (apply lists them). \
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
    public func execute(io: CommandIO, environment: [String: String]) async -> Int32 {
        let statePath = state ?? StatePath.defaultPath(forManifest: manifest)
        // The two expensive loads are independent: parse the manifest and read the state at once.
        // The manifest first, then the state streamed through the diff one file at a time: the
        // recorded state is never held whole, so a million-file plan stays within memory.
        let loaded = Self.loadManifest(path: manifest, digest: out != nil)
        let useColor = !noColor && output.color.enabled(fileDescriptor: output.json ? 2 : 1, environment: environment)
        guard loaded.check.isValid, let manifestModel = loaded.check.manifest, let desired = loaded.check.state else {
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

        let recorded: RecordedState
        switch Self.diffState(path: statePath, manifest: manifestModel, desired: desired) {
        case .success(let value): recorded = value
        case .failure(let error):
            io.stderr("sbsync: error: cannot read the state '\(statePath)': \(error)\n")
            return 1
        }
        var plan = recorded.plan
        plan.notes = Self.notes(path: manifest, desired: desired, setAside: recorded.setAside)

        if let out {
            guard let digest = loaded.sha256 else {
                io.stderr("sbsync: error: cannot read the manifest '\(manifest)' to fingerprint it\n")
                return 1
            }
            let saved = SavedPlan(plan: plan, manifest: .init(path: manifest, sha256: digest),
                                  state: .init(path: statePath, lineage: recorded.lineage, serial: recorded.serial))
            do {
                try saved.encoded().write(to: URL(fileURLWithPath: out), options: .atomic)
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
    static func diffState(path: String, manifest: Manifest, desired: DesiredState) -> Result<RecordedState, StateError> {
        let prefixes = desired.unexpandedPrefixes.map { (reference: $0, prefix: manifest.volumes[$0.group].prefixes[$0.index]) }
        var diff = StreamingDiff(desired: desired)
        var setAside = 0
        do {
            let store = try StateStore.open(at: path, create: false)
            // Files and serial come from one read transaction.
            let serial = try store.forEachFile { file in
                // A recorded file that an unexpanded prefix may still want is not forgotten:
                // without the listing, plan cannot know.
                if !prefixes.isEmpty, case .volume(let volume, let location) = file.source, desired[file.address] == nil,
                   prefixes.contains(where: { $0.reference.volume == volume && $0.prefix.includes(location: location) }) {
                    setAside += 1
                } else {
                    diff.add(file)
                }
            }
            return .success(RecordedState(plan: diff.finish(), lineage: store.lineage, serial: serial, setAside: setAside))
        } catch let error as StateError {
            if case .notFound = error {
                return .success(RecordedState(plan: diff.finish(), lineage: nil, serial: 0, setAside: 0))
            }
            return .failure(error)
        } catch {
            return .failure(.io(path: path, detail: "\(error)"))
        }
    }

    // MARK: - Prefixes

    static func notes(path: String, desired: DesiredState, setAside: Int) -> [String] {
        var notes: [String] = []
        for reference in desired.unexpandedPrefixes {
            let shown = reference.prefix.isEmpty ? "(the whole volume)" : "'\(reference.prefix)'"
            notes.append("\(path):\(reference.mark): volume prefix \(shown) of '\(reference.volume)' was not expanded: "
                + "listing a volume needs the platform, which plan does not contact; apply lists it")
        }
        if setAside > 0 {
            notes.append("\(setAside) recorded \(setAside == 1 ? "file" : "files") under those prefixes "
                + "\(setAside == 1 ? "was" : "were") not compared and will not be forgotten")
        }
        return notes
    }
}
