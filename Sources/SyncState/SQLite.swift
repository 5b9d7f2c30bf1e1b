internal import CSQLite

/// An error from SQLite, with its result code and message.
struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    /// The primary result code (the low byte of an extended code).
    var primary: Int32 { code & 0xFF }

    /// The file is damaged or is not a SQLite database at all.
    var isDamage: Bool { primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB }

    var isBusy: Bool { primary == SQLITE_BUSY || primary == SQLITE_LOCKED }

    var description: String { "\(message) (SQLite code \(code))" }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text before `bind` returns.
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe by itself. `@unchecked Sendable` because its only owner, `StateStore`,
/// touches it only while holding its mutex (`StateStore.inner`); the conformance lets the
/// connection cross that mutex's `sending` boundary. A bulk insert may step it on a worker
/// thread while the mutex's holder waits for that thread (SQLite allows a connection opened
/// with `SQLITE_OPEN_NOMUTEX` on any thread, one at a time).
final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens `path`; `create` adds `SQLITE_OPEN_CREATE`.
    init(path: String, create: Bool) throws(SQLiteError) {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if create { flags |= SQLITE_OPEN_CREATE }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ code: Int32) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// A prepared statement for `sql`, reset and with bindings cleared; cached by its text.
    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let statement = cache[sql] {
            statement.reset()
            return statement
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc) }
        let statement = SQLiteStatement(handle: raw, connection: self)
        cache[sql] = statement
        return statement
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// `immediate` takes the write lock at the start (for read-then-write transactions).
    func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// A single integer from a one-row query (e.g. a pragma); `nil` when there is no row.
    func scalarInt(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    func scalarText(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.text(0)
    }
}

/// A prepared statement. Column values read from it are valid until the next `step`.
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds values to parameters 1, 2, … in order.
    func bind(_ values: SQLiteValue...) throws(SQLiteError) {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .int(let v):
            rc = sqlite3_bind_int64(handle, index, v)
        case .text(var s):
            rc = s.withUTF8 { buffer in
                guard let base = buffer.baseAddress, !buffer.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, transient) }
                return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(buffer.count), transient)
                }
            }
        case .blob(let bytes):
            // An empty blob would bind as NULL; callers store NULL for "nothing" anyway.
            rc = bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
        }
        guard rc == SQLITE_OK else { throw connection.error(rc) }
    }

    /// Advances; `true` when a row is available, `false` when done.
    @discardableResult
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps to completion (for statements without results).
    func run(_ values: SQLiteValue...) throws(SQLiteError) {
        try run(values)
    }

    /// Steps to completion with `values` bound to parameters 1, 2, ….
    func run(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
        defer { reset() }
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// The column as a string; `nil` for NULL.
    func text(_ column: Int32) -> String? {
        guard let bytes = rawText(column) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The column's UTF-8 bytes without copying; valid until the next `step` or `reset`.
    func rawText(_ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        return UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, column)))
    }

    /// The column's bytes without copying; empty for NULL; valid until the next `step` or `reset`.
    func rawBlob(_ column: Int32) -> UnsafeRawBufferPointer {
        guard let p = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, column)))
    }
}

/// A value to bind.
enum SQLiteValue {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])

    static func optionalText(_ s: String?) -> SQLiteValue { s.map { .text($0) } ?? .null }
}

/// The version of the SQLite library linked in.
var sqliteLibraryVersion: String { String(cString: sqlite3_libversion()) }
