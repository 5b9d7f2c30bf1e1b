public import SyncCore

/// One line of `sbsync apply --json`: `{"format_version":1,"event":"progress",…}`, the event's own
/// keys after `event`.
///
/// | event | keys |
/// |---|---|
/// | `started` | `total` |
/// | `settled` | `batches`, `adopted`, `not_submitted` |
/// | `folders` | `total` |
/// | `folder` | `project`, `path`, `created` |
/// | `submitted` | `batch`, `kind`, `items` |
/// | `progress` | `total`, `done`, `skipped`, `failed`, `jobs_in_flight`, `pacing_seconds`, `rate_limit_seconds` |
/// | `pacing` | `seconds` |
/// | `skipped`, `failed` | `address`, `outcome`, `source`, `message` |
/// | `done` | `changes`, `imported`, `replaced`, `updated`, `forgotten`, `skipped`, `failed`, `interrupted`, `failures_file`, `adopted` |
public enum ApplyEventDocument: JSONDocument, Codable, Hashable, Sendable {
    public static let jsonStyle = JSONStyle.compact
    /// A change of any existing key's meaning bumps it; new keys and events do not.
    public static let formatVersion = 1

    case started(Started)
    case settled(Settled)
    /// Folders to find or make (`total`, as `started`); sent again, lower, when some cannot be made.
    case folders(Started)
    case folder(Folder)
    case submitted(Submitted)
    case progress(Progress)
    case pacing(Pacing)
    /// Requests wait for the platform's rate limit to reset (`seconds`, as `pacing`).
    case rateLimited(Pacing)
    case skipped(ProblemDocument)
    case failed(ProblemDocument)
    case done(Done)

    public struct Started: Codable, Hashable, Sendable {
        /// Addresses this run handles.
        public var total: Int
    }

    /// Unfinished journal batches found on start, and what settling them found.
    public struct Settled: Codable, Hashable, Sendable {
        public var batches: Int
        public var adopted: Int
        public var notSubmitted: Int

        enum CodingKeys: String, CodingKey { case batches, adopted, notSubmitted = "not_submitted" }
    }

    /// A folder created (`created`) or found on the platform.
    public struct Folder: Codable, Hashable, Sendable {
        public var project: String
        public var path: String
        public var created: Bool
    }

    /// A bulk job submitted.
    public struct Submitted: Codable, Hashable, Sendable {
        public var batch: Int64
        public var kind: FileSource.Kind
        public var items: Int
    }

    /// Running totals of this run.
    public struct Progress: Codable, Hashable, Sendable {
        public var total: Int
        public var done: Int
        public var skipped: Int
        public var failed: Int
        public var jobsInFlight: Int
        public var pacingSeconds: Double
        public var rateLimitSeconds: Double

        enum CodingKeys: String, CodingKey {
            case total, done, skipped, failed, jobsInFlight = "jobs_in_flight", pacingSeconds = "pacing_seconds"
            case rateLimitSeconds = "rate_limit_seconds"
        }
    }

    /// A wait on the DRS pace, in whole seconds.
    public struct Pacing: Codable, Hashable, Sendable {
        public var seconds: Double
    }

    /// The last line: what the run did.
    public struct Done: Codable, Hashable, Sendable {
        /// Planned changes (0: nothing to do; the counts below are then all 0).
        public var changes: Int
        public var imported: Int
        public var replaced: Int
        public var updated: Int
        public var forgotten: Int
        public var skipped: Int
        public var failed: Int
        /// Stopped early (Ctrl-C): some planned items were not started.
        public var interrupted: Bool
        /// Where the skipped and failed items are listed; `null` when there are none.
        public var failuresFile: String?
        /// Files found on the platform from the same source and recorded without an import.
        public var adopted: Int = 0

        enum CodingKeys: String, CodingKey {
            case changes, imported, replaced, updated, forgotten, skipped, failed, interrupted, failuresFile = "failures_file", adopted
        }
    }

    /// The event's document.
    public init(_ event: ExecutorEvent) {
        switch event {
        case .started(let total):
            self = .started(Started(total: total))
        case .settled(let batches, let adopted, let notSubmitted):
            self = .settled(Settled(batches: batches, adopted: adopted, notSubmitted: notSubmitted))
        case .folders(let total):
            self = .folders(Started(total: total))
        case .folder(let project, let path, let created):
            self = .folder(Folder(project: project, path: path, created: created))
        case .submitted(let batch, let kind, let items):
            self = .submitted(Submitted(batch: batch, kind: kind, items: items))
        case .progress(let c):
            self = .progress(Progress(total: c.total, done: c.done, skipped: c.skipped, failed: c.failed, jobsInFlight: c.jobsInFlight,
                                      pacingSeconds: c.pacingSeconds, rateLimitSeconds: c.rateLimitSeconds))
        case .pacing(let wait):
            self = .pacing(Pacing(seconds: Double(wait.components.seconds)))
        case .rateLimited(let wait):
            self = .rateLimited(Pacing(seconds: Double(wait.components.seconds)))
        case .problem(let problem):
            self = problem.outcome == .skipped ? .skipped(ProblemDocument(problem)) : .failed(ProblemDocument(problem))
        }
    }

