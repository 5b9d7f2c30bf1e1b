import Foundation
import NIOCore
public import SyncCore
internal import PostgresNIO

/// Recorded files and folders, the streaming read the diff uses, and the whole-state calls.
extension PostgresStateStore {
    static let fileColumns = "project, path, source_kind, source, location, metadata, tags, spec_digest, file_id, actual_name, job_id, created_at, updated_at"
    /// Rows per INSERT statement (13 values each; PostgreSQL takes at most 65,535).
    static let rowsPerInsert = 2_000

    // MARK: Files

    public func record(_ files: [RecordedFile], removing: [Address]) throws(StateError) {
        try write { _ in
            try upsert(files)
            _ = try delete(removing)
        }
    }

    @discardableResult
    public func forget(_ addresses: [Address]) throws(StateError) -> [Address] {
        try write { _ in try delete(addresses) }
    }

    /// Inserts or replaces `files` by address (the last of two with one address wins, as in SQLite).
    func upsert(_ files: [RecordedFile]) throws {
        if files.isEmpty { return }
        var last: [Address: Int] = [:]
        for (index, file) in files.enumerated() { last[file.address] = index }
        let unique = files.indices.filter { last[files[$0].address] == $0 }
        for start in stride(from: 0, to: unique.count, by: Self.rowsPerInsert) {
            let chunk = unique[start..<min(start + Self.rowsPerInsert, unique.count)]
            var sql = "INSERT INTO sbsync_files (workspace_id, \(Self.fileColumns)) VALUES "
            var values: [Value] = [.int(workspaceID)]
            values.reserveCapacity(chunk.count * 13 + 1)
            for (n, index) in chunk.enumerated() {
                let file = files[index]
                let base = n * 13 + 2
                sql += (n == 0 ? "" : ", ") + "($1, " + (base..<base + 13).map { "$\($0)" }.joined(separator: ", ") + ")"
                values.append(.text(file.address.project))
                values.append(.text(file.address.path))
                values += Self.sourceValues(file.source)
                values.append(.bytes(RecordCodec.encode(metadata: file.metadata)))
                values.append(.bytes(RecordCodec.encode(tags: file.tags)))
                values.append(.text(file.specDigest))
                values.append(.text(file.fileID))
                values.append(.text(file.actualName))
                values.append(.text(file.jobID))
                values.append(.int(file.createdAt))
                values.append(.int(file.updatedAt))
            }
            sql += """
                 ON CONFLICT (workspace_id, project, path) DO UPDATE SET source_kind = EXCLUDED.source_kind, source = EXCLUDED.source,
                 location = EXCLUDED.location, metadata = EXCLUDED.metadata, tags = EXCLUDED.tags, spec_digest = EXCLUDED.spec_digest,
                 file_id = EXCLUDED.file_id, actual_name = EXCLUDED.actual_name, job_id = EXCLUDED.job_id,
                 created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
                """
            _ = try run(sql, values)
        }
    }

    /// Kind, source and location.
    static func sourceValues(_ source: FileSource) -> [Value] {
        switch source {
        case .volume(let volume, let location): [.text("volume"), .text(volume), .text(location)]
        case .drs(let uri): [.text("drs"), .text(uri), .text(nil)]
        }
    }

    func delete(_ addresses: [Address]) throws -> [Address] {
        if addresses.isEmpty { return [] }
        let rows = try run("""
            DELETE FROM sbsync_files WHERE workspace_id = $1 AND (project, path) IN (SELECT * FROM unnest($2::text[], $3::text[]))
            RETURNING project, path
            """, [.int(workspaceID), .texts(addresses.map(\.project)), .texts(addresses.map(\.path))]).rows
        var removed = Set<Address>()
        for row in rows {
            let cells = row.makeRandomAccess()
            removed.insert(Address(project: try cells[0].decode(String.self), path: try cells[1].decode(String.self)))
        }
        var seen = Set<Address>()
        return addresses.filter { removed.contains($0) && seen.insert($0).inserted }
    }

    public func file(at address: Address) throws(StateError) -> RecordedFile? {
        try locked { _ in
            let row = try run("SELECT \(Self.fileColumns) FROM sbsync_files WHERE workspace_id = $1 AND project = $2 AND path = $3",
                              [.int(workspaceID), .text(address.project), .text(address.path)]).rows.first
            return try row.map { try Self.file($0, shown: path) }
        }
    }

    public func loadAllFiles() throws(StateError) -> [RecordedFile] {
        try readTransaction { _ in try loadFiles() }
    }

