public import SyncCore

/// Everything in a state file at one instant.
public struct StateSnapshot: Sendable {
    public var formatVersion: Int
    public var lineage: String
    public var serial: Int64
    public var files: [RecordedFile]
    public var folders: [FolderRecord]
    public var journal: [JournalBatch]
    public var lock: LockInfo?
}

extension StateStore {
    /// Reads the whole state in one read transaction, so the parts agree with each other.
    public func snapshot() throws(StateError) -> StateSnapshot {
        try read { db in
            try db.transaction(immediate: false) {
                StateSnapshot(
                    formatVersion: Int(try db.scalarInt("SELECT value FROM metadata WHERE key = 'format_version'") ?? 0),
                    lineage: lineage,
                    serial: try db.scalarInt("SELECT value FROM metadata WHERE key = 'serial'") ?? 0,
                    files: try Self.loadFiles(db, path: path),
                    folders: try Self.loadFolders(db, path: path),
                    journal: try Self.loadBatches(db, where: "1"),
                    lock: try Self.readLock(db))
            }
        }
    }

    /// Writes the whole state as one JSON object, in chunks through `write` (a million files
    /// make hundreds of megabytes): `format_version`, `lineage`, `serial`, `files`, `folders`,
    /// `journal`, `lock`. Keys are in a fixed order; metadata values keep their types.
    public func exportJSON(write: (String) -> Void) throws(StateError) {
        let s = try snapshot()
        var out = "{\"format_version\":\(s.formatVersion),\"lineage\":\(JSONText.quote(s.lineage)),\"serial\":\(s.serial),\"files\":["
        for (i, file) in s.files.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            JSON.file(file, into: &out)
            if out.utf8.count >= 1 << 20 {
                write(out)
                out = ""
            }
        }
        out += "\n],\"folders\":["
        for (i, folder) in s.folders.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "{\"project\":\(JSONText.quote(folder.project)),\"path\":\(JSONText.quote(folder.path)),\"id\":\(JSONText.quote(folder.id))"
            out += ",\"created_by_sbsync\":\(folder.createdBySbsync),\"recorded_at\":\(folder.recordedAt)}"
        }
        out += "\n],\"journal\":["
        for (i, batch) in s.journal.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            JSON.batch(batch, into: &out)
            if out.utf8.count >= 1 << 20 {
                write(out)
                out = ""
            }
        }
        out += "\n],\"lock\":"
        if let lock = s.lock {
            out += "{\"holder\":\(JSONText.quote(lock.holder)),\"pid\":\(lock.pid),\"host\":\(JSONText.quote(lock.host))"
            out += ",\"operation\":\(JSONText.quote(lock.operation)),\"created_at\":\(lock.createdAt),\"heartbeat_at\":\(lock.heartbeatAt)}"
        } else {
            out += "null"
        }
        out += "}\n"
        write(out)
    }
}

/// Hand-written JSON: fast for a million entries, keys in a fixed order.
enum JSON {
    static func file(_ file: RecordedFile, into out: inout String) {
        out += "{\"address\":" + JSONText.quote(file.address.description)
        source(file.source, into: &out)
        out += ",\"metadata\":"
        metadata(file.metadata, into: &out)
        out += ",\"tags\":"
        strings(file.tags, into: &out)
        out += ",\"spec_digest\":" + JSONText.quote(file.specDigest)
        out += ",\"file_id\":" + optional(file.fileID)
        out += ",\"actual_name\":" + JSONText.quote(file.actualName)
        out += ",\"job_id\":" + optional(file.jobID)
        out += ",\"created_at\":\(file.createdAt),\"updated_at\":\(file.updatedAt)}"
    }

    static func batch(_ batch: JournalBatch, into out: inout String) {
        out += "{\"id\":\(batch.id),\"kind\":\(JSONText.quote(batch.kind.rawValue)),\"policy\":\(JSONText.quote(batch.policy.rawValue))"
        out += ",\"tags\":"
        strings(batch.tags, into: &out)
        out += ",\"state\":\(JSONText.quote(batch.state.rawValue)),\"job_id\":\(optional(batch.jobID))"
        out += ",\"created_at\":\(batch.createdAt),\"updated_at\":\(batch.updatedAt),\"items\":["
        for (i, item) in batch.items.enumerated() {
            if i > 0 { out += "," }
            out += "{\"address\":" + JSONText.quote(item.address.description)
            source(item.source, into: &out)
            out += ",\"requested_name\":" + JSONText.quote(item.requestedName)
            out += ",\"destination_project\":" + JSONText.quote(item.destinationProject)
            out += ",\"destination_parent\":" + optional(item.destinationParent)
            out += ",\"import_id\":" + optional(item.importID)
            out += ",\"result\":"
            if let result = item.result {
                out += "{\"outcome\":\(JSONText.quote(result.outcome.rawValue)),\"file_id\":\(optional(result.fileID))"
                out += ",\"actual_name\":\(optional(result.actualName)),\"error\":\(optional(result.error))}"
            } else {
                out += "null"
            }
            out += "}"
        }
        out += "]}"
    }

    static func source(_ source: FileSource, into out: inout String) {
        switch source {
        case .volume(let volume, let location):
            out += ",\"source\":{\"kind\":\"volume\",\"volume\":" + JSONText.quote(volume) + ",\"location\":" + JSONText.quote(location) + "}"
        case .drs(let uri):
            out += ",\"source\":{\"kind\":\"drs\",\"uri\":" + JSONText.quote(uri) + "}"
        }
    }

    static func metadata(_ metadata: Metadata, into out: inout String) {
        out += "{"
        for (i, entry) in metadata.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.quote(entry.key) + ":" + JSONText.value(entry.value)
        }
        out += "}"
    }

    static func strings(_ strings: [String], into out: inout String) {
        out += "["
        for (i, s) in strings.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.quote(s)
        }
        out += "]"
    }

    static func optional(_ s: String?) -> String { s.map(JSONText.quote) ?? "null" }
}
