import Foundation
public import PlatformAPI
public import SyncCore
public import SyncState
public import SyncYAML

/// The pipeline `plan` and `apply` share (DESIGN.md "One pipeline"):
/// load the manifest → desired state → expand volume prefixes (read-only platform calls) →
/// diff against the state → `Plan`. `apply` runs the same stages inside `ApplySession`,
/// after settling the journal; so the same inputs give the same plan to both.
public enum PlanPipeline {
    /// A manifest read from disk: every problem found offline and, when it parsed, the model
    /// and its offline desired state.
    public struct LoadedManifest: Sendable {
        public var path: String
        public var check: ManifestLoader.Check
        /// SHA-256 of the file's bytes, when asked for and readable (saved plans).
        public var sha256: String?
        /// The file's digests (`noteDigests`), from the read before the parse.
        var digests = FileDigests()
        /// The tables and included manifests it read, with their SHA-256, when asked for.
        public var sources: [SavedPlan.SourceRef] = []

        /// The manifest and its offline desired state, when it has no error.
        public var valid: (manifest: Manifest, desired: DesiredState)? {
            guard check.isValid, let manifest = check.manifest, let desired = check.state else { return nil }
            return (manifest, desired)
        }

        /// Problems of severity warning (a valid manifest may have some).
        public var diagnostics: [Diagnostic] { check.diagnostics }
    }

    /// Where the files under volume prefixes come from.
    public enum Prefixes: Sendable {
        /// Listed through the platform's read-only calls.
        case listed(PlatformReader)
        /// Left unexpanded, for this reason (shown in the plan's notes).
        case unexpanded(reason: String)
    }

    /// What went wrong in a stage; each is the user's input or the platform, not a bug.
    public enum Failure: Error, Sendable {
        /// The manifest (or the expansion of its listings) has errors: print them.
        case invalid([Diagnostic])
        /// Listing volume prefixes failed.
        case listing(PlatformError)
        /// The state could not be read.
        case state(StateError)
        /// Checking the destinations on the platform failed (nothing was planned from it).
        case checking(PlatformError)
    }

    /// The plan and where the state stood.
    public struct Result: Sendable {
        public var plan: Plan
        public var lineage: String?
        public var serial: Int64
        /// How many files the state recorded when it was read (`nil` when not counted).
        public var recordedFiles: Int?
    }

    // MARK: Stages

    /// Stage 1: parse, decode, validate and expand the manifest offline.
    /// - Parameter fingerprint: also take the file's SHA-256 (before parsing, so a file changed
    ///   meanwhile makes a saved plan stale rather than wrong).
    ///   Each table and included manifest is hashed just before it is parsed, too.
    /// - Parameter detail: `.addresses` when the desired files' metadata is not needed (a plan
    ///   that an `InSyncNote` answers).
    /// - Parameter noteDigests: also take the digests an `InSyncNote` names, the same way.
    public static func load(_ path: String, fingerprint: Bool = false, noteDigests: Bool = false,
                            detail: ExpansionDetail = .full) -> LoadedManifest {
        let asked = Fingerprints().union(fingerprint ? .sha256 : []).union(noteDigests ? .note : [])
        // One read for both digests (of the same bytes), confirmed by the stamp after the parse.
        let read = FileDigests.read(path, asked, limit: BoundedFile.limit)
        let check = ManifestLoader.check(path: path, detail: detail, fingerprints: asked)
        let digests = read.confirmed(path)
        // Unreadable: no digest. Written during the parse: one that matches nothing (stale).
        var loaded = LoadedManifest(path: path, check: check, sha256: read.sha256 == "" ? nil : digests.sha256,
                                    sources: fingerprint ? check.sources.map { SavedPlan.SourceRef(path: $0.name, sha256: $0.digests.sha256 ?? "") } : [])
        loaded.digests = digests
        return loaded
    }

    /// The SHA-256 of each table and included manifest (a saved plan's staleness check);
    /// a file that cannot be read gets an empty digest, so it never matches.
    public static func fingerprints(of sources: [SourceFile]) -> [SavedPlan.SourceRef] {
        sources.map { source in
            SavedPlan.SourceRef(path: source.name, sha256: (try? BoundedFile.sha256(of: source.path, limit: .max)) ?? "")
        }
    }

    /// Stage 2: the desired state with every volume prefix listed.
    /// - Throws: `Failure.invalid` (e.g. a listed object lands on another entry's address),
    ///   `Failure.listing`, or `CancellationError`.
    public static func expand(_ manifest: Manifest, _ desired: DesiredState, using reader: PlatformReader) async throws -> DesiredState {
        guard !manifest.prefixes.isEmpty else { return desired }
        let listings: PrefixListings
        do {
            listings = try await PrefixListings.list(manifest, using: PlatformVolumeListing(reader: reader))
        } catch let error as PlatformError {
            throw Failure.listing(error)
        }
        let expansion = manifest.expand(listings: listings)
        guard expansion.isValid else { throw Failure.invalid(expansion.diagnostics) }
        return expansion.state
    }

