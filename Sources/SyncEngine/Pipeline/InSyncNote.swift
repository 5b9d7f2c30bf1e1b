import Foundation
import SyncCore
import SyncState

/// "At this serial, the state held exactly what these bytes ask for": a note a plan leaves in
/// the state when it compared every recorded file and found no change, so the next plan of the
/// same files against the same state says "No changes" without reading a million rows again.
///
/// Why a note can be trusted:
/// - The desired state is a function of the manifest's bytes, the bytes of the tables and
///   manifests it reads, and sbsync's rules (`rules`, `version`). A manifest with volume
///   prefixes also depends on the platform's listing: it neither leaves nor uses a note.
/// - Every write of the records adds 1 to the serial (both backends). The note names the serial
///   it was left at, and is left only while the serial is still the one the plan's scan read (one
///   transaction), so any later write makes it stale. It is not itself a write: no lock, no
///   serial.
/// - Each file's digest is taken just before it is parsed and again when the note is left; a
///   file changed meanwhile leaves no note. A plan that uses a note takes every file's digest
///   first, and answers for the files as they were then. The digest is the size and XXH64 of
///   the bytes (several times SHA-256's speed, for a 170 MB table read on every plan): it
///   tells a user's edits apart, and guards nothing against an adversary, who could as well
///   edit the state.
/// - The recorded files are counted on use: a row deleted by hand (with the `sqlite3` shell,
///   which adds nothing to the serial) makes the note unusable.
///
/// A plan that uses the note still reads and checks the manifest and its tables as `validate`
/// does, so its problems and warnings are printed as always; only the comparison is skipped.
public struct InSyncNote: Codable, Sendable, Equatable {
    /// Bump when sbsync changes which desired state a manifest gives (a note of the old rules
    /// is then never used).
    static let currentRules = 1

    var rules: Int
    var version: String
    var serial: Int64
    /// `digest(of:)` of the manifest's bytes.
    var manifest: String
    /// The tables and included manifests read, in the order read.
    var sources: [Source]
    /// The unchanged files of each project, in plan order.
    var projects: [Project]
    /// How many files the state recorded.
    var recorded: Int

    struct Source: Codable, Sendable, Equatable {
        /// Relative to the manifest's folder when inside it, else absolute.
        var path: String
        var digest: String
    }

    struct Project: Codable, Sendable, Equatable {
        var project: String
        var files: Int
    }

    /// The plan the note stands for: every file unchanged.
    var plan: Plan {
        Plan(projects: projects.map {
            ProjectPlan(project: $0.project, counts: PlanCounts(imports: 0, replaces: 0, updates: 0, forgets: 0, unchanged: $0.files), changes: [])
        })
    }

    /// The note's digest of the file at `path`: its size and the XXH64 of its bytes. `nil`
    /// when the file cannot be read, or (given `size`) is of another size.
    static func digest(of path: String, size: Int? = nil) -> String? {
        if let size, (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) != size { return nil }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        return digest(of: data)
    }

    /// The note's digest of `bytes`.
    static func digest(of bytes: Data) -> String {
        let hash = bytes.withUnsafeBytes { XXH64.hash($0.baseAddress, count: $0.count, seed: 0) }
        return "\(bytes.count):\(String(hash, radix: 16))"
    }

    /// The size a digest names.
    static func size(in digest: String) -> Int? {
        digest.split(separator: ":").first.flatMap { Int($0) }
    }

    /// What a plan read: the manifest's path and digest, and each table's and included
    /// manifest's path and digest, all taken just before the file was parsed.
    public struct Inputs: Sendable {
        var manifestPath: String
        var manifest: String
        var sources: [(path: String, note: Source)]

