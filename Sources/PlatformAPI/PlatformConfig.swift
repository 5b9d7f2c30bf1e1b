internal import Foundation

/// Where to reach the platform and with which token, resolved the way the platform's own tools
/// (sevenbridges-python, sevenbridges2, the Java client) resolve it, plus sbsync's `--endpoint`.
///
/// Resolution (`resolve(profile:endpoint:environment:credentialsPath:)`):
/// 1. `--profile NAME` given: that section of the credentials file, nothing else. An endpoint
///    given as well must match the profile's `api_endpoint`, so a manifest can never send a
///    profile's token to another host.
/// 2. Otherwise, in order, the first complete source whose endpoint matches the requested one
///    (any, when none is requested): `SB_API_ENDPOINT` + `SB_AUTH_TOKEN`; the `[default]` profile;
///    then, only when an endpoint was requested, any other profile with that `api_endpoint`
///    (so `--endpoint cgc` picks the `[cgc]` profile by itself).
public struct PlatformConfig: Sendable, CustomStringConvertible {
    /// The API base URL.
    public var endpoint: PlatformEndpoint
    /// The token sent as `X-SBG-Auth-Token`.
    public var token: AuthToken
    /// Where the settings came from, for `--verbose` and error messages (never the token).
    public var source: Source

    /// Where a configuration came from.
    public enum Source: Sendable, Hashable, CustomStringConvertible {
        /// `SB_API_ENDPOINT` and `SB_AUTH_TOKEN`.
        case environment
        /// A section of the credentials file.
        case profile(name: String, path: String)
        /// Given directly by the caller (tests, embedding).
        case explicit

        public var description: String {
            switch self {
            case .environment: "environment variables SB_API_ENDPOINT and SB_AUTH_TOKEN"
            case .profile(let name, let path): "profile '\(name)' in \(path)"
            case .explicit: "explicit configuration"
            }
        }

        /// Where the token came from, as messages name it.
        var tokenName: String {
            switch self {
            case .environment: "SB_AUTH_TOKEN"
            case .profile(let name, let path): "auth_token of profile '\(name)' in \(path)"
            case .explicit: "the auth token"
            }
        }
    }

    /// A configuration and the warnings found while resolving it; the CLI prints the warnings.
    public struct Resolution: Sendable {
        public var config: PlatformConfig
        public var warnings: [String]
    }

    /// A configuration given directly.
    public init(endpoint: PlatformEndpoint, token: AuthToken, source: Source = .explicit) {
        self.endpoint = endpoint
        self.token = token
        self.source = source
    }

    public var description: String { "\(endpoint) (token from \(source))" }

    /// The default credentials file, `~/.sevenbridges/credentials`.
    public static func defaultCredentialsPath(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.sevenbridges/credentials"
    }

