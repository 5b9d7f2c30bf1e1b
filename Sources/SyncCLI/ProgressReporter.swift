import Foundation
import PlatformAPI
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
/// one JSON event per line (`--json`, on standard output). Every line and event is written
/// with one unbuffered `write` as it happens (`CommandIO.standard`), so a pipe or a CI log sees
/// it at once; `ticking` prints the plain line on time even while no event arrives (a long job,
/// a rate-limit wait).
final class ProgressReporter: Sendable {
    private struct State {
        var counts = ExecutorCounts()
        var started = Date()
        var lastLine = Date.distantPast
        var lineShown = false
        /// Between `.started` and `finish()`: the ticker prints lines.
        var running = false
        /// Whether a `.progress` event came: from then on its `jobsInFlight` is the count.
        var progressSeen = false
        /// Folders to find or make before the imports, and how many are done.
        var folders = (done: 0, total: 0)
        /// When the latest DRS pace wait ends: batches waiting side by side overlap, and their
        /// time is counted (and announced) once, as the executor counts it.
        var pacedUntil = Date.distantPast
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
                state.lastLine = state.started  // the first status line after one interval
                state.running = true
                // Without a terminal, say at once that work started and when to expect lines.
                return live ? nil : "Applying \(total) change(s); a progress line every \(Self.duration(interval))."
            case .progress(let counts):
                state.progressSeen = true
                let pacing = max(state.counts.pacingSeconds, counts.pacingSeconds)
                state.counts = counts
                state.counts.pacingSeconds = pacing
            case .pacing(let wait):
                let until = now.addingTimeInterval(wait.seconds)
                let added = until.timeIntervalSince(max(now, state.pacedUntil))
                guard added > 0 else { break }
                state.counts.pacingSeconds += added
                state.pacedUntil = until
                // A wait longer than 2 s is shown when it starts, whatever the interval.
                if added > 2 {
                    state.lastLine = now
                    state.lineShown = live
                    return Self.statusLine(state.counts, elapsed: now.timeIntervalSince(state.started), folders: state.folders)
                        + " · waiting \(Self.duration(Double(wait.components.seconds))) on the DRS pace"
                }
            case .rateLimited(let wait):
                // Shown at once, whatever the interval: the run is not stuck, it waits.
                state.lastLine = now
                state.lineShown = live
                return Self.statusLine(state.counts, elapsed: now.timeIntervalSince(state.started), folders: state.folders)
                    + " · waiting \(Self.duration(Double(wait.components.seconds))) for the rate limit to reset"
            case .submitted:
                // Before the first `.progress` (which brings the executor's own count), no job
                // has ended: every job submitted is in flight.
                if !state.progressSeen { state.counts.jobsInFlight += 1 }
            case .folders(let total):
                state.folders.total = total  // lower again when some cannot be made
            case .folder:
                state.folders.done += 1
            case .problem, .settled:
                break
            }
            guard now.timeIntervalSince(state.lastLine) >= interval else { return nil }
            state.lastLine = now
            state.lineShown = live
            return Self.statusLine(state.counts, elapsed: now.timeIntervalSince(state.started), folders: state.folders)
        }
        if let line { io.stderr(live ? "\r\u{1B}[2K" + line : line + "\n") }
    }

    /// Ends the live line; the ticker prints no more.
    func finish() {
        guard !json else { return }
        let shown = state.withLock { state in
            state.running = false
            defer { state.lineShown = false }
            return state.lineShown
        }
        if shown { io.stderr("\n") }
    }

    /// Runs `body` while a ticker prints the status line every interval (text output only),
    /// events or not: a CI log shows a line every few seconds through a long wait. Ends with `finish()`.
    func ticking<R>(_ body: () async throws -> R) async throws -> R {
        guard !json else { return try await body() }
        let interval = self.interval
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .milliseconds(Int64(interval * 1000))) } catch { return }
                    tick()
                }
            }
            defer {
                group.cancelAll()
                finish()  // the live line ends before whatever is printed next, an error included
            }
            return try await body()
        }
    }

    /// Prints the status line when the last one is an interval old (and the run has started).
    func tick() {
        let line: String? = state.withLock { state in
            let now = Date()
            guard state.running, now.timeIntervalSince(state.lastLine) >= interval * 0.95 else { return nil }
            state.lastLine = now
            state.lineShown = live
            return Self.statusLine(state.counts, elapsed: now.timeIntervalSince(state.started), folders: state.folders)
        }
        if let line { io.stderr(live ? "\r\u{1B}[2K" + line : line + "\n") }
    }

    /// - Parameter folders: folders found or made, of those to find or make first; shown until
    ///   they are all done.
    static func statusLine(_ c: ExecutorCounts, elapsed: TimeInterval, folders: (done: Int, total: Int) = (0, 0)) -> String {
        let rate = elapsed > 0 ? Double(c.finished) / elapsed : 0
        let remaining = max(0, c.total - c.finished)
        // The DRS pace puts a floor under a paced run's ETA that its early rate does not show.
        let left = rate > 0 ? max(Double(remaining) / rate, c.paceFloorSeconds) : (c.paceFloorSeconds > 0 ? c.paceFloorSeconds : nil)
        let eta = left.map { Self.duration($0) } ?? "?"
        var line = folders.done < folders.total ? "folders \(folders.done)/\(folders.total) · " : ""
        line += "\(c.finished)/\(c.total) done"
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
