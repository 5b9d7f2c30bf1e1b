import Foundation
import SyncCore
import SyncYAML

/// A file a manifest reads besides itself: a table or an included manifest.
public struct SourceFile: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case table, include }
    /// The name diagnostics use (the manifest's name's folder joined with the path written).
    public var name: String
    /// Where it is read.
    public var path: String
    public var kind: Kind
    /// The digests of the bytes read, taken just before they were parsed (when the reader was asked).
    public var digests = FileDigests()
}

/// A file's digests, from one read of the bytes that were then parsed, and its stamp taken
/// before that read.
public struct FileDigests: Sendable, Hashable {
    /// SHA-256 (saved plans): "" when the file could not be read, or was written before the
    /// parse had read it (it then matches nothing: a saved plan of it is stale).
    public var sha256: String?
    /// `InSyncNote.digest`: `nil` when the file could not be read, or was written meanwhile.
    public var note: String?
    var stamp: InSyncNote.Stamp?

    /// The digests of the file at `path` asked for, from one read (so the SHA-256 and the note
    /// digest are of the same bytes), with its stamp taken before the read.
    static func read(_ path: String, _ asked: Fingerprints, limit: Int = .max) -> FileDigests {
        guard !asked.isEmpty else { return FileDigests() }
        let stamp = InSyncNote.Stamp(path)
        let read = InSyncNote.fingerprints(of: path, sha256: asked.contains(.sha256), note: asked.contains(.note), limit: limit)
        return FileDigests(sha256: asked.contains(.sha256) ? read?.sha256 ?? "" : nil, note: read?.note, stamp: stamp)
    }

    /// The digests asked for of `bytes` (a file mapped after `stamp` was taken).
    static func of(_ bytes: Data, stamp: InSyncNote.Stamp?, _ asked: Fingerprints) -> FileDigests {
        FileDigests(sha256: asked.contains(.sha256) ? SavedPlan.sha256(of: bytes) : nil,
                    note: asked.contains(.note) ? InSyncNote.digest(of: bytes) : nil, stamp: stamp)
    }

    /// These digests when the file at `path` still has the stamp taken before it was digested,
    /// so the parse (a read of its own) read the bytes digested. Otherwise the file was written
    /// meanwhile: no note digest (no note is left or used), and a SHA-256 that matches nothing.
    func confirmed(_ path: String) -> FileDigests {
        guard let stamp, InSyncNote.Stamp(path) != stamp else { return self }
        return FileDigests(sha256: sha256.map { _ in "" }, note: nil, stamp: nil)
    }
}

/// Which digests a reader takes of each file just before parsing it.
public struct Fingerprints: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// SHA-256: a saved plan's staleness check names the bytes read.
    public static let sha256 = Fingerprints(rawValue: 1)
    /// `InSyncNote.digest`: an in-sync note names the bytes read.
    public static let note = Fingerprints(rawValue: 2)
}

/// The loader's stage for `include:` and tables (DESIGN.md "Tabular sources"): reads the files
/// (SyncCore has no I/O), hands their bytes or parsed nodes to SyncCore, and adds what they
/// declare to the manifest. Every problem is collected; nothing stops at the first.
struct SourceReader {
    let manifestPath: String
    let manifestName: String
    /// Paths by origin (index into `Manifest.sourceFiles`), and each include's parent origin.
    private var paths: [String]
    private var parents: [Int] = [-1]
    /// The repository the manifest is in (the nearest folder up with `.git`), else its folder.
    private let root: String
    private(set) var sources: [SourceFile] = []
    private(set) var diagnostics: [Diagnostic] = []
    var limits = TableReader.Limits.standard
    /// `.addresses`: table metadata is checked, not kept (for `validate`).
    var detail = ExpansionDetail.full
    /// The digests to take of each file just before parsing it (`SourceFile.digests`), so a
    /// saved plan and an in-sync note name the bytes that were read.
    var fingerprints: Fingerprints = []

    init(manifestPath: String, manifestName: String) {
        self.manifestPath = manifestPath
        self.manifestName = manifestName
        let absolute = Self.absolute(manifestPath)
        paths = [absolute]
        root = Self.repositoryRoot(from: SourcePath.folder(of: absolute))
    }

    mutating func read(into manifest: inout Manifest) {
        // Includes first (they may add tables); `manifest.includes` grows as they are read.
        var i = 0
        var seen: [String: Int] = [paths[0]: 0]
        while i < manifest.includes.count {
            let item = manifest.includes[i]
            i += 1
            guard let resolved = resolve(item.path, from: item.origin, mark: item.mark, allowOutside: false, in: manifest)
            else { continue }
            let (path, name) = resolved
            if let already = seen[path] {
                // A cycle when the file is the includer or one of its ancestors; else a repeat.
                var chain: [Int] = [], o = item.origin
                while o >= 0 { chain.append(o); o = parents[o] }
                if chain.contains(already) {
                    let names = chain.reversed().drop(while: { $0 != already }).map { manifest.sourceFiles[$0] } + [name]
                    report(.includeCycle(path: item.path, chain: names.joined(separator: " → ")), at: item.mark, origin: item.origin, in: manifest)
                } else {
                    report(.includeTwice(path: item.path), at: item.mark, origin: item.origin, in: manifest)
                }
                continue
            }
            let digests = FileDigests.read(path, fingerprints)
            guard let document = parse(path, name: name) else { continue }
            let decoding = ManifestDecoder.decodeIncluded(document)
            diagnostics += decoding.diagnostics
            let origin = manifest.addSourceFile(name)
            paths.append(path)
            parents.append(item.origin)
            seen[path] = origin
            sources.append(SourceFile(name: name, path: path, kind: .include, digests: digests.confirmed(path)))
            manifest.include(decoding.manifest, origin: origin)
        }
        for table in manifest.tables {
            readTable(table, into: &manifest)
        }
    }

