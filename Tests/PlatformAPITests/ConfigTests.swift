import Foundation
import Testing

@testable import PlatformAPI
import TestSupport

/// A temporary directory with a credentials file.
struct CredentialsFixture {
    let scratch = TemporaryDirectory()
    let directory: String
    var path: String { directory + "/credentials" }

    init(_ text: String?, mode: Int = 0o600) throws {
        directory = scratch.path
        if let text {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
    }
}

private let twoProfiles = """
    # shared with sevenbridges-python
    [default]
    api_endpoint = https://api.sbgenomics.com/v2
    auth_token = default-token-111

    [cgc]
    api_endpoint: https://cgc-api.sbgenomics.com/v2/
    AUTH_TOKEN = cgc-token-222
    """

@Suite("Configuration: profiles, environment, endpoints")
struct ConfigTests {
    @Test("short names map to the platforms' API URLs", arguments: [
        ("cgc", "https://cgc-api.sbgenomics.com/v2"),
        ("cavatica", "https://cavatica-api.sbgenomics.com/v2"),
        ("bdc", "https://api.sb.biodatacatalyst.nhlbi.nih.gov/v2"),
        ("sbg-us", "https://api.sbgenomics.com/v2"),
        ("SBG-EU", "https://eu-api.sbgenomics.com/v2"),
        ("https://cgc-api.sbgenomics.com/v2/", "https://cgc-api.sbgenomics.com/v2"),
        ("http://127.0.0.1:8080/v2", "http://127.0.0.1:8080/v2"),
        ("http://localhost:9/v2", "http://localhost:9/v2"),
        ("http://[::1]:9/v2", "http://[::1]:9/v2"),
        ("http://[0:0:0:0:0:0:0:1]:9/v2", "http://[0:0:0:0:0:0:0:1]:9/v2"),
        ("http://127.255.0.1/v2", "http://127.255.0.1/v2"),
        ("http://LOCALHOST:9/v2", "http://localhost:9/v2"),
    ])
    func endpoints(text: String, url: String) throws {
        #expect(try PlatformEndpoint(parsing: text).baseURL == url)
    }

    @Test("plain http is refused except to loopback", arguments: [
        "http://cgc-api.sbgenomics.com/v2", "http://10.0.0.5/v2", "http://128.0.0.1/v2", "http://127.0.0.1.evil.com/v2",
        // Names that only look like loopback: a resolver may send them to DNS.
        "http://evil.localhost:8080/v2", "http://a.b.localhost/v2", "http://localhost./v2", "http://localhost.evil.com/v2",
        // Leading zeros may be read as octal (or not at all: then as a name).
        "http://127.0.0.08/v2", "http://0127.0.0.1/v2", "http://127.1/v2", "http://[::2]/v2", "http://[::ffff:127.0.0.1]/v2",
    ])
    func httpRefused(text: String) {
        #expect(throws: PlatformConfigError.insecureEndpoint(text)) { try PlatformEndpoint(parsing: text) }
    }

    @Test("nonsense endpoints are refused with the value and a hint")
    func invalidEndpoint() {
        let error = #expect(throws: PlatformConfigError.self) { try PlatformEndpoint(parsing: "cgcc") }
        #expect(error?.description == "invalid endpoint 'cgcc': expected a URL such as https://cgc-api.sbgenomics.com/v2 or one of the short names cgc, cavatica, bdc, sbg-us, sbg-eu")
        #expect(throws: PlatformConfigError.self) { try PlatformEndpoint(parsing: "ftp://x/v2") }
        #expect(throws: PlatformConfigError.self) { try PlatformEndpoint(parsing: "https://user:pw@x/v2") }
    }

    @Test("a credentials file with CRLF (or CR) line ends is read like one with LF")
    func crlf() throws {
        for newline in ["\r\n", "\r"] {
            let fixture = try CredentialsFixture(twoProfiles.replacingOccurrences(of: "\n", with: newline) + newline)
            let r = try PlatformConfig.resolve(profile: "cgc", endpoint: nil, environment: [:], credentialsPath: fixture.path)
            #expect(r.config.endpoint.baseURL == "https://cgc-api.sbgenomics.com/v2")
            #expect(r.config.token == AuthToken("cgc-token-222"))
        }
    }

