public import ArgumentParser
import Foundation
import SyncCore
import SyncEngine
import SyncYAML

/// `sbsync validate`: checks a manifest offline and prints what it declares.
public struct Validate: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Check a manifest without contacting the platform.",
        discussion: """
            Reads the manifest, reports every problem at once (file:line:column, the line, a caret) \
            and exits 1; or prints a one-line summary and exits 0. Volume prefixes are not listed: \
            plan and apply expand them.
            """
    )

    @OptionGroup public var manifestOption: PositionalManifest

    @OptionGroup public var output: OutputOptions

    public init() {}

    public var manifest: String { manifestOption.manifest }

    public func run() async throws {
        try await InternalFailure.guarding {
            try finish(execute(io: .standard, environment: ProcessInfo.processInfo.environment))
        }
    }

    /// Runs the command, writing through `io`; returns the exit code (0 valid, 1 not).
    public func execute(io: CommandIO, environment: [String: String]) -> Int32 {
        // The summary needs no merged metadata or tags; the JSON lists them.
        let check = ManifestLoader.check(path: manifest, detail: output.json ? .full : .addresses)
        if output.json {
            if check.isValid, let state = check.state {
                JSONOutput.desiredState(state, manifest: manifest, sources: check.sources, write: io.stdout)
                releaseInBackground(check)
                return ExitStatus.success.rawValue
            }
            io.diagnostics(check.diagnostics, manifest: manifest, json: true, color: false)
            return ExitStatus.error.rawValue
        }
        // Keep only what is printed, so a large state is freed before the source is read.
        let diagnostics = check.diagnostics
        let summary = check.isValid ? check.state?.summary : nil
        if diagnostics.isEmpty {
            releaseInBackground(check)
        }
        if !diagnostics.isEmpty {
            io.diagnostics(diagnostics, manifest: manifest, color: output.colored(2, environment))
        }
        guard let summary else { return ExitStatus.error.rawValue }
        io.stdout(Self.summary(summary, manifest: manifest) + "\n")
        return ExitStatus.success.rawValue
    }

    /// `sbsync.yaml: valid: 40 files (24 volume, 16 DRS) in 2 projects, 1 volume prefix not expanded offline`
    static func summary(_ s: DesiredState.Summary, manifest: String) -> String {
        var line = "\(manifest): valid: \(plural(s.files, "file")) (\(s.volumeFiles) volume, \(s.drsFiles) DRS)"
        line += " in \(plural(s.projects, "project"))"
        switch s.unexpandedPrefixes {
        case 0: line += ", no volume prefixes"
        case 1: line += ", 1 volume prefix not expanded offline"
        default: line += ", \(s.unexpandedPrefixes) volume prefixes not expanded offline"
        }
        return line
    }

    static func plural(_ n: Int, _ word: String) -> String {
        n == 1 ? "1 \(word)" : "\(n) \(word)s"
    }
}
