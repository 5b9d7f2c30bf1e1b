import Foundation
import SyncCore
import Testing
import TestSupport

/// A plan with every action, two projects with changes, one without, and a group longer than the limit.
enum SamplePlan {
    static let project = Fixture.project

    static var desired: [DesiredFile] {
        var files = (1...12).map { Fixture.desired("raw/batch2/s\($0 < 10 ? "0" : "")\($0).fq.gz", tags: ["ICDC"], policy: .rename) }
        files += [
            Fixture.desired("raw/s1.fq.gz", source: .volume(volume: "rfranklin/input", location: "fastq/s1-rerun.fq.gz"),
                            metadata: [("sample_id", .string("S1"))], tags: ["ICDC"], line: 14),
            Fixture.desired("raw/s2.fq.gz", metadata: [("sample_id", .string("S2b")), ("cohort", .int(4)), ("qc", .float(0.5))],
                            tags: ["ICDC", "raw"], line: 20),
            Fixture.desired("raw/s3.fq.gz", metadata: [("sample_id", .string("S3"))], tags: ["ICDC"], line: 26),
            Fixture.desired("drs/test-file.ext", project: "rfranklin/other-project",
                            source: .drs(uri: "drs://nci-crdc.datacommons.io/1805d249-bc24-4eed-b191-86d333d7563f"),
                            metadata: [("study_id", .string("1")), ("paired", .bool(true)), ("note", .null)], policy: .overwrite, line: 31),
            Fixture.desired("kept.txt", project: "rfranklin/quiet"),
        ]
        return files
    }

    static var recorded: [RecordedFile] {
        [
            Fixture.recorded("raw/s1.fq.gz", metadata: [("sample_id", .string("S1"))], tags: ["ICDC"]),
            Fixture.recorded("raw/s2.fq.gz", metadata: [("sample_id", .string("S2")), ("lane", .int(1))], tags: ["ICDC"]),
            Fixture.recorded(Fixture.desired("raw/s3.fq.gz", metadata: [("sample_id", .string("S3"))], tags: ["ICDC"]), actualName: "_1_s3.fq.gz"),
            Fixture.recorded("old/s0.fq.gz", tags: ["ICDC"]),
            Fixture.recorded("kept.txt", project: "rfranklin/quiet"),
        ]
    }

    static var plan: Plan { Diff.compute(desired: desired, recorded: recorded) }

    static var noChanges: Plan {
        let files = [Fixture.desired("a.fq"), Fixture.desired("b.fq")]
        return Diff.compute(desired: files, recorded: files.map { Fixture.recorded($0) })
    }
}

@Suite("Plan output")
struct PlanOutputTests {
    @Test func text() throws {
        try expectGolden(SamplePlan.plan.text(), "plan.txt")
    }

    @Test func textDetail() throws {
        try expectGolden(SamplePlan.plan.text(.init(detail: true)), "plan-detail.txt")
    }

    @Test func textColor() throws {
        try expectGolden(SamplePlan.plan.text(.init(color: true)), "plan-color.txt")
    }

    @Test func textNoChanges() throws {
        #expect(SamplePlan.noChanges.text() == "No changes. The projects match the manifest.\n")
        var plan = SamplePlan.noChanges
        plan.notes = ["volume prefixes were not expanded (listing a volume needs the platform)"]
        #expect(plan.text() == """
            note: volume prefixes were not expanded (listing a volume needs the platform)
            No changes. The projects match the manifest.

            """)
    }

    @Test("the last line is the summary line", arguments: [false, true])
    func lastLine(detail: Bool) {
        let lines = SamplePlan.plan.text(.init(detail: detail)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.dropLast().last == "Plan: 13 to import, 1 to replace, 1 to update, 1 to forget.")
    }

    @Test func json() throws {
        try expectGolden(String(decoding: try SamplePlan.plan.json(), as: UTF8.self), "plan.json")
    }

    @Test func jsonNoChanges() throws {
        try expectGolden(String(decoding: try SamplePlan.noChanges.json(), as: UTF8.self), "plan-nochanges.json")
    }

    @Test("the JSON plan parses and holds what the plan holds")
    func jsonContent() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: SamplePlan.plan.json()) as? [String: Any])
        #expect(object["format_version"] as? Int == 1)
        #expect(object["has_changes"] as? Bool == true)
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary == ["import": 13, "replace": 1, "update": 1, "forget": 1, "unchanged": 2, "move": 0, "adopt": 0])
        let actions = try #require(object["actions"] as? [[String: Any]])
        #expect(actions.count == 16)
        #expect(actions.map { $0["address"] as? String } == SamplePlan.plan.changes.map(\.address.description))
        let update = try #require(actions.first { $0["action"] as? String == "update" })
        let after = try #require(update["after"] as? [String: Any])
        let metadata = try #require(after["metadata"] as? [String: Any])
        #expect(metadata["cohort"] as? Int == 4)
        #expect(metadata["sample_id"] as? String == "S2b")
        #expect(after["conflict"] as? String == "skip")
        let imp = try #require(actions.first { $0["action"] as? String == "import" })
        #expect(imp["before"] is NSNull)
    }
}
