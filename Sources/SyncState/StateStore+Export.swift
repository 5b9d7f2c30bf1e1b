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
}

/// `sbsync state export`: everything in a state file, for reading and backups (sbsync never reads
/// it back). Files and journal batches one a line.
///
/// ```json
/// {"format_version": 1, "state_format_version": 1, "lineage": "…", "serial": 7,
///  "files": [{"address", "source", "metadata", "tags", "spec_digest", "file_id", "actual_name",
///             "job_id", "created_at", "updated_at"}],
///  "folders": [{"project", "path", "id", "created_by_sbsync", "recorded_at"}],
///  "journal": [{"id", "kind", "conflict", "tags", "state", "job_id", "created_at", "updated_at",
///               "items": [{"address", "source", "requested_name", "destination_project",
///                          "destination_parent", "import_id", "result": {"outcome", "file_id", "actual_name", "error"}}]}],
///  "lock": {"holder", "pid", "host", "operation", "created_at", "heartbeat_at", "machine"}}
/// ```
/// Times are Unix seconds; `null` marks what is not known (or no lock).
public struct StateExportDocument: JSONDocument, Codable {
    public static let jsonStyle = JSONStyle.oneEntryPerLine
    /// The version of this document's shape; a change of any existing key's meaning bumps it.
    public static let currentFormatVersion = 1

    public var formatVersion = Self.currentFormatVersion
    /// The state file's own format (`StateStore.formatVersion` when it was written).
    public var stateFormatVersion: Int
    public var lineage: String
    public var serial: Int64
    /// Sorted by address.
    public var files: StreamedList<File>
    public var folders: StreamedList<Folder>
    public var journal: StreamedList<Batch>
    public var lock: Lock?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", stateFormatVersion = "state_format_version", lineage, serial
        case files, folders, journal, lock
    }

    public struct File: Codable, Hashable, Sendable {
        public var address: String
        public var source: SourceDocument
        public var metadata: MetadataDocument
        public var tags: [String]
        public var specDigest: String
        public var fileID: String?
        public var actualName: String
        public var jobID: String?
        public var createdAt: Int64
        public var updatedAt: Int64

        enum CodingKeys: String, CodingKey {
            case address, source, metadata, tags, specDigest = "spec_digest", fileID = "file_id"
            case actualName = "actual_name", jobID = "job_id", createdAt = "created_at", updatedAt = "updated_at"
        }

        public init(_ file: RecordedFile) {
            address = file.address.description
            source = SourceDocument(file.source)
            metadata = MetadataDocument(file.metadata)
            tags = file.tags
            specDigest = file.specDigest
            fileID = file.fileID
            actualName = file.actualName
            jobID = file.jobID
            createdAt = file.createdAt
            updatedAt = file.updatedAt
        }
    }

    public struct Folder: Codable, Hashable, Sendable {
        public var project: String
        public var path: String
        public var id: String
        public var createdBySbsync: Bool
        public var recordedAt: Int64

        enum CodingKeys: String, CodingKey {
            case project, path, id, createdBySbsync = "created_by_sbsync", recordedAt = "recorded_at"
        }

        public init(_ folder: FolderRecord) {
            project = folder.project
            path = folder.path
            id = folder.id
            createdBySbsync = folder.createdBySbsync
            recordedAt = folder.recordedAt
        }
    }

    /// One bulk import call of the journal.
    public struct Batch: Codable, Hashable, Sendable {
        public var id: Int64
        public var kind: FileSource.Kind
        public var conflict: ConflictPolicy
        public var tags: [String]
        public var state: JournalBatch.State
        public var jobID: String?
        public var createdAt: Int64
        public var updatedAt: Int64
        public var items: [Item]

        enum CodingKeys: String, CodingKey {
            case id, kind, conflict, tags, state, jobID = "job_id", createdAt = "created_at", updatedAt = "updated_at", items
        }

        public init(_ batch: JournalBatch) {
            id = batch.id
            kind = batch.kind
            conflict = batch.policy
            tags = batch.tags
            state = batch.state
            jobID = batch.jobID
            createdAt = batch.createdAt
            updatedAt = batch.updatedAt
            items = batch.items.map(Item.init)
        }
    }

    public struct Item: Codable, Hashable, Sendable {
        public var address: String
        public var source: SourceDocument
        public var requestedName: String
        public var destinationProject: String
        /// `null`: the project root.
        public var destinationParent: String?
        public var importID: String?
        /// `null` until known.
        public var result: Result?

        enum CodingKeys: String, CodingKey {
            case address, source, requestedName = "requested_name", destinationProject = "destination_project"
            case destinationParent = "destination_parent", importID = "import_id", result
        }

        public init(_ item: JournalItem) {
            address = item.address.description
            source = SourceDocument(item.source)
            requestedName = item.requestedName
            destinationProject = item.destinationProject
            destinationParent = item.destinationParent
            importID = item.importID
            result = item.result.map(Result.init)
        }
    }

    public struct Result: Codable, Hashable, Sendable {
        public var outcome: JournalItemResult.Outcome
        public var fileID: String?
        public var actualName: String?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case outcome, fileID = "file_id", actualName = "actual_name", error
        }

        public init(_ result: JournalItemResult) {
            outcome = result.outcome
            fileID = result.fileID
            actualName = result.actualName
            error = result.error
        }
    }

    public struct Lock: Codable, Hashable, Sendable {
        /// The lock id `force-unlock` takes.
        public var holder: String
        public var pid: Int32
        public var host: String
        public var operation: String
        public var createdAt: Int64
        public var heartbeatAt: Int64
        /// The holder's boot id and PID namespace (empty for a lock of a format 1 state).
        public var machine: String

        enum CodingKeys: String, CodingKey {
            case holder, pid, host, operation, createdAt = "created_at", heartbeatAt = "heartbeat_at", machine
        }

        public init(_ lock: LockInfo) {
            holder = lock.holder
            pid = lock.pid
            host = lock.host
            operation = lock.operation
            createdAt = lock.createdAt
            heartbeatAt = lock.heartbeatAt
            machine = lock.machine
        }
    }

    public init(_ snapshot: StateSnapshot) {
        stateFormatVersion = snapshot.formatVersion
        lineage = snapshot.lineage
        serial = snapshot.serial
        files = StreamedList(snapshot.files, File.init)
        folders = StreamedList(snapshot.folders, Folder.init)
        journal = StreamedList(snapshot.journal, Batch.init)
        lock = snapshot.lock.map(Lock.init)
    }
}
