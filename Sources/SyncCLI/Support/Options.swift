public import ArgumentParser
import Foundation
import PlatformAPI
import SyncCore
import SyncState
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The options more than one command takes, declared once and shared through `@OptionGroup`.

/// `-f/--manifest`: the manifest a command works on.
public struct ManifestOption: ParsableArguments, Sendable {
    @Option(name: [.customShort("f"), .customLong("manifest")],
            help: ArgumentHelp("The manifest file (default: sbsync.yaml).", valueName: "path"))
    public var given: String?

    public init() {}

    /// The manifest: `-f`, else `sbsync.yaml`.
    public var manifest: String { given ?? "sbsync.yaml" }
}

/// `[MANIFEST]`, for the commands that take no other argument: the manifest may be given
/// positionally (`sbsync validate cohort.yaml`) or with `-f`, not both.
public struct PositionalManifest: ParsableArguments, Sendable {
    @OptionGroup public var option: ManifestOption

    @Argument(help: ArgumentHelp("The manifest file, instead of -f.", valueName: "manifest"))
    public var argument: String?

    public init() {}

    public var manifest: String { argument ?? option.manifest }

    public func validate() throws {
        if let argument, let given = option.given, argument != given {
            throw ValidationError("two manifests given: '\(argument)' and -f '\(given)'; give one")
        }
    }
}

/// `--state`: where the state is, when not in its default file beside the manifest: another
/// file, or a PostgreSQL workspace (`postgres://USER@HOST:PORT/DATABASE?workspace=NAME`).
public struct StatePathOption: ParsableArguments, Sendable {
    @Option(name: .customLong("state"), help: ArgumentHelp(
        "The state: a file (default: .sbsync/<manifest name>.state beside the manifest), or "
            + "postgres://USER@HOST:PORT/DATABASE?workspace=NAME (default workspace: the manifest's path in its repository). "
            + "Also SBSYNC_STATE.", valueName: "path-or-url"))
    public var state: String?

    public init() {}

    /// The state the user named for `manifest`: `--state`, else `SBSYNC_STATE`; a PostgreSQL
    /// URL without a workspace gets the default one. `nil` when neither is set.
    public func given(forManifest manifest: String, environment: [String: String]) -> String? {
        guard let given = state ?? environment["SBSYNC_STATE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return PostgresLocation.withDefaultWorkspace(given, workspace: StatePath.workspaceName(forManifest: manifest))
    }

    /// The state of `manifest`: as given (`--state`, `SBSYNC_STATE`), or the file beside it.
    public func path(forManifest manifest: String, environment: [String: String]) -> String {
        given(forManifest: manifest, environment: environment) ?? StatePath.defaultPath(forManifest: manifest)
    }

    /// `path(forManifest:environment:)` with this process's environment.
    public func path(forManifest manifest: String) -> String {
        path(forManifest: manifest, environment: ProcessInfo.processInfo.environment)
    }
}

/// `--endpoint` and `--profile`: how to reach the platform.
public struct PlatformOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp(
        "The platform API: a URL ending in /v2 or a short name (cgc, cavatica, bdc, sbg-us, sbg-eu).",
        valueName: "url-or-name"))
    public var endpoint: String?

    @Option(name: .long, help: ArgumentHelp("The profile of ~/.sevenbridges/credentials to use.", valueName: "name"))
    public var profile: String?

    public init() {}

    /// The configuration from these flags, the `SB_*` variables and the credentials file; its
    /// warnings (a credentials file others can read) are printed through `io`.
    func resolve(environment: [String: String], io: CommandIO) throws(PlatformConfigError) -> PlatformConfig {
        let resolution = try PlatformConfig.resolve(profile: profile, endpoint: endpoint, environment: environment)
        for warning in resolution.warnings { io.warning(warning) }
        return resolution.config
    }

    /// `resolve`, with a failure printed through `io`: `nil` means "exit with an error".
    func resolved(environment: [String: String], io: CommandIO) -> PlatformConfig? {
        do throws(PlatformConfigError) {
            return try resolve(environment: environment, io: io)
        } catch {
            io.error("\(shown: error)")
            return nil
        }
    }

    /// Whether the user named a platform on the command line (then missing credentials are an error).
    public var named: Bool { profile != nil || endpoint != nil }

    /// The client options of every command: each retry of a failed request is announced on
    /// standard error (`sbsync: attempt 1 of 3 to reach … failed (connection refused); …`), so no
    /// wait passes in silence.
    static func clientOptions(io: CommandIO) -> PlatformClientOptions {
        PlatformClientOptions(onRetry: { io.notice("\(shown: $0.description)") })
    }
}

/// When diagnostics and progress use colour.
public enum ColorMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, always, never

    /// Whether to colour output going to `fileDescriptor`: `always`, or `auto` on a terminal
    /// with `NO_COLOR` unset (or empty) and `TERM` not `dumb`.
    public func enabled(fileDescriptor: Int32, environment: [String: String]) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return isatty(fileDescriptor) == 1
        }
    }
}

/// `--json` and `--color`: how a command writes.
public struct OutputOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "Colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.")
    public var color: ColorMode = .auto

    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of text.")
    public var json = false

    public init() {}

    /// Whether to colour what goes to standard output (1) or standard error (2).
    public func colored(_ fileDescriptor: Int32, _ environment: [String: String]) -> Bool {
        color.enabled(fileDescriptor: fileDescriptor, environment: environment)
    }
}

/// `-f/--manifest` and `--state`, for the commands that work on a state.
struct StateOptions: ParsableArguments {
    @OptionGroup var manifestOption: ManifestOption
    @OptionGroup var stateOption: StatePathOption

    var manifest: String { manifestOption.manifest }

    /// The state file's path: `--state`, or the default beside the manifest.
    var path: String { stateOption.path(forManifest: manifest) }

    /// The state's location, `SBSYNC_STATE` read from `environment`.
    func path(environment: [String: String]) -> String { stateOption.path(forManifest: manifest, environment: environment) }

    /// Opens the existing state file.
    func open() throws(StateError) -> any StateBackend {
        try StateBackends.open(path)
    }
}

/// Parses `PROJECT:PATH` arguments, or says what is wrong with one.
func parseAddresses(_ arguments: [String]) throws -> [Address] {
    try arguments.map { text in
        guard let address = Address(text), address.project.contains("/") else {
            throw ValidationError("'\(text)' is not an address; write PROJECT:PATH, e.g. rfranklin/my-project:raw/s1_R1.fastq.gz")
        }
        return address
    }
}