    /// The `done` line of a run that planned `changes` changes and executed them into `report`
    /// (`nil`: nothing was executed).
    /// - Parameter failuresFile: where the failures file was written; `nil` when there was none.
    public static func done(changes: Int, report: ExecutionReport?, failuresFile: String?) -> ApplyEventDocument {
        let outcomes = report?.outcomes ?? [:]
        return .done(Done(changes: changes, imported: outcomes[.imported] ?? 0, replaced: outcomes[.replaced] ?? 0,
                          updated: outcomes[.updated] ?? 0, forgotten: outcomes[.forgotten] ?? 0,
                          skipped: report?.skips.count ?? 0, failed: report?.failures.count ?? 0,
                          interrupted: report?.interrupted ?? false, failuresFile: failuresFile,
                          adopted: outcomes[.adopted] ?? 0))
    }

    /// The value of `event`.
    public var event: String {
        switch self {
        case .started: "started"
        case .settled: "settled"
        case .folders: "folders"
        case .folder: "folder"
        case .submitted: "submitted"
        case .progress: "progress"
        case .pacing: "pacing"
        case .rateLimited: "rate_limited"
        case .skipped: "skipped"
        case .failed: "failed"
        case .done: "done"
        }
    }

    enum HeadKeys: String, CodingKey { case formatVersion = "format_version", event }

    public func encode(to encoder: any Encoder) throws {
        var head = encoder.container(keyedBy: HeadKeys.self)
        try head.encode(Self.formatVersion, forKey: .formatVersion)
        try head.encode(event, forKey: .event)
        // The event's own keys, in the same object.
        switch self {
        case .started(let body), .folders(let body): try body.encode(to: encoder)
        case .settled(let body): try body.encode(to: encoder)
        case .folder(let body): try body.encode(to: encoder)
        case .submitted(let body): try body.encode(to: encoder)
        case .progress(let body): try body.encode(to: encoder)
        case .pacing(let body), .rateLimited(let body): try body.encode(to: encoder)
        case .skipped(let body), .failed(let body): try body.encode(to: encoder)
        case .done(let body): try body.encode(to: encoder)
        }
    }

    public init(from decoder: any Decoder) throws {
        let head = try decoder.container(keyedBy: HeadKeys.self)
        let event = try head.decode(String.self, forKey: .event)
        switch event {
        case "started": self = .started(try Started(from: decoder))
        case "settled": self = .settled(try Settled(from: decoder))
        case "folders": self = .folders(try Started(from: decoder))
        case "folder": self = .folder(try Folder(from: decoder))
        case "submitted": self = .submitted(try Submitted(from: decoder))
        case "progress": self = .progress(try Progress(from: decoder))
        case "pacing": self = .pacing(try Pacing(from: decoder))
        case "rate_limited": self = .rateLimited(try Pacing(from: decoder))
        case "skipped": self = .skipped(try ProblemDocument(from: decoder))
        case "failed": self = .failed(try ProblemDocument(from: decoder))
        case "done": self = .done(try Done(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .event, in: head, debugDescription: "unknown event '\(event)'")
        }
    }
}

/// An item that was skipped or failed, with the platform's message: a `skipped`/`failed` event
/// and an entry of the failures file.
public struct ProblemDocument: Codable, Hashable, Sendable {
    public var address: String
    public var outcome: ItemOutcome
    /// `null` when the item had no source (a metadata update).
    public var source: SourceDocument?
    public var message: String

    public init(_ problem: ItemProblem) {
        address = problem.address.description
        outcome = problem.outcome
        source = problem.source.map(SourceDocument.init)
        message = problem.message
    }
}

/// The failures file `apply` writes (`STATE.failures.json`, or `--failures PATH`): the items that
/// were skipped or failed, in the order they ended. They are not recorded; the next apply tries
/// them again.
public struct FailuresDocument: JSONDocument, Codable, Hashable, Sendable {
    public static let jsonStyle = JSONStyle.pretty
    public static let currentFormatVersion = 1

    public var formatVersion = Self.currentFormatVersion
    public var items: [ProblemDocument]

    enum CodingKeys: String, CodingKey { case formatVersion = "format_version", items }

    public init(_ problems: [ItemProblem]) {
        items = problems.map(ProblemDocument.init)
    }
}
