import Foundation
import SyncCore
import SyncState
@testable import SyncCLI
import Testing
import TestSupport

/// `state list --json`, `state list --project P --filter GLOB`, `state show --json`.
@Suite struct StateQueryTests {
    let base: StateCommandTests

    init() throws {
        base = try StateCommandTests()
    }

    func run(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try base.run(arguments)
    }

    @Test func listFiltersByProjectAndGlob() throws {
        let store = try StateStore.open(at: base.statePath, create: false)
        try store.withLock(operation: "test") {
            var other = StateCommandTests.file("raw/c.bam", drs: false)
            other.address = Address(project: "rf/other", path: "raw/c.bam")
            try store.record([other])
        }
        #expect(try run(["list", "--state", base.statePath]).stdout == "rf/other:raw/c.bam\nrf/proj:drs/b.cram\nrf/proj:raw/a.bam\n")
        #expect(try run(["list", "--state", base.statePath, "--project", "rf/proj"]).stdout == "rf/proj:drs/b.cram\nrf/proj:raw/a.bam\n")
        #expect(try run(["list", "--state", base.statePath, "--filter", "raw/*.bam"]).stdout == "rf/other:raw/c.bam\nrf/proj:raw/a.bam\n")
        #expect(try run(["list", "--state", base.statePath, "--project", "rf/proj", "--filter", "**.cram"]).stdout == "rf/proj:drs/b.cram\n")
        #expect(try run(["list", "--state", base.statePath, "--project", "rf/none"]).stdout == "")
        #expect(throws: (any Error).self) { _ = try StateCommand.parseAsRoot(["list", "--filter", "[unclosed"]) }
    }

    @Test func listAsJSON() throws {
        let result = try run(["list", "--state", base.statePath, "--json", "--filter", "raw/**"])
        #expect(result.code == 0 && result.stderr.isEmpty)
        #expect(!result.stdout.contains("\\/"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["format_version"] as? Int == StateListDocument.currentFormatVersion)
        #expect(object["state"] as? String == base.statePath)
        #expect(object["count"] as? Int == 1)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["address"] as? String } == ["rf/proj:raw/a.bam"])
        #expect(Set(files[0].keys) == ["address", "source", "metadata", "tags", "spec_digest", "file_id", "actual_name",
                                       "job_id", "created_at", "updated_at"])
        #expect((files[0]["metadata"] as? [String: Any])?["lane"] as? Int == 2)
        // The same entries as `state export` writes.
        let export = try #require(try JSONSerialization.jsonObject(with: Data(try run(["export", "--state", base.statePath]).stdout.utf8)) as? [String: Any])
        let exported = try #require((export["files"] as? [[String: Any]])?.first { $0["address"] as? String == "rf/proj:raw/a.bam" })
        #expect(NSDictionary(dictionary: exported).isEqual(to: files[0]))
    }

    @Test func showAsJSON() throws {
        let result = try run(["show", "--state", base.statePath, "--json", "rf/proj:drs/b.cram"])
        #expect(result.code == 0 && result.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["format_version"] as? Int == StateShowDocument.currentFormatVersion)
        let file = try #require(object["file"] as? [String: Any])
        #expect(file["address"] as? String == "rf/proj:drs/b.cram")
        #expect(file["file_id"] as? String == "f-drs/b.cram")
        #expect((file["source"] as? [String: Any])?["uri"] as? String == "drs://host/drs/b.cram")
        #expect(result.stdout.contains("\"drs://host/drs/b.cram\""))
        let missing = try run(["show", "--state", base.statePath, "--json", "rf/proj:nope"])
        #expect(missing.code == 1 && missing.stdout.isEmpty)
    }
}
