import Dispatch
import Foundation
import Logging
import NIOCore
import NIOSSL
import SyncCore
import Synchronization
internal import PostgresNIO

/// A state kept in a PostgreSQL database, one workspace of it: the same records, journal,
/// lineage and serial rules as the SQLite file (`StateStore`), shared by every machine that
/// reaches the server.
///
/// One connection per store, pinned for its life: it holds the workspace's session advisory
/// lock (keyed by `PostgresLocation.lockKey`), so the lock ends exactly when the holder's session
/// does (a killed process, a lost network). A row in `sbsync_locks` names the holder for the
/// others. Every write is one short transaction that locks the workspace row, checks the
/// lineage, the serial this store last saw and the lock row, and adds 1 to the serial.
///
/// Calls are synchronous like `StateStore`'s: each waits for the server's answer on the
/// connection's event loop (never on it), one call at a time.
public final class PostgresStateStore: StateBackend {
    /// The location fit to print (no password).
    public let path: String
    public let lineage: String
    let location: PostgresLocation
    let workspaceID: Int64
    let options: StateStore.Options
    let connection: PostgresConnection
    let inner: Mutex<Inner>
    let logger = Logger(label: "sbsync.state.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Inner {
        var held: LockInfo?
        /// The serial after this store's last write (or when it took the lock).
        var serial: Int64 = 0
        /// The connection failed: nothing more is sent on it.
        var broken: String?
    }

    private init(location: PostgresLocation, lineage: String, workspaceID: Int64, options: StateStore.Options,
                 connection: PostgresConnection) {
        self.path = location.display
        self.lineage = lineage
        self.location = location
        self.workspaceID = workspaceID
        self.options = options
        self.connection = connection
        self.inner = Mutex(Inner())
    }

    deinit {
        Self.close(connection)
    }

