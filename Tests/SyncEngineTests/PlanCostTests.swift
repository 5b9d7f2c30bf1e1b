import SyncCore
import SyncEngine
import SyncState
import Testing

@Suite("What a large apply costs, as plan notes")
struct PlanCostTests {
    /// `count` DRS imports (or volume ones), one folder per `perFolder` files, under `top/`.
    static func plan(_ count: Int, perFolder: Int, kind: FileSource.Kind = .drs) -> Plan {
        let desired = (0..<count).map { i in
            kind == .drs ? drsFile("top/P\(i / perFolder)/f\(i).cram") : volumeFile("top/P\(i / perFolder)/f\(i).bam")
        }
        return Diff.compute(desired: desired, recorded: [])
    }

    @Test func foldersTheStateDoesNotRecordAndTheDRSPaceAreNamed() {
        let plan = Self.plan(6_000, perFolder: 4)  // 1,500 participant folders and 'top'
        #expect(PlanPipeline.costNotes(for: plan, recordedFolders: []) == [
            "apply finds or makes 1,501 folders the state does not record, a request each (two where one must be looked up first): at least 8 min of the platform's rate limit (1,000 requests / 5 min)",
            "6,000 DRS imports take at least 55 min at the platform's DRS pace (500 files / 5 min)",
        ])
        // Folders the state records cost nothing: below the threshold, no folder note.
        let recorded = (0..<600).map { FolderRecord(project: Harness.project, path: "top/P\($0)", id: "id\($0)", createdBySbsync: true) }
        #expect(PlanPipeline.costNotes(for: plan, recordedFolders: recorded) == [
            "6,000 DRS imports take at least 55 min at the platform's DRS pace (500 files / 5 min)",
        ])
    }

    @Test func theApplysOwnPaceIsTheOneNamed() {
        let pace = ExecutorOptions(drsPace: 1_000, drsWindow: .seconds(600))
        #expect(PlanPipeline.costNotes(for: Self.plan(6_000, perFolder: 1_000), recordedFolders: nil, pace: pace) == [
            "6,000 DRS imports take at least 50 min at the platform's DRS pace (1000 files / 10 min)",
        ])
    }

    @Test func aPaceOfUnderAMinuteSaysNothing() {
        let pace = ExecutorOptions(drsPace: 500, drsWindow: .milliseconds(300))
        #expect(PlanPipeline.costNotes(for: Self.plan(20_000, perFolder: 1_000), recordedFolders: nil, pace: pace).isEmpty)
        let slow = ExecutorOptions(drsPace: 100, drsWindow: .seconds(45))
        #expect(PlanPipeline.costNotes(for: Self.plan(2_000, perFolder: 1_000), recordedFolders: nil, pace: slow) == [
            "2,000 DRS imports take at least 14 min at the platform's DRS pace (100 files / 45.0 s)",
        ])
    }

    @Test func aSmallPlanOrVolumeFilesInFewFoldersSayNothing() {
        #expect(PlanPipeline.costNotes(for: Self.plan(500, perFolder: 1), recordedFolders: nil).isEmpty)
        #expect(PlanPipeline.costNotes(for: Self.plan(20_000, perFolder: 1_000, kind: .volume), recordedFolders: nil).isEmpty)
    }
}
