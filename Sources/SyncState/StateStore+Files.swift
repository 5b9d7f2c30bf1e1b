import Foundation
public import SyncCore

/// Recorded files and folder ids.
extension StateStore {
    static let fileColumns = "project, path, source_kind, source, location, metadata, tags, spec_digest, file_id, actual_name, job_id, created_at, updated_at, checksum"
    /// The columns the checksum (the last of `fileColumns`) sums.
    static let checksummedFileColumns: Int32 = 13

    // MARK: Writing

    /// Records `files` (insert or replace by address) and forgets `removing`, in one transaction.
    /// - Throws: `StateError`; on error nothing of the batch is stored.
    public func record(_ files: [RecordedFile], removing: [Address]) throws(StateError) {
        try write { db, _ in
            try Self.upsert(files, db)
            _ = try Self.delete(removing, db)
        }
    }

    /// Forgets the files at `addresses` (the files stay on the platform).
    /// - Returns: the addresses that were recorded, in the order given.
    @discardableResult
    public func forget(_ addresses: [Address]) throws(StateError) -> [Address] {
        try write { db, _ in try Self.delete(addresses, db) }
    }

    /// Binds kind, source and location at `index`, `index + 1`, `index + 2`.
    static func bindSource(_ source: FileSource, _ statement: SQLiteStatement, at index: Int32) throws {
        switch source {
        case .volume(let volume, let location):
            try statement.bind(.text("volume"), at: index)
            try statement.bind(.text(volume), at: index + 1)
            try statement.bind(.text(location), at: index + 2)
        case .drs(let uri):
            try statement.bind(.text("drs"), at: index)
            try statement.bind(.text(uri), at: index + 1)
            try statement.bind(.null, at: index + 2)
        }
    }

    static func delete(_ addresses: [Address], _ db: SQLiteConnection) throws -> [Address] {
        if addresses.isEmpty { return [] }
        let delete = try db.prepare("DELETE FROM files WHERE project = ? AND path = ?")
        var removed: [Address] = []
        for address in addresses {
            try delete.run(.text(address.project), .text(address.path))
            if db.changes > 0 { removed.append(address) }
        }
        return removed
    }

    // MARK: Reading

    /// The recorded file at `address`, if any.
    public func file(at address: Address) throws(StateError) -> RecordedFile? {
        try read { db in
            let select = try db.prepare("SELECT \(Self.fileColumns) FROM files WHERE project = ? AND path = ?")
            defer { select.reset() }
            try select.bind(.text(address.project), .text(address.path))
            guard try select.step() else { return nil }
            var decoder = RowDecoder()
            return try decoder.file(select, path: path)
        }
    }

    /// Every recorded file, sorted by address (project, then path).
    ///
    /// Made for a million rows: one prepared statement, column bytes read in place, and
    /// repeated strings (project, volume, job id) shared between rows instead of copied.
    public func loadAllFiles() throws(StateError) -> [RecordedFile] {
        try read { db in try Self.loadFiles(db, path: path) }
    }

    /// Every recorded file and the serial they belong to, read in one transaction (so a write
    /// committed meanwhile cannot pair new files with an old serial, or the reverse).
    public func loadAllFilesAndSerial() throws(StateError) -> (files: [RecordedFile], serial: Int64) {
        try read { db in
            try db.transaction(immediate: false) {
                let serial = try db.scalarInt("SELECT value FROM metadata WHERE key = 'serial'") ?? 0
                return (try Self.loadFiles(db, path: path), serial)
            }
        }
    }

    static func loadFiles(_ db: SQLiteConnection, path: String) throws -> [RecordedFile] {
        let count = Int(try db.scalarInt("SELECT count(*) FROM files") ?? 0)
        var files: [RecordedFile] = []
        files.reserveCapacity(count)
        let select = try db.prepare("SELECT \(fileColumns) FROM files ORDER BY project, path")
        defer { select.reset() }
        var decoder = RowDecoder()
        while try select.step() { files.append(try decoder.file(select, path: path)) }
        return files
    }

    /// Calls `body` with each recorded file in address order (project, then path), decoding
    /// one row at a time: memory stays flat however many files there are. A diff that walks
    /// the desired files in the same order can merge the two lists without holding either.
    ///
    /// `body` runs inside one read transaction on this store's connection: it must not call
    /// this store (that would deadlock); other stores on the same file may write meanwhile.
    /// - Returns: the serial the files belong to.
    @discardableResult
    public func forEachFile(_ body: (RecordedFile) throws -> Void) throws -> Int64 {
        do {
            return try inner.withLock { inner in
                let db = inner.db
                return try db.transaction(immediate: false) {
                    let serial = try db.scalarInt("SELECT value FROM metadata WHERE key = 'serial'") ?? 0
                    let select = try db.prepare("SELECT \(Self.fileColumns) FROM files ORDER BY project, path")
                    defer { select.reset() }
                    var decoder = RowDecoder()
                    while try select.step() { try body(try decoder.file(select, path: path)) }
                    return serial
                }
            }
        } catch let error as SQLiteError {
            throw Self.mapped(error, path: path)
        }
    }

