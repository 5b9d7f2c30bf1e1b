import Foundation
import Synchronization
import Testing

@testable import PlatformAPI
import TestSupport

/// The retries a client announced.
final class RetryNotices: Sendable {
    private let storage = Mutex<[RetryNotice]>([])
    func append(_ notice: RetryNotice) { storage.withLock { $0.append(notice) } }
    var all: [RetryNotice] { storage.withLock { $0 } }
}

/// A wrong or stopped endpoint is reported within seconds; a busy platform keeps its long backoff.
@Suite("fast failures: refused connections and unknown hosts")
struct FastFailureTests {
    static let refusedAnswer = Scripted.failure(TransportError(phase: .notSent, kind: .connectionRefused, message: "connection refused"))
    static let unknownHost = Scripted.failure(TransportError(phase: .notSent, kind: .unknownHost, message: "unknown host 'x.invalid'"))

    /// A client whose retries are collected.
    static func client(_ transport: ScriptedTransport, clock: TestClock, notices: RetryNotices) throws -> PlatformClient {
        let config = PlatformConfig(endpoint: try PlatformEndpoint(parsing: testEndpoint), token: AuthToken(testToken))
        return PlatformClient(config: config, transport: transport, budget: RequestBudget(clock: clock), clock: clock,
                              options: PlatformClientOptions(retry: RetryPolicy(random: { $0 }),
                                                             onRetry: { notices.append($0) }))
    }

    @Test("refused or unknown host: three quick attempts (0.5 s, 1 s apart), each retry announced, then cannotConnect",
          arguments: [("connection refused", refusedAnswer), ("unknown host 'x.invalid'", unknownHost)])
    func fast(cause: String, answer: Scripted) async throws {
        let transport = ScriptedTransport([], fallback: answer)
        let clock = TestClock(1_700_000_000)
        let notices = RetryNotices()
        let client = try Self.client(transport, clock: clock, notices: notices)
        let error = await #expect(throws: PlatformError.self) { try await client.reader.volume(id: "u/vol") }
        #expect(error?.description == "cannot reach the platform at \(testEndpoint): \(cause) (3 attempts)")
        #expect(error?.isCannotConnect == true)
        #expect(transport.requests.count == 3)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
        #expect(notices.all.map(\.attempt) == [1, 2])
        #expect(notices.all.allSatisfy { $0.maxAttempts == 3 && $0.reason == cause })
    }

    @Test("a refused connection that comes back is not an error")
    func recovers() async throws {
        let transport = ScriptedTransport([Self.refusedAnswer, json(200, #"{"id": "u/vol", "name": "vol", "service": {"type": "s3", "bucket": "b"}, "access_mode": "RO"}"#)])
        let clock = TestClock(1_700_000_000)
        let notices = RetryNotices()
        let client = try Self.client(transport, clock: clock, notices: notices)
        _ = try? await client.reader.volume(id: "u/vol")
        #expect(transport.requests.count == 2)
        #expect(clock.sleeps == [.milliseconds(500)])
    }

    @Test("5xx and dropped connections keep the long backoff, and every wait is announced")
    func slow() async throws {
        let transport = ScriptedTransport([], fallback: apiErrorResponse(503, code: 9000, message: "busy"))
        let clock = TestClock(1_700_000_000)
        let notices = RetryNotices()
        let client = try Self.client(transport, clock: clock, notices: notices)
        let error = await #expect(throws: PlatformError.self) { try await client.reader.volume(id: "u/vol") }
        #expect(error?.status == 503)
        #expect(transport.requests.count == 6)
        #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        let shown = notices.all
        #expect(shown.map(\.delay) == clock.sleeps)
        #expect(shown.last?.description == "attempt 5 of 6 to reach \(testEndpoint) failed (HTTP 503); trying again in 16 s")

        let droppedTransport = ScriptedTransport([], fallback: dropped)
        let droppedClock = TestClock(1_700_000_000)
        let droppedClient = try Self.client(droppedTransport, clock: droppedClock, notices: RetryNotices())
        let droppedError = await #expect(throws: PlatformError.self) { try await droppedClient.reader.volume(id: "u/vol") }
        guard case .unreachable(_, let attempts, _)? = droppedError else {
            Issue.record("expected unreachable, got \(String(describing: droppedError))")
            return
        }
        #expect(attempts == 6)
    }
}