    @Test("--profile reads that section of the credentials file")
    func profile() throws {
        let fixture = try CredentialsFixture(twoProfiles)
        let r = try PlatformConfig.resolve(profile: "cgc", endpoint: nil, environment: [:], credentialsPath: fixture.path)
        #expect(r.config.endpoint.baseURL == "https://cgc-api.sbgenomics.com/v2")
        #expect(r.config.token == AuthToken("cgc-token-222"))
        #expect(r.config.source == .profile(name: "cgc", path: fixture.path))
        #expect(r.warnings.isEmpty)
    }

    @Test("--profile wins over the environment")
    func profileBeatsEnvironment() throws {
        let fixture = try CredentialsFixture(twoProfiles)
        let env = ["SB_API_ENDPOINT": "https://eu-api.sbgenomics.com/v2", "SB_AUTH_TOKEN": "env-token"]
        let r = try PlatformConfig.resolve(profile: "default", endpoint: nil, environment: env, credentialsPath: fixture.path)
        #expect(r.config.token == AuthToken("default-token-111"))
    }

    @Test("the environment wins over the default profile")
    func environmentBeatsDefault() throws {
        let fixture = try CredentialsFixture(twoProfiles)
        let env = ["SB_API_ENDPOINT": "https://eu-api.sbgenomics.com/v2", "SB_AUTH_TOKEN": "env-token"]
        let r = try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: env, credentialsPath: fixture.path)
        #expect(r.config.token == AuthToken("env-token"))
        #expect(r.config.source == .environment)
        #expect(r.config.endpoint.baseURL == "https://eu-api.sbgenomics.com/v2")
    }

