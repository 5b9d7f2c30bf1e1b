public import ArgumentParser
import SyncState

/// `sbsync force-unlock ID`: removes a lock whose holder is gone.
public struct ForceUnlockCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "force-unlock",
        abstract: "Remove the state's lock, after showing who holds it.",
        discussion: """
            Use it only when the run holding the lock is gone (a lock also expires by itself \
            when its process has exited on this host, or 2 minutes after its last heartbeat). \
            The ID is the lock id printed by the run that found the state locked; the lock is \
            removed only if it still has that id. A run whose lock is removed stops before its \
            next write.
            """)

    @OptionGroup var options: StateOptions

    @Argument(help: ArgumentHelp("The lock id to remove, as printed in the 'state file is locked' message.", valueName: "id"))
    var id: String

    public init() {}

    public func run() throws {
        try finish(execute(io: .standard))
    }

    func execute(io: CommandIO) -> Int32 {
        do throws(StateError) {
            let store = try options.open()
            guard let current = try store.currentLock() else { throw StateError.noLock(path: store.path) }
            io.stdout("state '\(store.path)' is locked:\n" + LockInfoFormat.describe(current, expired: store.isExpired(current)))
            let removed = try store.forceUnlock(holderID: id)
            io.stdout("removed lock \(removed.holder)\n")
            return ExitStatus.success.rawValue
        } catch {
            return io.fail(error)
        }
    }
}
