/// What a plan does to one address. No-op is counted (`PlanCounts.unchanged`) but never listed.
///
/// The declaration order is the order a plan lists its groups in.
public enum PlanAction: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Desired, not in the state: bulk import under the entry's conflict policy.
    case `import`
    /// In the state, but its source changed: import again with overwrite (the file is ours).
    case replace
    /// In the state, same source, metadata or tags changed: metadata/tags calls, no re-import.
    case update
    /// In the state, but renamed or moved on the platform (found by a refresh): moved back.
    case move
    /// In the state, no longer desired: removed from the state; the file stays on the platform.
    case forget
    /// Desired, not in the state, and the platform already holds it from the same source:
    /// recorded, no import call (`before` is the platform's file as it would be recorded).
    case adopt

    /// The plan symbol: `+`, `-/+`, `~`, `-`.
    public var symbol: String {
        switch self {
        case .import: "+"
        case .replace: "-/+"
        case .update: "~"
        case .move: ">"
        case .forget: "-"
        case .adopt: "="
        }
    }

    public static func < (a: PlanAction, b: PlanAction) -> Bool {
        a.rank < b.rank
    }

    /// Whether summaries show this action's count even when it is 0. Actions only some runs can
    /// plan (`move`, found by a refresh; `adopt`, found at a destination) are shown when there are some, so the usual plan reads
    /// as it always has.
    public var alwaysCounted: Bool {
        switch self {
        case .import, .replace, .update, .forget: true
        case .move, .adopt: false
        }
    }

    /// 0…4 in listing order.
    var rank: Int {
        switch self {
        case .import: 0
        case .replace: 1
        case .update: 2
        case .move: 3
        case .forget: 4
        case .adopt: 5
        }
    }
}

/// Why an address is in the plan. One change can have several (e.g. two metadata keys).
public enum ChangeReason: Hashable, Sendable, CustomStringConvertible {
    /// Import: the state has no file at this address.
    case notInState
    /// Replace: the recorded source differs from the manifest's.
    case sourceChanged(from: FileSource, to: FileSource)
    case metadataChanged(key: String, from: MetadataValue, to: MetadataValue)
    case metadataAdded(key: String, value: MetadataValue)
    case metadataRemoved(key: String, value: MetadataValue)
    /// Tags compare as sets: a new order or a repeated tag is no change.
    case tagsChanged(added: [String], removed: [String])
    /// Forget: the manifest no longer declares the address.
    case noLongerInManifest
    /// Found by a refresh (`FileDrift`): what the platform holds differs from the record.
    case drift(FileDrift)
    /// Adopt: the platform holds a file at the address from the same source.
    case foundOnPlatform
    /// Adopt of a DRS file whose source the platform does not show: matched by name (and the
    /// manifest's metadata) only.
    case foundOnPlatformByName
    /// Import: the address is taken on the platform by something sbsync did not import from
    /// this source (`what` says what); the entry's conflict policy settles it.
    case destinationTaken(what: String, policy: ConflictPolicy)
    /// Update: the last metadata and tags edit was sent, and the run ended before its answer
    /// (`SpecDigest.editUnconfirmed`).
    case editUnconfirmed

    public var description: String {
        switch self {
        case .notInState:
            "not in state"
        case .sourceChanged(let from, let to):
            "source changed from \(from) to \(to)"
        case .metadataChanged(let key, let from, let to):
            "metadata key '\(key)' changed from \(Self.show(from)) to \(Self.show(to))"
        case .metadataAdded(let key, let value):
            "metadata key '\(key)' added with value \(Self.show(value))"
        case .metadataRemoved(let key, let value):
            "metadata key '\(key)' removed (was \(Self.show(value)))"
        case .tagsChanged(let added, let removed):
            switch (added.isEmpty, removed.isEmpty) {
            case (false, false): "tags added: \(added.joined(separator: ", ")); removed: \(removed.joined(separator: ", "))"
            case (false, true): "tags added: \(added.joined(separator: ", "))"
            case (true, false): "tags removed: \(removed.joined(separator: ", "))"
            case (true, true): "tags unchanged"
            }
        case .noLongerInManifest:
            "no longer in the manifest"
        case .drift(let drift):
            drift.description
        case .foundOnPlatform:
            "already on the platform from the same source"
        case .foundOnPlatformByName:
            "already on the platform under this name; its DRS source is not shown by the platform, matched by name only"
        case .destinationTaken(let what, let policy):
            "conflict: the platform holds \(what) at this address; conflict policy '\(policy.rawValue)' decides"
        case .editUnconfirmed:
            "its last metadata and tags edit was not confirmed (the run ended first); they are set again"
        }
    }

