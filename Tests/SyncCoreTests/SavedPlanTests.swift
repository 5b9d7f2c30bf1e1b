import Foundation
import SyncCore
import Testing
import TestSupport

@Suite("Saved plan")
struct SavedPlanTests {
    static let manifest = SavedPlan.ManifestRef(path: "manifests/cohort.yaml", sha256: SavedPlan.sha256(of: Array("version: 1\n".utf8)))
    static let state = SavedPlan.StateRef(path: "manifests/cohort.sbsync-state", lineage: "8E1A4C0B-5D7F-4F37-9C1E-2B6A0F3D9E11", serial: 7)

    @Test("SHA-256 is lower-case hex of the bytes")
    func digest() {
        #expect(SavedPlan.sha256(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SavedPlan.sha256(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("written and read back, it is the same plan")
    func roundTrip() throws {
        let plan = SamplePlan.plan
        let saved = SavedPlan(plan: plan, manifest: Self.manifest, state: Self.state)
        let read = try SavedPlan.decode(try saved.encoded())
        #expect(read == saved)
        #expect(try read.plan() == plan)
        #expect(try read.plan().text() == plan.text())
    }

    @Test("a float stays a float, a numeric string a string")
    func typedMetadata() throws {
        let file = Fixture.desired("a.fq", metadata: [("f", .float(1.0)), ("s", .string("1")), ("n", .null)])
        let plan = Diff.compute(desired: [file], recorded: [])
        let read = try SavedPlan.decode(try SavedPlan(plan: plan, manifest: Self.manifest, state: Self.state).encoded())
        #expect(try read.plan().changes.first?.after?.metadata == file.metadata)
    }

    @Test func golden() throws {
        let saved = SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest, state: Self.state)
        try expectGolden(String(decoding: try saved.encoded(), as: UTF8.self), "saved-plan.json")
    }

    @Test("a version 1 plan written with sorted keys and no nulls (JSONEncoder, before JSONWriter) still reads")
    func readsSortedKeysVersion1() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/SyncCoreTests/Golden/saved-plan-v1-sorted-keys.json")
        let read = try SavedPlan.decode(try Data(contentsOf: url))
        #expect(read == SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest, state: Self.state))
        #expect(try read.plan() == SamplePlan.plan)
    }

    @Test("fresh when manifest and state are as planned")
    func fresh() {
        let saved = SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest, state: Self.state)
        #expect(saved.staleness(manifestSHA256: Self.manifest.sha256, lineage: Self.state.lineage, serial: 7).isEmpty)
    }

    @Test("stale when the manifest, the state's serial or its lineage moved")
    func stale() {
        let saved = SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest, state: Self.state)
        #expect(saved.staleness(manifestSHA256: "00", lineage: Self.state.lineage, serial: 7)
            == ["the manifest 'manifests/cohort.yaml' changed since the plan was made"])
        #expect(saved.staleness(manifestSHA256: Self.manifest.sha256, lineage: Self.state.lineage, serial: 8)
            == ["the state 'manifests/cohort.sbsync-state' changed since the plan was made (serial 8, plan made at serial 7)"])
        #expect(saved.staleness(manifestSHA256: Self.manifest.sha256, lineage: nil, serial: 0)
            == ["the state 'manifests/cohort.sbsync-state' is a different state from the one the plan was made against "
                + "(lineage none, plan made against 8E1A4C0B-5D7F-4F37-9C1E-2B6A0F3D9E11)"])
    }

    @Test("a plan made against no state is fresh while there is still none")
    func noState() {
        let saved = SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest,
                              state: .init(path: "s", lineage: nil, serial: 0))
        #expect(saved.staleness(manifestSHA256: Self.manifest.sha256, lineage: nil, serial: 0).isEmpty)
    }

    @Test("other format versions and damaged files are refused")
    func refused() throws {
        #expect(throws: SavedPlanError.unsupportedVersion(2)) {
            try SavedPlan.decode(Data(#"{"format_version": 2}"#.utf8))
        }
        #expect(throws: SavedPlanError.invalid("not a saved plan (not a JSON object)")) {
            try SavedPlan.decode(Data("plan".utf8))
        }
        #expect(throws: SavedPlanError.invalid("not a saved plan (no 'format_version')")) {
            try SavedPlan.decode(Data("{}".utf8))
        }
        #expect(SavedPlanError.unsupportedVersion(2).description
            == "saved plan format version 2 is not supported (this sbsync reads version 1); make the plan again")
    }
}
