internal import Foundation
internal import Logging

/// Whether a request may be sent again after an unknown outcome.
enum RequestKind: Sendable {
    /// Reads, bulk gets, and writes that set a value (PUT/PATCH metadata, PUT tags): repeating
    /// them is harmless, so they are retried after 5xx and dropped connections.
    case idempotent
    /// Creates (imports, bulk imports, folders): never resent once they may have reached the
    /// server; see `PlatformError.outcomeUnknown`.
    case create
}

/// Options for a `PlatformClient`.
public struct PlatformClientOptions: Sendable {
    /// The timeout of one HTTP exchange.
    public var requestTimeout: Duration
    public var retry: RetryPolicy
    /// `User-Agent` header.
    public var userAgent: String
    /// Told before each retry of a failed request (what failed, which attempt, how long the
    /// wait is), so a person sees why the run pauses. Rate-limit waits are reported by
    /// `RequestBudget` instead.
    public var onRetry: (@Sendable (RetryNotice) -> Void)?

    public init(
        requestTimeout: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(),
        userAgent: String = "sbsync/1", onRetry: (@Sendable (RetryNotice) -> Void)? = nil
    ) {
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.userAgent = userAgent
        self.onRetry = onRetry
    }
}

/// A request about to be sent again: why, which attempt comes next, after how long.
public struct RetryNotice: Sendable, Hashable, CustomStringConvertible {
    public var request: RequestSummary
    /// The endpoint the request went to.
    public var endpoint: String
    /// What went wrong, e.g. `connection refused` or `HTTP 503`.
    public var reason: String
    /// The attempt that failed (1 = the first).
    public var attempt: Int
    /// Attempts allowed for this kind of failure, the first included.
    public var maxAttempts: Int
    /// The wait before the next attempt.
    public var delay: Duration

    public init(request: RequestSummary, endpoint: String, reason: String, attempt: Int, maxAttempts: Int, delay: Duration) {
        self.request = request
        self.endpoint = endpoint
        self.reason = reason
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.delay = delay
    }

    /// One line for a person: `attempt 1 of 3 to reach http://…/v2 failed (connection refused); trying again in 0.5 s`.
    public var description: String {
        let seconds = delay.seconds
        let wait = seconds < 10 ? String(format: "%.1f", seconds) : String(Int(seconds.rounded()))
        return "attempt \(attempt) of \(maxAttempts) to reach \(endpoint) failed (\(reason)); trying again in \(wait) s"
    }
}

/// Sends requests with auth, pacing, timeouts, retries and decoding. Shared by
/// `PlatformReader` and `PlatformClient`.
final class RequestEngine: Sendable {
    let endpoint: PlatformEndpoint
    private let token: AuthToken
    private let transport: any HTTPTransport
    let budget: RequestBudget
    private let clock: any PlatformClock
    let options: PlatformClientOptions
    private let logger: Logger

    init(
        config: PlatformConfig, transport: any HTTPTransport, budget: RequestBudget, clock: any PlatformClock,
        options: PlatformClientOptions, logger: Logger
    ) {
        self.endpoint = config.endpoint
        self.token = config.token
        self.transport = transport
        self.budget = budget
        self.clock = clock
        self.options = options
        self.logger = logger
    }

    /// Header names whose values are never logged.
    static let secretHeaders: Set<String> = ["x-sbg-auth-token", "authorization", "cookie", "set-cookie", "x-sbg-session-id"]

    /// `headers` with secret values replaced by `<redacted>`, for logs.
    static func redacted(_ headers: [(name: String, value: String)]) -> String {
        headers.map { "\($0.name): \(secretHeaders.contains($0.name.lowercased()) ? "<redacted>" : $0.value)" }
            .joined(separator: ", ")
    }

