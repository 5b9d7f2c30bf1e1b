/// The request budget shared by every call to one platform account: a token bucket of
/// `capacity` requests refilled evenly over `window` (1000 per 5 minutes by default), corrected
/// by what the server says (`X-RateLimit-Remaining`, `X-RateLimit-Reset`). Share one budget
/// between all clients that use the same token.
public actor RequestBudget {
    public nonisolated let capacity: Int
    public nonisolated let window: Duration
    private let clock: any PlatformClock
    private var tokens: Double
    private var lastRefill: Double
    private var serverRemaining: Int?
    private var serverReset: Double?
    /// Total time spent waiting for the budget, for progress reports (overlapping waits once).
    public private(set) var totalWait: Duration = .zero
    private var waitedUntil = 0.0
    private var waitObserver: (@Sendable (Duration) -> Void)?

    /// - Parameters:
    ///   - capacity: requests allowed per window.
    ///   - window: the window length.
    ///   - initialTokens: how full the bucket starts; by default full.
    ///   - clock: time source and sleeper.
    public init(
        capacity: Int = PlatformAssumptions.requestsPerWindow,
        window: Duration = PlatformAssumptions.rateLimitWindow,
        initialTokens: Int? = nil,
        clock: any PlatformClock = SystemPlatformClock()
    ) {
        self.capacity = max(1, capacity)
        self.window = window
        self.clock = clock
        self.tokens = Double(min(initialTokens ?? capacity, capacity))
        self.lastRefill = clock.now()
    }

    private var refillPerSecond: Double { Double(capacity) / max(window.seconds, 0.001) }

    /// Takes one request from the budget, sleeping until one is available.
    ///
    /// Once the server has said how many requests are left in its window and when the window
    /// resets (`X-RateLimit-Remaining`, `X-RateLimit-Reset`, or a 429), those numbers alone pace
    /// the requests: none is held back while the server has some left, and at the reset the
    /// window starts full again. The local bucket only paces a server that sends no headers.
    /// - Throws: `CancellationError` when cancelled while waiting.
    public func acquire() async throws {
        while true {
            try Task.checkCancellation()
            let now = clock.now()
            refill(now: now)
            if let reset = serverReset, now >= reset {
                // The server's window is over: the next one starts full.
                serverReset = nil
                serverRemaining = nil
                tokens = Double(capacity)
            }
            var wait: Double
            if let remaining = serverRemaining, serverReset != nil {
                if remaining > 0 {
                    serverRemaining = remaining - 1
                    tokens = max(0, tokens - 1)
                    return
                }
                wait = (serverReset ?? now) - now
            } else if tokens >= 1 {
                tokens -= 1
                return
            } else {
                wait = (1 - tokens) / refillPerSecond
            }
            wait = min(max(wait, 0.001), window.seconds)
            let duration = Duration.milliseconds(Int64((wait * 1000).rounded(.up)))
            // Concurrent waiters overlap: count the wall time once.
            let until = now + duration.seconds
            totalWait += .milliseconds(Int64((max(0, until - max(now, waitedUntil)) * 1000).rounded()))
            if until > waitedUntil {
                waitedUntil = until
                waitObserver?(duration)
            }
            try await clock.sleep(for: duration)
        }
    }

    /// Calls `observer` with the length of each new wait for the budget (a rate-limited run
    /// shows it in its progress output).
    public func onWait(_ observer: (@Sendable (Duration) -> Void)?) {
        waitObserver = observer
    }

    /// Folds in the rate-limit headers of a response.
    /// - Parameters:
    ///   - remaining: `X-RateLimit-Remaining`.
    ///   - reset: `X-RateLimit-Reset`, Unix seconds.
    public func observe(remaining: Int?, reset: Double?) {
        let now = clock.now()
        refill(now: now)
        guard let remaining else { return }
        guard let reset, reset > now else {
            tokens = min(tokens, Double(max(remaining, 0)))
            return
        }
        if let known = serverReset, abs(reset - known) < 1 {
            // Same window: answers arrive out of order, so the lowest count is the freshest.
            serverRemaining = min(serverRemaining ?? remaining, remaining)
        } else if let known = serverReset, reset < known {
            // An answer from before the window this side already knows of: stale.
            return
        } else {
            serverRemaining = remaining
            serverReset = reset
        }
    }

    /// Marks the budget exhausted until `reset` (after a 429).
    public func exhausted(until reset: Double?) {
        tokens = 0
        serverRemaining = 0
        serverReset = reset ?? (clock.now() + window.seconds)
    }

    /// Requests available now, as far as this side knows.
    public var available: Int {
        refill(now: clock.now())
        let local = Int(tokens)
        return serverRemaining.map { min($0, local) } ?? local
    }

    private func refill(now: Double) {
        let elapsed = max(0, now - lastRefill)
        tokens = min(Double(capacity), tokens + elapsed * refillPerSecond)
        lastRefill = now
    }
}