    func loadFiles() throws -> [RecordedFile] {
        let box = FileCollector()
        let shown = path
        _ = try Self.wait(connection.query(Self.query("SELECT \(Self.fileColumns) FROM sbsync_files WHERE workspace_id = $1 ORDER BY project, path",
                                                      [.int(workspaceID)]), logger: logger) { row in
            box.files.append(try Self.file(row, shown: shown))
        }, on: connection)
        return box.files
    }

    public func fileCount() throws(StateError) -> Int {
        try locked { _ in
            let row = try run("SELECT count(*) FROM sbsync_files WHERE workspace_id = $1", [.int(workspaceID)]).rows.first
            return try row?.makeRandomAccess()[0].decode(Int.self) ?? 0
        }
    }

    /// The file of a row of `fileColumns`.
    static func file(_ row: PostgresRow, shown: String) throws -> RecordedFile {
        try file(Array(row), shown: shown)
    }

    /// The file of the cells of a row of `fileColumns` (an array: `makeRandomAccess` would
    /// build a table of column names for every row).
    static func file(_ cells: [PostgresCell], shown: String) throws -> RecordedFile {
        let address = Address(project: try cells[0].decode(String.self), path: try cells[1].decode(String.self))
        func damaged(_ what: String) -> StateError {
            .damaged(path: shown, detail: "the record of '\(address)' has \(what)")
        }
        let kind = try cells[2].decode(String.self), source = try cells[3].decode(String.self)
        let location = try cells[4].decode(String?.self)
        let fileSource: FileSource
        switch (kind, location) {
        case ("volume", let location?): fileSource = .volume(volume: source, location: location)
        case ("drs", nil): fileSource = .drs(uri: source)
        default: throw damaged("an unreadable source")
        }
        var metadata = Metadata()
        if let bytes = try cells[5].decode(ByteBuffer?.self) {
            do { metadata = try bytes.withUnsafeReadableBytes { try RecordCodec.decodeMetadata($0) } } catch { throw damaged("unreadable metadata") }
        }
        var tags: [String] = []
        if let bytes = try cells[6].decode(ByteBuffer?.self) {
            do { tags = try bytes.withUnsafeReadableBytes { try RecordCodec.decodeTags($0) } } catch { throw damaged("unreadable tags") }
        }
        return RecordedFile(address: address, source: fileSource, metadata: metadata, tags: tags,
                            specDigest: try cells[7].decode(String.self), fileID: try cells[8].decode(String?.self),
                            actualName: try cells[9].decode(String.self), jobID: try cells[10].decode(String?.self),
                            createdAt: try cells[11].decode(Int64.self), updatedAt: try cells[12].decode(Int64.self))
    }

    /// Streams the files in address order from one snapshot. One part: the server does the
    /// reading; `parts` only says how many the caller is ready for (part 0 gets every file).
    public func forEachFile(parts: Int, comparingWith desired: DesiredState?,
                            unchanged: @escaping @Sendable (Int, Int) -> Void,
                            _ body: @escaping @Sendable (Int, RecordedFile, () -> RecordedFile) -> Void) throws(StateError) -> Int64 {
        let shown = path
        return try readTransaction { _ in
            let row = try run("SELECT serial, lineage FROM sbsync_workspaces WHERE id = $1", [.int(workspaceID)]).rows.first
            guard let cells = row?.makeRandomAccess(), try cells[1].decode(String.self) == lineage else {
                throw StateError.io(path: shown, detail: "the workspace was replaced while it was being read; run the command again")
            }
            let serial = try cells[0].decode(Int64.self)
            let scratch = ScanScratch()
            _ = try Self.wait(connection.query(Self.query("SELECT \(Self.fileColumns) FROM sbsync_files WHERE workspace_id = $1 ORDER BY project, path",
                                                          [.int(workspaceID)]), logger: logger) { row in
                if let desired {
                    // Address, digest and source only: an unchanged row is counted undecoded.
                    let cells = Array(row)
                    let address = Address(project: try cells[0].decode(String.self), path: try cells[1].decode(String.self))
                    if let position = desired.position(of: address) {
                        let digest = try cells[7].decode(String.self)
                        var kind = try cells[2].decode(String.self), source = try cells[3].decode(String.self)
                        var location = try cells[4].decode(String?.self)
                        let same = Array(digest.utf8).withUnsafeBufferPointer { digest in
                            kind.withUTF8 { kind in
                                source.withUTF8 { source in
                                    Self.withUTF8(&location) { location in
                                        Diff.digestShowsUnchanged(desired, at: position, storedDigest: digest,
                                                                  storedSource: (kind, source, location), scratch: &scratch.bytes)
                                    }
                                }
                            }
                        }
                        if same {
                            unchanged(0, position)
                            return
                        }
                    }
                }
                let file = try Self.file(Array(row), shown: shown)
                body(0, file) { file }
            }, on: connection)
            return serial
        }
    }