    // MARK: Decoding

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = PlatformDate.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a date like 2024-05-01T10:00:00Z, found '\(text)'")
            }
            return date
        }
        return d
    }()

    func decode<T: Decodable>(_ type: T.Type, from response: TransportResponse, request: RequestSummary) throws -> T {
        do {
            return try Self.decoder.decode(T.self, from: Data(response.body))
        } catch {
            throw PlatformError.invalidResponse(request: request, status: response.status, reason: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "body" : "'" + String(p.drop { $0 == "." }) + "'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' in \(path(context))"
        case .typeMismatch(let type, let context): return "\(path(context)) is not a \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "\(path(context)) is null, expected \(type)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    // MARK: Sending

    /// Sends a request below the endpoint and returns the 2xx response.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: (any Encodable & Sendable)? = nil,
        kind: RequestKind, countsAgainstBudget: Bool = true
    ) async throws -> TransportResponse {
        let url = endpoint.url(path: path, query: query)
        return try await send(method, url: url, body: body, kind: kind, countsAgainstBudget: countsAgainstBudget)
    }

    /// Sends a request to an absolute URL, which must lie below the endpoint (pagination links).
    func send(
        _ method: HTTPMethod, url: String, body: (any Encodable & Sendable)? = nil, kind: RequestKind,
        countsAgainstBudget: Bool = true
    ) async throws -> TransportResponse {
        guard endpoint.contains(url) else {
            throw PlatformError.invalidRequest("refusing to follow '\(url)': it is not below the endpoint \(endpoint)")
        }
        guard url.utf8.count <= PlatformAssumptions.maxURLLength else {
            throw PlatformError.invalidRequest(
                "request URL is \(url.utf8.count) characters, over the limit of \(PlatformAssumptions.maxURLLength); split the name filters into smaller queries")
        }
        let summary = RequestSummary(method: method, path: String(url.dropFirst(endpoint.baseURL.count)))
        // A configuration given directly skips `PlatformConfig.resolve`'s check; never hand the
        // HTTP layer a token it would refuse (and quote).
        if let problem = token.problem { throw PlatformError.invalidRequest(PlatformConfigError.invalidToken("the auth token", problem).description) }
        var headers: [(name: String, value: String)] = [
            (PlatformAssumptions.authHeaderName, token.value),
            ("Accept", "application/json"),
            ("User-Agent", options.userAgent),
        ]
        var bytes: [UInt8]?
        if let body {
            do { bytes = try RequestBodyEncoder.encode(body) } catch {
                throw PlatformError.invalidRequest("cannot encode the body of \(summary): \(error)")
            }
            headers.append(("Content-Type", "application/json"))
        }
        let request = TransportRequest(method: method, url: url, headers: headers, body: bytes, timeout: options.requestTimeout)
        return try await perform(request, summary: summary, kind: kind, countsAgainstBudget: countsAgainstBudget)
    }

    private func perform(
        _ request: TransportRequest, summary: RequestSummary, kind: RequestKind, countsAgainstBudget: Bool
    ) async throws -> TransportResponse {
        let policy = options.retry
        var attempts = 0
        var rateLimitWaits = 0
        while true {
            try Task.checkCancellation()
            if countsAgainstBudget { try await budget.acquire() }
            attempts += 1
            let started = clock.now()
            logger.debug("→ \(summary) (attempt \(attempts))")
            logger.trace("→ headers: \(Self.redacted(request.headers))")

            let response: TransportResponse
            do {
                response = try await transport.send(request)
            } catch var error as TransportError {
                error.message = scrub(error.message)
                logger.debug("✗ \(summary): \(error.message)")
                if error.phase == .maybeSent && kind == .create {
                    throw PlatformError.outcomeUnknown(request: summary, reason: error.message)
                }
                if error.kind.failsFast {
                    // A wrong or stopped endpoint: a few quick attempts, then one clear sentence.
                    let limit = min(policy.quickAttempts, policy.maxAttempts)
                    guard attempts < limit else {
                        throw PlatformError.cannotConnect(endpoint: endpoint.description, cause: error.message, attempts: attempts)
                    }
                    try await retry(summary, reason: error.message, attempt: attempts, of: limit,
                                    after: policy.quickBackoff * attempts)
                    continue
                }
                guard attempts < policy.maxAttempts else {
                    throw PlatformError.unreachable(request: summary, attempts: attempts, reason: error.message)
                }
                try await retry(summary, reason: error.message, attempt: attempts, of: policy.maxAttempts,
                                after: policy.backoff(beforeRetry: attempts))
                continue
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // A transport that throws something else: treat like a dropped connection.
                let reason = scrub(String(describing: error))
                if kind == .create { throw PlatformError.outcomeUnknown(request: summary, reason: reason) }
                guard attempts < policy.maxAttempts else {
                    throw PlatformError.unreachable(request: summary, attempts: attempts, reason: reason)
                }
                try await retry(summary, reason: reason, attempt: attempts, of: policy.maxAttempts,
                                after: policy.backoff(beforeRetry: attempts))
                continue
            }

            let elapsed = Int(((clock.now() - started) * 1000).rounded())
            let requestID = response.header("X-Request-Id")
            logger.debug("← \(response.status) \(summary) (\(elapsed) ms\(requestID.map { ", request id \($0)" } ?? ""))")
            logger.trace("← headers: \(Self.redacted(response.headers))")
            let remaining = response.header("X-RateLimit-Remaining").flatMap { Int($0.trimmingWhitespace()) }
            let reset = response.header("X-RateLimit-Reset").flatMap { Double($0.trimmingWhitespace()) }
            if countsAgainstBudget || remaining != nil { await budget.observe(remaining: remaining, reset: reset) }

            switch response.status {
            case 200..<300:
                return response

            case 429:
                // Refused before processing: safe to resend, creates included. The budget waits
                // out the reset (every request waits with it, and the wait is reported).
                guard rateLimitWaits < policy.maxRateLimitWaits else { throw apiError(response, summary) }
                rateLimitWaits += 1
                let wait = rateLimitWait(response: response, reset: reset, attempt: rateLimitWaits)
                logger.debug("rate limited on \(summary): waiting \(wait.seconds.formatted2) s")
                if countsAgainstBudget {
                    await budget.exhausted(until: clock.now() + wait.seconds)
                } else {
                    try await sleep(wait, reason: "rate limited on \(summary)")
                }
                continue

            case 500..<600:
                let body = errorBody(response)
                if kind == .create && !(response.status == 503 && PlatformAssumptions.serviceUnavailableMeansNotProcessed) {
                    throw PlatformError.outcomeUnknown(
                        request: summary, reason: "the platform answered \(response.status)\(body?.message.map { ": \($0)" } ?? "")")
                }
                guard attempts < policy.maxAttempts else { throw apiError(response, summary) }
                var delay = policy.backoff(beforeRetry: attempts)
                if response.status == 503, body?.code == 0 { delay = max(delay, policy.maintenanceBackoff) }
                try await retry(summary, reason: "HTTP \(response.status)", attempt: attempts, of: policy.maxAttempts, after: delay)
                continue

            default:
                throw apiError(response, summary)
            }
        }
    }

    private func rateLimitWait(response: TransportResponse, reset: Double?, attempt: Int) -> Duration {
        let policy = options.retry
        var seconds: Double
        if let reset {
            seconds = reset - clock.now()
        } else if let retryAfter = response.header("Retry-After").flatMap({ Double($0.trimmingWhitespace()) }) {
            seconds = retryAfter
        } else {
            seconds = policy.backoff(beforeRetry: attempt + 3).seconds
        }
        seconds = max(seconds, 0) + policy.random(policy.rateLimitSlack.seconds)
        seconds = min(seconds, policy.maxRateLimitWait.seconds)
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// Tells `options.onRetry`, then waits `delay` before attempt `attempt + 1`.
    private func retry(_ summary: RequestSummary, reason: String, attempt: Int, of limit: Int, after delay: Duration) async throws {
        options.onRetry?(RetryNotice(request: summary, endpoint: endpoint.description, reason: reason,
                                     attempt: attempt, maxAttempts: limit, delay: delay))
        try await sleep(delay, reason: "retrying \(summary) after: \(reason)")
    }

    private func sleep(_ duration: Duration, reason: String) async throws {
        logger.debug("waiting \(duration.seconds.formatted2) s: \(reason)")
        try await clock.sleep(for: duration)
    }

    private func errorBody(_ response: TransportResponse) -> PlatformErrorBody? {
        try? Self.decoder.decode(PlatformErrorBody.self, from: Data(response.body))
    }

    /// Removes the token from text that came from outside (a server that echoes headers).
    func scrub(_ text: String) -> String {
        token.redact(in: text)
    }

    private func apiError(_ response: TransportResponse, _ summary: RequestSummary) -> PlatformError {
        let body = errorBody(response)
        let message: String
        if let text = body?.message, !text.isEmpty {
            message = text
        } else {
            let raw = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingWhitespace()
            message = raw.isEmpty ? "no message" : raw
        }
        return .api(
            status: response.status, code: body?.code, message: scrub(message), moreInfo: body?.moreInfo,
            requestID: response.header("X-Request-Id"), request: summary)
    }
}

extension Double {
    var formatted2: String { String(format: "%.2f", self) }
}

/// The platform's date format (§3.3): `YYYY-MM-DDTHH:MM:SSZ`, optionally with a fraction.
enum PlatformDate {
    static func parse(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
