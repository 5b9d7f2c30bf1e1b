import Foundation
import SyncCore
import SyncState
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// "At this serial, the state held exactly what these bytes ask for": a note a plan leaves in
/// the state when it compared every recorded file and found no change, so the next plan of the
/// same files against the same state says "No changes" without reading a million rows again.
///
/// Why a note can be trusted:
/// - The desired state is a function of the manifest's bytes, the bytes of the tables and
///   manifests it reads, and the sbsync that reads them (`build`: the version and the
///   executable's size and time, so any other build never trusts the note). A manifest with
///   volume prefixes also depends on the platform's listing: it neither leaves nor uses a note.
/// - Every write of the records adds 1 to the serial (both backends). The note names the serial
///   and the lineage of the state it was left in, and is left only while both are still the
///   ones the plan's scan read, so any later write, or another state put in its place, makes it
///   stale. Leaving it is no write of the records: no lock, no serial.
/// - Each file's digest and stamp (size, times, inode) are taken just before it is parsed and
///   again when the note is left; a file written meanwhile, even back to the same bytes, or
///   swapped for another and back, leaves no note.
///   A plan that uses a note takes every file's digest first, and again as it reads the file:
///   both must be the note's. The digest is the size and XXH64 of the bytes (several times
///   SHA-256's speed, for a 170 MB table read on every plan): it tells a user's edits apart, and
///   guards nothing against an adversary, who could as well edit the state.
/// - The recorded files are counted on use: a row deleted by hand (with the `sqlite3` shell,
///   which adds nothing to the serial) makes the note unusable.
///
/// A plan that uses the note still reads and checks the manifest and its tables as `validate`
/// does, so its problems and warnings are printed as always; only the comparison is skipped.
public struct InSyncNote: Codable, Sendable, Equatable {
    /// This note's layout; a note of another is never used.
    static let currentFormat = 1

