public import SyncYAML

/// One file the manifest wants, defaults applied: the unit of desired state.
public struct DesiredFile: Hashable, Sendable {
    public var address: Address
    public var source: FileSource
    public var metadata: Metadata
    /// Tags, de-duplicated, in the manifest's order (defaults first).
    public var tags: [String]
    public var policy: ConflictPolicy
    /// Where the entry is declared (for messages); `nil` for entries from a volume listing.
    public var mark: SourceMark?

    public init(address: Address, source: FileSource, metadata: Metadata, tags: [String], policy: ConflictPolicy, mark: SourceMark?) {
        self.address = address
        self.source = source
        self.metadata = metadata
        self.tags = tags
        self.policy = policy
        self.mark = mark
    }
}

/// What the state store remembers of a file sbsync imported (or found and adopted).
public struct RecordedFile: Hashable, Sendable {
    public var address: Address
    public var source: FileSource
    /// The metadata and tags last applied; the diff compares them with the manifest's.
    public var metadata: Metadata
    public var tags: [String]
    /// Digest of the spec (source, metadata, tags) that was applied; see `SpecDigest`.
    public var specDigest: String
    /// The platform's file id, when known.
    public var fileID: String?
    /// The name the platform actually gave the file (differs from `address.name` after a rename).
    public var actualName: String
    /// The import job that produced it, when known.
    public var jobID: String?
    /// Unix seconds.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(address: Address, source: FileSource, metadata: Metadata, tags: [String], specDigest: String,
                fileID: String?, actualName: String, jobID: String?, createdAt: Int64, updatedAt: Int64) {
        self.address = address
        self.source = source
        self.metadata = metadata
        self.tags = tags
        self.specDigest = specDigest
        self.fileID = fileID
        self.actualName = actualName
        self.jobID = jobID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
