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
        let manifestPath = manifest, wantDigest = out != nil
        async let manifestLoad = Self.loadManifest(path: manifestPath, digest: wantDigest)
        async let stateLoad = Self.loadState(path: statePath)
        let (loaded, recorded) = await (manifestLoad, stateLoad)

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
        let snapshot: StateSnapshot
        switch recorded {
        case .success(let value): snapshot = value
        case .failure(let error):
            io.stderr("sbsync: error: cannot read the state '\(statePath)': \(error)\n")
            return 1
        }
        if !loaded.check.diagnostics.isEmpty {
            // Warnings only (errors returned above).
            let printer = DiagnosticPrinter(useColor: !noColor && output.color.enabled(fileDescriptor: 2, environment: environment))
            io.stderr(printer.render(loaded.check.diagnostics,
                                     sourceLines: DiagnosticPrinter.sourceLines(for: loaded.check.diagnostics, path: manifest)))
        }

        let (files, hidden) = Self.setAsideUnlisted(snapshot.files, manifest: manifestModel, desired: desired)
        var plan = Diff.compute(desired: desired, recorded: files)
        plan.notes = Self.notes(path: manifest, desired: desired, setAside: hidden)
        // The plan holds what it shows; the rest (a million files each side) is freed meanwhile.
        let sha256 = loaded.sha256, lineage = snapshot.lineage, serial = snapshot.serial
        releaseInBackground((loaded, snapshot.files, files, desired))

        if let out {
            guard let digest = sha256 else {
                io.stderr("sbsync: error: cannot read the manifest '\(manifest)' to fingerprint it\n")
                return 1
            }
            let saved = SavedPlan(plan: plan, manifest: .init(path: manifest, sha256: digest),
                                  state: .init(path: statePath, lineage: lineage, serial: serial))
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

    static func loadManifest(path: String, digest: Bool) async -> LoadedManifest {
        // Fingerprint first: if the file changes while we parse, the plan is stale rather than wrong.
        var sha256: String?
        if digest, let bytes = FileManager.default.contents(atPath: path) {
            sha256 = SavedPlan.sha256(of: bytes)
        }
        return LoadedManifest(check: ManifestLoader.check(path: path), sha256: sha256)
    }

    /// What plan needs of the state.
    struct StateSnapshot: Sendable {
        var files: [RecordedFile]
        var lineage: String?
        var serial: Int64
    }

    /// A missing state file is an empty state (nothing imported yet); plan does not create one.
    static func loadState(path: String) async -> Result<StateSnapshot, StateError> {
        guard FileManager.default.fileExists(atPath: path) else {
            return .success(StateSnapshot(files: [], lineage: nil, serial: 0))
        }
        do throws(StateError) {
            let store = try StateStore.open(at: path, create: false)
            return .success(StateSnapshot(files: try store.loadAllFiles(), lineage: store.lineage, serial: try store.serial()))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Prefixes

    /// Recorded files that an unexpanded prefix may still want are not forgotten: without the
    /// listing, plan cannot know. They are left out of the plan and counted in a note.
    static func setAsideUnlisted(_ files: [RecordedFile], manifest: Manifest, desired: DesiredState) -> ([RecordedFile], Int) {
        let prefixes = desired.unexpandedPrefixes.map { (reference: $0, prefix: manifest.volumes[$0.group].prefixes[$0.index]) }
        guard !prefixes.isEmpty else { return (files, 0) }
        var kept: [RecordedFile] = []
        kept.reserveCapacity(files.count)
        var hidden = 0
        for file in files {
            if case .volume(let volume, let location) = file.source, desired[file.address] == nil,
               prefixes.contains(where: { $0.reference.volume == volume && $0.prefix.includes(location: location) }) {
                hidden += 1
            } else {
                kept.append(file)
            }
        }
        return (kept, hidden)
    }

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
