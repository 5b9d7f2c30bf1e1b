import ArgumentParser
import Foundation
import SyncCore

/// Where a command writes: standard output and standard error, swappable in tests.
public struct CommandIO: Sendable {
    public var stdout: @Sendable (String) -> Void
    public var stderr: @Sendable (String) -> Void

    public init(stdout: @escaping @Sendable (String) -> Void, stderr: @escaping @Sendable (String) -> Void) {
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The process's own standard output and error.
    public static let standard = CommandIO(
        stdout: { FileHandle.standardOutput.write(Data($0.utf8)) },
        stderr: { FileHandle.standardError.write(Data($0.utf8)) }
    )
}

/// Unexpected failures: our bug, not the user's input. Says so and asks for a report.
public enum InternalFailure {
    /// Runs a command's body. `ExitCode`, `CleanExit` and `ValidationError` pass through;
    /// `CancellationError` (Ctrl-C) becomes exit 130; anything else is reported as a bug (exit 1).
    public static func guarding(io: CommandIO = .standard, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error where error is ExitCode || error is CleanExit || error is ValidationError {
            throw error
        } catch is CancellationError {
            throw ExitCode(130)
        } catch {
            io.stderr(message(for: error))
            throw ExitCode.failure
        }
    }

    /// The message printed for an error nobody expected.
    public static func message(for error: any Error) -> String {
        "sbsync: internal error: \(shown: error)\nThis is a bug in sbsync, not a problem with your input. "
            + "Please report it with the command you ran and sbsync --version (\(SBSyncVersion.current)).\n"
    }
}

/// Hands `value` to a background thread to be freed there. A million-entry manifest and its
/// state are millions of small allocations, which take a noticeable time to free; the command
/// need not wait for that before it prints and exits (the process may end first, freeing all).
func releaseInBackground(_ value: some Sendable) {
    DispatchQueue.global(qos: .utility).async { withExtendedLifetime(value) {} }
}