    private mutating func readTable(_ table: TableSource, into manifest: inout Manifest) {
        guard let resolved = resolve(table.path, from: table.origin, mark: table.pathMark,
                                     allowOutside: table.allowOutside, in: manifest) else { return }
        let (path, name) = resolved
        let declaredIn = manifest.sourceFiles[table.origin]
        let origin = manifest.addSourceFile(name)
        sources.append(SourceFile(name: name, path: path, kind: .table))
        let entries: TableEntries
        switch table.effectiveFormat ?? .csv {
        case .gen3:
            let digests = FileDigests.read(path, fingerprints)
            guard let document = parse(path, name: name) else { return }
            sources[sources.count - 1].digests = digests.confirmed(path)
            let rows = JSONRows(document: document)
            for (problem, mark) in rows.problems {
                diagnostics.append(ManifestProblem.source(problem).diagnostic(file: name, mark: mark))
            }
            entries = table.entries(from: rows, file: name, declaredIn: declaredIn, origin: origin, detail: detail)
        case .csv, .tsv:
            // The size first, so a huge file is refused before it is read.
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size > limits.maxBytes {
                diagnostics.append(ManifestProblem.source(.structure(.fileTooLarge(size: size, limit: limits.maxBytes)))
                    .diagnostic(file: name, mark: nil))
                return
            }
            // Stamped before it is mapped: a file written after this leaves no in-sync note.
            let stamp = fingerprints.contains(.note) ? InSyncNote.Stamp(path) : nil
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                report(.unreadable(path: table.path, reason: Self.reason(error)), at: table.pathMark, origin: table.origin, in: manifest)
                return
            }
            let digests = FileDigests.of(data, stamp: stamp, fingerprints)
            let delimiter = table.effectiveFormat == .tsv ? UInt8(ascii: "\t") : UInt8(ascii: ",")
            let limits = self.limits
            var structural: [Diagnostic] = []
            entries = data.withUnsafeBytes { bytes in
                let rows = DelimitedRows(scan: TableReader.scan(bytes, delimiter: delimiter, limits: limits), bytes: bytes)
                structural = rows.diagnostics(file: name)
                return table.entries(from: rows, file: name, declaredIn: declaredIn, origin: origin, detail: detail)
            }
            diagnostics += structural
            // Written while mapped (in place): the bytes parsed may not be the bytes digested.
            sources[sources.count - 1].digests = digests.confirmed(path)
        }
        diagnostics += entries.diagnostics
        manifest.add(entries, of: table)
    }

    /// A YAML (or JSON) file parsed with the manifest's limits; `nil` after reporting why not.
    private mutating func parse(_ path: String, name: String) -> YAMLDocument? {
        do {
            return try YAMLParser.parse(contentsOf: path, displayName: name, options: .manifest)
        } catch {
            diagnostics.append(error.diagnostic)
            return nil
        }
    }

    /// The path to read and the name to show for `written`, declared in the file of `origin`;
    /// `nil` after reporting a path that leaves the repository or does not exist.
    private mutating func resolve(_ written: String, from origin: Int, mark: SourceMark, allowOutside: Bool,
                                  in manifest: Manifest) -> (path: String, name: String)? {
        let declaringPath = paths[origin]
        let declaringName = manifest.sourceFiles[origin]
        let path = SourcePath.join(SourcePath.folder(of: declaringPath), written)
        let name = written.hasPrefix("/") ? written : SourcePath.join(SourcePath.folder(of: declaringName), written)
        if !allowOutside {
            if written.hasPrefix("/") {
                report(.absolutePath(written), at: mark, origin: origin, in: manifest)
                return nil
            }
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if !SourcePath.isInside(real, root: root) {
                report(.pathLeavesRepository(written), at: mark, origin: origin, in: manifest)
                return nil
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            report(.unreadable(path: written, reason: isDirectory.boolValue ? "it is a folder" : "no such file"),
                   at: mark, origin: origin, in: manifest)
            return nil
        }
        return (path, name)
    }

    private mutating func report(_ problem: SourceProblem, at mark: SourceMark, origin: Int, in manifest: Manifest) {
        diagnostics.append(ManifestProblem.source(problem).diagnostic(file: manifest.sourceFiles[origin], mark: mark))
    }

    static func reason(_ error: any Error) -> String {
        let text = (error as NSError).localizedFailureReason ?? error.localizedDescription
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return SourcePath.join("", path) }
        return SourcePath.join(FileManager.default.currentDirectoryPath, path)
    }

    /// The nearest folder from `folder` up that holds `.git`; `folder` itself when none does.
    static func repositoryRoot(from folder: String) -> String {
        let start = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        var current = start
        while true {
            if FileManager.default.fileExists(atPath: current + "/.git") { return current }
            let parent = SourcePath.folder(of: current)
            if parent == current || parent.isEmpty { return start }
            current = parent
        }
    }

    /// Diagnostics grouped by file (in `files` order: the manifest, then what it reads), each
    /// file's in source order, without exact repeats.
    static func inFileOrder(_ diagnostics: [Diagnostic], files: [String]) -> [Diagnostic] {
        var order: [String: Int] = [:]
        for (i, file) in files.enumerated() where order[file] == nil { order[file] = i }
        var groups: [Int: [Diagnostic]] = [:]
        for d in diagnostics { groups[order[d.file] ?? files.count, default: []].append(d) }
        return groups.keys.sorted().flatMap { Diagnostic.inSourceOrder(groups[$0]!) }
    }
}
