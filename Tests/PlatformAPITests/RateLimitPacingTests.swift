import Synchronization
import Testing
import TestSupport

@testable import PlatformAPI

private let fileJSON = #"{"id": "5f3a9c0de4b0a1b2c3d4e5f6", "name": "a.bam", "type": "file", "project": "u/p", "size": 12}"#

/// Issue 15, item 12: after a 429 the run is paced by the server's headers, not by 1,000
/// requests per 300 s; a rate-limited run keeps going and says how long it waits.
@Suite("Rate-limit pacing from the headers (injected clock, no sleeping)")
struct RateLimitPacingTests {
    @Test("after a burst of 429s, requests go as fast as X-RateLimit-Remaining allows")
    func burstThenHeaders() async throws {
        let clock = TestClock(1_700_000_000)
        let soon = "\(1_700_000_001)"
        let burst = (0..<8).map { _ in
            apiErrorResponse(429, code: 1000, message: "rate limit", headers: [
                ("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", soon),
            ])
        }
        let transport = ScriptedTransport(burst, fallback: json(200, fileJSON, headers: [
            ("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "900"), ("X-RateLimit-Reset", "\(1_700_000_300)"),
        ]))
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(rateLimitSlack: .zero, random: { _ in 0 }))
        for _ in 0..<300 { _ = try await client.reader.file(id: "f1") }
        #expect(transport.requests.count == 308)
        // The burst costs the one second to its reset; 300 requests with 900 left cost nothing.
        // (Paced at 1,000 per 300 s after the first 429 they took 90 s.)
        #expect(clock.totalSlept <= 2, "slept \(clock.totalSlept) s")
    }

    @Test("the server's remaining count still holds requests back when it reaches 0")
    func remainingZeroWaitsForReset() async throws {
        let clock = TestClock(1_700_000_000)
        let reset = 1_700_000_060
        let transport = ScriptedTransport([
            json(200, fileJSON, headers: [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "\(reset)")]),
            json(200, fileJSON, headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "\(reset)")]),
        ], fallback: json(200, fileJSON, headers: [("X-RateLimit-Remaining", "999"), ("X-RateLimit-Reset", "\(reset + 300)")]))
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(random: { _ in 0 }))
        for _ in 0..<4 { _ = try await client.reader.file(id: "f1") }
        #expect(transport.requests.count == 4)
        #expect(clock.sleeps == [.seconds(60)])
    }

    @Test("30 429s in a row: the request keeps waiting out resets and succeeds; each wait is reported")
    func manyRateLimitsKeepGoing() async throws {
        let clock = TestClock(1_700_000_000)
        let transport = ScriptedTransport((0..<30).map { _ in
            apiErrorResponse(429, code: 1000, message: "rate limit", headers: [("X-RateLimit-Remaining", "0")])
        }, fallback: json(200, fileJSON))
        let budget = RequestBudget(clock: clock)
        let waits = Mutex<[Duration]>([])
        await budget.onWait { duration in waits.withLock { $0.append(duration) } }
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(random: { $0 }), budget: budget)
        let file = try await client.reader.file(id: "f1")
        #expect(file.name == "a.bam")
        #expect(transport.requests.count == 31)
        #expect(waits.withLock { $0.count } == 30)
        #expect(await budget.totalWait > .zero)
    }
}
