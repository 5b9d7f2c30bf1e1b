import SyncCore
import Testing

@Suite("A refreshed plan: the way back for each drift")
struct DriftPlanTests {
    @Test func eachDriftBecomesItsActionAndTheCountsFollow() {
        let desired = ["a.bam", "b.bam", "c.bam", "d.bam", "e.bam", "f.bam"].map {
            Fixture.desired("raw/\($0)", metadata: [("sample", .string("S"))], tags: ["t"])
        }
        var recorded = desired.map { Fixture.recorded($0) }
        recorded.append(Fixture.recorded("raw/gone.bam"))  // no longer desired: a forget, whatever drifted
        let plan = Diff.compute(desired: desired, recorded: recorded)
        #expect(plan.counts == PlanCounts(imports: 0, replaces: 0, updates: 0, forgets: 1, unchanged: 6))

        var edited = recorded[3]
        edited.metadata = Metadata([("sample", .string("edited"))])
        var renamedAndEdited = recorded[4]
        renamedAndEdited.tags = ["drift"]
        let drifts = [
            Drift(address: recorded[0].address, found: [.deleted], current: recorded[0]),
            Drift(address: recorded[1].address, found: [.replaced(by: "other")], current: recorded[1]),
            Drift(address: recorded[2].address, found: [.renamed(to: "x.bam")], current: recorded[2]),
            Drift(address: recorded[3].address, found: [.edited], current: edited),
            Drift(address: recorded[4].address, found: [.moved(to: "elsewhere/e.bam"), .edited], current: renamedAndEdited),
            Drift(address: recorded[6].address, found: [.deleted], current: recorded[6]),
        ]
        let byAddress = Dictionary(uniqueKeysWithValues: desired.map { ($0.address, $0) })
        let refreshed = plan.reconciled(with: drifts) { byAddress[$0] }
        var counts = PlanCounts(imports: 2, replaces: 0, updates: 1, forgets: 1, unchanged: 1)
        counts.moves = 2
        #expect(refreshed.counts == counts)
        #expect(refreshed.changes.map(\.action) == [.import, .import, .update, .move, .move, .forget])
        #expect(refreshed.changes.map(\.reason) == [
            "deleted on the platform",
            "replaced on the platform by another file (id other)",
            "metadata or tags edited on the platform; metadata key 'sample' changed from 'edited' to 'S'",
            "renamed on the platform to 'x.bam'",
            "moved on the platform to 'elsewhere/e.bam'; metadata or tags edited on the platform; tags added: t; removed: drift",
            "no longer in the manifest",
        ])
        #expect(refreshed.summaryLine == "Plan: 2 to import, 0 to replace, 1 to update, 2 to move back, 1 to forget.")
        #expect(plan.reconciled(with: []) { byAddress[$0] } == plan)
    }
}
