import Foundation

/// Everything that can go wrong with a state file, worded for the person who has to fix it.
public enum StateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No state file at `path` and the caller asked not to create one.
    case notFound(path: String)
    /// The file was written by a newer sbsync; it is left untouched.
    case newerFormat(path: String, found: Int, supported: Int)
    /// The file is damaged or is not a SQLite database; it is left untouched.
    case damaged(path: String, detail: String)
    /// A SQLite database, but not an sbsync state file; it is left untouched.
    case notAStateFile(path: String)
    /// Another live process holds the lock.
    case locked(path: String, holder: LockInfo)
    /// A write was attempted without holding the lock.
    case notLocked(path: String)
    /// This process held the lock, but someone removed or took it (`force-unlock`).
    case lockLost(path: String, current: LockInfo?)
    /// `force-unlock ID` named a lock that is not the one held.
    case lockIDMismatch(path: String, given: String, holder: LockInfo)
    /// `force-unlock` on a state that is not locked.
    case noLock(path: String)
    /// Upgrading an older state file failed; the file is as it was and a backup exists.
    case migrationFailed(path: String, from: Int, to: Int, backup: String, detail: String)
    /// A journal call that does not fit the batch's life cycle (an sbsync bug).
    case journal(String)
    /// A value that cannot be stored (an sbsync bug or a caller's mistake).
    case invalidValue(String)
    /// Any other failure of the file or of SQLite.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no state file at '\(path)'; run 'sbsync apply' to create one, or pass --state with the right path"
        case .newerFormat(let path, let found, let supported):
            return "state file '\(path)' was written by a newer sbsync (format \(found); this sbsync reads up to format \(supported)); upgrade sbsync. The file was not changed."
        case .damaged(let path, let detail):
            return "state file '\(path)' is damaged (\(detail)); it was not changed. Restore it from a backup (a '\(path).v*.bak' copy beside it, or your own). "
                + "Do not simply move it aside: a new state knows no file, so apply would import every file again, "
                + "as a second copy under 'conflict: rename' and replacing the file (and its metadata edited on the platform) under 'overwrite'. "
                + "If there is no backup, make the first apply on a new state use 'conflict: skip' (set it in the manifest's defaults): "
                + "files already on the platform are then skipped, not duplicated"
        case .notAStateFile(let path):
            return "'\(path)' is not an sbsync state file; it was not changed. Pass --state with the path of a state file, or a path where none exists yet"
        case .locked(let path, let holder):
            return "state file '\(path)' is locked: \(holder). Wait for it to finish; if that process is gone, run 'sbsync force-unlock \(holder.holder)'"
        case .notLocked(let path):
            return "internal error: write to state file '\(path)' without holding its lock; please report this bug"
        case .lockLost(let path, let current):
            let now = current.map { " It is now held: \($0)." } ?? ""
            return "lost the lock on state file '\(path)': it was removed (force-unlock?) while this run held it.\(now) Stopping before writing anything more"
        case .lockIDMismatch(let path, let given, let holder):
            return "state file '\(path)' is locked by '\(holder.holder)', not '\(given)': \(holder). Nothing was changed"
        case .noLock(let path):
            return "state file '\(path)' is not locked; nothing to unlock"
        case .migrationFailed(let path, let from, let to, let backup, let detail):
            return "could not upgrade state file '\(path)' from format \(from) to \(to) (\(detail)); the file was left as it was and a copy is at '\(backup)'"
        case .journal(let message):
            return "internal error in the bulk-job journal: \(message); please report this bug"
        case .invalidValue(let message):
            return "cannot store \(message)"
        case .io(let path, let detail):
            return "state file '\(path)': \(detail)"
        }
    }
}

/// Who holds a state file's lock.
public struct LockInfo: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A UUID naming this hold; `force-unlock` takes it.
    public var holder: String
    public var pid: Int32
    public var host: String
    /// What the holder is doing, e.g. `apply` or `state rm`.
    public var operation: String
    /// Unix seconds.
    public var createdAt: Int64
    /// Unix seconds of the last sign of life.
    public var heartbeatAt: Int64
    /// The holder's boot id and PID namespace (`StateStore.machineIdentity`); empty in a lock
    /// taken by an sbsync before format 2. A pid means something only within both.
    public var machine: String

    public init(holder: String, pid: Int32, host: String, operation: String, createdAt: Int64, heartbeatAt: Int64,
                machine: String = "") {
        self.holder = holder
        self.pid = pid
        self.host = host
        self.operation = operation
        self.createdAt = createdAt
        self.heartbeatAt = heartbeatAt
        self.machine = machine
    }

    public var description: String {
        "lock \(holder) held by '\(operation)' (pid \(pid) on host '\(host)') since \(Self.timestamp(createdAt)), last heartbeat \(Self.timestamp(heartbeatAt))"
    }

    static func timestamp(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }
}
