public import ArgumentParser

/// The exit codes of every command (DESIGN.md "Exit codes"); the raw value is the code.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success; for plan, also "no changes".
    case success = 0
    /// An error: bad input, unreachable platform, unreadable state.
    case error = 1
    /// `plan --detailed-exitcode`: the plan has changes.
    case changesPending = 2
    /// `apply` finished, but some items failed.
    case failedItems = 3
    /// The saved plan given to `apply` no longer fits the manifest or the state.
    case stalePlan = 4
    /// Another run holds the state's lock.
    case locked = 5
    /// The command line is wrong.
    case usage = 64
    /// Interrupted (Ctrl-C).
    case interrupted = 130

    /// The `ExitCode` swift-argument-parser ends the process with.
    public var exitCode: ExitCode { ExitCode(rawValue) }

    /// One line for help texts: `0 success, 1 error, …`.
    public static func summary(_ statuses: [ExitStatus]) -> String {
        statuses.map { "\($0.rawValue) \($0.phrase)" }.joined(separator: ", ")
    }

    var phrase: String {
        switch self {
        case .success: "success"
        case .error: "error"
        case .changesPending: "changes pending (plan --detailed-exitcode)"
        case .failedItems: "apply finished with failed items"
        case .stalePlan: "saved plan is stale"
        case .locked: "state locked"
        case .usage: "usage"
        case .interrupted: "interrupted"
        }
    }
}
