import Foundation
import SyncCore

/// Inserting recorded files: the one write path of `record`, for one file or a million.
///
/// - values are encoded into one reusable buffer and bound without copying (`SQLiteRows`);
/// - rows go in in primary-key order, so each lands on the b-tree's last page;
/// - a large batch gets a larger page cache for its transaction, so pages the b-tree still
///   changes are not spilled and read back.
/// The write itself is an ordinary WAL transaction, like every other write of the store.
extension StateStore {
    /// Batches larger than this get a larger page cache.
    static let largeBatch = 10_000

    /// Rows encoded per chunk (the buffer is reused between chunks).
    static let chunkRows = 4_096

    static func upsert(_ files: [RecordedFile], _ db: SQLiteConnection) throws {
        if files.isEmpty { return }
        let insert = try db.prepare("INSERT OR REPLACE INTO files (\(fileColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        guard files.count > largeBatch else { return try insertRows(files, insert) }
        // The default page cache (2 MiB) is far smaller than a large batch's pages: SQLite
        // would spill pages the b-tree still changes and read them back, writing many twice.
        // A 64 MiB cache for this batch keeps them until each is written once.
        let previous = try db.scalarInt("PRAGMA cache_size") ?? -2000
        try db.execute("PRAGMA cache_size = -65536")
        defer { try? db.execute("PRAGMA cache_size = \(previous)") }
        try insertRows(files, insert)
    }

    private static func insertRows(_ files: [RecordedFile], _ insert: SQLiteStatement) throws {
        let order = insertionOrder(files)
        var rows = SQLiteRows()
        try files.withUnsafeBufferPointer { files in
            for start in stride(from: 0, to: order.count, by: chunkRows) {
                let chunk = order[start..<min(start + chunkRows, order.count)]
                rows.removeAll()
                encode(chunk, of: files, into: &rows)
                try run(rows, chunk, of: files, insert)
            }
        }
    }

    /// Encodes the files at `indices`, in that order, as rows of `fileColumns`.
    private static func encode(_ indices: ArraySlice<Int>, of files: UnsafeBufferPointer<RecordedFile>, into rows: inout SQLiteRows) {
        for i in indices {
            rows.beginRow()
            appendColumns(of: files[i], to: &rows)
        }
    }

    /// Inserts `rows`, the files at `indices` encoded.
    private static func run(_ rows: SQLiteRows, _ indices: ArraySlice<Int>, of files: UnsafeBufferPointer<RecordedFile>,
                            _ insert: SQLiteStatement) throws {
        for (row, i) in indices.enumerated() {
            do {
                try rows.run(row, insert)
            } catch {
                throw error.primary == 19 /* SQLITE_CONSTRAINT */
                    ? StateError.invalidValue("the recorded file '\(files[i].address)': \(error.message)") as any Error
                    : error
            }
        }
    }

    /// Appends the values of `fileColumns` for `file`, in that order, the checksum last.
    private static func appendColumns(of file: RecordedFile, to row: inout SQLiteRows) {
        row.append(text: file.address.project)
        row.append(text: file.address.path)
        switch file.source {
        case .volume(let volume, let location):
            row.append(text: "volume")
            row.append(text: volume)
            row.append(text: location)
        case .drs(let uri):
            row.append(text: "drs")
            row.append(text: uri)
            row.appendNull()
        }
        // The closures capture one field each, not the whole record (which would copy it).
        let metadata = file.metadata, tags = file.tags
        row.appendBlob { RecordCodec.append(metadata: metadata, to: &$0) }
        row.appendBlob { RecordCodec.append(tags: tags, to: &$0) }
        row.append(text: file.specDigest)
        row.append(optionalText: file.fileID)
        row.append(text: file.actualName)
        row.append(optionalText: file.jobID)
        row.append(file.createdAt)
        row.append(file.updatedAt)
        row.appendChecksum()
    }

    fileprivate struct AddressKey {
        var project: Int
        var start: Int
        var count: Int
        /// The file's index in the batch; breaks ties, so the order is stable.
        var index: Int
    }

    /// The indices of `files` in the order to insert them.
    ///
    /// Rows go into a b-tree ordered by address: inserted in that order, each lands on the
    /// last page instead of a random one, which keeps a million-row first fill fast. The order
    /// is the primary key's: project, then path, each compared byte by byte as SQLite's BINARY
    /// collation does. Files at the same address keep their order, so the later one still
    /// replaces the earlier. A batch already in order (checked in one pass) is not sorted, nor
    /// is a small one.
    static func insertionOrder(_ files: [RecordedFile]) -> [Int] {
        guard files.count > 1000 else { return Array(files.indices) }
        // Sorting small keys over one byte buffer, compared with memcmp, moves and compares far
        // less than sorting whole records by their `String`s.
        var rankOfID: [Int] = []
        var keys: [AddressKey] = []
        var paths: [UInt8] = []
        do {
            var idOf: [String: Int] = [:]
            var projects: [String] = []
            var lastProject = "", lastID = -1
            keys.reserveCapacity(files.count)
            for index in files.indices {
                let address = files[index].address
                if lastID < 0 || address.project != lastProject {
                    lastProject = address.project
                    lastID = idOf[lastProject] ?? projects.count
                    if lastID == projects.count {
                        idOf[lastProject] = lastID
                        projects.append(lastProject)
                    }
                }
                let start = paths.count
                paths.append(contentsOf: address.path.utf8)
                keys.append(AddressKey(project: lastID, start: start, count: paths.count - start, index: index))
            }
            let byBytes = projects.indices.sorted { projects[$0].utf8.lexicographicallyPrecedes(projects[$1].utf8) }
            rankOfID = Array(repeating: 0, count: projects.count)
            for (rank, id) in byBytes.enumerated() { rankOfID[id] = rank }
        }
        for k in keys.indices { keys[k].project = rankOfID[keys[k].project] }

        return paths.withUnsafeBytes { buffer in
            let keyOrder = KeyOrder(paths: buffer)
            if keys.indices.dropFirst().allSatisfy({ keyOrder.precedes(keys[$0 - 1], keys[$0]) }) {
                return Array(files.indices)
            }
            keys.sort(by: keyOrder.precedes)
            return keys.map(\.index)
        }
    }

    /// The primary key's order on `AddressKey`s over one buffer of path bytes. A total order:
    /// keys at the same address are ordered by their index in the batch.
    fileprivate struct KeyOrder {
        let paths: UnsafeRawBufferPointer

        func precedes(_ a: AddressKey, _ b: AddressKey) -> Bool {
            if a.project != b.project { return a.project < b.project }
            let common = min(a.count, b.count)
            // A non-empty common prefix means the buffer is not empty: its base is not nil.
            let order = common == 0 ? 0 : memcmp(paths.baseAddress! + a.start, paths.baseAddress! + b.start, common)
            if order != 0 { return order < 0 }
            if a.count != b.count { return a.count < b.count }
            return a.index < b.index
        }
    }
}
