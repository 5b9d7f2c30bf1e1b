import Foundation
import SyncEngine
import Synchronization

/// A counter shared with a signal handler.
final class SignalCounter: Sendable {
    private let storage = Mutex(0)
    /// Adds one; returns the new value.
    func increment() -> Int { storage.withLock { $0 += 1; return $0 } }
    var value: Int { storage.withLock { $0 } }
}

/// Shows the executor's progress: a live status line on a terminal (done / total, rate, ETA,
/// jobs in flight, time waiting on the DRS pace), a plain line every few seconds otherwise, or
/// one JSON event per line (`--json`, on standard output).
final class ProgressReporter: Sendable {
    private struct State {
        var counts = ExecutorCounts()
        var started = Date()
        var lastLine = Date.distantPast
        var lineShown = false
    }

    private let io: CommandIO
    private let json: Bool
    private let live: Bool
    private let color: Bool
    private let interval: TimeInterval
    private let state = Mutex(State())

    init(io: CommandIO, json: Bool, live: Bool, color: Bool, interval: TimeInterval? = nil) {
        self.io = io
        self.json = json
        self.live = live
        self.color = color
        self.interval = interval ?? (live ? 0.2 : 5)
    }

    func handle(_ event: ExecutorEvent) {
        if json {
            emit(ApplyEventDocument(event))
            return
        }
        let line: String? = state.withLock { state in
            let now = Date()
            switch event {
            case .started(let total):
                state.counts.total = total
                state.started = Date()
                state.lastLine = state.started  // the first line after one interval
                return nil
            case .progress(let counts):
                let pacing = max(state.counts.pacingSeconds, counts.pacingSeconds)
                state.counts = counts
                state.counts.pacingSeconds = pacing
            case .pacing(let wait):
                state.counts.pacingSeconds += Double(wait.components.seconds)
            case .rateLimited(let wait):
                // Shown at once, whatever the interval: the run is not stuck, it waits.
                state.lastLine = now
                state.lineShown = live
                return Self.statusLine(state.counts, elapsed: now.timeIntervalSince(state.started))
                    + " · waiting \(Self.duration(Double(wait.components.seconds))) for the rate limit to reset"
            case .problem, .folder, .submitted, .settled:
                break
            }
            guard now.timeIntervalSince(state.lastLine) >= interval else { return nil }
            state.lastLine = now
            state.lineShown = live
            return Self.statusLine(state.counts, elapsed: now.timeIntervalSince(state.started))
        }
        if let line { io.stderr(live ? "\r\u{1B}[2K" + line : line + "\n") }
    }

    /// Ends the live line.
    func finish() {
        guard !json else { return }
        let shown = state.withLock { state in
            defer { state.lineShown = false }
            return state.lineShown
        }
        if shown { io.stderr("\n") }
    }

    static func statusLine(_ c: ExecutorCounts, elapsed: TimeInterval) -> String {
        let rate = elapsed > 0 ? Double(c.finished) / elapsed : 0
        let remaining = max(0, c.total - c.finished)
        let eta = rate > 0 ? Self.duration(Double(remaining) / rate) : "?"
        var line = "\(c.finished)/\(c.total) done"
        if c.skipped > 0 { line += ", \(c.skipped) skipped" }
        if c.failed > 0 { line += ", \(c.failed) failed" }
        line += " · " + String(format: "%.1f", rate) + " files/s · ETA \(eta) · \(c.jobsInFlight) job(s) in flight"
        if c.rateLimitSeconds >= 1 { line += " · waited \(Self.duration(c.rateLimitSeconds)) on rate limits" }
        if c.pacingSeconds >= 1 { line += " · \(Self.duration(c.pacingSeconds)) on the DRS pace" }
        return line
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }

    /// Writes one `--json` event line (the executor's events, and apply's `done`).
    func emit(_ document: ApplyEventDocument) {
        do {
            io.stdout(try document.jsonText())
        } catch {
            // Only a NaN or infinite count could fail, and counts are finite.
            io.stderr(InternalFailure.message(for: error))
        }
    }
}
