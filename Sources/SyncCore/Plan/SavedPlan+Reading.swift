#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Reading a saved plan with `JSONPull`: the members the `Codable` form writes, in any order,
/// unknown ones skipped, optional ones absent or `null`, as `JSONDecoder` reads them
/// (`SavedPlanReadingTests` holds the two to the same answers), in a sixth of the time and
/// memory. One difference: of a key written twice in an object, the last counts (for
/// `JSONDecoder`, the first); sbsync never writes one twice.
extension SavedPlan {
    /// Reads a saved plan; refuses a format version it does not know, and says where a damaged
    /// file stops making sense (line and column).
    public static func decode(_ data: Data) throws(SavedPlanError) -> SavedPlan {
        let result: Result<SavedPlan, SavedPlanError> = data.withUnsafeBytes { bytes in
            do throws(SavedPlanError) {
                return .success(try read(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func read(_ bytes: UnsafeRawBufferPointer) throws(SavedPlanError) -> SavedPlan {
        var pull = JSONPull(bytes)
        guard pull.peek() == UInt8(ascii: "{") else { throw .invalid("not a saved plan (not a JSON object)") }
        var version: Int?
        do throws(JSONPull.Failure) {
            return try readPlan(&pull, version: &version)
        } catch {
            if let version, version != currentFormatVersion { throw .unsupportedVersion(version) }
            // JSON of another shape without a version read first: its version is what to report.
            if version == nil, let found = try? formatVersion(bytes) {
                guard let number = found else { throw .invalid("not a saved plan (no 'format_version')") }
                if number != currentFormatVersion { throw .unsupportedVersion(number) }
            }
            throw .invalid("\(pull.position(of: error.offset)): \(error.syntax ? "not JSON: " : "")\(error.message)")
        }
    }

    /// The top-level `format_version` of a document that is JSON: `nil` inside when it has none.
    private static func formatVersion(_ bytes: UnsafeRawBufferPointer) throws(JSONPull.Failure) -> Int?? {
        var pull = JSONPull(bytes)
        try pull.beginObject("the plan")
        var first = true, version: Int?
        while let key = try pull.nextMember(&first) {
            if key == "format_version" { version = try pull.int("format_version") } else { try pull.skipValue() }
        }
        try pull.end()
        return .some(version)
    }

    private static func readPlan(_ pull: inout JSONPull, version: inout Int?) throws(JSONPull.Failure) -> SavedPlan {
        try pull.beginObject("the plan")
        var manifest: ManifestRef?, state: StateRef?, notes: [String]?, actions: [Action]?, unchanged: [String: Int]?
        var first = true
        while let key = try pull.nextMember(&first) {
            switch key {
            case "format_version":
                let number = try pull.int("format_version")
                version = number
                // Before the rest: another version's members may not read as this one's.
                if number != currentFormatVersion {
                    throw JSONPull.Failure(message: "format version \(number)", offset: pull.offset, syntax: false)
                }
            case "manifest": manifest = try readManifest(&pull)
            case "state": state = try readState(&pull)
            case "notes": notes = try readStrings(&pull, "notes")
            case "actions":
                var list: [Action] = []
                try pull.beginArray("actions")
                var firstAction = true
                while try pull.nextElement(&firstAction) { list.append(try readAction(&pull)) }
                actions = list
            case "unchanged":
                var counts: [String: Int] = [:]
                try pull.beginObject("unchanged")
                var firstCount = true
                while let project = try pull.nextMember(&firstCount) { counts[project] = try pull.int("unchanged['\(project)']") }
                unchanged = counts
            default: try pull.skipValue()
            }
        }
        try pull.end()
        guard let version else { throw JSONPull.Failure(message: "'format_version' is missing", offset: pull.offset, syntax: false) }
        return SavedPlan(formatVersion: version, manifest: try required(manifest, "manifest", &pull),
                         state: try required(state, "state", &pull), notes: try required(notes, "notes", &pull),
                         actions: try required(actions, "actions", &pull), unchanged: try required(unchanged, "unchanged", &pull))
    }

    private init(formatVersion: Int, manifest: ManifestRef, state: StateRef, notes: [String], actions: [Action],
                 unchanged: [String: Int]) {
        self.formatVersion = formatVersion
        self.manifest = manifest
        self.state = state
        self.notes = notes
        self.actions = actions
        self.unchanged = unchanged
    }

    private static func required<T>(_ value: T?, _ key: String, _ pull: inout JSONPull) throws(JSONPull.Failure) -> T {
        guard let value else { throw JSONPull.Failure(message: "'\(key)' is missing", offset: pull.offset, syntax: false) }
        return value
    }

    private static func readStrings(_ pull: inout JSONPull, _ what: String) throws(JSONPull.Failure) -> [String] {
        var list: [String] = []
        try pull.beginArray(what)
        var first = true
        while try pull.nextElement(&first) { list.append(try pull.string(what)) }
        return list
    }

    private static func readManifest(_ pull: inout JSONPull) throws(JSONPull.Failure) -> ManifestRef {
        try pull.beginObject("manifest")
        var path: String?, sha256: String?, sources: [SourceRef]?
        var first = true
        while let key = try pull.nextMember(&first) {
            switch key {
            case "path": path = try pull.string("manifest.path")
            case "sha256": sha256 = try pull.string("manifest.sha256")
            case "sources":
                if try pull.null() { sources = nil; continue }
                var list: [SourceRef] = []
                try pull.beginArray("manifest.sources")
                var firstSource = true
                while try pull.nextElement(&firstSource) {
                    try pull.beginObject("a source")
                    var sourcePath: String?, sourceSHA: String?
                    var firstKey = true
                    while let key = try pull.nextMember(&firstKey) {
                        switch key {
                        case "path": sourcePath = try pull.string("a source's path")
                        case "sha256": sourceSHA = try pull.string("a source's sha256")
                        default: try pull.skipValue()
                        }
                    }
                    list.append(SourceRef(path: try required(sourcePath, "path", &pull), sha256: try required(sourceSHA, "sha256", &pull)))
                }
                sources = list
            default: try pull.skipValue()
            }
        }
        return ManifestRef(path: try required(path, "manifest.path", &pull), sha256: try required(sha256, "manifest.sha256", &pull),
                           sources: sources)
    }

    private static func readState(_ pull: inout JSONPull) throws(JSONPull.Failure) -> StateRef {
        try pull.beginObject("state")
        var path: String?, lineage: String?, serial: Int64?
        var first = true
        while let key = try pull.nextMember(&first) {
            switch key {
            case "path": path = try pull.string("state.path")
            case "lineage": lineage = try pull.null() ? nil : try pull.string("state.lineage")
            case "serial": serial = try pull.int64("state.serial")
            default: try pull.skipValue()
            }
        }
        return StateRef(path: try required(path, "state.path", &pull), lineage: lineage, serial: try required(serial, "state.serial", &pull))
    }

    private static func readAction(_ pull: inout JSONPull) throws(JSONPull.Failure) -> Action {
        try pull.beginObject("an action")
        var address: String?, action: PlanAction?, reason: String?, before: Recorded?, after: Desired?
        var first = true
        while let key = try pull.nextMember(&first) {
            switch key {
            case "address": address = try pull.string("an action's address")
            case "action": action = try pull.named(PlanAction.self, "an action")
            case "reason": reason = try pull.string("an action's reason")
            case "before": before = try pull.null() ? nil : try readRecorded(&pull)
            case "after": after = try pull.null() ? nil : try readDesired(&pull)
            default: try pull.skipValue()
            }
        }
        return Action(address: try required(address, "address", &pull), action: try required(action, "action", &pull),
                      reason: try required(reason, "reason", &pull), before: before, after: after)
    }

    private static func readDesired(_ pull: inout JSONPull) throws(JSONPull.Failure) -> Desired {
        try pull.beginObject("'after'")
        var source: FileSource?, metadata: Metadata?, tags: [String]?, conflict: ConflictPolicy?, line: Int?, column: Int?
        var first = true
        while let key = try pull.nextMember(&first) {
            switch key {
            case "source": source = try readSource(&pull)
            case "metadata": metadata = try readMetadata(&pull)
            case "tags": tags = try readStrings(&pull, "tags")
            case "conflict": conflict = try pull.named(ConflictPolicy.self, "a conflict policy")
            case "line": line = try pull.null() ? nil : try pull.int("line")
            case "column": column = try pull.null() ? nil : try pull.int("column")
            default: try pull.skipValue()
            }
        }
        return Desired(source: try required(source, "source", &pull), metadata: try required(metadata, "metadata", &pull),
                       tags: try required(tags, "tags", &pull), conflict: try required(conflict, "conflict", &pull),
                       line: line, column: column)
    }

    private static func readRecorded(_ pull: inout JSONPull) throws(JSONPull.Failure) -> Recorded {
        try pull.beginObject("'before'")
        var source: FileSource?, metadata: Metadata?, tags: [String]?, specDigest: String?, fileID: String?
        var actualName: String?, jobID: String?, createdAt: Int64?, updatedAt: Int64?
        var first = true
        while let key = try pull.nextMember(&first) {
            switch key {
            case "source": source = try readSource(&pull)
            case "metadata": metadata = try readMetadata(&pull)
            case "tags": tags = try readStrings(&pull, "tags")
            case "spec_digest": specDigest = try pull.string("spec_digest")
            case "file_id": fileID = try pull.null() ? nil : try pull.string("file_id")
            case "actual_name": actualName = try pull.string("actual_name")
            case "job_id": jobID = try pull.null() ? nil : try pull.string("job_id")
            case "created_at": createdAt = try pull.int64("created_at")
            case "updated_at": updatedAt = try pull.int64("updated_at")
            default: try pull.skipValue()
            }
        }
        return Recorded(source: try required(source, "source", &pull), metadata: try required(metadata, "metadata", &pull),
                        tags: try required(tags, "tags", &pull), specDigest: try required(specDigest, "spec_digest", &pull),
                        fileID: fileID, actualName: try required(actualName, "actual_name", &pull), jobID: jobID,
                        createdAt: try required(createdAt, "created_at", &pull), updatedAt: try required(updatedAt, "updated_at", &pull))
    }

    /// `{"volume": {"volume", "location"}}` or `{"drs": {"uri"}}`, the synthesized `Codable` form:
    /// other members are skipped, as `JSONDecoder` skips them.
    private static func readSource(_ pull: inout JSONPull) throws(JSONPull.Failure) -> FileSource {
        try pull.beginObject("source")
        let start = pull.offset
        var source: FileSource?, count = 0
        var first = true
        while let key = try pull.nextMember(&first) {
            let fields: [String]
            switch key {
            case "volume": fields = ["volume", "location"]
            case "drs": fields = ["uri"]
            default:
                try pull.skipValue()
                continue
            }
            count += 1
            try pull.beginObject("source.\(key)")
            var values: [String: String] = [:], firstField = true
            while let field = try pull.nextMember(&firstField) {
                if fields.contains(field) { values[field] = try pull.string("source.\(key).\(field)") } else { try pull.skipValue() }
            }
            source = key == "drs"
                ? .drs(uri: try required(values["uri"], "source.drs.uri", &pull))
                : .volume(volume: try required(values["volume"], "source.volume.volume", &pull),
                          location: try required(values["location"], "source.volume.location", &pull))
        }
        guard count == 1, let source else {
            throw JSONPull.Failure(message: "a source needs exactly one of 'volume' and 'drs'", offset: start, syntax: false)
        }
        return source
    }

    /// `{"key": {"string": "…"} | {"int": 1} | {"float": 1.0} | {"bool": true} | {"null": null}}`.
    private static func readMetadata(_ pull: inout JSONPull) throws(JSONPull.Failure) -> Metadata {
        try pull.beginObject("metadata")
        var entries: [Metadata.Entry] = []
        var first = true
        while let key = try pull.nextMember(&first) {
            _ = pull.peek()
            let start = pull.offset
            try pull.beginObject("metadata['\(key)']")
            var value: MetadataValue?, seen: String?, twoKinds = false
            var firstKind = true
            while let kind = try pull.nextMember(&firstKind) {
                switch kind {
                case "string": value = .string(try pull.string("metadata['\(key)']"))
                case "int": value = .int(try pull.int("metadata['\(key)']"))
                case "float": value = .float(try pull.double("metadata['\(key)']"))
                case "bool": value = .bool(try pull.bool("metadata['\(key)']"))
                case "null":
                    try pull.skipValue()
                    value = .null
                default:
                    try pull.skipValue()  // not a kind: skipped, as `JSONDecoder` skips it
                    continue
                }
                // One kind (written twice, the last counts); two kinds say two things.
                if let seen, seen != kind { twoKinds = true }
                seen = kind
            }
            guard !twoKinds, let value else {
                throw JSONPull.Failure(message: "expected one of string, int, float, bool, null for metadata['\(key)']",
                                       offset: start, syntax: false)
            }
            entries.append(Metadata.Entry(key: key, value: value))
        }
        return Metadata(entries: entries)
    }
}
