import ArgumentParser
import Foundation
import PlatformAPI
import SyncCore
import SyncState
import SyncYAML

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

// Every message a person reads about a problem goes through these: one voice, one prefix.
extension CommandIO {
    /// `sbsync: error: MESSAGE`, then `hint: HINT` when there is one, on standard error.
    func error(_ message: String, hint: String? = nil) {
        stderr("sbsync: error: \(message)\n" + (hint.map { "hint: \($0)\n" } ?? ""))
    }

    /// `sbsync: warning: MESSAGE` on standard error.
    func warning(_ message: String) {
        stderr("sbsync: warning: \(message)\n")
    }

    /// `sbsync: MESSAGE` on standard error: what the tool is doing, not a problem.
    func notice(_ message: String) {
        stderr("sbsync: \(message)\n")
    }

    /// A platform error met while doing `context` (e.g. "cannot list the manifest's volume
    /// prefixes"), with its hint and `more` after it. An endpoint that cannot be reached is
    /// reported in its own one sentence, which names the endpoint and the cause.
    func error(_ error: PlatformError, context: String?, more: String? = nil) {
        let hint = [error.hint, more].compactMap { $0 }.joined(separator: "\n")
        if case .cannotConnect = error {
            self.error("\(shown: error)", hint: hint.isEmpty ? nil : hint)
        } else {
            self.error((context.map { $0 + ": " } ?? "") + "\(shown: error)", hint: hint.isEmpty ? nil : hint)
        }
    }

    /// Reports `error` and returns its status: `.locked` when another run holds the state, else `.error`.
    func fail(_ error: StateError) -> Int32 {
        self.error("\(shown: error)")
        return Self.status(for: error).rawValue
    }

    /// `.locked` for a lock held by someone else (DESIGN.md "Exit codes"), `.error` for anything else.
    static func status(for error: StateError) -> ExitStatus {
        if case .locked = error { return .locked }
        return .error
    }

    /// Prints manifest problems compiler-style (with the source line and a caret) on standard
    /// error, or as the JSON document of `validate --json` on standard output.
    func diagnostics(_ diagnostics: [Diagnostic], manifest: String, json: Bool = false, color: Bool) {
        if json {
            stdout(JSONOutput.diagnostics(diagnostics, manifest: manifest))
        } else {
            // Tables and included files are named by paths a reader can open from here.
            DiagnosticPrinter(useColor: color).write(
                diagnostics, linesByFile: DiagnosticPrinter.linesByFile(for: diagnostics) { $0 }, to: stderr)
        }
    }
}

/// Ends a command's `run()` with `status` (nothing to do for success).
func finish(_ status: Int32) throws {
    if status != ExitStatus.success.rawValue { throw ExitCode(status) }
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
            throw ExitStatus.interrupted.exitCode
        } catch {
            io.stderr(message(for: error))
            throw ExitStatus.error.exitCode
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
