public import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// Output flags shared by commands.
public struct OutputOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "Colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always, never.")
    public var color: ColorMode = .auto

    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of text.")
    public var json = false

    public init() {}
}
