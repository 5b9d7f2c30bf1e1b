import Foundation
import Logging
import Synchronization
import Testing

@testable import PlatformAPI
import TestSupport

/// One scripted answer of `ScriptedTransport`.
enum Scripted: Sendable {
    case response(TransportResponse)
    case failure(TransportError)
}

/// A transport that answers from a script, in order, and records every request.
final class ScriptedTransport: HTTPTransport {
    private let state: Mutex<(script: [Scripted], requests: [TransportRequest])>
    /// Answer used when the script is exhausted.
    let fallback: Scripted?

    init(_ script: [Scripted], fallback: Scripted? = nil) {
        state = Mutex((script, []))
        self.fallback = fallback
    }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let next: Scripted? = state.withLock {
            $0.requests.append(request)
            return $0.script.isEmpty ? nil : $0.script.removeFirst()
        }
        switch next ?? fallback {
        case .response(let r)?: return r
        case .failure(let e)?: throw e
        case nil: throw TransportError(phase: .notSent, kind: .other, message: "script exhausted")
        }
    }

    var requests: [TransportRequest] { state.withLock { $0.requests } }
    var remaining: Int { state.withLock { $0.script.count } }
}

let testToken = "tok-5ecret-a1b2c3d4e5f6"
let testEndpoint = "https://cgc-api.sbgenomics.com/v2"

func json(_ status: Int = 200, _ body: String, headers: [(name: String, value: String)] = []) -> Scripted {
    .response(TransportResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(body.utf8)))
}

func apiErrorResponse(_ status: Int, code: Int, message: String, headers: [(name: String, value: String)] = []) -> Scripted {
    json(status, #"{"status": \#(status), "code": \#(code), "message": "\#(message)", "more_info": "https://docs.sevenbridges.com/reference#api-status-codes"}"#, headers: headers)
}

let dropped = Scripted.failure(TransportError(phase: .maybeSent, kind: .connectionDropped, message: "connection closed by the server"))
let refused = Scripted.failure(TransportError(phase: .notSent, kind: .connectFailed, message: "could not connect: connection refused"))

/// Collects every log line (message and metadata) a client writes.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test.platform") { label in CapturingHandler(capture: self) }
        logger.logLevel = level
        return logger
    }
}

struct CapturingHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
    }
}

/// A client on a scripted transport with a manual clock and no jitter surprises:
/// `random` returns the upper bound, so backoff is exactly `min(max, base · 2^(n-1))`.
func makeClient(
    _ transport: any HTTPTransport, clock: TestClock = TestClock(1_700_000_000), retry: RetryPolicy? = nil,
    logs: LogCapture? = nil, budget: RequestBudget? = nil
) throws -> PlatformClient {
    let config = PlatformConfig(endpoint: try PlatformEndpoint(parsing: testEndpoint), token: AuthToken(testToken))
    return PlatformClient(
        config: config, transport: transport, budget: budget ?? RequestBudget(clock: clock), clock: clock,
        options: PlatformClientOptions(requestTimeout: .seconds(30), retry: retry ?? RetryPolicy(random: { $0 })),
        logger: logs?.logger() ?? Logger(label: "test.platform", factory: { _ in SwiftLogNoOpLogHandler() }))
}

extension TransportRequest {
    var bodyJSON: Any? { body.flatMap { try? JSONSerialization.jsonObject(with: Data($0), options: [.fragmentsAllowed]) } }
    var bodyText: String { body.map { String(decoding: $0, as: UTF8.self) } ?? "" }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}
