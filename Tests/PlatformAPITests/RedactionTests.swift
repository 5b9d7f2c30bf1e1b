import Foundation
import Testing

@testable import PlatformAPI

@Suite("The token never appears in output")
struct RedactionTests {
    @Test("AuthToken prints as <redacted> everywhere")
    func tokenType() {
        let token = AuthToken(testToken)
        var dumped = ""
        dump(token, to: &dumped)
        let config = PlatformConfig(endpoint: try! PlatformEndpoint(parsing: "cgc"), token: token)
        var dumpedConfig = ""
        dump(config, to: &dumpedConfig)
        let outputs = [
            "\(token)", String(describing: token), String(reflecting: token), dumped,
            "\(config)", String(reflecting: config), dumpedConfig, "\([token])", "\(Optional(token) as Any)",
        ]
        for output in outputs {
            #expect(!output.contains(testToken), "token leaked in \(output)")
        }
        #expect("\(token)" == "<redacted>")
    }

    @Test("a very short token is redacted where it stands alone, not inside every word")
    func shortToken() {
        #expect(AuthToken.redact("x", in: "exit x: token x failed (x)") == "exit <redacted>: token <redacted> failed (<redacted>)")
        #expect(AuthToken.redact("ab1", in: "tab1 ab1 ab12 'ab1'") == "tab1 <redacted> ab12 '<redacted>'")
        #expect(AuthToken.redact("-", in: "a-b") == "a<redacted>b")
        // A real-length token is removed wherever it appears, even inside a longer word.
        #expect(AuthToken.redact(testToken, in: "x\(testToken)y and \(testToken)") == "x<redacted>y and <redacted>")
    }

    @Test("trace logs, errors and descriptions of a failing run never contain the token")
    func logsAndErrors() async throws {
        let logs = LogCapture()
        // A server that echoes the token back in an error body, and every failure kind.
        let transport = ScriptedTransport([
            json(200, #"{"id": "f", "name": "a"}"#, headers: [("X-Request-Id", "r1"), ("X-RateLimit-Remaining", "10")]),
            .response(TransportResponse(status: 401, body: Array("bad token \(testToken)".utf8))),
            apiErrorResponse(403, code: 5001, message: "no access for \(testToken)"),
            dropped,
            .failure(TransportError(phase: .maybeSent, kind: .other, message: "weird failure echoing \(testToken)")),
        ])
        let client = try makeClient(transport, logs: logs)
        var outputs: [String] = []
        _ = try await client.reader.file(id: "f")
        for _ in 0..<2 {
            do { _ = try await client.reader.file(id: "f") } catch { outputs += ["\(error)", String(reflecting: error)] }
        }
        do {
            _ = try await client.startImport(ImportRequest(
                source: VolumeSource(volume: "u/v", location: "a"), destination: ImportDestination(.project("u/p"), name: nil)))
        } catch { outputs += ["\(error)", String(reflecting: error)] }
        do { _ = try await client.createFolder(named: "x", in: .project("u/p")) } catch {
            outputs += ["\(error)", String(reflecting: error)]
        }
        outputs += logs.all
        #expect(outputs.count > 10)
        #expect(logs.all.contains { $0.contains("X-SBG-Auth-Token: <redacted>") })
        for output in outputs {
            #expect(!output.contains(testToken), "token leaked in: \(output)")
        }
    }
}

@Suite("Requests print redacted")
struct TransportRequestRedactionTests {
    @Test("a TransportRequest never prints its auth header")
    func request() async throws {
        let transport = ScriptedTransport([json(200, #"{"id": "f", "name": "a"}"#)])
        let client = try makeClient(transport)
        _ = try await client.reader.file(id: "f")
        let request = try #require(transport.requests.first)
        var dumped = ""
        dump(request, to: &dumped)
        for output in ["\(request)", String(reflecting: request), dumped] {
            #expect(!output.contains(testToken), "token leaked: \(output)")
            #expect(output.contains("X-SBG-Auth-Token: <redacted>"))
        }
    }
}
