#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension Plan {
    /// The version of `sbsync plan --json`. A consumer must check it; a change of any existing
    /// field's meaning bumps it, new fields do not.
    public static let jsonFormatVersion = 1

    /// The machine-readable plan (`sbsync plan --json`), keys sorted, pretty-printed, ends with a newline.
    ///
    /// ```json
    /// {
    ///   "actions" : [ { "action" : "update", "address" : "p/q:a.fq", "after" : {…}, "before" : {…},
    ///                   "path" : "a.fq", "project" : "p/q", "reason" : "tags added: raw",
    ///                   "reasons" : [ "tags added: raw" ] } ],
    ///   "format_version" : 1,
    ///   "has_changes" : true,
    ///   "notes" : [ ],
    ///   "projects" : [ { "forget" : 0, "import" : 0, "project" : "p/q", "replace" : 0, "unchanged" : 3, "update" : 1 } ],
    ///   "summary" : { "forget" : 0, "import" : 0, "replace" : 0, "unchanged" : 3, "update" : 1 }
    /// }
    /// ```
    /// `before` (what the state holds) is `null` for an import; `after` (what the manifest wants) is
    /// `null` for a forget. Metadata is an object whose values keep their type.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(PlanJSON(self))
        data.append(UInt8(ascii: "\n"))
        return data
    }
}

private struct PlanJSON: Encodable {
    var plan: Plan

    init(_ plan: Plan) { self.plan = plan }

    enum Keys: String, CodingKey {
        case formatVersion = "format_version", hasChanges = "has_changes", summary, projects, actions, notes
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(Plan.jsonFormatVersion, forKey: .formatVersion)
        try c.encode(plan.hasChanges, forKey: .hasChanges)
        try c.encode(CountsJSON(project: nil, counts: plan.counts), forKey: .summary)
        try c.encode(plan.projects.map { CountsJSON(project: $0.project, counts: $0.counts) }, forKey: .projects)
        var actions = c.nestedUnkeyedContainer(forKey: .actions)
        for project in plan.projects {
            for change in project.changes { try actions.encode(ChangeJSON(change: change)) }
        }
        try c.encode(plan.notes, forKey: .notes)
    }
}

private struct CountsJSON: Encodable {
    var project: String?
    var counts: PlanCounts

    enum Keys: String, CodingKey {
        case project, `import`, replace, update, forget, unchanged
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(project, forKey: .project)
        try c.encode(counts.imports, forKey: .import)
        try c.encode(counts.replaces, forKey: .replace)
        try c.encode(counts.updates, forKey: .update)
        try c.encode(counts.forgets, forKey: .forget)
        try c.encode(counts.unchanged, forKey: .unchanged)
    }
}

private struct ChangeJSON: Encodable {
    var change: PlannedChange

    enum Keys: String, CodingKey {
        case address, project, path, action, reason, reasons, before, after
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(change.address.description, forKey: .address)
        try c.encode(change.address.project, forKey: .project)
        try c.encode(change.address.path, forKey: .path)
        try c.encode(change.action.rawValue, forKey: .action)
        try c.encode(change.reason, forKey: .reason)
        try c.encode(change.reasons.map(\.description), forKey: .reasons)
        if let before = change.before {
            try c.encode(SpecJSON(source: before.source, metadata: before.metadata, tags: before.tags,
                                  conflict: nil, fileID: before.fileID, actualName: before.actualName), forKey: .before)
        } else {
            try c.encodeNil(forKey: .before)
        }
        if let after = change.after {
            try c.encode(SpecJSON(source: after.source, metadata: after.metadata, tags: after.tags,
                                  conflict: after.policy, fileID: nil, actualName: nil), forKey: .after)
        } else {
            try c.encodeNil(forKey: .after)
        }
    }
}

/// `before`: source, metadata, tags, file_id, actual_name. `after`: source, metadata, tags, conflict.
private struct SpecJSON: Encodable {
    var source: FileSource
    var metadata: Metadata
    var tags: [String]
    var conflict: ConflictPolicy?
    var fileID: String?
    var actualName: String?

    enum Keys: String, CodingKey {
        case source, metadata, tags, conflict, fileID = "file_id", actualName = "actual_name"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(SourceJSON(source: source), forKey: .source)
        try c.encode(MetadataJSON(metadata: metadata), forKey: .metadata)
        try c.encode(tags, forKey: .tags)
        if let conflict {
            try c.encode(conflict.rawValue, forKey: .conflict)
        } else {
            // `before` always carries the platform's side, known or not.
            try c.encode(fileID, forKey: .fileID)
            try c.encodeIfPresent(actualName, forKey: .actualName)
        }
    }
}

/// `{"kind": "volume", "volume": "owner/name", "location": "…"}` or `{"kind": "drs", "uri": "drs://…"}`.
private struct SourceJSON: Encodable {
    var source: FileSource

    enum Keys: String, CodingKey { case kind, volume, location, uri }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(source.kind.rawValue, forKey: .kind)
        switch source {
        case .volume(let volume, let location):
            try c.encode(volume, forKey: .volume)
            try c.encode(location, forKey: .location)
        case .drs(let uri):
            try c.encode(uri, forKey: .uri)
        }
    }
}

/// A JSON object; values keep their type.
struct MetadataJSON: Encodable {
    var metadata: Metadata

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for entry in metadata {
            let key = Key(stringValue: entry.key)
            switch entry.value {
            case .string(let s): try c.encode(s, forKey: key)
            case .int(let i): try c.encode(i, forKey: key)
            case .float(let d): try c.encode(d, forKey: key)
            case .bool(let b): try c.encode(b, forKey: key)
            case .null: try c.encodeNil(forKey: key)
            }
        }
    }
}
