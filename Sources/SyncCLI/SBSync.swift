public import ArgumentParser

/// The `sbsync` root command. It only dispatches to subcommands.
///
/// To add a command, write an `AsyncParsableCommand` (or `ParsableCommand`) in its own file
/// and add its type to `subcommands` below; share flags through `OutputOptions` and report
/// input problems with `DiagnosticPrinter`, unexpected failures with `InternalFailure`.
public struct SBSync: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sbsync",
        abstract: "Keep files in Seven Bridges platform projects in step with a YAML manifest.",
        discussion: """
            The manifest declares files to import from cloud-storage volumes and GA4GH DRS URIs. \
            Exit codes: 0 success, 1 error, 64 usage.
            """,
        version: SBSyncVersion.current,
        subcommands: [Validate.self]
    )

    public init() {}

    /// Parses the command line and runs the chosen command.
    ///
    /// Usage errors exit 64 with help; `ExitCode` passes through; Ctrl-C (`CancellationError`)
    /// exits 130; any other error is our bug, reported as such (exit 1).
    public static func main() async {
        let command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let error where error is ExitCode || error is CleanExit || error is ValidationError {
            exit(withError: error)
        } catch is CancellationError {
            exit(withError: ExitCode(130))
        } catch {
            CommandIO.standard.stderr(InternalFailure.message(for: error))
            exit(withError: ExitCode.failure)
        }
    }
}

/// The version `sbsync --version` prints.
public enum SBSyncVersion {
    public static let current = "0.1.0"
}