    /// `body` with the UTF-8 of `text`, `nil` for `nil`.
    private static func withUTF8<R>(_ text: inout String?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard text != nil else { return body(nil) }
        return text!.withUTF8 { body($0) }
    }

    // MARK: Folders

    public func record(folders: [FolderRecord]) throws(StateError) {
        try write { now in try insertFolders(folders, recordedAt: now) }
    }

    func insertFolders(_ folders: [FolderRecord], recordedAt now: Int64?) throws {
        for folder in folders {
            guard !folder.path.isEmpty else { throw StateError.invalidValue("a folder id for the project root of '\(folder.project)'") }
            _ = try run("""
                INSERT INTO sbsync_folders (workspace_id, project, path, folder_id, created, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (workspace_id, project, path) DO UPDATE SET folder_id = EXCLUDED.folder_id, created = EXCLUDED.created,
                recorded_at = EXCLUDED.recorded_at
                """, [.int(workspaceID), .text(folder.project), .text(folder.path), .text(folder.id), .bool(folder.createdBySbsync),
                      .int(now ?? folder.recordedAt)])
        }
    }

    public func folderID(project: String, path folderPath: String) throws(StateError) -> String? {
        try locked { _ in
            let row = try run("SELECT folder_id FROM sbsync_folders WHERE workspace_id = $1 AND project = $2 AND path = $3",
                              [.int(workspaceID), .text(project), .text(folderPath)]).rows.first
            return try row?.makeRandomAccess()[0].decode(String.self)
        }
    }

    public func allFolders() throws(StateError) -> [FolderRecord] {
        try locked { _ in try loadFolders() }
    }

    func loadFolders() throws -> [FolderRecord] {
        try run("SELECT project, path, folder_id, created, recorded_at FROM sbsync_folders WHERE workspace_id = $1 ORDER BY project, path",
                [.int(workspaceID)]).rows.map { row in
            let cells = row.makeRandomAccess()
            return FolderRecord(project: try cells[0].decode(String.self), path: try cells[1].decode(String.self),
                                id: try cells[2].decode(String.self), createdBySbsync: try cells[3].decode(Bool.self),
                                recordedAt: try cells[4].decode(Int64.self))
        }
    }

    // MARK: Whole state

    public func snapshot() throws(StateError) -> StateSnapshot {
        try readTransaction { _ in
            let row = try run("SELECT format_version, serial FROM sbsync_workspaces WHERE id = $1", [.int(workspaceID)]).rows.first
            guard let cells = row?.makeRandomAccess() else { throw StateError.notFound(path: path) }
            return StateSnapshot(formatVersion: try cells[0].decode(Int.self), lineage: lineage, serial: try cells[1].decode(Int64.self),
                                 files: try loadFiles(), folders: try loadFolders(), journal: try loadBatches(unfinishedOnly: false),
                                 lock: try readLock())
        }
    }

    public func replaceContents(with snapshot: StateSnapshot, adoptLineage: Bool) throws(StateError) {
        try write(bump: false) { _ in
            _ = try run("DELETE FROM sbsync_files WHERE workspace_id = $1", [.int(workspaceID)])
            _ = try run("DELETE FROM sbsync_folders WHERE workspace_id = $1", [.int(workspaceID)])
            _ = try run("DELETE FROM sbsync_batches WHERE workspace_id = $1", [.int(workspaceID)])
            try upsert(snapshot.files)
            try insertFolders(snapshot.folders, recordedAt: nil)
            for batch in snapshot.journal { _ = try insertBatch(batch) }
            if adoptLineage {
                _ = try run("UPDATE sbsync_workspaces SET lineage = $2 WHERE id = $1", [.int(workspaceID), .text(snapshot.lineage)])
            }
            _ = try run("UPDATE sbsync_workspaces SET serial = greatest(serial + 1, $2) WHERE id = $1",
                        [.int(workspaceID), .int(snapshot.serial)])
        }
    }
}

/// Rows collected on the connection's event loop, read after the query's future completes.
final class FileCollector: @unchecked Sendable {  // Unchecked: written on one event loop, read after `wait()`.
    var files: [RecordedFile] = []
}

/// The digest scratch buffer of one scan, used on the connection's event loop only.
final class ScanScratch: @unchecked Sendable {  // Unchecked: used by one scan's rows, one at a time.
    var bytes: [UInt8] = []
}
