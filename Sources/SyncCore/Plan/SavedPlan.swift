#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
internal import Crypto
internal import SyncYAML

/// A plan written by `sbsync plan --out FILE`, for `sbsync apply FILE` to run exactly.
///
/// It carries what it was computed from, so apply can refuse a stale plan (exit 4): the manifest's
/// SHA-256 and the state's lineage and serial. Every action carries the full desired entry (source,
/// metadata, tags, conflict policy) and the recorded file it was compared with, so apply needs
/// neither the manifest nor a new diff. Metadata is stored typed (`{"cohort": {"int": 4}}`),
/// so `1.0` stays a float and `"1"` a string on the way back.
public struct SavedPlan: Hashable, Sendable, Codable, JSONDocument {
    public static let jsonStyle = JSONStyle.pretty

    /// Bumped on any incompatible change; apply refuses other versions.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// The manifest as named on the command line, and the SHA-256 (lower-case hex) of its bytes.
    public var manifest: ManifestRef
    /// The state the plan was computed against.
    public var state: StateRef
    public var notes: [String]
    /// By project, then action, then address; no-ops are not listed.
    public var actions: [Action]
    /// No-op counts per project, so the restored plan reports the same summary.
    public var unchanged: [String: Int]

    public struct ManifestRef: Hashable, Sendable, Codable {
        public var path: String
        public var sha256: String
        /// Tables and included manifests the manifest reads, each with the SHA-256 of its
        /// bytes (absent in plans of manifests without any).
        public var sources: [SourceRef]?

        public init(path: String, sha256: String, sources: [SourceRef]? = nil) {
            self.path = path
            self.sha256 = sha256
            self.sources = sources
        }
    }

    /// A file the manifest reads (a table, an included manifest), as named in diagnostics.
    public struct SourceRef: Hashable, Sendable, Codable {
        public var path: String
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    public struct StateRef: Hashable, Sendable, Codable {
        public var path: String
        /// `nil` when there was no state yet (first plan).
        public var lineage: String?
        /// 0 when there was no state yet.
        public var serial: Int64

        public init(path: String, lineage: String?, serial: Int64) {
            self.path = path
            self.lineage = lineage
            self.serial = serial
        }
    }

    /// One planned action. `reason` is for people; apply recomputes nothing from it.
    public struct Action: Hashable, Sendable, Codable {
        public var address: String
        public var action: PlanAction
        public var reason: String
        public var before: Recorded?
        public var after: Desired?
    }

    /// A desired entry, policy included (`DesiredFile` without the source mark).
    public struct Desired: Hashable, Sendable, Codable {
        public var source: FileSource
        public var metadata: Metadata
        public var tags: [String]
        public var conflict: ConflictPolicy
        /// `line:column` in the manifest, for messages; absent for entries from a volume listing.
        public var line: Int?
        public var column: Int?

        enum CodingKeys: String, CodingKey { case source, metadata, tags, conflict, line, column }

        init(source: FileSource, metadata: Metadata, tags: [String], conflict: ConflictPolicy, line: Int?, column: Int?) {
            self.source = source
            self.metadata = metadata
            self.tags = tags
            self.conflict = conflict
            self.line = line
            self.column = column
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            source = try c.decode(FileSource.self, forKey: .source)
            metadata = try c.decode(TypedMetadata.self, forKey: .metadata).metadata
            tags = try c.decode([String].self, forKey: .tags)
            conflict = try c.decode(ConflictPolicy.self, forKey: .conflict)
            line = try c.decodeIfPresent(Int.self, forKey: .line)
            column = try c.decodeIfPresent(Int.self, forKey: .column)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(source, forKey: .source)
            try c.encode(TypedMetadata(metadata: metadata), forKey: .metadata)
            try c.encode(tags, forKey: .tags)
            try c.encode(conflict, forKey: .conflict)
            try c.encodeIfPresent(line, forKey: .line)
            try c.encodeIfPresent(column, forKey: .column)
        }
    }

    /// A recorded file, every field.
    public struct Recorded: Hashable, Sendable, Codable {
        public var source: FileSource
        public var metadata: Metadata
        public var tags: [String]
        public var specDigest: String
        public var fileID: String?
        public var actualName: String
        public var jobID: String?
        public var createdAt: Int64
        public var updatedAt: Int64
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", manifest, state, notes, actions, unchanged
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(manifest, forKey: .manifest)
        try c.encode(state, forKey: .state)
        try c.encode(notes, forKey: .notes)
        try c.encode(actions, forKey: .actions)
        // By project name: the same plan is always the same bytes.
        var counts = c.nestedContainer(keyedBy: DocumentKey.self, forKey: .unchanged)
        for (project, count) in unchanged.sorted(by: { $0.key < $1.key }) {
            try counts.encode(count, forKey: DocumentKey(project))
        }
    }

