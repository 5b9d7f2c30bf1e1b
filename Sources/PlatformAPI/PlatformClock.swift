internal import Foundation

/// Wall-clock time and sleeping, injected so retry timing is tested without real sleeps.
/// `now()` is Unix time because `X-RateLimit-Reset` is given in Unix seconds.
public protocol PlatformClock: Sendable {
    /// Seconds since 1970-01-01 UTC.
    func now() -> Double
    /// Sleeps for `duration`.
    /// - Throws: `CancellationError` when the task is cancelled while sleeping.
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemPlatformClock: PlatformClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// How requests are retried. Backoff is exponential with full jitter: before retry `n`
/// (1-based) the client sleeps a uniform random time in `0 ... min(maxBackoff, baseBackoff · 2^(n-1))`.
public struct RetryPolicy: Sendable {
    /// Attempts per request for 5xx and transport failures, the first included.
    public var maxAttempts: Int
    public var baseBackoff: Duration
    public var maxBackoff: Duration
    /// How many 429 answers one request may wait out before the 429 is surfaced. Unlimited by
    /// default: the platform's window resets every 5 minutes, so a rate-limited run keeps going
    /// (the caller bounds it: Ctrl-C, `--max-duration`).
    public var maxRateLimitWaits: Int
    /// The longest single wait for a rate-limit reset; a longer reset is waited in steps.
    public var maxRateLimitWait: Duration
    /// Extra delay added after a rate-limit reset, so all clients do not return at once.
    public var rateLimitSlack: Duration
    /// The shortest backoff after a maintenance answer (503 with platform code 0).
    public var maintenanceBackoff: Duration
    /// Attempts per request, the first included, when the connection is refused or the host
    /// name does not resolve (`TransportError.Kind.failsFast`): at most `maxAttempts`.
    public var quickAttempts: Int
    /// The wait before quick retry `n` is `n × quickBackoff` (no jitter).
    public var quickBackoff: Duration
    /// Returns a uniform random number in `0 ... upper`. Injected so tests are deterministic.
    public var random: @Sendable (_ upper: Double) -> Double

    public init(
        maxAttempts: Int = 6,
        baseBackoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(60),
        maxRateLimitWaits: Int = .max,
        maxRateLimitWait: Duration = .seconds(300),
        rateLimitSlack: Duration = .seconds(1),
        maintenanceBackoff: Duration = .seconds(60),
        quickAttempts: Int = 3,
        quickBackoff: Duration = .milliseconds(500),
        random: @escaping @Sendable (_ upper: Double) -> Double = { upper in upper > 0 ? Double.random(in: 0...upper) : 0 }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
        self.maxRateLimitWaits = max(0, maxRateLimitWaits)
        self.maxRateLimitWait = maxRateLimitWait
        self.rateLimitSlack = rateLimitSlack
        self.maintenanceBackoff = maintenanceBackoff
        self.quickAttempts = max(1, quickAttempts)
        self.quickBackoff = quickBackoff
        self.random = random
    }

    /// The backoff before retry `retry` (1 = the first retry).
    public func backoff(beforeRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(maxBackoff.seconds, baseBackoff.seconds * Double(1 << exponent))
        let value = min(max(random(ceiling), 0), ceiling)
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}
