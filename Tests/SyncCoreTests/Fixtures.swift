import SyncCore
import SyncYAML

/// Builders for plan tests: short calls, realistic values.
enum Fixture {
    static let project = "rfranklin/my-project"

    static func desired(
        _ path: String, project: String = Fixture.project, source: FileSource? = nil,
        metadata: [(String, MetadataValue)] = [], tags: [String] = [], policy: ConflictPolicy = .skip, line: Int? = nil
    ) -> DesiredFile {
        DesiredFile(
            address: Address(project: project, path: path),
            source: source ?? .volume(volume: "rfranklin/input", location: path),
            metadata: Metadata(metadata), tags: tags, policy: policy,
            mark: line.map { SourceMark(line: $0, column: 9) })
    }

    /// What the state would hold after `file` was imported as asked.
    static func recorded(_ file: DesiredFile, actualName: String? = nil) -> RecordedFile {
        RecordedFile(
            address: file.address, source: file.source, metadata: file.metadata, tags: file.tags,
            specDigest: "d-\(file.address.path)", fileID: "f-\(file.address.path)",
            actualName: actualName ?? file.address.name, jobID: "job-1", createdAt: 1_700_000_000, updatedAt: 1_700_000_100)
    }

    static func recorded(
        _ path: String, project: String = Fixture.project, source: FileSource? = nil,
        metadata: [(String, MetadataValue)] = [], tags: [String] = []
    ) -> RecordedFile {
        recorded(desired(path, project: project, source: source, metadata: metadata, tags: tags))
    }
}