    /// Closes `connection`, keeping it alive until it is closed (postgres-nio requires that of
    /// a connection's last reference); never waits, so it may run on any thread.
    static func close(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    // MARK: Opening

    /// Connects, creates or migrates the tables, and opens `location`'s workspace, creating it
    /// (with a new lineage) when missing and `create` is true.
    /// - Throws: `StateError.notFound` for a missing workspace when `create` is false; `.io`
    ///   naming the server for a connection or authentication failure (never the password).
    public static func open(_ location: PostgresLocation, create: Bool, options: StateStore.Options = StateStore.Options()) throws(StateError) -> PostgresStateStore {
        let shown = location.display
        let connection = try connect(location)
        do {
            try migrate(connection, shown: shown)
            let select = "SELECT id, lineage, format_version FROM sbsync_workspaces WHERE name = $1"
            var rows = try run(connection, select, [.text(location.workspace)], shown: shown).rows
            if rows.isEmpty {
                guard create else { throw StateError.notFound(path: shown) }
                _ = try run(connection, """
                    INSERT INTO sbsync_workspaces (name, lineage, serial, format_version, created_at)
                    VALUES ($1, $2, 0, $3, $4) ON CONFLICT (name) DO NOTHING
                    """, [.text(location.workspace), .text(UUID().uuidString.lowercased()),
                          .int(Int64(StateStore.formatVersion)), .int(options.now())], shown: shown)
                rows = try run(connection, select, [.text(location.workspace)], shown: shown).rows
            }
            guard let row = rows.first else { throw StateError.notFound(path: shown) }
            let cells = row.makeRandomAccess()
            let format = try cells[2].decode(Int.self)
            if format > StateStore.formatVersion {
                throw StateError.newerFormat(path: shown, found: format, supported: StateStore.formatVersion)
            }
            return PostgresStateStore(location: location, lineage: try cells[1].decode(String.self),
                                      workspaceID: try cells[0].decode(Int64.self), options: options, connection: connection)
        } catch {
            close(connection)
            throw stateError(error, shown: shown)
        }
    }

    private static func connect(_ location: PostgresLocation) throws(StateError) -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable: tls = .disable
        case .prefer, .require, .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            if location.tls != .verifyFull { configuration.certificateVerification = .none }
            do {
                let context = try NIOSSLContext(configuration: configuration)
                tls = location.tls == .prefer ? .prefer(context) : .require(context)
            } catch {
                throw .io(path: location.display, detail: "cannot set up TLS: \(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: location.password, database: location.database, tls: tls)
        configuration.options.additionalStartupParameters = [("application_name", "sbsync")]
        configuration.options.connectTimeout = .seconds(15)
        do {
            return try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration,
                                                  id: 1, logger: Logger(label: "sbsync.state.postgres", factory: { _ in SwiftLogNoOpLogHandler() })).wait()
        } catch {
            throw .io(path: location.display, detail: "cannot connect: \(describe(error))")
        }
    }

    /// Creates the tables, or brings them up to `PostgresSchema.version`, in one transaction.
    private static func migrate(_ connection: PostgresConnection, shown: String) throws {
        let exists = try run(connection, "SELECT to_regclass('sbsync_schema') IS NOT NULL", [], shown: shown).rows
        if let row = exists.first, try row.makeRandomAccess()[0].decode(Bool.self),
           let current = try run(connection, "SELECT max(version) FROM sbsync_schema", [], shown: shown).rows.first,
           let version = try current.makeRandomAccess()[0].decode(Int?.self), version >= PostgresSchema.version {
            if version > PostgresSchema.version {
                throw StateError.newerFormat(path: shown, found: version, supported: PostgresSchema.version)
            }
            return
        }
        _ = try run(connection, "BEGIN", [], shown: shown)
        do {
            _ = try run(connection, "SELECT pg_advisory_xact_lock($1)", [.int(PostgresSchema.migrationLockKey)], shown: shown)
            _ = try run(connection, "CREATE TABLE IF NOT EXISTS sbsync_schema (version INTEGER NOT NULL)", [], shown: shown)
            let row = try run(connection, "SELECT coalesce(max(version), 0) FROM sbsync_schema", [], shown: shown).rows.first
            let version = try row?.makeRandomAccess()[0].decode(Int.self) ?? 0
            if version > PostgresSchema.version {
                throw StateError.newerFormat(path: shown, found: version, supported: PostgresSchema.version)
            }
            for step in version..<PostgresSchema.version {
                // One statement per query (the extended protocol takes no more): they end at a line's ';'.
                for statement in PostgresSchema.migrations[step].components(separatedBy: ";\n")
                    .map({ $0.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ";"))) })
                where !statement.isEmpty {
                    _ = try run(connection, statement, [], shown: shown)
                }
            }
            _ = try run(connection, "DELETE FROM sbsync_schema", [], shown: shown)
            _ = try run(connection, "INSERT INTO sbsync_schema (version) VALUES ($1)", [.int(Int64(PostgresSchema.version))], shown: shown)
            _ = try run(connection, "COMMIT", [], shown: shown)
        } catch {
            _ = try? run(connection, "ROLLBACK", [], shown: shown)
            throw error
        }
    }

    // MARK: Queries

    /// A bound value.
    enum Value {
        case text(String?)
        case int(Int64?)
        case bytes([UInt8]?)
        case bool(Bool)
        case texts([String])
    }

    static func query(_ sql: String, _ values: [Value]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): binds.append(text)
            case .int(let int): binds.append(int)
            case .bytes(let bytes): binds.append(bytes.map { ByteBuffer(bytes: $0) })
            case .bool(let bool): binds.append(bool)
            case .texts(let texts): binds.append(texts)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    static func run(_ connection: PostgresConnection, _ sql: String, _ values: [Value], shown: String) throws -> PostgresQueryResult {
        try wait(connection.query(query(sql, values), logger: Logger(label: "sbsync", factory: { _ in SwiftLogNoOpLogHandler() })), on: connection)
    }

    /// Runs `sql` on this store's connection (the caller holds `inner`).
    func run(_ sql: String, _ values: [Value] = []) throws -> PostgresQueryResult {
        try Self.wait(connection.query(Self.query(sql, values), logger: logger), on: connection)
    }

    /// Runs `body` with the connection to itself; maps every error to `StateError`. A lost
    /// connection is remembered: every later call says so at once.
    func locked<T: Sendable>(_ body: (inout Inner) throws -> T) throws(StateError) -> T {
        do {
            return try inner.withLock { inner in
                if let broken = inner.broken { throw StateError.io(path: path, detail: broken) }
                do {
                    return try body(&inner)
                } catch {
                    if Self.isConnectionLoss(error) {
                        inner.held = nil
                        inner.broken = "lost the connection to PostgreSQL (\(Self.describe(error))); stopping before writing anything more "
                            + "(what was in flight is settled by the next apply)"
                        throw StateError.io(path: path, detail: inner.broken ?? "")
                    }
                    throw error
                }
            }
        } catch {
            throw Self.stateError(error, shown: path)
        }
    }

    /// Runs `body` in a read transaction that sees one snapshot.
    func readTransaction<T: Sendable>(_ body: (inout Inner) throws -> T) throws(StateError) -> T {
        try locked { inner in
            _ = try run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let result = try body(&inner)
                _ = try run("COMMIT")
                return result
            } catch {
                _ = try? run("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` in one write transaction: locks the workspace row, checks the lineage, the
    /// serial and this store's lock row (refreshing its heartbeat), and, when `bump`, adds 1
    /// to the serial at the end. Everything is rolled back if anything throws.
    func write<T: Sendable>(bump: Bool = true, _ body: (Int64) throws -> T) throws(StateError) -> T {
        let now = options.now()
        return try locked { inner in
            guard let held = inner.held else { throw StateError.notLocked(path: path) }
            _ = try run("BEGIN")
            do {
                let row = try run("SELECT lineage, serial FROM sbsync_workspaces WHERE id = $1 FOR UPDATE", [.int(workspaceID)]).rows.first
                guard let cells = row?.makeRandomAccess() else { throw StateError.notFound(path: path) }
                let lineage = try cells[0].decode(String.self), serial = try cells[1].decode(Int64.self)
                guard lineage == self.lineage else {
                    throw StateError.io(path: path, detail: "the workspace was replaced (lineage \(lineage), not \(self.lineage)) while this run held it; stopping before writing anything more")
                }
                guard serial == inner.serial else {
                    throw StateError.io(path: path, detail: "the workspace was changed by someone else (serial \(serial), expected \(inner.serial)) while this run held it; stopping before writing anything more")
                }
                let touched = try run("UPDATE sbsync_locks SET heartbeat_at = greatest(heartbeat_at, $1) WHERE workspace_id = $2 AND holder = $3",
                                      [.int(now), .int(workspaceID), .text(held.holder)])
                if touched.metadata.rows != 1 {
                    throw StateError.lockLost(path: path, current: try readLock())
                }
                let result = try body(now)
                if bump {
                    _ = try run("UPDATE sbsync_workspaces SET serial = serial + 1 WHERE id = $1", [.int(workspaceID)])
                }
                let after = try run("SELECT serial FROM sbsync_workspaces WHERE id = $1", [.int(workspaceID)]).rows.first
                let newSerial = try after?.makeRandomAccess()[0].decode(Int64.self) ?? serial
                _ = try run("COMMIT")
                inner.serial = newSerial
                return result
            } catch {
                _ = try? run("ROLLBACK")
                if case StateError.lockLost = error { inner.held = nil }
                throw error
            }
        }
    }

    /// The connection closed while a query waited for its answer.
    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the connection was closed" }
    }

    /// Waits for `future`, failing with `ConnectionClosed` when the connection closes first:
    /// postgres-nio can leave a query sent on a connection the server has just ended unanswered.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, on connection: PostgresConnection) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        connection.closeFuture.whenComplete { _ in done.signal() }
        done.wait()
        guard let result = outcome.withLock({ $0 }) else { throw ConnectionClosed() }
        return try result.get()
    }

    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is ConnectionClosed { return true }
        guard let error = error as? PSQLError else { return false }
        if error.code == .serverClosedConnection || error.code == .clientClosedConnection
            || error.code == .uncleanShutdown || error.code == .connectionError { return true }
        // 57P01 admin_shutdown (server stopping, or pg_terminate_backend), 57P02, 57P03.
        if let state = error.serverInfo?[.sqlState], state.hasPrefix("57P") { return true }
        return false
    }

    /// What went wrong, without anything the query carried.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return message + (error.serverInfo?[.sqlState].map { " [\($0)]" } ?? "")
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresDecodingError { return "unreadable column '\(error.columnName)'" }
        return "\(error)"
    }

    static func stateError(_ error: any Error, shown: String) -> StateError {
        if let error = error as? StateError { return error }
        return .io(path: shown, detail: describe(error))
    }

    // MARK: Reading basics

    public func serial() throws(StateError) -> Int64 {
        try locked { _ in
            let row = try run("SELECT serial FROM sbsync_workspaces WHERE id = $1", [.int(workspaceID)]).rows.first
            return try row?.makeRandomAccess()[0].decode(Int64.self) ?? 0
        }
    }

    public func inSyncNote() throws(StateError) -> (note: String?, serial: Int64) {
        try locked { _ in
            // No table yet: no note was ever left in this database.
            let row = try run(try notesTableExists()
                ? "SELECT n.note, w.serial FROM sbsync_workspaces w LEFT JOIN sbsync_in_sync_notes n ON n.workspace_id = w.id WHERE w.id = $1"
                : "SELECT NULL::TEXT, serial FROM sbsync_workspaces WHERE id = $1", [.int(workspaceID)]).rows.first
            guard let cells = row?.makeRandomAccess() else { throw StateError.notFound(path: path) }
            return (try cells[0].decode(String?.self), try cells[1].decode(Int64.self))
        }
    }

    @discardableResult
    public func leaveInSyncNote(_ note: String, lineage: String, serial: Int64) throws(StateError) -> Bool {
        try locked { _ in
            _ = try run("BEGIN")
            do {
                // Not worth waiting for: a write holds the workspace row (the note's key needs it).
                _ = try run("SET LOCAL lock_timeout = '250ms'")
                if try !notesTableExists() {
                    // The first note: one creator at a time (as migrations), and only then, so a
                    // role that may not create tables still leaves notes once the table exists.
                    _ = try run("SELECT pg_advisory_xact_lock($1)", [.int(PostgresSchema.migrationLockKey)])
                    _ = try run(PostgresSchema.inSyncNotes)
                }
                // One statement: the note lands only while the workspace is the one of `lineage` at `serial`.
                let left = try run("""
                    INSERT INTO sbsync_in_sync_notes (workspace_id, note)
                    SELECT id, $1 FROM sbsync_workspaces WHERE id = $2 AND serial = $3 AND lineage = $4
                    ON CONFLICT (workspace_id) DO UPDATE SET note = EXCLUDED.note
                    """, [.text(note), .int(workspaceID), .int(serial), .text(lineage)]).metadata.rows == 1
                _ = try run("COMMIT")
                return left
            } catch {
                _ = try? run("ROLLBACK")
                throw error
            }
        }
    }

    /// Whether the first note has made `sbsync_in_sync_notes` (`PostgresSchema.inSyncNotes`).
    private func notesTableExists() throws -> Bool {
        let row = try run("SELECT to_regclass('sbsync_in_sync_notes') IS NOT NULL").rows.first
        return try row?.makeRandomAccess()[0].decode(Bool.self) ?? false
    }

    public func verify() throws(StateError) {
        _ = try forEachFile(parts: 1, comparingWith: nil, unchanged: { _, _ in }, { _, _, _ in })
        _ = try allFolders()
        _ = try allBatches()
    }

    /// Removes this workspace and everything in it (tests, and `state push --force` onto it).
    func dropWorkspace() throws(StateError) {
        try locked { _ in _ = try run("DELETE FROM sbsync_workspaces WHERE id = $1", [.int(workspaceID)]) }
    }
}
