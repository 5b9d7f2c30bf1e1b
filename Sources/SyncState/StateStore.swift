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
/// Reads need no lock. Every write of the records runs in one transaction that first checks
/// this store holds the lock (refreshing its heartbeat) and ends by adding 1 to the serial, so a
/// write either lands whole or not at all. (The one other write, `leaveInSyncNote`, is a note
/// beside the records that names the serial it stands for.)
///
/// Calls are synchronous and short (one transaction each); the connection sits behind a mutex,
/// so one store may be shared between tasks. From async code, call it directly for small writes;
/// `loadAllFiles()` on a large state takes a fraction of a second.
public final class StateStore: Sendable {
    /// The format this sbsync writes. Older files are migrated on open; newer ones refused.
    public static let formatVersion = 2

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
    }

    /// Injectable environment: clock, process probe, identity, timeouts.
    public struct Options: Sendable {
        /// Unix seconds now.
        public var now: @Sendable () -> Int64
        /// A lock whose heartbeat is older than this many seconds is expired.
        public var lockTTL: Int64
        /// Whether a process on this host is alive (the default probes with `kill(pid, 0)`).
        public var processIsAlive: @Sendable (Int32) -> Bool
        /// This process's id, host name and machine identity, recorded in the lock.
        public var pid: Int32
        public var host: String
        public var machine: String
        /// How long to wait for another connection's write transaction, in milliseconds.
        public var busyTimeoutMilliseconds: Int32

        public init(now: @escaping @Sendable () -> Int64 = StateStore.systemNow,
                    lockTTL: Int64 = 120,
                    processIsAlive: @escaping @Sendable (Int32) -> Bool = StateStore.processIsAlive,
                    pid: Int32 = StateStore.currentPID,
                    host: String = StateStore.hostName,
                    machine: String = StateStore.machineIdentity,
                    busyTimeoutMilliseconds: Int32 = 10_000) {
            self.now = now
            self.lockTTL = lockTTL
            self.processIsAlive = processIsAlive
            self.pid = pid
            self.host = host
            self.machine = machine
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }

    private init(path: String, lineage: String, options: Options, db: sending SQLiteConnection) {
        self.path = path
        self.lineage = lineage
        self.options = options
        self.inner = Mutex(Inner(db: db, held: nil))
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
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw .io(path: path, detail: String(cString: strerror(errno))) }
            guard create else { throw .notFound(path: path) }
            try createComplete(path, options: options)
            guard stat(path, &info) == 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
        }
        guard (info.st_mode & 0o170000) == 0o100000 else { throw .io(path: path, detail: "not a regular file") }
        try checkHeader(path: path, size: Int64(info.st_size))
        try checkCompanions(path: path)

        let db: SQLiteConnection
        do throws(SQLiteError) {
            db = try SQLiteConnection(path: path, create: false)
        } catch {
            throw mapped(error, path: path)
        }
        db.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)

        do {
            let lineage = try prepareExisting(db, path: path)
            return StateStore(path: path, lineage: lineage, options: options, db: db)
        } catch {
            throw stateError(error, path: path)
        }
    }

    /// Creates a complete, empty state at `path` atomically: it is built under a temporary name
    /// beside it and linked into place only once whole, so a process killed on the way leaves
    /// no half-made file at `path` (at worst a `PATH.creating-*` file nothing reads). When
    /// another process created `path` meanwhile, theirs is kept.
    private static func createComplete(_ path: String, options: Options) throws(StateError) {
        let temporary = "\(path).creating-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        try createEmptyFile(temporary)
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
        }
        do {
            // The connection is closed (its WAL checkpointed into the file) at the end of this block.
            let db = try SQLiteConnection(path: temporary, create: false)
            db.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)
            _ = try initialize(db, now: options.now())
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            throw stateError(error, path: path)
        }
        // link(2) never replaces an existing file: of two processes creating at once, one wins.
        // Where hard links are not supported, rename(2) (which would replace a file made meanwhile).
        if link(temporary, path) != 0, errno != EEXIST {
            guard errno == EPERM || errno == ENOTSUP, rename(temporary, path) == 0 else {
                throw .io(path: path, detail: "cannot create: \(String(cString: strerror(errno)))")
            }
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
        // A WAL can hold what the file lacks: SQLite restores it on open.
        let walExists = FileManager.default.fileExists(atPath: path + "-wal")
        if counterValid, !walExists, pageCount > 0, size < pageCount * pageSize {
            throw .damaged(path: path, detail: "truncated: \(size) bytes where the header says \(pageCount * pageSize)")
        }
    }

    /// Refuses a state whose WAL index (`-shm`) cannot be written, with what to do: SQLite
    /// would fail on it with a message that names neither the file nor the fix.
    /// - Parameter isWritable: the access probe (tests inject one: root may write anything).
    static func checkCompanions(path: String, isWritable: (String) -> Bool = { access($0, W_OK) == 0 }) throws(StateError) {
        let shm = path + "-shm"
        guard FileManager.default.fileExists(atPath: shm), !isWritable(shm) else { return }
        throw .io(path: path, detail: "its shared-memory file '\(shm)' cannot be written; if no sbsync (or other program) "
            + "has this state open, delete that file ('rm \(shm)': it holds nothing the state file lacks, unlike the '-wal' "
            + "file, which must stay) and run the command again")
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
            try db.execute(Schema.current)
            let insert = try db.prepare("INSERT INTO metadata (key, value) VALUES (?, ?)")
            try insert.run(.text("format_version"), .int(Int64(formatVersion)))
            try insert.run(.text("lineage"), .text(lineage))
            try insert.run(.text("serial"), .int(0))
            try insert.run(.text("created_at"), .int(now))
        }
        return lineage
    }

    /// Checks an existing file's format, migrates it when older; returns its lineage.
    private static func prepareExisting(_ db: SQLiteConnection, path: String) throws -> String {
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
                    for step in version..<formatVersion {
                        try db.execute(Schema.migrations[step])
                        if step == 1 { try fillChecksums(db) }
                    }
                    try db.prepare("UPDATE metadata SET value = ? WHERE key = 'format_version'").run(.int(Int64(formatVersion)))
                    try db.execute("UPDATE metadata SET value = value + 1 WHERE key = 'serial'")
                }
            } catch {
                throw StateError.migrationFailed(path: path, from: version, to: formatVersion, backup: backup, detail: "\(error)")
            }
        }
        try configure(db)
        // Always WAL (a file written by sbsync 0.1's bulk path may have been left in rollback mode).
        if try db.scalarText("PRAGMA journal_mode") != "wal" { try db.execute("PRAGMA journal_mode = WAL") }
        return lineage
    }

    /// Sums every row of `files` and `folders` (the migration to format 2).
    private static func fillChecksums(_ db: SQLiteConnection) throws {
        for (table, columns, key) in [("files", fileColumns, "project, path"), ("folders", folderColumns, "project, path")] {
            let count = Int32(columns.split(separator: ",").count - 1)
            let select = try db.prepare("SELECT \(columns) FROM \(table)")
            defer { select.reset() }
            var sums: [(Int64, String, String)] = []
            while try select.step() {
                sums.append((RowChecksum.of(select, columns: count), select.text(0) ?? "", select.text(1) ?? ""))
            }
            let update = try db.prepare("UPDATE \(table) SET checksum = ? WHERE (\(key)) = (?, ?)")
            for (sum, project, path) in sums { try update.run(.int(sum), .text(project), .text(path)) }
        }
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
    /// adds 1 to the serial at the end, rolls everything back if anything throws.
    func write<T: Sendable>(_ body: (SQLiteConnection, Int64) throws -> T) throws(StateError) -> T {
        let now = options.now()
        return try heldTransaction { db, held in
            try Self.touchLock(db, holder: held.holder, now: now, path: path)
            let result = try body(db, now)
            try db.execute("UPDATE metadata SET value = value + 1 WHERE key = 'serial'")
            return result
        }
    }

    /// Runs `body` in one immediate transaction while this store holds the lock; a lock found
    /// lost on the way is forgotten, so the next write says so instead of trying again.
    func heldTransaction<T: Sendable>(_ body: (SQLiteConnection, LockInfo) throws -> T) throws(StateError) -> T {
        do {
            return try inner.withLock { inner in
                guard let held = inner.held else { throw StateError.notLocked(path: path) }
                let db = inner.db
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

    public func inSyncNote() throws(StateError) -> (note: String?, serial: Int64) {
        try read { db in
            // One statement: the note and the serial from one snapshot.
            let select = try db.prepare("SELECT key, value FROM metadata WHERE key IN ('serial', 'in_sync')")
            defer { select.reset() }
            var note: String?, serial: Int64 = 0
            while try select.step() {
                if select.text(0) == "serial" { serial = select.int64(1) } else { note = select.text(1) }
            }
            return (note, serial)
        }
    }

    @discardableResult
    public func leaveInSyncNote(_ note: String, lineage: String, serial: Int64) throws(StateError) -> Bool {
        // The connection's own transaction, outside `write`: no lock, no serial (see the protocol).
        try read { db in
            // A note is not worth waiting for: an apply's write goes first.
            db.setBusyTimeout(milliseconds: 250)
            defer { db.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds) }
            return try db.transaction(immediate: true) {
                guard try db.scalarInt("SELECT value FROM metadata WHERE key = 'serial'") == serial,
                      try db.scalarText("SELECT value FROM metadata WHERE key = 'lineage'") == lineage else { return false }
                try db.prepare("INSERT OR REPLACE INTO metadata (key, value) VALUES ('in_sync', ?)").run(.text(note))
                return true
            }
        }
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

    /// This boot of this machine and this process's PID namespace:
    /// `/proc/sys/kernel/random/boot_id` and the `/proc/self/ns/pid` link. Two processes with
    /// the same host name (containers, a restarted machine) but another identity cannot probe
    /// each other's pids. Empty where `/proc` has neither.
    public static let machineIdentity: String = {
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? ""
        return boot.isEmpty && namespace.isEmpty ? "" : "boot \(boot), \(namespace)"
    }()

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
