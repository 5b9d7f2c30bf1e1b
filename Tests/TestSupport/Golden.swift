public import Foundation
public import Testing

/// The repository's root folder (tests read fixtures and golden files by path, not as bundle
/// resources, so a fresh clone tests as it is).
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // TestSupport
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

/// Compares `actual` with the golden file at `path` (relative to the repository root). With
/// `RECORD_SNAPSHOTS=1` it writes the file instead and records an issue, so a recording run
/// is never green.
public func expectGolden(_ actual: String, path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = repositoryRoot.appendingPathComponent(path)
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: url)
        Issue.record("recorded \(path); run again without RECORD_SNAPSHOTS to check it", sourceLocation: sourceLocation)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("missing golden file \(path); record it with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from \(path)", sourceLocation: sourceLocation)
}