    /// How many files are recorded.
    public func fileCount() throws(StateError) -> Int {
        try read { db in Int(try db.scalarInt("SELECT count(*) FROM files") ?? 0) }
    }

    // MARK: Folders

    /// Records folder ids (insert or replace by project and path), in one transaction.
    public func record(folders: [FolderRecord]) throws(StateError) {
        try write { db, now in
            let insert = try db.prepare("INSERT OR REPLACE INTO folders (\(Self.folderColumns)) VALUES (?, ?, ?, ?, ?, ?)")
            for folder in folders {
                guard !folder.path.isEmpty else { throw StateError.invalidValue("a folder id for the project root of '\(folder.project)'") }
                var values: [SQLiteValue] = [.text(folder.project), .text(folder.path), .text(folder.id),
                                             .int(folder.createdBySbsync ? 1 : 0), .int(now)]
                values.append(.int(RowChecksum.of(values)))
                try insert.run(values)
            }
        }
    }

    /// The id of folder `path` in `project`, if recorded.
    public func folderID(project: String, path folderPath: String) throws(StateError) -> String? {
        try read { db in
            let select = try db.prepare("SELECT \(Self.folderColumns) FROM folders WHERE project = ? AND path = ?")
            defer { select.reset() }
            try select.bind(.text(project), .text(folderPath))
            return try select.step() ? try Self.folder(select, path: path).id : nil
        }
    }

    static let folderColumns = "project, path, folder_id, created, recorded_at, checksum"

    /// The folder of the current row, its checksum verified.
    static func folder(_ row: SQLiteStatement, path: String) throws -> FolderRecord {
        let folder = FolderRecord(project: row.text(0) ?? "", path: row.text(1) ?? "", id: row.text(2) ?? "",
                                  createdBySbsync: row.int64(3) != 0, recordedAt: row.int64(4))
        guard RowChecksum.of(row, columns: 5) == row.int64(5) else {
            throw StateError.damaged(path: path, detail: "the record of folder '\(folder.project):\(folder.path)' fails its checksum")
        }
        return folder
    }

    /// Every recorded folder, sorted by project and path.
    public func allFolders() throws(StateError) -> [FolderRecord] {
        try read { db in try Self.loadFolders(db, path: path) }
    }

    static func loadFolders(_ db: SQLiteConnection, path: String) throws -> [FolderRecord] {
        let select = try db.prepare("SELECT \(folderColumns) FROM folders ORDER BY project, path")
        defer { select.reset() }
        var folders: [FolderRecord] = []
        while try select.step() { folders.append(try folder(select, path: path)) }
        return folders
    }
}

/// A folder sbsync created or found, and its platform id.
public struct FolderRecord: Sendable, Hashable, Codable {
    public var project: String
    /// Folder path inside the project, segments joined by `/`; never empty.
    public var path: String
    public var id: String
    /// Whether sbsync created it (rather than finding it).
    public var createdBySbsync: Bool
    /// Unix seconds; set by the store when recorded.
    public var recordedAt: Int64

    public init(project: String, path: String, id: String, createdBySbsync: Bool, recordedAt: Int64 = 0) {
        self.project = project
        self.path = path
        self.id = id
        self.createdBySbsync = createdBySbsync
        self.recordedAt = recordedAt
    }
}

/// Turns `files` rows into `RecordedFile`s, sharing strings (project, volume, job id) and tag
/// lists that repeat from row to row instead of allocating them again.
struct RowDecoder {
    private var lastProject = Shared()
    private var lastSource = Shared()
    private var lastJob = Shared()
    private var lastTagBytes: [UInt8] = []
    private var lastTags: [String] = []
    /// The encoding of a desired file's spec, for `isUnchanged`.
    private var scratch: [UInt8] = []

    /// The last string decoded from a column, reused when the next row has the same bytes.
    struct Shared {
        var bytes: [UInt8] = []
        var value = ""

        mutating func intern(_ raw: UnsafeBufferPointer<UInt8>) -> String {
            if sameBytes(UnsafeRawBufferPointer(raw), bytes) { return value }
            bytes = Array(raw)
            value = String(decoding: raw, as: UTF8.self)
            return value
        }
    }

    /// The address of the current row.
    mutating func address(_ row: SQLiteStatement) -> Address {
        let project = lastProject.intern(row.rawText(0) ?? UnsafeBufferPointer(start: nil, count: 0))
        return Address(project: project, path: row.text(1) ?? "")
    }