    /// Captures `plan` with what it was computed from.
    public init(plan: Plan, manifest: ManifestRef, state: StateRef) {
        formatVersion = Self.currentFormatVersion
        self.manifest = manifest
        self.state = state
        notes = plan.notes
        unchanged = [:]
        for project in plan.projects { unchanged[project.project] = project.counts.unchanged }
        actions = plan.changes.map { change in
            Action(
                address: change.address.description, action: change.action, reason: change.reason,
                before: change.before.map(Recorded.init),
                after: change.after.map {
                    Desired(source: $0.source, metadata: $0.metadata, tags: $0.tags, conflict: $0.policy,
                            line: $0.mark?.line, column: $0.mark?.column)
                })
        }
    }

    /// The plan again, as `Diff` computed it (reasons are derived anew from before and after).
    public func plan() throws(SavedPlanError) -> Plan {
        var byProject: [String: (counts: PlanCounts, changes: [PlannedChange])] = [:]
        for (project, count) in unchanged { byProject[project, default: (PlanCounts(), [])].counts.unchanged = count }
        for action in actions {
            guard let address = Address(action.address) else { throw .invalid("bad address '\(action.address)'") }
            let before = action.before.map {
                RecordedFile(address: address, source: $0.source, metadata: $0.metadata, tags: $0.tags,
                             specDigest: $0.specDigest, fileID: $0.fileID, actualName: $0.actualName,
                             jobID: $0.jobID, createdAt: $0.createdAt, updatedAt: $0.updatedAt)
            }
            let after = action.after.map { entry in
                var mark: SourceMark?
                if let line = entry.line, let column = entry.column { mark = SourceMark(line: line, column: column) }
                return DesiredFile(address: address, source: entry.source, metadata: entry.metadata, tags: entry.tags,
                                   policy: entry.conflict, mark: mark)
            }
            let change: PlannedChange
            switch (action.action, before, after) {
            case (.import, nil, let after?):
                change = PlannedChange(address: address, action: .import, reasons: [.notInState], before: nil, after: after)
            case (.adopt, let before?, let after?):
                let byName = action.reason == ChangeReason.foundOnPlatformByName.description
                change = PlannedChange(address: address, action: .adopt, reasons: [byName ? .foundOnPlatformByName : .foundOnPlatform],
                                       before: before, after: after)
            case (.forget, let before?, nil):
                change = PlannedChange(address: address, action: .forget, reasons: [.noLongerInManifest], before: before, after: nil)
            case (.replace, let before?, let after?), (.update, let before?, let after?):
                guard let diffed = Diff.change(desired: after, recorded: before), diffed.action == action.action else {
                    throw .invalid("'\(action.address)': \(action.action.rawValue) does not match its before and after")
                }
                change = diffed
            default:
                throw .invalid("'\(action.address)': \(action.action.rawValue) without the expected before/after")
            }
            byProject[address.project, default: (PlanCounts(), [])].counts[change.action] += 1
            byProject[address.project, default: (PlanCounts(), [])].changes.append(change)
        }
        let projects = byProject.keys.sorted().map { name in
            let entry = byProject[name]!
            let changes = entry.changes.sorted { ($0.action, $0.address) < ($1.action, $1.address) }
            return ProjectPlan(project: name, counts: entry.counts, changes: changes)
        }
        return Plan(projects: projects, notes: notes)
    }

