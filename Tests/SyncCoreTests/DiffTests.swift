import SyncCore
import Testing

/// One row of the diff table: a desired and/or recorded file for one address, and what the plan says.
struct DiffCase: Sendable, CustomTestStringConvertible {
    var name: String
    var desired: DesiredFile?
    var recorded: RecordedFile?
    /// `nil`: no-op.
    var action: PlanAction?
    var reasons: [String]

    var testDescription: String { name }

    static let base = Fixture.desired("raw/s1.fq", metadata: [("sample_id", .string("S1"))], tags: ["ICDC", "raw"])

    static func changed(_ name: String, _ edit: (inout DesiredFile) -> Void, _ action: PlanAction?, _ reasons: [String]) -> DiffCase {
        var file = base
        edit(&file)
        return DiffCase(name: name, desired: file, recorded: Fixture.recorded(base), action: action, reasons: reasons)
    }

    static let all: [DiffCase] = [
        DiffCase(name: "import: desired, not in state", desired: base, recorded: nil, action: .import, reasons: ["not in state"]),
        DiffCase(name: "forget: in state, not desired", desired: nil, recorded: Fixture.recorded(base),
                 action: .forget, reasons: ["no longer in the manifest"]),
        changed("no-op: identical", { _ in }, nil, []),
        changed("no-op: conflict policy changed (governs imports only)", { $0.policy = .overwrite }, nil, []),
        changed("no-op: declared on another line", { $0.mark = .init(line: 40, column: 3) }, nil, []),
        changed("no-op: tags reordered and repeated", { $0.tags = ["raw", "ICDC", "raw"] }, nil, []),
        DiffCase(name: "no-op: the platform renamed the file", desired: base,
                 recorded: Fixture.recorded(base, actualName: "_1_s1.fq"), action: nil, reasons: []),
        changed("replace: volume location changed",
                { $0.source = .volume(volume: "rfranklin/input", location: "raw/s1-v2.fq") }, .replace,
                ["source changed from volume rfranklin/input:raw/s1.fq to volume rfranklin/input:raw/s1-v2.fq"]),
        changed("replace: volume changed", { $0.source = .volume(volume: "rfranklin/archive", location: "raw/s1.fq") }, .replace,
                ["source changed from volume rfranklin/input:raw/s1.fq to volume rfranklin/archive:raw/s1.fq"]),
        changed("replace: volume to DRS", { $0.source = .drs(uri: "drs://example.org/abc") }, .replace,
                ["source changed from volume rfranklin/input:raw/s1.fq to drs://example.org/abc"]),
        changed("replace: source and metadata changed", {
            $0.source = .drs(uri: "drs://example.org/abc")
            $0.metadata = Metadata([("sample_id", .string("S2"))])
            $0.tags = ["ICDC"]
        }, .replace, [
            "source changed from volume rfranklin/input:raw/s1.fq to drs://example.org/abc",
            "metadata key 'sample_id' changed from 'S1' to 'S2'",
            "tags removed: raw",
        ]),
        changed("update: metadata value changed", { $0.metadata = Metadata([("sample_id", .string("S2"))]) }, .update,
                ["metadata key 'sample_id' changed from 'S1' to 'S2'"]),
        changed("update: metadata key added", { $0.metadata["cohort"] = .int(4) }, .update,
                ["metadata key 'cohort' added with value 4"]),
        changed("update: metadata key removed", { $0.metadata = Metadata() }, .update,
                ["metadata key 'sample_id' removed (was 'S1')"]),
        changed("update: metadata type changed, string to integer", { $0.metadata["sample_id"] = .int(1) }, .update,
                ["metadata key 'sample_id' changed from 'S1' to 1"]),
        changed("update: metadata float, bool and null", {
            $0.metadata = Metadata([("a", .float(1.5)), ("b", .bool(true)), ("c", .null), ("sample_id", .string("S1"))])
        }, .update, [
            "metadata key 'a' added with value 1.5",
            "metadata key 'b' added with value true",
            "metadata key 'c' added with value null",
        ]),
        changed("update: tags added and removed", { $0.tags = ["a", "raw", "b"] }, .update,
                ["tags added: a, b; removed: ICDC"]),
        changed("update: tags added", { $0.tags += ["a"] }, .update, ["tags added: a"]),
        changed("update: tags removed", { $0.tags = [] }, .update, ["tags removed: ICDC, raw"]),
        changed("update: metadata and tags, metadata first", {
            $0.metadata = Metadata([("sample_id", .string("S1")), ("study", .string("ICDC"))])
            $0.tags = ["ICDC"]
        }, .update, ["metadata key 'study' added with value 'ICDC'", "tags removed: raw"]),
    ]
}

