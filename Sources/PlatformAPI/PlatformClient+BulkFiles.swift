/// One item of `POST /bulk/files/edit` or `/bulk/files/update` (platform-api.md §9.2, §15): the
/// keys sevenbridges-python's `File.bulk_edit` / `bulk_update` send. A `nil` field is not sent.
public struct FileEdit: Encodable, Sendable, Hashable {
    public var id: String
    /// A new name; `nil` keeps the name (edit). `update` requires it (it replaces everything).
    public var name: String?
    /// The whole tag list (both calls replace the list when it is given).
    public var tags: [String]?
    /// Edit: keys merged into the file's metadata, `null` removing a key. Update: the whole metadata.
    public var metadata: [String: JSONValue]?

    public init(id: String, name: String? = nil, tags: [String]? = nil, metadata: [String: JSONValue]? = nil) {
        self.id = id
        self.name = name
        self.tags = tags
        self.metadata = metadata
    }
}

extension PlatformClient {
    /// `POST /bulk/files/edit`: merges into up to 100 files' details (keys not given are kept;
    /// metadata keys are merged, `null` removes one; a given tag list replaces the tags). One
    /// record per item, in order: the file as it is afterwards, or that item's error.
    /// Idempotent: retried like a GET (editing twice to the same values changes nothing).
    /// - Throws: `PlatformError.invalidRequest` for more than 100 items.
    public func editFiles(_ edits: [FileEdit]) async throws -> [BulkRecord<PlatformFile>] {
        try await bulkFiles("/bulk/files/edit", edits)
    }

    /// `POST /bulk/files/update`: replaces up to 100 files' name, tags and metadata (omitted
    /// fields are erased). One record per item, in order. Idempotent: retried.
    /// - Throws: `PlatformError.invalidRequest` for more than 100 items.
    public func updateFiles(_ edits: [FileEdit]) async throws -> [BulkRecord<PlatformFile>] {
        try await bulkFiles("/bulk/files/update", edits)
    }

    private func bulkFiles(_ path: String, _ edits: [FileEdit]) async throws -> [BulkRecord<PlatformFile>] {
        try reader.checkBulk(edits.count, "file edits")
        struct Body: Encodable, Sendable { var items: [FileEdit] }
        return try await reader.bulk(path, body: Body(items: edits), expected: edits.count, kind: .idempotent)
    }
}
