public import ArgumentParser
import SyncEngine

/// The `sbsync` root command. It only dispatches to subcommands.
///
/// To add a command, write an `AsyncParsableCommand` (or `ParsableCommand`) in its own file
/// and add its type to `subcommands` below; share flags through `OutputOptions`, report
/// input problems with `DiagnosticPrinter`, and wrap `run()` in `InternalFailure.guarding` so an
/// unexpected error is reported as our bug and Ctrl-C exits 130.
public struct SBSync: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sbsync",
        abstract: "Keep files in Seven Bridges platform projects in step with a YAML manifest.",
        discussion: """
            The manifest declares files to import from cloud-storage volumes and GA4GH DRS URIs. \
            Exit codes: \(ExitStatus.summary(ExitStatus.allCases)).
            """,
        version: SBSyncVersion.current,
        subcommands: [Validate.self, PlanCommand.self, ApplyCommand.self, RefreshCommand.self, StateCommand.self, ForceUnlockCommand.self]
    )

    public init() {}
}

/// The version `sbsync --version` prints.
public enum SBSyncVersion {
    public static let current = SBSyncBuild.version
}