@Suite("Diff")
struct DiffTests {
    @Test("every action and reason", arguments: DiffCase.all)
    func table(_ row: DiffCase) {
        let plan = Diff.compute(desired: row.desired.map { [$0] } ?? [], recorded: row.recorded.map { [$0] } ?? [])
        let changes = plan.changes
        if let action = row.action {
            #expect(changes.count == 1)
            #expect(changes.first?.action == action)
            #expect(changes.first?.reasons.map(\.description) == row.reasons)
            #expect(changes.first?.before == row.recorded)
            #expect(changes.first?.after == row.desired)
            #expect(plan.counts[action] == 1 && plan.counts.changes == 1 && plan.counts.unchanged == 0)
            #expect(plan.hasChanges)
        } else {
            #expect(changes.isEmpty)
            #expect(plan.counts == PlanCounts(imports: 0, replaces: 0, updates: 0, forgets: 0, unchanged: 1))
            #expect(!plan.hasChanges)
        }
    }

    @Test("the joined reason reads as one line")
    func joinedReason() throws {
        var file = DiffCase.base
        file.metadata["sample_id"] = .string("S9")
        file.tags = ["ICDC"]
        let change = try #require(Diff.change(desired: file, recorded: Fixture.recorded(DiffCase.base)))
        #expect(change.reason == "metadata key 'sample_id' changed from 'S1' to 'S9'; tags removed: raw")
    }

    static let mixedDesired: [DesiredFile] = [
        Fixture.desired("b/new.fq", project: "zeta/p"),
        Fixture.desired("a/same.fq", project: "zeta/p"),
        Fixture.desired("z/new.fq"),
        Fixture.desired("a/new.fq"),
        Fixture.desired("m/meta.fq", metadata: [("k", .string("v2"))]),
        Fixture.desired("c/src.fq", source: .drs(uri: "drs://x/1")),
        Fixture.desired("same.fq"),
        Fixture.desired("only.fq", project: "alpha/p"),
    ]
    static let mixedRecorded: [RecordedFile] = [
        Fixture.recorded("a/same.fq", project: "zeta/p"),
        Fixture.recorded("gone.fq", project: "zeta/p"),
        Fixture.recorded("m/meta.fq", metadata: [("k", .string("v1"))]),
        Fixture.recorded("c/src.fq"),
        Fixture.recorded("same.fq"),
        Fixture.recorded("0-gone.fq"),
        Fixture.recorded("old.fq", project: "beta/p"),
    ]

    @Test("ordered by project, then action, then address, whatever the input order")
    func ordering() {
        let plan = Diff.compute(desired: Self.mixedDesired, recorded: Self.mixedRecorded)
        #expect(plan.projects.map(\.project) == ["alpha/p", "beta/p", "rfranklin/my-project", "zeta/p"])
        #expect(plan.changes.map { "\($0.action.rawValue) \($0.address)" } == [
            "import alpha/p:only.fq",
            "forget beta/p:old.fq",
            "import rfranklin/my-project:a/new.fq",
            "import rfranklin/my-project:z/new.fq",
            "replace rfranklin/my-project:c/src.fq",
            "update rfranklin/my-project:m/meta.fq",
            "forget rfranklin/my-project:0-gone.fq",
            "import zeta/p:b/new.fq",
            "forget zeta/p:gone.fq",
        ])
        #expect(plan.projects.map(\.counts) == [
            PlanCounts(imports: 1, replaces: 0, updates: 0, forgets: 0, unchanged: 0),
            PlanCounts(imports: 0, replaces: 0, updates: 0, forgets: 1, unchanged: 0),
            PlanCounts(imports: 2, replaces: 1, updates: 1, forgets: 1, unchanged: 1),
            PlanCounts(imports: 1, replaces: 0, updates: 0, forgets: 1, unchanged: 1),
        ])
        #expect(plan.counts == PlanCounts(imports: 4, replaces: 1, updates: 1, forgets: 3, unchanged: 2))
        #expect(plan.summaryLine == "Plan: 4 to import, 1 to replace, 1 to update, 3 to forget.")

        // Any permutation of the inputs gives the same plan.
        let sorted = Diff.compute(desired: Self.mixedDesired.sorted { $0.address < $1.address },
                                  recorded: Self.mixedRecorded.sorted { $0.address < $1.address })
        let reversed = Diff.compute(desired: Self.mixedDesired.reversed(), recorded: Self.mixedRecorded.reversed())
        let byAddress = Dictionary(uniqueKeysWithValues: Self.mixedDesired.map { ($0.address, $0) })
        let lookedUp = Diff.compute(desired: Self.mixedDesired.reversed(), recorded: Self.mixedRecorded, lookup: { byAddress[$0] })
        #expect(sorted == plan)
        #expect(reversed == plan)
        #expect(lookedUp == plan)
    }

    @Test("empty on both sides: no changes")
    func empty() {
        let plan = Diff.compute(desired: [], recorded: [])
        #expect(plan.projects.isEmpty)
        #expect(!plan.hasChanges)
        #expect(plan.summaryLine == "No changes. The projects match the manifest.")
    }

    private func padded(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    @Test("a large no-op plan lists nothing and counts everything")
    func largeNoOp() {
        let desired = (0..<20_000).map { Fixture.desired("cohort/s\(padded($0)).fq", metadata: [("n", .int($0))], tags: ["t"]) }
        let plan = Diff.compute(desired: desired, recorded: desired.map { Fixture.recorded($0) })
        #expect(plan.changes.isEmpty)
        #expect(plan.counts.unchanged == 20_000)
        #expect(plan.summaryLine == "No changes. The projects match the manifest.")
    }
}