    /// Checks the current row against its stored checksum. Callers read no column with an
    /// accessor of another type before it (the text and blob columns are only read as such),
    /// so SQLite has converted nothing.
    /// - Throws: `StateError.damaged` naming the row's address.
    static func verify(_ row: SQLiteStatement, path: String) throws {
        guard RowChecksum.of(row, columns: StateStore.checksummedFileColumns) == row.int64(StateStore.checksummedFileColumns) else {
            let address = "\(row.text(0) ?? "?"):\(row.text(1) ?? "?")"
            throw StateError.damaged(path: path, detail: "the record of '\(address)' fails its checksum")
        }
    }

    /// Whether the current row is unchanged against `desired`, judged without decoding it by
    /// SyncCore's rule (`Diff.digestShowsUnchanged`: the stored spec digest and source);
    /// `false` means only "decode it and compare".
    mutating func isUnchanged(_ desired: DesiredState.Lookup, at position: Int, _ row: SQLiteStatement) -> Bool {
        guard let digest = row.rawText(7) else { return false }
        return Diff.digestShowsUnchanged(desired, at: position, storedDigest: digest,
                                         storedSource: (row.rawText(2), row.rawText(3), row.rawText(4)), scratch: &scratch)
    }

    /// The recorded file of the current row; `light` leaves out what comparing with the manifest
    /// does not need (see `complete`), which saves most of the strings a row costs.
    mutating func file(_ row: SQLiteStatement, path: String, light: Bool = false) throws -> RecordedFile {
        try Self.verify(row, path: path)
        let address = address(row)
        let source = try Self.source(row, at: 2, shared: &lastSource, address: address, path: path)
        let metadata: Metadata
        let tags: [String]
        do {
            metadata = try RecordCodec.decodeMetadata(row.rawBlob(5))
            let tagBytes = row.rawBlob(6)
            if sameBytes(tagBytes, lastTagBytes) {
                tags = lastTags  // the same array storage, not a copy
            } else {
                tags = try RecordCodec.decodeTags(tagBytes)
                lastTagBytes = Array(tagBytes)
                lastTags = tags
            }
        } catch {
            throw StateError.damaged(path: path, detail: "unreadable metadata or tags of '\(address)'")
        }
        var file = RecordedFile(address: address, source: source, metadata: metadata, tags: tags,
                                specDigest: "", fileID: nil, actualName: "", jobID: nil, createdAt: 0, updatedAt: 0)
        if !light {
            complete(&file, row)
        } else if let digest = row.rawText(7), Self.isEditUnconfirmed(digest) {
            // The one digest a comparison needs to see: the record's values are not the platform's.
            file.specDigest = SpecDigest.editUnconfirmed
        }
        return file
    }

    private static let editUnconfirmed = Array(SpecDigest.editUnconfirmed.utf8)

    private static func isEditUnconfirmed(_ digest: UnsafeBufferPointer<UInt8>) -> Bool {
        digest.count == editUnconfirmed.count && digest.elementsEqual(editUnconfirmed)
    }

    /// Fills in what a light `file(_:path:light:)` left out: spec digest, file id, actual name,
    /// job id and times, from the same (current) row.
    mutating func complete(_ file: inout RecordedFile, _ row: SQLiteStatement) {
        file.specDigest = row.text(7) ?? ""
        file.fileID = row.text(8)
        file.actualName = row.text(9) ?? ""
        file.jobID = row.rawText(10).map { lastJob.intern($0) }
        file.createdAt = row.int64(11)
        file.updatedAt = row.int64(12)
    }

    /// Reads kind, source and location from columns `index`, `index + 1`, `index + 2`.
    static func source(_ row: SQLiteStatement, at index: Int32, shared: inout Shared, address: Address, path: String) throws -> FileSource {
        guard let kind = row.rawText(index), let first = kind.first else {
            throw StateError.damaged(path: path, detail: "no source kind for '\(address)'")
        }
        switch first {
        case UInt8(ascii: "v"):
            let volume = shared.intern(row.rawText(index + 1) ?? UnsafeBufferPointer(start: nil, count: 0))
            return .volume(volume: volume, location: row.text(index + 2) ?? "")
        case UInt8(ascii: "d"):
            return .drs(uri: row.text(index + 1) ?? "")
        default:
            throw StateError.damaged(path: path, detail: "unknown source kind for '\(address)'")
        }
    }
}

/// Whether `a` holds exactly `b`'s bytes.
private func sameBytes(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard let base = a.baseAddress, !b.isEmpty else { return true }
    return b.withUnsafeBytes { memcmp($0.baseAddress!, base, b.count) == 0 }
}

extension StateStore {
    /// Reads every record (files on every core, folders, the journal), checking each against
    /// its checksum and decoding it, without writing anything: a command that is about to
    /// write (take the lock, settle) calls it first, so a damaged state is refused while it is
    /// still exactly as it was.
    /// - Throws: `StateError.damaged` naming the first damaged record found.
    public func verify() throws(StateError) {
        _ = try forEachFile(parts: min(4, ProcessInfo.processInfo.activeProcessorCount)) { _, _, _ in }
        _ = try allFolders()
        _ = try unfinishedBatches()
    }
}