    var formatVersion: Int
    /// Which sbsync left it (`SBSyncBuild.identity`).
    var build: String
    var lineage: String
    var serial: Int64
    /// `digest` of the manifest's bytes.
    var manifest: String
    /// The manifest's `Stamp` when the note was left.
    var manifestStamp: String?
    /// The tables and included manifests read, in the order read.
    var sources: [Source]
    /// The unchanged files of each project, in plan order.
    var projects: [Project]
    /// How many files the state recorded.
    var recorded: Int

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", build, lineage, serial, manifest, manifestStamp = "manifest_stamp", sources, projects, recorded
    }

    struct Source: Codable, Sendable, Equatable {
        /// Relative to the manifest's folder when inside it, else absolute.
        var path: String
        var digest: String
        /// Its `Stamp` when the note was left: the same stamp now spares digesting it again
        /// before deciding how to read it (the read digests it anyway).
        var stamp: String?
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

    /// Whether the environment turns notes off (`SBSYNC_IN_SYNC_NOTE=off`, `0`, `false` or `no`):
    /// every plan then compares every file, and nothing leaves a note.
    public static func disabled(by environment: [String: String]) -> Bool {
        guard let value = environment["SBSYNC_IN_SYNC_NOTE"]?.lowercased() else { return false }
        return ["off", "0", "false", "no"].contains(value)
    }

    // MARK: Digests

    /// The note's digest of `bytes`: their count and the XXH64 of the XXH64s of their
    /// 1 MiB pieces (so a file is digested as it is read, piece by piece).
    static func digest(of bytes: UnsafeRawBufferPointer) -> String {
        var digest = Digest()
        var offset = 0
        while offset < bytes.count {
            let count = min(Digest.piece, bytes.count - offset)
            digest.add(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            offset += count
        }
        return digest.text
    }

    /// The note's digest of `data`.
    static func digest(of data: Data) -> String {
        data.withUnsafeBytes { digest(of: $0) }
    }

    /// The note's digest of the file at `path`; `nil` when it cannot be read, is not a regular
    /// file, or (given `size`) is of another size.
    static func digest(of path: String, size: Int? = nil) -> String? {
        if let size, Stamp(path)?.size != size { return nil }
        return fingerprints(of: path, sha256: false, note: true)?.note
    }

    /// One read of the regular file at `path` (read, not mapped: a file rewritten meanwhile
    /// cannot fault the read), giving its SHA-256 and its note digest, as asked, from the same
    /// bytes. `nil` when it cannot be read, is not a regular file (`/dev/zero`), or goes past
    /// `limit` bytes.
    static func fingerprints(of path: String, sha256: Bool, note: Bool, limit: Int = .max) -> (sha256: String?, note: String?)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Digest.piece, alignment: 16)
        defer { buffer.deallocate() }
        var digest = Digest(), hasher = SavedPlan.Fingerprint(), total = 0
        while true {
            // A full piece each time (short reads are read on), so pieces fall where `digest(of: bytes)` cuts them.
            var filled = 0
            while filled < Digest.piece {
                let n = read(fd, buffer.baseAddress! + filled, Digest.piece - filled)
                if n < 0 { if errno == EINTR { continue }; return nil }
                if n == 0 { break }
                filled += n
            }
            total += filled
            if total > limit { return nil }
            if filled > 0 {
                let piece = UnsafeRawBufferPointer(rebasing: buffer[..<filled])
                if note { digest.add(piece) }
                if sha256 { hasher.update(piece) }
            }
            if filled < Digest.piece { return (sha256 ? hasher.hex : nil, note ? digest.text : nil) }
        }
    }

    /// The size of a digest's bytes.
    static func size(in digest: String) -> Int? {
        digest.split(separator: ":").first.flatMap { Int($0) }
    }

    private struct Digest {
        static let piece = 1 << 20
        var count = 0
        var pieces: [UInt64] = []

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            pieces.append(XXH64.hash(bytes.baseAddress, count: bytes.count, seed: 0))
            count += bytes.count
        }

        var text: String {
            let hash = pieces.withUnsafeBytes { XXH64.hash($0.baseAddress, count: $0.count, seed: UInt64(count)) }
            return "\(count):\(String(hash, radix: 16))"
        }
    }

    /// A file's size, modification and change times, and inode (symbolic links followed): a
    /// file written again, even with the same bytes, or another file renamed or linked into its
    /// place and back (which changes the inode's change time, which nothing can set back), has
    /// another.
    struct Stamp: Hashable, Sendable {
        var size: Int
        /// Modification and change times, in seconds and nanoseconds.
        var modified: [Int]
        var changed: [Int]
        var inode: UInt64

        /// As a note keeps it.
        var text: String {
            "\(size):\(modified[0]).\(modified[1]):\(changed[0]).\(changed[1]):\(inode)"
        }

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            #if canImport(Darwin)
            let (m, c) = (info.st_mtimespec, info.st_ctimespec)
            #else
            let (m, c) = (info.st_mtim, info.st_ctim)
            #endif
            size = Int(info.st_size)
            modified = [Int(m.tv_sec), Int(m.tv_nsec)]
            changed = [Int(c.tv_sec), Int(c.tv_nsec)]
            inode = UInt64(info.st_ino)
        }
    }

    // MARK: Leaving a note

    /// What a plan read: the manifest's path, digest and stamp, and each table's and included
    /// manifest's, all taken just before the file was parsed.
    public struct Inputs: Sendable {
        var manifestPath: String
        var manifest: (digest: String, stamp: Stamp?)
        var sources: [(path: String, note: Source, stamp: Stamp?)]

        /// `nil` when a digest is missing (read without `noteDigests`, or unreadable).
        public init?(_ loaded: PlanPipeline.LoadedManifest) {
            guard let digest = loaded.digests.note else { return nil }
            let folder = SourcePath.folder(of: SourceReader.absolute(loaded.path))
            var sources: [(String, Source, Stamp?)] = []
            for source in loaded.check.sources {
                guard let noteDigest = source.digests.note else { return nil }
                sources.append((source.path, Source(path: Self.relative(source.path, to: folder), digest: noteDigest,
                                                    stamp: source.digests.stamp?.text), source.digests.stamp))
            }
            self.manifestPath = loaded.path
            self.manifest = (digest, loaded.digests.stamp)
            self.sources = sources
        }

        /// `path` relative to `folder` when inside it, else as it is.
        static func relative(_ path: String, to folder: String) -> String {
            path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
        }

        /// Whether every file is as it was when it was parsed: the same stamp, the same bytes.
        func unchanged() -> Bool {
            func same(_ path: String, _ digest: String, _ stamp: Stamp?) -> Bool {
                stamp != nil && Stamp(path) == stamp && InSyncNote.digest(of: path) == digest
            }
            return same(manifestPath, manifest.digest, manifest.stamp) && sources.allSatisfy { same($0.path, $0.note.digest, $0.stamp) }
        }
    }

    /// Leaves a note after `outcome`, a comparison of every recorded file, when it found no
    /// change (nothing set aside), `manifest` has no volume prefixes, and the files are as they
    /// were read. Best effort: a state that cannot be written (a read-only file, a busy one, a
    /// role without the right), or one written or replaced meanwhile, keeps no note.
    static func leave(after outcome: StateDiff.Outcome, of manifest: Manifest, inputs: Inputs, statePath: String) {
        guard !outcome.plan.hasChanges, outcome.setAside == 0, manifest.prefixes.isEmpty, let lineage = outcome.lineage,
              inputs.unchanged() else { return }
        let serial = outcome.serial
        let note = InSyncNote(formatVersion: currentFormat, build: SBSyncBuild.identity, lineage: lineage, serial: serial,
                              manifest: inputs.manifest.digest, manifestStamp: inputs.manifest.stamp?.text, sources: inputs.sources.map(\.note),
                              projects: outcome.plan.projects.map { Project(project: $0.project, files: $0.counts.unchanged) },
                              recorded: outcome.recordedFiles)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let text = try? encoder.encode(note), let store = try? StateBackends.open(statePath) else { return }
        _ = try? store.leaveInSyncNote(String(decoding: text, as: UTF8.self), lineage: lineage, serial: serial)
    }

    // MARK: Using a note

    /// A note found usable before the manifest is read.
    public struct Found: Sendable {
        let note: InSyncNote
        let lineage: String

        /// Whether `loaded` (read after the note was found, with `noteDigests`) read the files
        /// the note names, with the bytes it names, and has no volume prefixes: the note stands
        /// for its desired state.
        public func stands(for loaded: PlanPipeline.LoadedManifest) -> Bool {
            guard let manifest = loaded.check.manifest, manifest.prefixes.isEmpty, let inputs = Inputs(loaded) else { return false }
            return inputs.manifest.digest == note.manifest
                && inputs.sources.map { [$0.note.path, $0.note.digest] } == note.sources.map { [$0.path, $0.digest] }
        }
    }

    /// The note in the state at `statePath` when it stands for the manifest at `manifestPath` as
    /// its files are now: the same state (lineage), the serial has not moved, this sbsync build
    /// left it, every file's digest is the note's (a file with the note's stamp is taken as it
    /// is: `Found.stands(for:)` checks the digests of what is read), and the state records as
    /// many files. `nil` otherwise, or on any error (the plan then compares every file, and says
    /// what is wrong).
    public static func find(manifestPath: String, statePath: String) -> Found? {
        guard let store = try? StateBackends.open(statePath) else { return nil }
        guard let (text, serial) = try? store.inSyncNote(), let text,
              let note = try? JSONDecoder().decode(InSyncNote.self, from: Data(text.utf8)),
              note.formatVersion == currentFormat, note.build == SBSyncBuild.identity,
              note.lineage == store.lineage, note.serial == serial
        else { return nil }
        func same(_ path: String, digest wanted: String, stamp: String?) -> Bool {
            if let stamp, Stamp(path)?.text == stamp { return true }
            return digest(of: path, size: size(in: wanted)) == wanted
        }
        guard same(manifestPath, digest: note.manifest, stamp: note.manifestStamp) else { return nil }
        let folder = SourcePath.folder(of: SourceReader.absolute(manifestPath))
        for source in note.sources {
            let path = source.path.hasPrefix("/") ? source.path : SourcePath.join(folder, source.path)
            guard same(path, digest: source.digest, stamp: source.stamp) else { return nil }
        }
        guard (try? store.fileCount()) == note.recorded else { return nil }
        return Found(note: note, lineage: store.lineage)
    }
}