@Suite("Diff of a desired state")
struct DesiredStateDiffTests {
    @Test("a manifest's desired state (in manifest order) diffs like its sorted files")
    func manifestOrder() throws {
        let desired = try state("""
            version: 1
            project: rfranklin/my-project
            defaults: {tags: [ICDC], metadata: {study: ICDC}}
            volumes:
              - volume: rfranklin/input
                folder: raw
                files:
                  - location: z/last.fq
                  - location: a/first.fq
                    metadata: {sample_id: S1}
                  - location: m/middle.fq
            drs:
              - uri: drs://example.org/abc
                name: b.ext
                project: rfranklin/other-project
            """)
        #expect(desired.files.map(\.address.name) == ["last.fq", "first.fq", "middle.fq", "b.ext"])
        var recorded = desired.files.map { Fixture.recorded($0) }.sorted { $0.address < $1.address }
        recorded[0].metadata["sample_id"] = .string("S0")  // raw/first.fq
        recorded.remove(at: 2)                           // raw/middle.fq
        let plan = Diff.compute(desired: desired, recorded: recorded)
        #expect(plan == Diff.compute(desired: desired.sortedByAddress, recorded: recorded))
        #expect(plan.changes.map { "\($0.action.rawValue) \($0.address): \($0.reason)" } == [
            "import rfranklin/my-project:raw/middle.fq: not in state",
            "update rfranklin/my-project:raw/first.fq: metadata key 'sample_id' changed from 'S0' to 'S1'",
        ])
        #expect(plan.counts == PlanCounts(imports: 1, replaces: 0, updates: 1, forgets: 0, unchanged: 2))

        // Streamed one file at a time, in any order, the plan is the same.
        for order in [recorded, recorded.reversed()] {
            var streaming = StreamingDiff(desired: desired)
            for file in order { streaming.add(file) }
            #expect(streaming.finish() == plan)
        }
        // In parts (as a state read on several cores), merged, the plan is the same; a light
        // record is completed only for the files that change.
        for parts in [2, 3] {
            var streams = Array(repeating: StreamingDiff(desired: desired), count: parts)
            var completed: [String] = []
            for (i, file) in recorded.enumerated() {
                var light = file
                light.specDigest = ""
                light.actualName = ""
                streams[i % parts].add(light) {
                    completed.append(file.address.path)
                    return file
                }
            }
            var merged = streams[0]
            for other in streams.dropFirst() { merged.merge(other) }
            #expect(merged.finish() == plan)
            #expect(completed == ["raw/first.fq"])
        }
        var extra = StreamingDiff(desired: desired)
        for file in recorded { extra.add(file) }
        extra.add(Fixture.recorded("zz/gone.fq"))
        #expect(extra.finish().changes.last.map { "\($0.action.rawValue) \($0.address)" } == "forget rfranklin/my-project:zz/gone.fq")
    }
}
