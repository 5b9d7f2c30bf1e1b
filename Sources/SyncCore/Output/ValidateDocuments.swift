public import SyncYAML

extension DesiredState {
    /// The version of `sbsync validate --json`, both shapes (`DesiredStateDocument`,
    /// `DiagnosticsDocument`). A change of any existing key's meaning bumps it; new keys do not.
    public static let jsonFormatVersion = 1
}

/// `sbsync validate --json` of a valid manifest: the desired state it resolves to.
///
/// ```json
/// {"format_version": 1, "manifest": "sbsync.yaml", "valid": true,
///  "summary": {"files", "volume_files", "drs_files", "projects", "unexpanded_prefixes"},
///  "files": [{"address", "project", "folder", "name", "source", "metadata", "tags", "conflict", "line", "column"}],
///  "unexpanded_prefixes": [{"volume", "prefix", "line", "column"}]}
/// ```
public struct DesiredStateDocument: JSONDocument, Codable {
    public static let jsonStyle = JSONStyle.oneEntryPerLine

    public var formatVersion = DesiredState.jsonFormatVersion
    /// The manifest as named on the command line.
    public var manifest: String
    public var valid = true
    public var summary: Summary
    /// The tables and included manifests read besides the manifest (`kind`: `table` or `include`).
    public var sources: [Source]
    /// In the manifest's order.
    public var files: StreamedList<File>
    /// Volume prefixes, which only `plan` and `apply` list.
    public var unexpandedPrefixes: [Prefix]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", manifest, valid, summary, sources, files, unexpandedPrefixes = "unexpanded_prefixes"
    }

    /// A file read besides the manifest.
    public struct Source: Codable, Hashable, Sendable {
        public var path: String
        public var kind: String

        public init(path: String, kind: String) {
            self.path = path
            self.kind = kind
        }
    }

    public struct Summary: Codable, Hashable, Sendable {
        public var files: Int
        public var volumeFiles: Int
        public var drsFiles: Int
        public var projects: Int
        public var unexpandedPrefixes: Int

        enum CodingKeys: String, CodingKey {
            case files, volumeFiles = "volume_files", drsFiles = "drs_files", projects, unexpandedPrefixes = "unexpanded_prefixes"
        }
    }

    /// One desired file, defaults applied.
    public struct File: Codable, Hashable, Sendable {
        public var address: String
        public var project: String
        /// "" for the project root.
        public var folder: String
        public var name: String
        public var source: SourceDocument
        public var metadata: MetadataDocument
        public var tags: [String]
        public var conflict: ConflictPolicy
        /// Where the entry is written in the manifest.
        public var line: Int?
        public var column: Int?

        public init(_ file: DesiredFile) {
            address = file.address.description
            project = file.address.project
            folder = file.address.folder
            name = file.address.name
            source = SourceDocument(file.source)
            metadata = MetadataDocument(file.metadata)
            tags = file.tags
            conflict = file.policy
            line = file.mark?.line
            column = file.mark?.column
        }
    }

    public struct Prefix: Codable, Hashable, Sendable {
        public var volume: String
        public var prefix: String
        public var line: Int
        public var column: Int
    }

    public init(_ state: DesiredState, manifest: String, sources: [Source] = []) {
        self.manifest = manifest
        self.sources = sources
        let s = state.summary
        summary = Summary(files: s.files, volumeFiles: s.volumeFiles, drsFiles: s.drsFiles, projects: s.projects,
                          unexpandedPrefixes: s.unexpandedPrefixes)
        files = StreamedList(state.files, File.init)
        unexpandedPrefixes = state.unexpandedPrefixes.map {
            Prefix(volume: $0.volume, prefix: $0.prefix, line: $0.mark.line, column: $0.mark.column)
        }
    }
}

/// `sbsync validate --json` (and `plan --json`) of a manifest with problems.
///
/// ```json
/// {"format_version": 1, "manifest": "sbsync.yaml", "valid": false,
///  "diagnostics": [{"file", "line", "column", "severity", "message", "note"}]}
/// ```
public struct DiagnosticsDocument: JSONDocument, Codable, Hashable {
    public static let jsonStyle = JSONStyle.oneEntryPerLine

    public var formatVersion = DesiredState.jsonFormatVersion
    public var manifest: String
    public var valid = false
    public var diagnostics: [Entry]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", manifest, valid, diagnostics
    }

    public struct Entry: Codable, Hashable, Sendable {
        public var file: String
        /// `null` when the problem concerns the whole file.
        public var line: Int?
        public var column: Int?
        public var severity: Diagnostic.Severity
        public var message: String
        public var note: String?

        public init(_ d: Diagnostic) {
            file = d.file
            line = d.mark?.line
            column = d.mark?.column
            severity = d.severity
            message = d.message
            note = d.note
        }
    }

    public init(_ diagnostics: [Diagnostic], manifest: String) {
        self.manifest = manifest
        self.diagnostics = diagnostics.map(Entry.init)
    }
}
