import Foundation
import Testing

/// Compares output with a file in `Golden/`. `RECORD_SNAPSHOTS=1` rewrites the file in the source tree
/// instead, and the test fails so that a recording run never passes for a check.
func expectGolden(
    _ actual: String, _ name: String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let sourceURL = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try actual.write(to: sourceURL, atomically: true, encoding: .utf8)
        Issue.record("recorded \(sourceURL.path); run again without RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
        return
    }
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden"),
          let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("no golden file '\(name)'; record it with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from Golden/\(name)", sourceLocation: sourceLocation)
}