    /// Strings quoted, other types bare, so `'4'` (a string) and `4` (an integer) read differently.
    static func show(_ value: MetadataValue) -> String {
        if case .string(let s) = value { return "'\(s)'" }
        return value.description
    }
}

/// One listed entry of a plan.
public struct PlannedChange: Hashable, Sendable {
    public var address: Address
    public var action: PlanAction
    public var reasons: [ChangeReason]
    /// What the state holds (`nil` for an import).
    public var before: RecordedFile?
    /// What the manifest wants, policy included (`nil` for a forget).
    public var after: DesiredFile?

    public init(address: Address, action: PlanAction, reasons: [ChangeReason], before: RecordedFile?, after: DesiredFile?) {
        self.address = address
        self.action = action
        self.reasons = reasons
        self.before = before
        self.after = after
    }

    /// All reasons in one line, joined by `; `.
    public var reason: String {
        reasons.map(\.description).joined(separator: "; ")
    }
}

/// How many addresses get each action.
public struct PlanCounts: Hashable, Sendable {
    public var imports = 0
    public var replaces = 0
    public var updates = 0
    public var forgets = 0
    /// Renamed or moved on the platform, found by a refresh.
    public var moves = 0
    /// Found on the platform from the same source: recorded without an import.
    public var adopts = 0
    /// No-op: in the state and unchanged.
    public var unchanged = 0

    public init() {}

    public init(imports: Int, replaces: Int, updates: Int, forgets: Int, unchanged: Int, adopts: Int = 0) {
        self.imports = imports
        self.replaces = replaces
        self.updates = updates
        self.forgets = forgets
        self.unchanged = unchanged
        self.adopts = adopts
    }

    public subscript(action: PlanAction) -> Int {
        get {
            switch action {
            case .import: imports
            case .replace: replaces
            case .update: updates
            case .move: moves
            case .forget: forgets
            case .adopt: adopts
            }
        }
        set {
            switch action {
            case .import: imports = newValue
            case .replace: replaces = newValue
            case .update: updates = newValue
            case .move: moves = newValue
            case .forget: forgets = newValue
            case .adopt: adopts = newValue
            }
        }
    }

    /// Addresses with an action (no-ops excluded).
    public var changes: Int { imports + replaces + updates + moves + forgets + adopts }

    static func + (a: PlanCounts, b: PlanCounts) -> PlanCounts {
        var sum = PlanCounts(imports: a.imports + b.imports, replaces: a.replaces + b.replaces, updates: a.updates + b.updates,
                             forgets: a.forgets + b.forgets, unchanged: a.unchanged + b.unchanged, adopts: a.adopts + b.adopts)
        sum.moves = a.moves + b.moves
        return sum
    }
}

/// The part of a plan that concerns one project.
public struct ProjectPlan: Hashable, Sendable {
    /// `owner/slug`.
    public var project: String
    public var counts: PlanCounts
    /// Sorted by action (import, replace, update, forget), then address.
    public var changes: [PlannedChange]

    public init(project: String, counts: PlanCounts, changes: [PlannedChange]) {
        self.project = project
        self.counts = counts
        self.changes = changes
    }
}

/// The result of the diff: what `apply` would do, grouped by project.
public struct Plan: Hashable, Sendable {
    /// Every project with a desired or recorded file, sorted by name.
    public var projects: [ProjectPlan]
    /// Things the reader must know that are not changes (e.g. volume prefixes not expanded).
    public var notes: [String]

    public init(projects: [ProjectPlan], notes: [String] = []) {
        self.projects = projects
        self.notes = notes
    }

    /// Totals over all projects.
    public var counts: PlanCounts {
        projects.reduce(PlanCounts()) { $0 + $1.counts }
    }

    public var hasChanges: Bool {
        projects.contains { $0.counts.changes > 0 }
    }

    /// Every change: by project, then action, then address.
    public var changes: [PlannedChange] {
        projects.flatMap(\.changes)
    }

    /// `Plan: 3 to import, 1 to replace, 2 to update, 0 to forget.` or
    /// `No changes. The projects match the manifest.`
    public var summaryLine: String {
        let c = counts
        guard c.changes > 0 else { return "No changes. The projects match the manifest." }
        let moves = c.moves > 0 ? ", \(c.moves) to move back" : ""
        return "Plan: \(c.imports) to import, \(c.replaces) to replace, \(c.updates) to update\(moves), \(c.forgets) to forget"
            + (c.adopts > 0 ? ", \(c.adopts) to adopt." : ".")
    }
}