    /// Why this plan no longer fits the manifest and state it would be applied to; empty when it fits.
    ///
    /// - Parameters:
    ///   - manifestSHA256: `SavedPlan.sha256(of:)` of the manifest's bytes now.
    ///   - lineage: the state's lineage now (`nil`: no state file).
    ///   - serial: the state's serial now (0: no state file).
    ///   - sources: the tables and included manifests the manifest reads now, with their digests.
    public func staleness(manifestSHA256: String, sources: [SourceRef] = [], lineage: String?, serial: Int64) -> [String] {
        var problems: [String] = []
        if manifestSHA256 != manifest.sha256 {
            problems.append("the manifest '\(manifest.path)' changed since the plan was made")
        }
        // Tables and included files: each changed, added or removed one is named.
        let then = manifest.sources ?? []
        let before = Dictionary(then.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(sources.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        for source in sources {
            if let old = before[source.path] {
                if old != source.sha256 { problems.append("the table or included file '\(source.path)' changed since the plan was made") }
            } else {
                problems.append("the manifest now reads '\(source.path)', which it did not when the plan was made")
            }
        }
        for source in then where now[source.path] == nil {
            problems.append("the manifest no longer reads '\(source.path)'")
        }
        if lineage != state.lineage {
            problems.append("the state '\(state.path)' is a different state from the one the plan was made against "
                + "(lineage \(lineage ?? "none"), plan made against \(state.lineage ?? "none"))")
        } else if serial != state.serial {
            problems.append("the state '\(state.path)' changed since the plan was made "
                + "(serial \(serial), plan made at serial \(state.serial))")
        }
        return problems
    }

    /// The saved file's bytes: JSON, pretty-printed, ending with a newline.
    /// - Throws: `EncodingError` for a NaN or infinite metadata value (validation rejects them first).
    public func encoded() throws -> Data {
        try jsonData()
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(of bytes: some DataProtocol) -> String {
        var hasher = Fingerprint()
        hasher.update(bytes)
        return hasher.hex
    }

    /// SHA-256 of bytes fed in pieces (a manifest read in chunks), as `sha256(of:)` gives it.
    public struct Fingerprint {
        private var hasher = SHA256()

        public init() {}

        public mutating func update(_ bytes: some DataProtocol) { hasher.update(data: bytes) }

        /// Lower-case hex of the digest of everything fed so far.
        public var hex: String {
            hasher.finalize().map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
    }
}

/// Metadata with each value's type spelled out: `{"cohort": {"int": 4}, "qc": {"float": 1.0}}`.
struct TypedMetadata: Codable {
    var metadata: Metadata

    enum Kind: String, CodingKey { case string, int, float, bool, null }

    init(metadata: Metadata) { self.metadata = metadata }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: DocumentKey.self)
        var pairs: [(String, MetadataValue)] = []
        for key in object.allKeys {
            let typed = try object.nestedContainer(keyedBy: Kind.self, forKey: key)
            guard let kind = typed.allKeys.first, typed.allKeys.count == 1 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: object, debugDescription: "expected one of string, int, float, bool, null")
            }
            let value: MetadataValue = switch kind {
            case .string: .string(try typed.decode(String.self, forKey: kind))
            case .int: .int(try typed.decode(Int.self, forKey: kind))
            case .float: .float(try typed.decode(Double.self, forKey: kind))
            case .bool: .bool(try typed.decode(Bool.self, forKey: kind))
            case .null: .null
            }
            pairs.append((key.stringValue, value))
        }
        metadata = Metadata(pairs)
    }

    func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: DocumentKey.self)
        for entry in metadata {
            var typed = object.nestedContainer(keyedBy: Kind.self, forKey: DocumentKey(entry.key))
            switch entry.value {
            case .string(let s): try typed.encode(s, forKey: .string)
            case .int(let i): try typed.encode(i, forKey: .int)
            case .float(let d): try typed.encode(d, forKey: .float)
            case .bool(let b): try typed.encode(b, forKey: .bool)
            case .null: try typed.encodeNil(forKey: .null)
            }
        }
    }
}

/// A saved plan that cannot be used.
public enum SavedPlanError: Error, Hashable, Sendable, CustomStringConvertible {
    case unsupportedVersion(Int)
    case invalid(String)

    public var description: String {
        switch self {
        case .unsupportedVersion(let v):
            "saved plan format version \(v) is not supported (this sbsync reads version \(SavedPlan.currentFormatVersion)); make the plan again"
        case .invalid(let why):
            "the saved plan is damaged: \(why)"
        }
    }
}

// The inits in an extension, so `Recorded` keeps its memberwise init (the saved-plan reader's).
extension SavedPlan.Recorded {
    enum CodingKeys: String, CodingKey {
        case source, metadata, tags, specDigest = "spec_digest", fileID = "file_id", actualName = "actual_name"
        case jobID = "job_id", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ file: RecordedFile) {
        source = file.source
        metadata = file.metadata
        tags = file.tags
        specDigest = file.specDigest
        fileID = file.fileID
        actualName = file.actualName
        jobID = file.jobID
        createdAt = file.createdAt
        updatedAt = file.updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(FileSource.self, forKey: .source)
        metadata = try c.decode(TypedMetadata.self, forKey: .metadata).metadata
        tags = try c.decode([String].self, forKey: .tags)
        specDigest = try c.decode(String.self, forKey: .specDigest)
        fileID = try c.decodeIfPresent(String.self, forKey: .fileID)
        actualName = try c.decode(String.self, forKey: .actualName)
        jobID = try c.decodeIfPresent(String.self, forKey: .jobID)
        createdAt = try c.decode(Int64.self, forKey: .createdAt)
        updatedAt = try c.decode(Int64.self, forKey: .updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(TypedMetadata(metadata: metadata), forKey: .metadata)
        try c.encode(tags, forKey: .tags)
        try c.encode(specDigest, forKey: .specDigest)
        try c.encode(fileID, forKey: .fileID)
        try c.encode(actualName, forKey: .actualName)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
