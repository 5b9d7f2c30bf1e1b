import Foundation
internal import PostgresNIO

/// The lock: a session advisory lock on this store's connection (the truth: it ends with the
/// session), and a row naming the holder (what the others are told).
extension PostgresStateStore {
    /// The two halves of the advisory lock key, as `pg_locks` shows them.
    private var keyHalves: (high: Int64, low: Int64) {
        let key = UInt64(bitPattern: location.lockKey)
        return (Int64(key >> 32), Int64(key & 0xffff_ffff))
    }

    /// Whether some session holds this workspace's advisory lock (`mine`: this store's session).
    private func advisoryLockHeld(mine: Bool) throws -> Bool {
        let (high, low) = keyHalves
        let row = try run("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                           AND classid::bigint = $1 AND objid::bigint = $2 AND ($3 = false OR pid = pg_backend_pid()))
            """, [.int(high), .int(low), .bool(mine)]).rows.first
        return try row?.makeRandomAccess()[0].decode(Bool.self) ?? false
    }

    @discardableResult
    public func acquireLock(operation: String) throws(StateError) -> LockInfo {
        let now = options.now()
        return try locked { inner in
            if let held = inner.held { return held }
            // Held by a session with no row yet (its holder writes the row right after taking the
            // lock) or no more (a holder being ended by force-unlock): ask again for a moment.
            var attempts = 0
            while try run("SELECT pg_try_advisory_lock($1)", [.int(location.lockKey)]).rows.first?.makeRandomAccess()[0].decode(Bool.self) != true {
                if let holder = try readLock() { throw StateError.locked(path: path, holder: holder) }
                attempts += 1
                guard attempts < 100 else {
                    throw StateError.locked(path: path, holder: LockInfo(holder: "unknown", pid: 0, host: "unknown",
                                                                         operation: "unknown", createdAt: now, heartbeatAt: now))
                }
                usleep(20_000)
            }
            do {
                // A pooler in transaction mode hands each statement to any server session: the
                // lock just taken is then not this session's, and would protect nothing.
                guard try advisoryLockHeld(mine: true) else {
                    throw StateError.io(path: path, detail: "the connection does not keep its session (a pooler in transaction mode, "
                        + "such as PgBouncer with pool_mode = transaction?); sbsync's lock needs a session: connect to PostgreSQL "
                        + "directly, or through a pool in session mode")
                }
                let mine = LockInfo(holder: UUID().uuidString.lowercased(), pid: options.pid, host: options.host,
                                    operation: operation, createdAt: now, heartbeatAt: now, machine: options.machine)
                _ = try run("BEGIN")
                do {
                    let row = try run("SELECT lineage, serial FROM sbsync_workspaces WHERE id = $1 FOR UPDATE", [.int(workspaceID)]).rows.first
                    guard let cells = row?.makeRandomAccess() else { throw StateError.notFound(path: path) }
                    guard try cells[0].decode(String.self) == lineage else {
                        throw StateError.io(path: path, detail: "the workspace was replaced since it was opened; run the command again")
                    }
                    inner.serial = try cells[1].decode(Int64.self)
                    // A row left by a holder whose session ended is stale: the advisory lock is ours.
                    _ = try run("DELETE FROM sbsync_locks WHERE workspace_id = $1", [.int(workspaceID)])
                    _ = try run("""
                        INSERT INTO sbsync_locks (workspace_id, holder, pid, host, operation, created_at, heartbeat_at, machine, backend_pid)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_backend_pid())
                        """, [.int(workspaceID), .text(mine.holder), .int(Int64(mine.pid)), .text(mine.host), .text(mine.operation),
                              .int(mine.createdAt), .int(mine.heartbeatAt), .text(mine.machine)])
                    _ = try run("COMMIT")
                } catch {
                    _ = try? run("ROLLBACK")
                    throw error
                }
                inner.held = mine
                return mine
            } catch {
                _ = try? run("SELECT pg_advisory_unlock($1)", [.int(location.lockKey)])
                throw error
            }
        }
    }

    public func refreshLock() throws(StateError) {
        let now = options.now()
        try locked { inner in
            guard let held = inner.held else { throw StateError.notLocked(path: path) }
            let touched = try run("UPDATE sbsync_locks SET heartbeat_at = greatest(heartbeat_at, $1) WHERE workspace_id = $2 AND holder = $3",
                                  [.int(now), .int(workspaceID), .text(held.holder)])
            guard touched.metadata.rows == 1, try advisoryLockHeld(mine: true) else {
                inner.held = nil
                throw StateError.lockLost(path: path, current: try readLock())
            }
        }
    }

    public func releaseLock() throws(StateError) {
        try locked { inner in
            guard let held = inner.held else { return }
            _ = try run("DELETE FROM sbsync_locks WHERE workspace_id = $1 AND holder = $2", [.int(workspaceID), .text(held.holder)])
            _ = try run("SELECT pg_advisory_unlock($1)", [.int(location.lockKey)])
            inner.held = nil
        }
    }

    public var heldLock: LockInfo? { inner.withLock { $0.held } }

    public func currentLock() throws(StateError) -> LockInfo? {
        try locked { _ in try readLock() }
    }

    /// Expired when no session holds the workspace's advisory lock any more (the holder's
    /// process or connection is gone), whatever its row says.
    public func isExpired(_ lock: LockInfo) -> Bool {
        (try? locked { _ in try !advisoryLockHeld(mine: false) }) ?? false
    }

    /// Removes the lock row of `holderID` and ends the holder's server session if it is still
    /// there (`pg_terminate_backend`: its apply stops at its next write, as on a lost connection).
    @discardableResult
    public func forceUnlock(holderID: String) throws(StateError) -> LockInfo {
        try locked { inner in
            guard let current = try readLock() else { throw StateError.noLock(path: path) }
            guard current.holder.lowercased() == holderID.lowercased() else {
                throw StateError.lockIDMismatch(path: path, given: holderID, holder: current)
            }
            if inner.held?.holder == current.holder {
                _ = try run("SELECT pg_advisory_unlock($1)", [.int(location.lockKey)])
                inner.held = nil
            } else {
                let (high, low) = keyHalves
                _ = try run("""
                    SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                    AND classid::bigint = $1 AND objid::bigint = $2 AND pid <> pg_backend_pid()
                    """, [.int(high), .int(low)])
            }
            _ = try run("DELETE FROM sbsync_locks WHERE workspace_id = $1 AND holder = $2", [.int(workspaceID), .text(current.holder)])
            return current
        }
    }

    func readLock() throws -> LockInfo? {
        let row = try run("SELECT holder, pid, host, operation, created_at, heartbeat_at, machine FROM sbsync_locks WHERE workspace_id = $1",
                          [.int(workspaceID)]).rows.first
        guard let cells = row?.makeRandomAccess() else { return nil }
        return LockInfo(holder: try cells[0].decode(String.self), pid: Int32(truncatingIfNeeded: try cells[1].decode(Int.self)),
                        host: try cells[2].decode(String.self), operation: try cells[3].decode(String.self),
                        createdAt: try cells[4].decode(Int64.self), heartbeatAt: try cells[5].decode(Int64.self),
                        machine: try cells[6].decode(String.self))
    }
}
