#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension Plan {
    /// The version of `sbsync plan --json`. A consumer must check it; a change of any existing
    /// field's meaning bumps it, new fields do not.
    public static let jsonFormatVersion = 1

    /// The machine-readable plan (`sbsync plan --json`, `PlanDocument`), pretty-printed, ends with a newline.
    /// - Throws: `EncodingError` for a NaN or infinite metadata value (validation rejects them first).
    public func json() throws -> Data {
        try PlanDocument(self).jsonData()
    }
}

/// `sbsync plan --json`.
///
/// ```json
/// {"format_version": 1, "has_changes": true,
///  "summary": {"import", "replace", "update", "forget", "unchanged"},
///  "projects": [{"project", "import", "replace", "update", "forget", "unchanged"}],
///  "actions": [{"address", "project", "path", "action", "reason", "reasons", "before", "after"}],
///  "notes": ["…"]}
/// ```
/// `before` (what the state holds: source, metadata, tags, file_id, actual_name) is `null` for an
/// import; `after` (what the manifest wants: source, metadata, tags, conflict) is `null` for a forget.
public struct PlanDocument: JSONDocument, Codable {
    public static let jsonStyle = JSONStyle.pretty

    public var formatVersion = Plan.jsonFormatVersion
    public var hasChanges: Bool
    public var summary: Counts
    public var projects: [ProjectCounts]
    /// In plan order (project, action, address); unchanged files are not listed.
    public var actions: StreamedList<Action>
    /// The plan's `note:` lines.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", hasChanges = "has_changes", summary, projects, actions, notes
    }

    public struct Counts: Codable, Hashable, Sendable {
        public var `import`: Int
        public var replace: Int
        public var update: Int
        public var forget: Int
        public var unchanged: Int
        /// Renamed or moved on the platform (a refreshed plan); absent when none.
        public var move: Int?

        public init(_ counts: PlanCounts) {
            self.import = counts.imports
            replace = counts.replaces
            update = counts.updates
            forget = counts.forgets
            unchanged = counts.unchanged
            move = counts.moves > 0 ? counts.moves : nil
        }

        enum CodingKeys: String, CodingKey { case `import`, replace, update, forget, unchanged, move }

        /// `move` is left out when there is none (plans without a refresh never have one).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.import, forKey: .import)
            try c.encode(replace, forKey: .replace)
            try c.encode(update, forKey: .update)
            try c.encode(forget, forKey: .forget)
            try c.encode(unchanged, forKey: .unchanged)
            if let move { try c.encode(move, forKey: .move) }
        }
    }

    /// `{"project": …}` and the project's counts, in one object.
    public struct ProjectCounts: Codable, Hashable, Sendable {
        public var project: String
        public var counts: Counts

        enum CodingKeys: String, CodingKey { case project }

        public init(_ project: ProjectPlan) {
            self.project = project.project
            counts = Counts(project.counts)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(project, forKey: .project)
            try counts.encode(to: encoder)
        }

        public init(from decoder: any Decoder) throws {
            project = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .project)
            counts = try Counts(from: decoder)
        }
    }

    public struct Action: Codable, Hashable, Sendable {
        public var address: String
        public var project: String
        public var path: String
        public var action: PlanAction
        /// `reasons` joined with "; ".
        public var reason: String
        public var reasons: [String]
        public var before: Recorded?
        public var after: Desired?

        public init(_ change: PlannedChange) {
            address = change.address.description
            project = change.address.project
            path = change.address.path
            action = change.action
            reason = change.reason
            reasons = change.reasons.map(\.description)
            before = change.before.map(Recorded.init)
            after = change.after.map(Desired.init)
        }
    }

    /// What the state holds, the platform's side included.
    public struct Recorded: Codable, Hashable, Sendable {
        public var source: SourceDocument
        public var metadata: MetadataDocument
        public var tags: [String]
        public var fileID: String?
        public var actualName: String

        enum CodingKeys: String, CodingKey {
            case source, metadata, tags, fileID = "file_id", actualName = "actual_name"
        }

        public init(_ file: RecordedFile) {
            source = SourceDocument(file.source)
            metadata = MetadataDocument(file.metadata)
            tags = file.tags
            fileID = file.fileID
            actualName = file.actualName
        }
    }

    /// What the manifest wants.
    public struct Desired: Codable, Hashable, Sendable {
        public var source: SourceDocument
        public var metadata: MetadataDocument
        public var tags: [String]
        public var conflict: ConflictPolicy

        public init(_ file: DesiredFile) {
            source = SourceDocument(file.source)
            metadata = MetadataDocument(file.metadata)
            tags = file.tags
            conflict = file.policy
        }
    }

    public init(_ plan: Plan) {
        hasChanges = plan.hasChanges
        summary = Counts(plan.counts)
        projects = plan.projects.map(ProjectCounts.init)
        actions = StreamedList(plan.projects.lazy.flatMap(\.changes), Action.init)
        notes = plan.notes
    }
}
