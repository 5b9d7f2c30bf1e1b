public import PlatformAPI
public import SyncCore

/// How the executor batches, paces and polls.
public struct ExecutorOptions: Sendable {
    /// Items per bulk call (the platform takes at most 100).
    public var batchSize: Int
    /// Bulk jobs submitted and not yet settled, at most (each polls on its own).
    public var maxJobsInFlight: Int
    /// Single-file calls in flight, at most: metadata and tags; and folders made or looked up,
    /// per batch (batches side by side each make their own folders this many at a time).
    public var maxUpdatesInFlight: Int
    /// First wait between two polls of a job; doubled up to `maxPollInterval`.
    public var pollInterval: Duration
    public var maxPollInterval: Duration
    /// DRS items submitted per `drsWindow`, at most (the platform's pace is 500 per 5 minutes).
    public var drsPace: Int
    public var drsWindow: Duration
    /// `execute` stops (cancelling what is in flight, which the journal keeps for the next
    /// apply to settle) once it has run this long; `nil`: no limit. A rate-limited run
    /// otherwise keeps going, waiting out each reset.
    public var maxDuration: Duration?

    public init(batchSize: Int = 100, maxJobsInFlight: Int = 4, maxUpdatesInFlight: Int = 4,
                pollInterval: Duration = .seconds(2), maxPollInterval: Duration = .seconds(30),
                drsPace: Int = 500, drsWindow: Duration = .seconds(300), maxDuration: Duration? = nil) {
        self.batchSize = min(max(1, batchSize), 100)
        self.maxJobsInFlight = max(1, maxJobsInFlight)
        self.maxUpdatesInFlight = max(1, maxUpdatesInFlight)
        self.pollInterval = pollInterval
        self.maxPollInterval = maxPollInterval
        self.drsPace = max(1, drsPace)
        self.drsWindow = drsWindow
        self.maxDuration = maxDuration
    }

    /// The least time the DRS pace needs for `drsItems` items not yet started: every whole
    /// window beyond the one that takes the first of them (the plan's cost note, the ETA's floor).
    public func paceFloorSeconds(drsItems: Int) -> Double {
        Double(max(0, drsItems - 1) / drsPace) * drsWindow.seconds
    }
}

/// What happened to one address.
public enum ItemOutcome: String, Sendable, Hashable, Codable {
    case imported, replaced, updated, forgotten
    /// Found on the platform from the same source and recorded, no import call.
    case adopted
    /// The name was taken by a file sbsync does not manage and the policy is `skip`.
    case skipped
    case failed
}

/// One item that did not end as planned, with the platform's message.
public struct ItemProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public var address: Address
    public var source: FileSource?
    public var outcome: ItemOutcome
    public var message: String
    /// Whether the file is recorded in the state all the same (imported, or updated before,
    /// but its metadata or tags could not be set): the next apply updates it.
    public var recorded: Bool

    public init(address: Address, source: FileSource?, outcome: ItemOutcome, message: String, recorded: Bool = false) {
        self.address = address
        self.source = source
        self.outcome = outcome
        self.message = message
        self.recorded = recorded
    }

    public var description: String { "\(address): \(message)" }
}

/// Progress, as the executor reports it. Delivered on the executor's tasks: keep handlers quick.
public enum ExecutorEvent: Sendable, Hashable {
    /// Work about to start: how many addresses this run handles.
    case started(total: Int)
    /// Unfinished journal batches found on start, and what settling them found.
    case settled(batches: Int, adopted: Int, notSubmitted: Int)
    /// Folders to find or make, each before the first import into it: how many (sent at the
    /// start when there are some, and again, lower, when some cannot be made).
    case folders(total: Int)
    /// A folder was created (`created`) or found on the platform.
    case folder(project: String, path: String, created: Bool)
    /// A bulk job was submitted: batch id, kind, items.
    case submitted(batch: Int64, kind: FileSource.Kind, items: Int)
    /// Items reached an end state. Counts are cumulative for this run.
    case progress(ExecutorCounts)
    /// The executor waits on the DRS pace for this long.
    case pacing(Duration)
    /// Requests wait this long for the platform's rate limit to reset (a 429, or
    /// `X-RateLimit-Remaining` at 0); the run goes on afterwards.
    case rateLimited(Duration)
    /// A problem with one item (also in the report).
    case problem(ItemProblem)
}

/// Running totals.
public struct ExecutorCounts: Sendable, Hashable, Codable {
    public var total = 0
    public var done = 0
    public var skipped = 0
    public var failed = 0
    public var jobsInFlight = 0
    /// Seconds spent waiting on the DRS pace.
    public var pacingSeconds = 0.0
    /// Seconds spent waiting on the platform's rate limit (429s and the request budget).
    public var rateLimitSeconds = 0.0
    /// At least this many seconds are left for the DRS items not yet started, at the DRS pace
    /// (a floor under the ETA: a paced run's early rate says little about its end).
    public var paceFloorSeconds = 0.0

    public init() {}

    public var finished: Int { done + skipped + failed }
}

/// What an `execute` run did.
public struct ExecutionReport: Sendable {
    public var counts: ExecutorCounts
    public var outcomes: [ItemOutcome: Int]
    /// Skipped and failed items, in the order they ended.
    public var problems: [ItemProblem]
    /// `true` when the run stopped submitting early (Ctrl-C) and some planned items were not started.
    public var interrupted: Bool

    public var failures: [ItemProblem] { problems.filter { $0.outcome == .failed } }
    public var skips: [ItemProblem] { problems.filter { $0.outcome == .skipped } }
}

/// What settling the journal did.
public struct SettleReport: Sendable, Hashable {
    /// Unfinished batches found.
    public var batches = 0
    /// Items whose file was found and recorded.
    public var adopted = 0
    /// Items of a batch whose POST never took effect: they are planned again.
    public var notSubmitted = 0
    /// Items that failed or were skipped (they are planned again).
    public var failed = 0

    public init() {}
}

/// Errors that stop a run (per-item problems never do).
public enum ExecutorError: Error, Sendable, CustomStringConvertible {
    case platform(PlatformError, context: String)
    case state(String)
    /// The run reached `ExecutorOptions.maxDuration`.
    case maxDurationReached(Duration)

    public var description: String {
        switch self {
        case .platform(let error, let context): "\(context): \(error)"
        case .state(let detail): "state: \(detail)"
        case .maxDurationReached(let limit):
            "stopped after the maximum duration of \(Int(limit.components.seconds)) s; what was in flight stays in the journal"
        }
    }
}
