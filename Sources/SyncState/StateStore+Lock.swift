import Foundation

/// The lock: one row that names the writer. It expires when its heartbeat is older than
/// `Options.lockTTL`, or at once when its process is gone from this host.
extension StateStore {
    /// Takes the lock for `operation` (e.g. `apply`), taking over an expired one.
    /// - Returns: the lock now held.
    /// - Throws: `StateError.locked` with the holder's details when another live holder has it.
    @discardableResult
    public func acquireLock(operation: String) throws(StateError) -> LockInfo {
        let now = options.now()
        do {
            return try inner.withLock { inner in
                if let held = inner.held { return held }
                let db = inner.db
                let mine = LockInfo(holder: UUID().uuidString.lowercased(), pid: options.pid, host: options.host,
                                    operation: operation, createdAt: now, heartbeatAt: now, machine: options.machine)
                try db.transaction(immediate: true) {
                    if let current = try Self.readLock(db), !isExpired(current, now: now) {
                        throw StateError.locked(path: path, holder: current)
                    }
                    try db.execute("DELETE FROM lock")
                    try db.prepare("""
                        INSERT INTO lock (id, holder, pid, host, operation, created_at, heartbeat_at, machine)
                        VALUES (1, ?, ?, ?, ?, ?, ?, ?)
                        """).run(.text(mine.holder), .int(Int64(mine.pid)), .text(mine.host), .text(mine.operation),
                                 .int(mine.createdAt), .int(mine.heartbeatAt), .text(mine.machine))
                }
                inner.held = mine
                return mine
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Refreshes the heartbeat of the lock this store holds. Call it more often than the TTL
    /// (every write refreshes it too).
    /// - Throws: `StateError.lockLost` when the lock was removed or taken meanwhile.
    public func refreshLock() throws(StateError) {
        let now = options.now()
        try heldTransaction { db, held in
            try Self.touchLock(db, holder: held.holder, now: now, path: path)
        }
    }

    /// Releases the lock this store holds; does nothing when it holds none.
    /// A lock that someone else has taken meanwhile is left alone.
    public func releaseLock() throws(StateError) {
        do {
            try inner.withLock { inner in
                guard let held = inner.held else { return }
                try inner.db.prepare("DELETE FROM lock WHERE holder = ?").run(.text(held.holder))
                inner.held = nil
            }
        } catch let error as SQLiteError {
            throw Self.mapped(error, path: path)
        } catch {
            throw .io(path: path, detail: "\(error)")
        }
    }

    /// The lock this store holds, if any.
    public var heldLock: LockInfo? { inner.withLock { $0.held } }

    /// The lock row as stored, whoever holds it; `nil` when unlocked.
    public func currentLock() throws(StateError) -> LockInfo? {
        try read { db in try Self.readLock(db) }
    }

    /// Whether `lock` has expired: its heartbeat is older than the TTL, or it was taken on this
    /// host, in this boot and PID namespace, by a process that no longer exists.
    public func isExpired(_ lock: LockInfo) -> Bool {
        isExpired(lock, now: options.now())
    }

    func isExpired(_ lock: LockInfo, now: Int64) -> Bool {
        if now - lock.heartbeatAt > options.lockTTL { return true }
        // A pid can only be probed on the host, boot and PID namespace that recorded it (a lock
        // of an sbsync before format 2 names no machine: its host name is all there is).
        let sameMachine = lock.machine.isEmpty || lock.machine == options.machine
        return lock.host == options.host && sameMachine && !options.processIsAlive(lock.pid)
    }

    /// Removes the lock whose holder id is `holderID`, whoever holds it.
    /// - Returns: the lock that was removed, for the caller to show.
    /// - Throws: `StateError.noLock` when unlocked; `.lockIDMismatch` when another lock is held.
    @discardableResult
    public func forceUnlock(holderID: String) throws(StateError) -> LockInfo {
        do {
            return try inner.withLock { inner in
                let db = inner.db
                let removed = try db.transaction(immediate: true) { () throws -> LockInfo in
                    guard let current = try Self.readLock(db) else { throw StateError.noLock(path: path) }
                    guard current.holder.lowercased() == holderID.lowercased() else {
                        throw StateError.lockIDMismatch(path: path, given: holderID, holder: current)
                    }
                    try db.prepare("DELETE FROM lock WHERE holder = ?").run(.text(current.holder))
                    return current
                }
                if inner.held?.holder == removed.holder { inner.held = nil }
                return removed
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    // MARK: Helpers

    static func readLock(_ db: SQLiteConnection) throws -> LockInfo? {
        let statement = try db.prepare("SELECT holder, pid, host, operation, created_at, heartbeat_at, machine FROM lock WHERE id = 1")
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return LockInfo(holder: statement.text(0) ?? "", pid: Int32(truncatingIfNeeded: statement.int64(1)),
                        host: statement.text(2) ?? "", operation: statement.text(3) ?? "",
                        createdAt: statement.int64(4), heartbeatAt: statement.int64(5), machine: statement.text(6) ?? "")
    }

    /// Refreshes the heartbeat of `holder`'s lock; throws `lockLost` when it is not the lock row.
    static func touchLock(_ db: SQLiteConnection, holder: String, now: Int64, path: String) throws {
        try db.prepare("UPDATE lock SET heartbeat_at = max(heartbeat_at, ?) WHERE id = 1 AND holder = ?").run(.int(now), .text(holder))
        if db.changes != 1 {
            throw StateError.lockLost(path: path, current: try readLock(db))
        }
    }
}