    /// Resolves endpoint and token; see the type's documentation for the order.
    /// - Parameters:
    ///   - profile: `--profile NAME`, if given.
    ///   - endpoint: `--endpoint` or the manifest's `endpoint`, as a URL or short name.
    ///   - environment: the process environment (`SB_API_ENDPOINT`, `SB_AUTH_TOKEN`, `HOME`).
    ///   - credentialsPath: the credentials file; `nil` means `~/.sevenbridges/credentials`.
    /// - Returns: the configuration and any warnings (a credentials file readable by others, an
    ///   endpoint not ending in `/v2`).
    /// - Throws: `PlatformConfigError`.
    public static func resolve(
        profile: String?, endpoint: String?, environment: [String: String], credentialsPath: String? = nil
    ) throws(PlatformConfigError) -> Resolution {
        let path = credentialsPath ?? defaultCredentialsPath(environment: environment)
        let requested = try endpoint.map { text throws(PlatformConfigError) in try PlatformEndpoint(parsing: text) }
        var warnings: [String] = []

        // Reads the credentials file once, lazily; a missing file is not an error unless needed.
        var fileLoaded = false
        var file: CredentialsFile?
        func loadFile() throws(PlatformConfigError) -> CredentialsFile? {
            if !fileLoaded {
                fileLoaded = true
                file = try CredentialsFile.load(path: path)
                if let file, let warning = file.permissionWarning { warnings.append(warning) }
            }
            return file
        }
        func config(fromProfile name: String, in file: CredentialsFile) throws(PlatformConfigError) -> PlatformConfig {
            guard let section = file.sections[name] else { throw .profileNotFound(name, path: path) }
            guard let url = section["api_endpoint"], !url.isEmpty else {
                throw .profileIncomplete(name, path: path, missingKey: "api_endpoint")
            }
            let token = AuthToken(section["auth_token"] ?? "")
            guard !token.isEmpty else { throw .profileIncomplete(name, path: path, missingKey: "auth_token") }
            let parsed: PlatformEndpoint
            do { parsed = try PlatformEndpoint(parsing: url) } catch {
                throw .invalidProfileEndpoint(name, path: path, underlying: error)
            }
            return PlatformConfig(endpoint: parsed, token: token, source: .profile(name: name, path: path))
        }
        func finish(_ config: PlatformConfig) throws(PlatformConfigError) -> Resolution {
            if let problem = config.token.problem { throw .invalidToken(config.source.tokenName, problem) }
            var warnings = warnings
            if !config.endpoint.endsInV2 {
                warnings.append("endpoint '\(config.endpoint)' does not end in /v2; platform API URLs normally do")
            }
            return Resolution(config: config, warnings: warnings)
        }

        if let profile {
            guard let file = try loadFile() else { throw .credentialsFileMissing(path: path, profile: profile) }
            let config = try config(fromProfile: profile, in: file)
            if let requested, requested != config.endpoint {
                throw .endpointMismatch(requested: requested.baseURL, profile: profile, profileEndpoint: config.endpoint.baseURL)
            }
            return try finish(config)
        }

        var tried: [String] = []
        if let envURL = environment["SB_API_ENDPOINT"], let envToken = environment["SB_AUTH_TOKEN"] {
            let parsed: PlatformEndpoint
            do { parsed = try PlatformEndpoint(parsing: envURL) } catch {
                throw .invalidEnvironmentEndpoint(underlying: error)
            }
            let token = AuthToken(envToken)
            if token.isEmpty { throw .emptyEnvironmentToken }
            if requested == nil || requested == parsed {
                return try finish(PlatformConfig(endpoint: parsed, token: token, source: .environment))
            }
            tried.append("SB_API_ENDPOINT is \(parsed.baseURL)")
        } else if environment["SB_API_ENDPOINT"] != nil || environment["SB_AUTH_TOKEN"] != nil {
            tried.append(environment["SB_API_ENDPOINT"] == nil
                ? "SB_AUTH_TOKEN is set but SB_API_ENDPOINT is not" : "SB_API_ENDPOINT is set but SB_AUTH_TOKEN is not")
        }

        if let file = try loadFile() {
            if file.sections["default"] != nil {
                let config = try config(fromProfile: "default", in: file)
                if requested == nil || requested == config.endpoint { return try finish(config) }
                tried.append("profile 'default' is for \(config.endpoint.baseURL)")
            }
            if let requested {
                for name in file.order where name != "default" {
                    guard let url = file.sections[name]?["api_endpoint"],
                        let parsed = try? PlatformEndpoint(parsing: url), parsed == requested
                    else { continue }
                    return try finish(try config(fromProfile: name, in: file))
                }
            }
        } else {
            tried.append("\(path) does not exist")
        }
        throw .noCredentials(requestedEndpoint: requested?.baseURL, tried: tried)
    }
}

