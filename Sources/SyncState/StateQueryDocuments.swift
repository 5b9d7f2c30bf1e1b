public import SyncCore

/// `sbsync state list --json`: the recorded files (after `--project` and `--filter`), sorted by
/// address, one a line. Each entry has the keys of `state export`'s files.
///
/// ```json
/// {"format_version": 1, "state": "…", "count": 2,
///  "files": [{"address", "source", "metadata", "tags", "spec_digest", "file_id", "actual_name",
///             "job_id", "created_at", "updated_at"}]}
/// ```
public struct StateListDocument: JSONDocument, Codable, Sendable {
    public static let jsonStyle = JSONStyle.oneEntryPerLine
    /// A change of any existing key's meaning bumps it; new keys do not.
    public static let currentFormatVersion = 1

    public var formatVersion = Self.currentFormatVersion
    /// The state: a file's path as given, or a PostgreSQL URL without its password.
    public var state: String
    public var count: Int
    public var files: [StateExportDocument.File]

    enum CodingKeys: String, CodingKey { case formatVersion = "format_version", state, count, files }

    public init(state: String, files: [RecordedFile]) {
        self.state = state
        self.files = files.map(StateExportDocument.File.init)
        count = self.files.count
    }
}

/// `sbsync state show ADDRESS --json`: everything recorded about one file, with the keys of
/// `state export`'s files.
///
/// ```json
/// {"format_version": 1, "state": "…", "file": {"address", "source", "metadata", "tags", "spec_digest",
///  "file_id", "actual_name", "job_id", "created_at", "updated_at"}}
/// ```
public struct StateShowDocument: JSONDocument, Codable, Sendable {
    public static let jsonStyle = JSONStyle.pretty
    /// A change of any existing key's meaning bumps it; new keys do not.
    public static let currentFormatVersion = 1

    public var formatVersion = Self.currentFormatVersion
    public var state: String
    public var file: StateExportDocument.File

    enum CodingKeys: String, CodingKey { case formatVersion = "format_version", state, file }

    public init(state: String, file: RecordedFile) {
        self.state = state
        self.file = StateExportDocument.File(file)
    }
}
