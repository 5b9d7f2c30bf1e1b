import Synchronization
import Testing

@testable import PlatformAPI
import TestSupport

private let fileJSON = #"{"id": "5f3a9c0de4b0a1b2c3d4e5f6", "name": "a.bam", "type": "file", "project": "u/p", "size": 12}"#
private let importJSON = #"{"id": "imp1", "state": "PENDING", "source": {"volume": "u/vol", "location": "a.bam"}, "destination": {"project": "u/p", "name": "a.bam"}}"#
private let importRequest = ImportRequest(
    source: VolumeSource(volume: "u/vol", location: "a.bam"), destination: ImportDestination(.project("u/p"), name: "a.bam"))

@Suite("Retries, backoff and rate limits (injected transport, no sleeping)")
struct RetryTests {
    @Test("a GET is retried through a burst of 5xx with exponential backoff")
    func getRetriesFiveHundreds() async throws {
        let transport = ScriptedTransport([
            apiErrorResponse(500, code: 90004, message: "unexpected"),
            apiErrorResponse(502, code: 90004, message: "bad gateway"),
            apiErrorResponse(504, code: 90004, message: "gateway timeout"),
            json(200, fileJSON),
        ])
        let clock = TestClock(1_700_000_000)
        let client = try makeClient(transport, clock: clock)
        let file = try await client.reader.file(id: "5f3a9c0de4b0a1b2c3d4e5f6")
        #expect(file.name == "a.bam")
        #expect(transport.requests.count == 4)
        #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
    }

    @Test("backoff is full jitter: uniform in 0 ... min(cap, base·2^(n-1))")
    func fullJitter() {
        let bounds = Mutex<[Double]>([])
        let policy = RetryPolicy(baseBackoff: .seconds(1), maxBackoff: .seconds(10), random: { upper in
            bounds.withLock { $0.append(upper) }
            return upper / 4
        })
        let delays = (1...6).map { policy.backoff(beforeRetry: $0) }
        #expect(bounds.withLock { $0 } == [1, 2, 4, 8, 10, 10])
        #expect(delays == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .milliseconds(2500), .milliseconds(2500)])
        let real = RetryPolicy(baseBackoff: .seconds(1), maxBackoff: .seconds(10))
        for _ in 0..<200 {
            let d = real.backoff(beforeRetry: 3)
            #expect(d >= .zero && d <= .seconds(4))
        }
    }

