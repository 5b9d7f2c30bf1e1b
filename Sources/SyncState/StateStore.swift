import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite state file of one manifest: recorded files, folder ids, the bulk-job journal,
/// and the lock that keeps two writers apart.
///
/// Reads need no lock. Every write runs in one transaction that first checks this store holds
/// the lock (refreshing its heartbeat) and ends by adding 1 to the serial, so a write either
/// lands whole or not at all.
///
/// Calls are synchronous and short (one transaction each); the connection sits behind a mutex,
/// so one store may be shared between tasks. From async code, call it directly for small writes;
/// `loadAllFiles()` on a large state takes a fraction of a second.
public final class StateStore: Sendable {
    /// The format this sbsync writes. Older files are migrated on open; newer ones refused.
    public static let formatVersion = 1

    /// The file's path as given.
    public let path: String
    /// A UUID chosen when the file was created; it never changes.
    public let lineage: String
    let options: Options
    let inner: Mutex<Inner>

    struct Inner {
        let db: SQLiteConnection
        /// The lock this store holds, if any.
        var held: LockInfo?
        /// A bulk write left the file in rollback-journal mode (the switch back was refused):
        /// the next write tries again first.
        var leftInRollbackMode = false
    }

    /// Injectable environment: clock, process probe, identity, timeouts.
    public struct Options: Sendable {
        /// Unix seconds now.
        public var now: @Sendable () -> Int64
        /// A lock whose heartbeat is older than this many seconds is expired.
        public var lockTTL: Int64
        /// Whether a process on this host is alive (the default probes with `kill(pid, 0)`).
        public var processIsAlive: @Sendable (Int32) -> Bool
        /// This process's id and host name, recorded in the lock.
        public var pid: Int32
        public var host: String
        /// How long to wait for another connection's write transaction, in milliseconds.
        public var busyTimeoutMilliseconds: Int32

        public init(now: @escaping @Sendable () -> Int64 = StateStore.systemNow,
                    lockTTL: Int64 = 120,
                    processIsAlive: @escaping @Sendable (Int32) -> Bool = StateStore.processIsAlive,
                    pid: Int32 = StateStore.currentPID,
                    host: String = StateStore.hostName,
                    busyTimeoutMilliseconds: Int32 = 10_000) {
            self.now = now
            self.lockTTL = lockTTL
            self.processIsAlive = processIsAlive
            self.pid = pid
            self.host = host
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }

    private init(path: String, lineage: String, options: Options, db: sending SQLiteConnection) {
        self.path = path
        self.lineage = lineage
        self.options = options
        self.inner = Mutex(Inner(db: db, held: nil, leftInRollbackMode: false))
    }

    // MARK: Opening

    /// Opens the state file at `path`, creating it when it is missing and `create` is true.
    ///
    /// A new file is created readable by its owner only (0600), with its parent directory
    /// (0700) when missing. An older format is migrated in a transaction after a backup copy
    /// `PATH.vN.bak` is written. A newer format, a damaged file or a database that is not an
    /// sbsync state is refused and left byte-for-byte untouched.
    /// - Throws: `StateError`.
    public static func open(at path: String, create: Bool, options: Options = Options()) throws(StateError) -> StateStore {
        var created = false
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw .io(path: path, detail: String(cString: strerror(errno))) }
            guard create else { throw .notFound(path: path) }
            try createEmptyFile(path)
            created = true
        } else {
            guard (info.st_mode & 0o170000) == 0o100000 else { throw .io(path: path, detail: "not a regular file") }
            try checkHeader(path: path, size: Int64(info.st_size))
        }

