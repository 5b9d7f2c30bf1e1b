import Testing
import TestSupport

/// `TestSupport.expectGolden` for a file in this target's `Golden/` folder.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    try TestSupport.expectGolden(actual, path: "Tests/SyncCoreTests/Golden/\(name)", sourceLocation: sourceLocation)
}