        /// `nil` when a digest is missing (read without `noteDigests`, or unreadable).
        public init?(_ loaded: PlanPipeline.LoadedManifest) {
            guard let digest = loaded.noteDigest else { return nil }
            let folder = SourcePath.folder(of: SourceReader.absolute(loaded.path))
            var sources: [(String, Source)] = []
            for source in loaded.check.sources {
                guard let noteDigest = source.noteDigest else { return nil }
                sources.append((source.path, Source(path: Self.relative(source.path, to: folder), digest: noteDigest)))
            }
            self.manifestPath = loaded.path
            self.manifest = digest
            self.sources = sources
        }

        /// `path` relative to `folder` when inside it, else as it is.
        static func relative(_ path: String, to folder: String) -> String {
            path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
        }

        /// Whether every file still holds the bytes it held when it was parsed.
        func unchanged() -> Bool {
            InSyncNote.digest(of: manifestPath) == manifest && sources.allSatisfy { InSyncNote.digest(of: $0.path) == $0.note.digest }
        }
    }

    /// A note found usable before the manifest is read.
    public struct Found: Sendable {
        let note: InSyncNote
        let lineage: String

        /// Whether `loaded` (read after the note was found) read the files the note names, and
        /// has no volume prefixes: the note stands for it. A file changed between `find` and
        /// the read: the plan is the files' as `find` read them.
        public func stands(for loaded: PlanPipeline.LoadedManifest) -> Bool {
            guard let manifest = loaded.check.manifest, manifest.prefixes.isEmpty,
                  loaded.check.sources.count == note.sources.count else { return false }
            let folder = SourcePath.folder(of: SourceReader.absolute(loaded.path))
            return zip(loaded.check.sources, note.sources).allSatisfy { Inputs.relative($0.path, to: folder) == $1.path }
        }
    }

    /// The note in the state at `statePath` when it stands for the manifest at `manifestPath` as
    /// its files are now: the serial has not moved, the rules are these, every file's digest is
    /// the note's, and the state records as many files. `nil` otherwise, or on any error (the
    /// plan then compares every file, and says what is wrong with the state).
    public static func find(manifestPath: String, statePath: String) -> Found? {
        guard let store = try? StateBackends.open(statePath) else { return nil }
        guard let (text, serial) = try? store.inSyncNote(), let text,
              let note = try? JSONDecoder().decode(InSyncNote.self, from: Data(text.utf8)),
              note.rules == currentRules, note.version == SBSyncBuild.version, note.serial == serial,
              digest(of: manifestPath, size: size(in: note.manifest)) == note.manifest
        else { return nil }
        let folder = SourcePath.folder(of: SourceReader.absolute(manifestPath))
        for source in note.sources {
            let path = source.path.hasPrefix("/") ? source.path : SourcePath.join(folder, source.path)
            guard digest(of: path, size: size(in: source.digest)) == source.digest else { return nil }
        }
        guard (try? store.fileCount()) == note.recorded else { return nil }
        return Found(note: note, lineage: store.lineage)
    }

    /// Leaves a note for `plan` (no changes), found by a scan of `recorded` files at `serial`,
    /// when the files still hold the bytes read. Best effort: a state that cannot be written
    /// (a read-only file), or one written meanwhile, keeps no note.
    static func leave(for plan: Plan, inputs: Inputs, serial: Int64, recorded: Int, statePath: String) {
        guard !plan.hasChanges, inputs.unchanged() else { return }
        let note = InSyncNote(rules: currentRules, version: SBSyncBuild.version, serial: serial, manifest: inputs.manifest,
                              sources: inputs.sources.map(\.note),
                              projects: plan.projects.map { Project(project: $0.project, files: $0.counts.unchanged) },
                              recorded: recorded)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let text = try? encoder.encode(note), let store = try? StateBackends.open(statePath) else { return }
        _ = try? store.leaveInSyncNote(String(decoding: text, as: UTF8.self), atSerial: serial)
    }
}

/// The version of this build, as `sbsync --version` prints it (the CLI reads it from here).
public enum SBSyncBuild {
    public static let version = "0.1.0"
}