    @Test("with no profile and no environment, the default profile is used")
    func defaultProfile() throws {
        let fixture = try CredentialsFixture(twoProfiles)
        let r = try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: [:], credentialsPath: fixture.path)
        #expect(r.config.token == AuthToken("default-token-111"))
    }

    @Test("--endpoint picks the profile configured for that endpoint")
    func endpointPicksProfile() throws {
        let fixture = try CredentialsFixture(twoProfiles)
        let r = try PlatformConfig.resolve(profile: nil, endpoint: "cgc", environment: [:], credentialsPath: fixture.path)
        #expect(r.config.token == AuthToken("cgc-token-222"))
        #expect(r.config.source == .profile(name: "cgc", path: fixture.path))
    }

    @Test("a token is never sent to an endpoint it was not configured for")
    func endpointMismatch() throws {
        let fixture = try CredentialsFixture(twoProfiles)
        #expect(throws: PlatformConfigError.endpointMismatch(
            requested: "https://cavatica-api.sbgenomics.com/v2", profile: "cgc",
            profileEndpoint: "https://cgc-api.sbgenomics.com/v2")
        ) {
            try PlatformConfig.resolve(profile: "cgc", endpoint: "cavatica", environment: [:], credentialsPath: fixture.path)
        }
        let error = #expect(throws: PlatformConfigError.self) {
            try PlatformConfig.resolve(profile: nil, endpoint: "https://evil.example.com/v2", environment: [:], credentialsPath: fixture.path)
        }
        #expect(error?.description.hasPrefix("no credentials for https://evil.example.com/v2 (profile 'default' is for https://api.sbgenomics.com/v2)") == true)
    }

    @Test("missing pieces are named")
    func missingPieces() throws {
        let fixture = try CredentialsFixture("[default]\napi_endpoint = https://api.sbgenomics.com/v2\n")
        #expect(throws: PlatformConfigError.profileIncomplete("default", path: fixture.path, missingKey: "auth_token")) {
            try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: [:], credentialsPath: fixture.path)
        }
        #expect(throws: PlatformConfigError.profileNotFound("nope", path: fixture.path)) {
            try PlatformConfig.resolve(profile: "nope", endpoint: nil, environment: [:], credentialsPath: fixture.path)
        }
        let empty = try CredentialsFixture(nil)
        let error = #expect(throws: PlatformConfigError.self) {
            try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: ["SB_AUTH_TOKEN": "x"], credentialsPath: empty.path)
        }
        #expect(error?.description.contains("SB_AUTH_TOKEN is set but SB_API_ENDPOINT is not") == true)
        #expect(error?.description.contains("\(empty.path) does not exist") == true)
        #expect(throws: PlatformConfigError.credentialsFileMissing(path: empty.path, profile: "cgc")) {
            try PlatformConfig.resolve(profile: "cgc", endpoint: nil, environment: [:], credentialsPath: empty.path)
        }
    }

    @Test("http profiles are refused unless loopback")
    func insecureProfile() throws {
        let fixture = try CredentialsFixture("[x]\napi_endpoint = http://api.example.com/v2\nauth_token = t\n")
        let error = #expect(throws: PlatformConfigError.self) {
            try PlatformConfig.resolve(profile: "x", endpoint: nil, environment: [:], credentialsPath: fixture.path)
        }
        #expect(error?.description.hasPrefix("profile 'x' in \(fixture.path): refusing plain http endpoint 'http://api.example.com/v2'") == true)
        let local = try CredentialsFixture("[x]\napi_endpoint = http://127.0.0.1:8123/v2\nauth_token = t\n")
        #expect(try PlatformConfig.resolve(profile: "x", endpoint: nil, environment: [:], credentialsPath: local.path).config.endpoint.baseURL == "http://127.0.0.1:8123/v2")
    }

    @Test("a credentials file readable by others gets a warning", arguments: [0o644, 0o640, 0o604])
    func permissionWarning(mode: Int) throws {
        let fixture = try CredentialsFixture(twoProfiles, mode: mode)
        let r = try PlatformConfig.resolve(profile: "cgc", endpoint: nil, environment: [:], credentialsPath: fixture.path)
        #expect(r.warnings == [
            "credentials file \(fixture.path) is accessible by other users (mode \(String(mode, radix: 8))); run 'chmod 600 \(fixture.path)'",
        ])
    }

    @Test("a syntax error names the line but never shows it (it may be a pasted token)")
    func syntaxError() throws {
        let fixture = try CredentialsFixture("[default]\napi_endpoint = https://api.sbgenomics.com/v2\nsecret-token-pasted-alone\n")
        let error = #expect(throws: PlatformConfigError.self) {
            try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: [:], credentialsPath: fixture.path)
        }
        #expect(error?.description == "\(fixture.path):3: expected '[section]', 'key = value' or a comment")
    }

    @Test("an endpoint without /v2 gets a warning")
    func noV2Warning() throws {
        let env = ["SB_API_ENDPOINT": "https://api.sbgenomics.com", "SB_AUTH_TOKEN": "t"]
        let r = try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: env, credentialsPath: "/nonexistent/credentials")
        #expect(r.warnings == ["endpoint 'https://api.sbgenomics.com' does not end in /v2; platform API URLs normally do"])
    }

    @Test("pagination links are followed only below the endpoint")
    func sameOrigin() throws {
        let e = try PlatformEndpoint(parsing: "https://cgc-api.sbgenomics.com/v2")
        #expect(e.contains("https://cgc-api.sbgenomics.com/v2/files?offset=2"))
        #expect(e.contains("https://CGC-API.sbgenomics.com/v2/files"))
        #expect(!e.contains("https://evil.com/v2/files"))
        #expect(!e.contains("http://cgc-api.sbgenomics.com/v2/files"))
        #expect(!e.contains("https://cgc-api.sbgenomics.com:444/v2/files"))
        #expect(!e.contains("https://cgc-api.sbgenomics.com/v22/files"))
        #expect(!e.contains("https://cgc-api.sbgenomics.com.evil.com/v2/files"))
    }
}