    @Test("a GET gives up after maxAttempts and reports the last answer")
    func getGivesUp() async throws {
        let transport = ScriptedTransport([], fallback: apiErrorResponse(500, code: 90004, message: "still broken"))
        let clock = TestClock(1_700_000_000)
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(maxAttempts: 3, random: { $0 }))
        let error = await #expect(throws: PlatformError.self) { try await client.reader.file(id: "f1") }
        #expect(error?.status == 500)
        #expect(error?.code == 90004)
        #expect(transport.requests.count == 3)
        #expect(clock.sleeps == [.seconds(1), .seconds(2)])
    }

    @Test("dropped connections on a GET are retried; on exhaustion the error says unreachable")
    func droppedGet() async throws {
        let transport = ScriptedTransport([dropped, dropped, json(200, fileJSON)])
        let clock = TestClock(1_700_000_000)
        let client = try makeClient(transport, clock: clock)
        #expect(try await client.reader.file(id: "f1").id == "5f3a9c0de4b0a1b2c3d4e5f6")
        #expect(transport.requests.count == 3)

        let always = ScriptedTransport([], fallback: dropped)
        let client2 = try makeClient(always, retry: RetryPolicy(maxAttempts: 2, random: { $0 }))
        let error = await #expect(throws: PlatformError.self) { try await client2.reader.file(id: "f1") }
        guard case .unreachable(let request, let attempts, _)? = error else {
            Issue.record("expected unreachable, got \(String(describing: error))")
            return
        }
        #expect(attempts == 2)
        #expect(request.description == "GET /files/f1")
    }

    @Test("a create whose connection dropped after sending is never resent: outcome unknown")
    func createOutcomeUnknownOnDrop() async throws {
        let transport = ScriptedTransport([dropped, json(200, importJSON)])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) { try await client.startImport(importRequest) }
        #expect(error?.isOutcomeUnknown == true)
        #expect(transport.requests.count == 1)
        #expect(error?.description.contains("POST /storage/imports") == true)
    }

    @Test("a create that timed out waiting for the answer is outcome unknown", arguments: [
        "/bulk/storage/imports/create", "/bulk/drs/imports/create", "/files",
    ])
    func createOutcomeUnknownOnTimeout(path: String) async throws {
        let timeout = Scripted.failure(TransportError(phase: .maybeSent, kind: .timedOut, message: "no response in time"))
        let transport = ScriptedTransport([timeout])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) {
            switch path {
            case "/bulk/storage/imports/create": _ = try await client.startBulkImport([importRequest])
            case "/bulk/drs/imports/create":
                _ = try await client.startDRSImport(
                    [DRSImportItem(drsURI: "drs://h/x", destination: .project("u/p"))], conflictResolution: .skip)
            default: _ = try await client.createFolder(named: "qc", in: .project("u/p"))
            }
        }
        guard case .outcomeUnknown(let request, _)? = error else {
            Issue.record("expected outcomeUnknown, got \(String(describing: error))")
            return
        }
        #expect(request == RequestSummary(method: .post, path: path))
        #expect(transport.requests.count == 1)
    }

    @Test("a create that never left (connection refused) is retried")
    func createRetriedWhenNotSent() async throws {
        let transport = ScriptedTransport([refused, refused, json(200, importJSON)])
        let clock = TestClock(1_700_000_000)
        let client = try makeClient(transport, clock: clock)
        let job = try await client.startImport(importRequest)
        #expect(job.id == "imp1")
        #expect(transport.requests.count == 3)
        #expect(clock.sleeps == [.seconds(1), .seconds(2)])
    }

    @Test("a 500 to a create is outcome unknown; a 503 is retried", arguments: [500, 502, 504])
    func createFiveHundred(status: Int) async throws {
        let transport = ScriptedTransport([apiErrorResponse(status, code: 90004, message: "oops"), json(200, importJSON)])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) { try await client.startImport(importRequest) }
        #expect(error?.isOutcomeUnknown == true)
        #expect(error?.description.contains("answered \(status)") == true)
        #expect(transport.requests.count == 1)
    }

    @Test("a 503 to a create is resent (not processed)")
    func createServiceUnavailable() async throws {
        let transport = ScriptedTransport([apiErrorResponse(503, code: 90005, message: "unavailable"), json(200, importJSON)])
        let client = try makeClient(transport)
        #expect(try await client.startImport(importRequest).id == "imp1")
        #expect(transport.requests.count == 2)
    }

    @Test("maintenance (503, code 0) backs off for at least maintenanceBackoff")
    func maintenance() async throws {
        let transport = ScriptedTransport([apiErrorResponse(503, code: 0, message: "maintenance"), json(200, fileJSON)])
        let clock = TestClock(1_700_000_000)
        let client = try makeClient(transport, clock: clock)
        _ = try await client.reader.file(id: "f1")
        #expect(clock.sleeps == [.seconds(60)])
    }

    @Test("429 waits until X-RateLimit-Reset (plus slack) and retries, creates included")
    func rateLimitWaitsForReset() async throws {
        let clock = TestClock(1_700_000_000)
        let reset = 1_700_000_042
        let transport = ScriptedTransport([
            apiErrorResponse(429, code: 1000, message: "rate limit", headers: [
                ("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "\(reset)"),
            ]),
            json(200, importJSON, headers: [("X-RateLimit-Remaining", "999"), ("X-RateLimit-Reset", "\(reset + 300)")]),
        ])
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(rateLimitSlack: .seconds(1), random: { $0 }))
        let job = try await client.startImport(importRequest)
        #expect(job.id == "imp1")
        #expect(transport.requests.count == 2)
        // 42 s to the reset plus 1 s slack; the budget then sees the window has passed and does not wait again.
        #expect(clock.sleeps == [.seconds(43)])
        #expect(transport.requests[0].bodyText == transport.requests[1].bodyText)
    }

    @Test("429 without a reset header falls back to Retry-After")
    func rateLimitRetryAfter() async throws {
        let clock = TestClock(1_700_000_000)
        let transport = ScriptedTransport([
            apiErrorResponse(429, code: 1000, message: "rate limit", headers: [("Retry-After", "7")]),
            json(200, fileJSON),
        ])
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(rateLimitSlack: .zero, random: { $0 }))
        _ = try await client.reader.file(id: "f1")
        #expect(clock.sleeps.first == .seconds(7))
    }

    @Test("a rate-limit wait is capped, and a 429 is surfaced after maxRateLimitWaits")
    func rateLimitCapped() async throws {
        let clock = TestClock(1_700_000_000)
        let far = "\(1_700_000_000 + 86_400)"
        let transport = ScriptedTransport([], fallback: apiErrorResponse(429, code: 1000, message: "rate limit", headers: [
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", far),
        ]))
        let client = try makeClient(transport, clock: clock, retry: RetryPolicy(
            maxRateLimitWaits: 2, maxRateLimitWait: .seconds(300), random: { $0 }))
        let error = await #expect(throws: PlatformError.self) { try await client.reader.file(id: "f1") }
        #expect(error?.status == 429)
        #expect(error?.code == 1000)
        #expect(transport.requests.count == 3)
        #expect(clock.sleeps.allSatisfy { $0 <= .seconds(300) })
    }

    @Test("a rate-limit wait is cancellable")
    func rateLimitCancellable() async throws {
        let sleeping = SuspendingClock()
        let transport = ScriptedTransport([], fallback: apiErrorResponse(429, code: 1000, message: "rate limit", headers: [
            ("X-RateLimit-Reset", "\(Int(sleeping.now()) + 200)"),
        ]))
        let client = try makeClient(transport, clock: TestClock(1_700_000_000), retry: RetryPolicy(random: { $0 }))
        // A client whose clock really suspends, so the task is parked in the wait when cancelled.
        let parked = PlatformClient(
            config: PlatformConfig(endpoint: client.endpoint, token: AuthToken(testToken)), transport: transport,
            budget: RequestBudget(clock: sleeping), clock: sleeping)
        let task = Task { try await parked.reader.file(id: "f1") }
        await sleeping.waitUntilSleeping()
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(transport.requests.count == 1)
    }

    @Test("4xx other than 429 is not retried and is decoded into a typed error")
    func clientErrorsNotRetried() async throws {
        let transport = ScriptedTransport([
            apiErrorResponse(404, code: 5002, message: "Requested file does not exist.", headers: [("X-Request-Id", "req-77")]),
        ])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) { try await client.reader.file(id: "nope") }
        guard case .api(let status, let code, let message, let moreInfo, let requestID, let request)? = error else {
            Issue.record("expected .api, got \(String(describing: error))")
            return
        }
        #expect(status == 404)
        #expect(code == 5002)
        #expect(message == "Requested file does not exist.")
        #expect(moreInfo == "https://docs.sevenbridges.com/reference#api-status-codes")
        #expect(requestID == "req-77")
        #expect(request.description == "GET /files/nope")
        #expect(transport.requests.count == 1)
        #expect(error?.description == "GET /files/nope: the platform answered 404 (code 5002): Requested file does not exist. [request id req-77]")
    }

    @Test("a non-JSON error body becomes the message")
    func nonJSONError() async throws {
        let transport = ScriptedTransport([.response(TransportResponse(status: 403, body: Array("Forbidden by proxy".utf8)))])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) { try await client.reader.file(id: "f") }
        guard case .api(403, nil, "Forbidden by proxy", _, _, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
    }

    @Test("PUT/PATCH metadata and PUT tags are idempotent: retried after a dropped connection")
    func metadataRetried() async throws {
        let transport = ScriptedTransport([dropped, json(200, #"{"sample_id": "S1", "n": 4}"#), dropped, json(200, #"["a","b"]"#)])
        let client = try makeClient(transport)
        let metadata = try await client.mergeMetadata(fileID: "f1", ["sample_id": .string("S1"), "n": .int(4)])
        #expect(metadata == ["sample_id": .string("S1"), "n": .int(4)])
        let tags = try await client.replaceTags(fileID: "f1", ["a", "b"])
        #expect(tags == ["a", "b"])
        #expect(transport.requests.map(\.method) == [.patch, .patch, .put, .put])
    }

    @Test("every request carries the configured timeout and the auth header")
    func timeoutAndAuth() async throws {
        let transport = ScriptedTransport([json(200, fileJSON)])
        let client = try makeClient(transport)
        _ = try await client.reader.file(id: "f1")
        let request = try #require(transport.requests.first)
        #expect(request.timeout == .seconds(30))
        #expect(request.header("X-SBG-Auth-Token") == testToken)
        #expect(request.url == "https://cgc-api.sbgenomics.com/v2/files/f1")
    }
}

/// A clock that really suspends in `sleep` until cancelled, to test cancellation of waits.
final class SuspendingClock: PlatformClock {
    private let sleepers = Mutex<Int>(0)
    func now() -> Double { 1_700_000_000 }
    func sleep(for duration: Duration) async throws {
        sleepers.withLock { $0 += 1 }
        try await Task.sleep(for: .seconds(3600))
    }
    func waitUntilSleeping() async {
        while sleepers.withLock({ $0 }) == 0 { await Task.yield() }
    }
}

@Suite("Error hints")
struct ErrorHintTests {
    @Test("401 and unreachable errors carry a hint for the user")
    func hints() {
        let request = RequestSummary(method: .get, path: "/files/f")
        #expect(PlatformError.api(status: 401, code: 90001, message: "Unauthorized", moreInfo: nil, requestID: nil, request: request).hint?.hasPrefix("the platform refused the token") == true)
        #expect(PlatformError.unreachable(request: request, attempts: 6, reason: "x").hint == "check the endpoint and your network connection")
        #expect(PlatformError.api(status: 404, code: 5002, message: "x", moreInfo: nil, requestID: nil, request: request).hint == nil)
    }
}
