import AsyncHTTPClient
import Foundation
import PlatformEmulator
import Testing
import TestSupport

@testable import PlatformAPI

/// `tok-SECRET-9f8e<bad>7d6c5b4a`: neither half may appear in any message.
private func badToken(_ bad: String) -> String { "tok-SECRET-9f8e" + bad + "7d6c5b4a" }
private let secretPieces = ["SECRET-9f8e", "7d6c5b4a"]

private func expectNoSecret(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for piece in secretPieces {
        #expect(!text.contains(piece), "token leaked: \(text)", sourceLocation: sourceLocation)
    }
}

@Suite("A token that cannot be a header value is refused by rule, never echoed")
struct TokenValidationTests {
    @Test("each rule, from SB_AUTH_TOKEN", arguments: [
        ("\u{7F}", AuthToken.Problem.controlCharacter("\u{7F}", position: 16)),
        ("\u{0}", .controlCharacter("\u{0}", position: 16)),
        ("\u{1B}", .controlCharacter("\u{1B}", position: 16)),
        ("\t", .controlCharacter("\t", position: 16)),
        ("\u{85}", .controlCharacter("\u{85}", position: 16)),
        ("\n", .lineBreak(position: 16)),
        ("\r", .lineBreak(position: 16)),
        (" ", .space(position: 16)),
        ("é", .nonASCII(position: 16)),
    ])
    func fromEnvironment(bad: String, problem: AuthToken.Problem) {
        let environment = ["SB_API_ENDPOINT": "cgc", "SB_AUTH_TOKEN": badToken(bad)]
        let error = #expect(throws: PlatformConfigError.self) {
            try PlatformConfig.resolve(profile: nil, endpoint: nil, environment: environment, credentialsPath: "/nonexistent")
        }
        #expect(error == .invalidToken("SB_AUTH_TOKEN", problem))
        expectNoSecret(error?.description ?? "")
        expectNoSecret(String(reflecting: error))
    }

    @Test("the message names the source and the rule, with the fix")
    func message() {
        let error = PlatformConfigError.invalidToken("SB_AUTH_TOKEN", .controlCharacter("\u{7F}", position: 16))
        #expect(error.description == "SB_AUTH_TOKEN contains a control character (U+007F) at character 16; "
            + "a platform token is printable ASCII without spaces: copy it again from the platform's developer page")
    }

    @Test("from a profile of the credentials file, named with its path")
    func fromProfile() throws {
        let fixture = try CredentialsFixture("[cgc]\napi_endpoint = cgc\nauth_token = \(badToken("\u{7F}"))\n")
        let error = #expect(throws: PlatformConfigError.self) {
            try PlatformConfig.resolve(profile: "cgc", endpoint: nil, environment: [:], credentialsPath: fixture.path)
        }
        #expect(error == .invalidToken("auth_token of profile 'cgc' in \(fixture.path)", .controlCharacter("\u{7F}", position: 16)))
        expectNoSecret(error?.description ?? "")
    }

    @Test("surrounding whitespace and a trailing CRLF are trimmed, not refused")
    func trimmed() throws {
        let r = try PlatformConfig.resolve(profile: nil, endpoint: nil,
                                           environment: ["SB_API_ENDPOINT": "cgc", "SB_AUTH_TOKEN": " good-token\r\n"],
                                           credentialsPath: "/nonexistent")
        #expect(r.config.token == AuthToken("good-token"))
    }

    @Test("a configuration given directly with a bad token: refused before the transport sees a request")
    func explicitConfiguration() async throws {
        let transport = ScriptedTransport([], fallback: json(200, "{}"))
        let client = PlatformClient(
            config: PlatformConfig(endpoint: try PlatformEndpoint(parsing: testEndpoint), token: AuthToken(badToken("\u{7F}"))),
            transport: transport, clock: TestClock())
        let error = await #expect(throws: PlatformError.self) { _ = try await client.reader.file(id: "f") }
        #expect(transport.requests.isEmpty)
        #expect("\(error as Any)".contains("contains a control character (U+007F)"))
        expectNoSecret("\(error as Any)")
    }

    @Test("AsyncHTTPClient's errors are named without their values; any other error has the secret removed, raw and escaped")
    func classify() {
        let secret = badToken("\u{7F}")
        let header = AsyncHTTPTransport.classify(HTTPClientError.invalidHeaderFieldValues([secret]))
        #expect(header.message == "request not sent: invalid header field values")
        #expect(header.phase == .notSent)
        struct Echo: Error, CustomStringConvertible { var values: [String]; var description: String { "echo \(values)" } }
        let other = AsyncHTTPTransport.classify(Echo(values: [secret]), secrets: [secret])
        expectNoSecret(other.message)
        #expect(other.message.contains("<redacted>"))
    }

    @Test("the real HTTP stack refusing a header value never quotes it")
    func realTransport() async throws {
        let secret = badToken("\u{7F}")
        try await withRunningEmulator(EmulatorConfiguration(tokens: ["good"])) { running in
            try await AsyncHTTPTransport.withTransport { transport in
                let request = TransportRequest(method: .get, url: running.baseURL.absoluteString + "/user",
                                               headers: [("X-SBG-Auth-Token", secret)], timeout: .seconds(10))
                let error = await #expect(throws: (any Error).self) { _ = try await transport.send(request) }
                expectNoSecret("\(error as Any)")
                expectNoSecret(String(reflecting: error))
            }
        }
    }
}