/// Why the platform configuration could not be resolved. Messages never include a token.
public enum PlatformConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidEndpoint(String, reason: String)
    case insecureEndpoint(String)
    case credentialsFileMissing(path: String, profile: String)
    case credentialsFileUnreadable(path: String, reason: String)
    case credentialsFileSyntax(path: String, line: Int)
    case profileNotFound(String, path: String)
    case profileIncomplete(String, path: String, missingKey: String)
    indirect case invalidProfileEndpoint(String, path: String, underlying: PlatformConfigError)
    indirect case invalidEnvironmentEndpoint(underlying: PlatformConfigError)
    case emptyEnvironmentToken
    /// A token that cannot be sent as a header value; `source` names where it came from.
    case invalidToken(_ source: String, AuthToken.Problem)
    case endpointMismatch(requested: String, profile: String, profileEndpoint: String)
    case noCredentials(requestedEndpoint: String?, tried: [String])

    public var description: String {
        switch self {
        case .invalidEndpoint(let text, let reason):
            "invalid endpoint '\(text)': \(reason)"
        case .insecureEndpoint(let text):
            "refusing plain http endpoint '\(text)': the token would travel unencrypted; use https (http is allowed only to localhost, 127.0.0.0/8 or ::1)"
        case .credentialsFileMissing(let path, let profile):
            "profile '\(profile)' requested, but the credentials file \(path) does not exist"
        case .credentialsFileUnreadable(let path, let reason):
            "cannot read credentials file \(path): \(reason)"
        case .credentialsFileSyntax(let path, let line):
            // The line itself is never shown: it may be a pasted token.
            "\(path):\(line): expected '[section]', 'key = value' or a comment"
        case .profileNotFound(let name, let path):
            "no profile '\(name)' in \(path)"
        case .profileIncomplete(let name, let path, let key):
            "profile '\(name)' in \(path) has no '\(key)'"
        case .invalidProfileEndpoint(let name, let path, let underlying):
            "profile '\(name)' in \(path): \(underlying)"
        case .invalidEnvironmentEndpoint(let underlying):
            "SB_API_ENDPOINT: \(underlying)"
        case .emptyEnvironmentToken:
            "SB_AUTH_TOKEN is set but empty"
        case .invalidToken(let source, let problem):
            // Never the token itself: only the rule it breaks and where.
            "\(source) \(problem); a platform token is printable ASCII without spaces: copy it again from the platform's developer page"
        case .endpointMismatch(let requested, let profile, let profileEndpoint):
            "endpoint \(requested) does not match profile '\(profile)', whose api_endpoint is \(profileEndpoint); drop one of them or pick the profile for \(requested)"
        case .noCredentials(let requested, let tried):
            (requested.map { "no credentials for \($0)" } ?? "no platform credentials found")
                + (tried.isEmpty ? "" : " (" + tried.joined(separator: "; ") + ")")
                + "; set SB_API_ENDPOINT and SB_AUTH_TOKEN, or add a profile with api_endpoint and auth_token to ~/.sevenbridges/credentials and pass --profile NAME"
        }
    }
}

/// The INI credentials file shared by the platform's clients.
struct CredentialsFile: Sendable {
    var sections: [String: [String: String]] = [:]
    var order: [String] = []
    var permissionWarning: String?

    /// `nil` when the file does not exist.
    static func load(path: String) throws(PlatformConfigError) -> CredentialsFile? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .credentialsFileUnreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .credentialsFileUnreadable(path: path, reason: "not UTF-8 text")
        }
        var file = try parse(text, path: path)
        if let attributes = try? fm.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
        {
            file.permissionWarning =
                "credentials file \(path) is accessible by other users (mode \(String(mode & 0o777, radix: 8))); run 'chmod 600 \(path)'"
        }
        return file
    }

    /// Python `configparser` syntax, as far as credentials files use it: `[section]`,
    /// `key = value` or `key: value` (keys case-insensitive), `#`/`;` comment lines. Lines end
    /// in LF, CRLF (a file saved on Windows) or CR, as Python's universal newlines read them.
    static func parse(_ text: String, path: String) throws(PlatformConfigError) -> CredentialsFile {
        var file = CredentialsFile()
        var current: String?
        // "\r\n" is one Character, so splitting on "\n" alone would leave a CRLF file one line.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for (index, rawLine) in lines.enumerated() {
            let line = String(rawLine).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast()).trimmingWhitespace()
                current = name
                if file.sections[name] == nil {
                    file.sections[name] = [:]
                    file.order.append(name)
                }
                continue
            }
            guard let current, let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw .credentialsFileSyntax(path: path, line: index + 1)
            }
            let key = String(line[..<sep]).trimmingWhitespace().lowercased()
            let value = String(line[line.index(after: sep)...]).trimmingWhitespace()
            file.sections[current, default: [:]][key] = value
        }
        return file
    }
}