        let db: SQLiteConnection
        do throws(SQLiteError) {
            db = try SQLiteConnection(path: path, create: false)
        } catch {
            throw mapped(error, path: path)
        }
        db.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)

        do {
            let lineage: String
            if created {
                lineage = try initialize(db, now: options.now())
            } else {
                lineage = try prepareExisting(db, path: path, busyTimeout: options.busyTimeoutMilliseconds)
            }
            return StateStore(path: path, lineage: lineage, options: options, db: db)
        } catch {
            throw stateError(error, path: path)
        }
    }

    /// Creates `path` with mode 0600 (and its directory with 0700 when missing).
    private static func createEmptyFile(_ path: String) throws(StateError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do throws(PrivateFileError) {
                try PrivateFile.createDirectory(atPath: directory)
            } catch {
                throw .io(path: path, detail: "cannot create directory '\(directory)': \(error.reason)")
            }
        }
        let fd = posixOpen(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, detail: "cannot create: \(String(cString: strerror(errno)))") }
        // The umask may have narrowed the mode; never widened it. Make it exactly 0600.
        fchmod(fd, 0o600)
        close(fd)
    }

    /// Refuses files that are not SQLite databases or are shorter than their header says,
    /// before SQLite touches them.
    private static func checkHeader(path: String, size: Int64) throws(StateError) {
        if size == 0 { throw .notAStateFile(path: path) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .io(path: path, detail: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let magic = Array("SQLite format 3\0".utf8)
        guard header.count == 100, Array(header[0..<16]) == magic else {
            throw .damaged(path: path, detail: "not a SQLite database")
        }
        var pageSize = Int64(header[16]) << 8 | Int64(header[17])
        if pageSize == 1 { pageSize = 65536 }
        let pageCount = Int64(header[28]) << 24 | Int64(header[29]) << 16 | Int64(header[30]) << 8 | Int64(header[31])
        // The in-header size is valid when the change counters agree (SQLite ≥ 3.7.0 files).
        let counterValid = header[24..<28] == header[92..<96]
        // A WAL, or a hot rollback journal left by a write that did not finish (see
        // `enterRollbackJournal`), can hold what the file lacks: SQLite restores it on open.
        let walExists = FileManager.default.fileExists(atPath: path + "-wal")
        if counterValid, !walExists, !isHotJournal(path + "-journal"), pageCount > 0, size < pageCount * pageSize {
            throw .damaged(path: path, detail: "truncated: \(size) bytes where the header says \(pageCount * pageSize)")
        }
    }

    /// Whether `path` is a rollback journal SQLite would play back: it starts with the
    /// journal's magic number (an empty or zeroed journal is not hot).
    private static func isHotJournal(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let magic: [UInt8] = [0xD9, 0xD5, 0x05, 0xF9, 0x20, 0xA1, 0x63, 0xD7]
        return (try? handle.read(upToCount: 8)).map { [UInt8]($0) } == magic
    }

    static func mapped(_ error: SQLiteError, path: String) -> StateError {
        if error.isDamage { return .damaged(path: path, detail: error.message) }
        if error.isBusy { return .io(path: path, detail: "busy: another process kept it busy for too long (\(error.message))") }
        return .io(path: path, detail: error.message)
    }

    /// Sets up a brand-new file; returns its lineage.
    private static func initialize(_ db: SQLiteConnection, now: Int64) throws -> String {
        // 16 KiB pages: a million-row table is read with a quarter of the system calls and
        // page headers of the default 4 KiB. Only settable before the first table exists.
        try db.execute("PRAGMA page_size = 16384")
        try db.execute("PRAGMA journal_mode = WAL")
        try configure(db)
        let lineage = UUID().uuidString.lowercased()
        try db.transaction(immediate: true) {
            try db.execute(Schema.version1)
            let insert = try db.prepare("INSERT INTO metadata (key, value) VALUES (?, ?)")
            try insert.run(.text("format_version"), .int(Int64(formatVersion)))
            try insert.run(.text("lineage"), .text(lineage))
            try insert.run(.text("serial"), .int(0))
            try insert.run(.text("created_at"), .int(now))
        }
        return lineage
    }

    /// Checks an existing file's format, migrates it when older; returns its lineage.
    private static func prepareExisting(_ db: SQLiteConnection, path: String, busyTimeout: Int32) throws -> String {
        // Read-only probes first: nothing is written before the format is known to be ours.
        let tables = try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'metadata'") ?? 0
        guard tables == 1 else { throw StateError.notAStateFile(path: path) }
        let read = try db.prepare("SELECT value FROM metadata WHERE key = ?")
        try read.bind(.text("format_version"))
        guard try read.step(), !read.isNull(0) else { throw StateError.notAStateFile(path: path) }
        let version = Int(read.int64(0))
        read.reset()
        try read.bind(.text("lineage"))
        guard try read.step(), let lineage = read.text(0) else { throw StateError.notAStateFile(path: path) }
        read.reset()

        if version > formatVersion { throw StateError.newerFormat(path: path, found: version, supported: formatVersion) }
        guard version >= 0 else { throw StateError.notAStateFile(path: path) }

        if version < formatVersion {
            let backup = try backUp(db, path: path, version: version)
            do {
                try db.transaction(immediate: true) {
                    for step in version..<formatVersion { try db.execute(Schema.migrations[step]) }
                    try db.prepare("UPDATE metadata SET value = ? WHERE key = 'format_version'").run(.int(Int64(formatVersion)))
                    try db.execute("UPDATE metadata SET value = value + 1 WHERE key = 'serial'")
                }
            } catch {
                throw StateError.migrationFailed(path: path, from: version, to: formatVersion, backup: backup, detail: "\(error)")
            }
        }
        try configure(db)
        // Back to WAL, should a bulk write have left the file with a rollback journal (see
        // `enterRollbackJournal`). While such a write still runs in another process the switch
        // is refused: this connection then reads in rollback mode, waiting (up to the busy
        // timeout) while that write holds the file.
        if try db.scalarText("PRAGMA journal_mode") != "wal" {
            if try !setJournalMode("wal", db, busyTimeout: busyTimeout) {
                try db.execute("PRAGMA synchronous = EXTRA")  // see `enterRollbackJournal`
            }
        }
        return lineage
    }

    /// Writes a consistent copy of the file to `PATH.vN.bak` (`.bak.2`, … when taken).
    private static func backUp(_ db: SQLiteConnection, path: String, version: Int) throws -> String {
        var backup = "\(path).v\(version).bak"
        var n = 2
        while FileManager.default.fileExists(atPath: backup) {
            backup = "\(path).v\(version).bak.\(n)"
            n += 1
        }
        try db.prepare("VACUUM INTO ?").run(.text(backup))
        chmod(backup, 0o600)
        return backup
    }

    private static func configure(_ db: SQLiteConnection) throws {
        // FULL: a committed journal step survives power loss, which the journal protocol needs.
        // journal_size_limit: after a checkpoint, cut the WAL back to 64 MiB rather than keep
        // the size of the largest transaction (a first apply of a million files) on disk.
        try db.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864")
    }

    // MARK: Access

    /// Runs `body` with the connection; maps SQLite errors to `StateError`.
    func read<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws(StateError) -> T {
        do {
            return try inner.withLock { inner in try body(inner.db) }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Runs `body` in one write transaction: checks and refreshes this store's lock first,
    /// adds 1 to the serial at the end, rolls everything back if anything throws. A `bulk`
    /// write (one that adds many pages) runs under a rollback journal when it can (see
    /// `enterRollbackJournal`).
    func write<T: Sendable>(bulk: Bool = false, _ body: (SQLiteConnection, Int64) throws -> T) throws(StateError) -> T {
        let now = options.now()
        return try heldTransaction(bulk: bulk) { db, held in
            try Self.touchLock(db, holder: held.holder, now: now, path: path)
            let result = try body(db, now)
            try db.execute("UPDATE metadata SET value = value + 1 WHERE key = 'serial'")
            return result
        }
    }

    /// Runs `body` in one immediate transaction while this store holds the lock; a lock found
    /// lost on the way is forgotten, so the next write says so instead of trying again.
    func heldTransaction<T: Sendable>(bulk: Bool = false, _ body: (SQLiteConnection, LockInfo) throws -> T) throws(StateError) -> T {
        do {
            return try inner.withLock { inner in
                guard let held = inner.held else { throw StateError.notLocked(path: path) }
                let db = inner.db
                let timeout = options.busyTimeoutMilliseconds
                if inner.leftInRollbackMode { inner.leftInRollbackMode = !Self.leaveRollbackJournal(db, busyTimeout: timeout) }
                // Only while the lock row is still this store's: a store that lost its lock
                // must not change the file's mode (its write will fail on the lock anyway).
                let journaled = try bulk && !inner.leftInRollbackMode
                    && db.scalarText("SELECT holder FROM lock WHERE id = 1") == held.holder
                    && Self.enterRollbackJournal(db, busyTimeout: timeout)
                defer { if journaled { inner.leftInRollbackMode = !Self.leaveRollbackJournal(db, busyTimeout: timeout) } }
                do {
                    return try db.transaction(immediate: true) { try body(db, held) }
                } catch StateError.lockLost(let path, let current) {
                    inner.held = nil
                    throw StateError.lockLost(path: path, current: current)
                }
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Switches the file from its WAL to a rollback journal for one large write; returns
    /// whether it did.
    ///
    /// In WAL mode every page a transaction writes goes to the WAL, and the checkpoint after
    /// the commit copies it again into the file: a first fill of a million files wrote 830 MB
    /// for a 415 MB file. A rollback journal keeps only the original content of pages that
    /// existed before the write (a new page needs none), and the pages go straight into the
    /// file: each is written once.
    ///
    /// As safe as the WAL: `synchronous = EXTRA` syncs the directory once the journal is
    /// deleted, so a commit cannot come undone after a power loss; a crash mid-write leaves a
    /// hot journal that SQLite rolls back on the next open.
    ///
    /// Leaving WAL mode needs the file to itself: while any other connection has it open, the
    /// switch is refused at once (no busy wait) and the write goes through the WAL as usual.
    /// Connections opened during the write read in rollback mode: they wait while the write
    /// holds the file (up to their busy timeout), and the write's commit waits for their reads.
    /// - Throws: an error of SQLite other than the file being busy.
    static func enterRollbackJournal(_ db: SQLiteConnection, busyTimeout: Int32) throws -> Bool {
        try db.execute("PRAGMA synchronous = EXTRA")
        let switched = try setJournalMode("delete", db, busyTimeout: busyTimeout)
        if !switched { try db.execute("PRAGMA synchronous = FULL") }
        return switched
    }

    /// Sets the file's journal mode without waiting for other connections (the busy timeout,
    /// `busyTimeout` again after, is 0 meanwhile); `false` when another connection's use of
    /// the file refused it.
    /// - Throws: an error of SQLite other than the file being busy.
    private static func setJournalMode(_ mode: String, _ db: SQLiteConnection, busyTimeout: Int32) throws(SQLiteError) -> Bool {
        db.setBusyTimeout(milliseconds: 0)
        defer { db.setBusyTimeout(milliseconds: busyTimeout) }
        do {
            return try db.scalarText("PRAGMA journal_mode = \(mode)") == mode
        } catch {
            if error.isBusy { return false }
            throw error
        }
    }

    /// Puts the file back in WAL mode after `enterRollbackJournal`; returns whether it did.
    /// A connection reading at that instant refuses it (no busy wait): the file then stays in
    /// rollback mode, as safe, until this store's next write or the next open tries again.
    static func leaveRollbackJournal(_ db: SQLiteConnection, busyTimeout: Int32) -> Bool {
        guard (try? setJournalMode("wal", db, busyTimeout: busyTimeout)) == true else { return false }
        return (try? db.execute("PRAGMA synchronous = FULL")) != nil
    }

    /// Any error met while working on the file at `path`, as the `StateError` a caller reads.
    static func stateError(_ error: any Error, path: String) -> StateError {
        switch error {
        case let error as StateError: error
        case let error as SQLiteError: mapped(error, path: path)
        default: .io(path: path, detail: "\(error)")
        }
    }

    /// The number of committed changes since the file was created.
    public func serial() throws(StateError) -> Int64 {
        try read { db in try db.scalarInt("SELECT value FROM metadata WHERE key = 'serial'") ?? 0 }
    }

    /// The format of the file (always `formatVersion` once open).
    public func storedFormatVersion() throws(StateError) -> Int {
        try read { db in Int(try db.scalarInt("SELECT value FROM metadata WHERE key = 'format_version'") ?? 0) }
    }

    // MARK: Environment defaults

    /// `kill(pid, 0)`: alive unless the process does not exist.
    public static let processIsAlive: @Sendable (Int32) -> Bool = { pid in
        if pid <= 0 { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }

    /// Unix seconds by the system clock.
    public static let systemNow: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// This process's id.
    public static var currentPID: Int32 { getpid() }

    /// This machine's host name.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, flags, mode)
    #else
    Darwin.open(path, flags, mode)
    #endif
}