    /// Stages 2 and 3 for `plan`: expand (or not), then diff against the state file at
    /// `statePath` (a missing file is an empty state), notes included.
    /// - Parameters:
    ///   - inputs: the files read, by digest: a plan that finds no change leaves an
    ///     `InSyncNote` for them.
    ///   - inSync: a note found for these files: after the preflight, the plan is the note's,
    ///     and the state's files are not compared again (`desired` may then hold addresses only).
    public static func plan(_ manifest: Manifest, _ desired: DesiredState, prefixes: Prefixes,
                            statePath: String, inputs: InSyncNote.Inputs? = nil, inSync: InSyncNote.Found? = nil) async throws -> Result {
        var desired = desired
        var reason = "plan ran with --offline"
        switch prefixes {
        case .listed(let reader):
            try await preflight(manifest, desired, using: reader)
            desired = try await expand(manifest, desired, using: reader)
        case .unexpanded(let why): reason = why
        }
        if let inSync {
            // `InSyncNote.Found.stands(for:)` let no manifest with prefixes through: its `desired`
            // may hold addresses only, which no comparison may see.
            precondition(manifest.prefixes.isEmpty, "an in-sync note used for a manifest with volume prefixes")
            return Result(plan: inSync.note.plan, lineage: inSync.lineage, serial: inSync.note.serial, recordedFiles: inSync.note.recorded)
        }
        let outcome: StateDiff.Outcome
        do throws(StateError) {
            outcome = try StateDiff.compare(desired, manifest: manifest, statePath: statePath)
        } catch {
            throw Failure.state(error)
        }
        var plan = outcome.plan
        var extra: [String] = []
        switch prefixes {
        case .listed(let reader):
            let checked = try await checkDestinations(plan, using: reader)
            plan = checked.plan
            extra = DestinationCheck.notes(checked.summary)
        case .unexpanded(let why):
            if plan.counts.imports > 0 { extra = [DestinationCheck.uncheckedNote(imports: plan.counts.imports, reason: why)] }
        }
        plan.notes = notes(manifest: manifest, desired: desired, setAside: outcome.setAside, reason: reason) + extra
        if let inputs { InSyncNote.leave(after: outcome, of: manifest, inputs: inputs, statePath: statePath) }
        return Result(plan: plan, lineage: outcome.lineage, serial: outcome.serial, recordedFiles: outcome.recordedFiles)
    }

    /// Stage 0 with credentials: the token, the projects and the volumes (`PlatformPreflight`).
    /// - Throws: `Failure.invalid` with every problem, `Failure.checking`, `CancellationError`.
    public static func preflight(_ manifest: Manifest, _ desired: DesiredState, using reader: PlatformReader) async throws {
        let problems: [Diagnostic]
        do {
            problems = try await PlatformPreflight.check(manifest, desired, reader: reader)
        } catch let error as PlatformError {
            throw Failure.checking(error)
        }
        if !problems.isEmpty { throw Failure.invalid(problems) }
    }

    /// Stage 4 with credentials: imports checked against the platform (`DestinationCheck`).
    /// - Throws: `Failure.checking`, `CancellationError`.
    public static func checkDestinations(_ plan: Plan, using reader: PlatformReader) async throws
        -> (plan: Plan, summary: DestinationCheck.Summary) {
        do {
            return try await DestinationCheck.check(plan, reader: reader)
        } catch let error as PlatformError {
            throw Failure.checking(error)
        }
    }

    /// Stage 3 against an open (locked) store, for `apply`: every prefix is listed by then.
    static func plan(_ manifest: Manifest, _ desired: DesiredState, store: any StateBackend) throws(StateError) -> StateDiff.Outcome {
        try StateDiff.compare(desired, manifest: manifest, store: store)
    }

    /// What a reader of the plan must know: prefixes left unexpanded and recorded files
    /// set aside for them.
    static func notes(manifest: Manifest, desired: DesiredState, setAside: Int, reason: String) -> [String] {
        var notes: [String] = []
        for reference in desired.unexpandedPrefixes {
            let shown = reference.prefix.isEmpty ? "(the whole volume)" : "'\(reference.prefix)'"
            // The file the prefix is written in: the manifest or an included one.
            let path = manifest.sourceFiles[manifest.volumes[reference.group].origin]
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
