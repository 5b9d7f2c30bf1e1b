import Foundation
import PlatformAPI
import SyncCore
import SyncEngine
@testable import SyncState
import Testing
import TestSupport

/// `plan` and `apply` run one pipeline: for the same manifest and state they get the same plan,
/// and it is the plan of the pure diff over every recorded file (the slow twin of the state's scan).
@Suite("one pipeline for plan and apply")
struct PipelineTests {
    /// A manifest of `count` DRS entries and a state that drifted from it in every way a plan shows,
    /// plus changes that are only other bytes for the same values (not changes).
    struct Drifted {
        let manifestPath: String
        let statePath: String
        var expected = PlanCounts()
    }

    static let nfc = "caf\u{E9}", nfd = "cafe\u{301}"

    static func makeDrifted(in directory: URL, count: Int) throws -> Drifted {
        var yaml = "version: 1\nproject: alice/p1\ndefaults:\n  tags: [cohort]\ndrs:\n"
        yaml.reserveCapacity(count * 120)
        for i in 0..<count {
            yaml += "  - {uri: \"drs://drs.example.org/obj-\(i)\", name: f\(i).cram, folder: \"d\(i % 37)\", "
                + "metadata: {n: \(i), who: \(nfc), z: 0.0}, tags: [t\(i % 3), x]}\n"
        }
        let manifestPath = directory.appendingPathComponent("cohort.yaml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: manifestPath))
        let loaded = PlanPipeline.load(manifestPath)
        let desired = try #require(loaded.valid).desired

        var drifted = Drifted(manifestPath: manifestPath, statePath: directory.appendingPathComponent("cohort.state").path)
        var records: [RecordedFile] = []
        for (i, file) in desired.files.enumerated() {
            var metadata = file.metadata, tags = file.tags, source = file.source
            switch i % 10 {
            case 0: drifted.expected.imports += 1; continue                             // not recorded → import
            case 1: metadata["n"] = .int(-1); drifted.expected.updates += 1            // value changed → update
            case 2: tags.append("old"); drifted.expected.updates += 1                  // tag added → update
            case 3: source = .drs(uri: "drs://drs.example.org/was-\(i)"); drifted.expected.replaces += 1
            case 4: metadata["who"] = .string(nfd); drifted.expected.unchanged += 1   // other bytes, same value
            case 5: tags.reverse(); drifted.expected.unchanged += 1                    // other order, same set
            case 6: metadata["z"] = .float(-0.0); drifted.expected.unchanged += 1      // -0.0 is 0.0
            case 7: metadata["n"] = .float(Double(i)); drifted.expected.updates += 1   // float ≠ int
            default: drifted.expected.unchanged += 1
            }
            records.append(RecordedFile(address: file.address, source: source, metadata: metadata, tags: tags,
                                        specDigest: SpecDigest.compute(source: source, metadata: metadata, tags: tags),
                                        fileID: "id\(i)", actualName: file.address.name, jobID: nil, createdAt: 1, updatedAt: 1))
        }
        for i in 0..<(count / 20) {  // gone from the manifest → forget
            let address = Address(project: "alice/p1", path: "gone/g\(i).cram")
            let source = FileSource.drs(uri: "drs://drs.example.org/g\(i)")
            records.append(RecordedFile(address: address, source: source, metadata: Metadata(), tags: [],
                                        specDigest: SpecDigest.compute(source: source, metadata: Metadata(), tags: []), fileID: nil, actualName: address.name, jobID: nil,
                                        createdAt: 1, updatedAt: 1))
            drifted.expected.forgets += 1
        }
        let store = try StateStore.open(at: drifted.statePath, create: true)
        try store.withLock(operation: "test") { try store.record(records) }
        return drifted
    }

    @Test("a large drifted state: plan's plan, apply's plan and the pure diff's plan are one plan")
    func samePlan() async throws {
        let harness = try Harness(objects: [:])
        // Past `StateDiff.parallelMinimum`, so the state is read in parts on every core.
        let drifted = try Self.makeDrifted(in: harness.directory, count: StateDiff.parallelMinimum + 2_000)
        let (manifest, desired) = try #require(PlanPipeline.load(drifted.manifestPath).valid)

        let planned = try await PlanPipeline.plan(manifest, desired, prefixes: .unexpanded(reason: "test"),
                                                  statePath: drifted.statePath)
        #expect(planned.plan.counts == drifted.expected)

        let pure = Diff.compute(desired: desired,
                                recorded: try StateStore.open(at: drifted.statePath, create: false).loadAllFiles())
        #expect(planned.plan.projects == pure.projects)
        // Offline, plan says that it did not look at the platform for the imports.
        #expect(planned.plan.notes == ["\(drifted.expected.imports) imports were not checked against the platform: test; "
            + "apply checks, and adopts a file already there from the same source"])

        // Apply up to its confirmation, declined: nothing is executed.
        let seen = PlanBox()
        let session = ApplySession(.init(manifestPath: drifted.manifestPath, statePath: drifted.statePath),
                                   client: harness.client, options: ExecutorOptions(), clock: harness.clock, onEvent: { _ in })
        let outcome = try await session.run(.init(planned: { seen.set($0) }, confirm: { _ in false }))
        guard case .declined(let applyPlan) = outcome else {
            Issue.record("apply did not stop at its confirmation: \(outcome)")
            return
        }
        // Apply checks the destinations (the emulator's project is empty): the same changes, no note.
        #expect(applyPlan.projects == planned.plan.projects)
        #expect(applyPlan.notes.isEmpty)
        #expect(seen.get() == applyPlan)
        #expect(await harness.importCalls() == 0)
    }
}

extension PipelineTests {
    @Test("apply on a damaged state: refused before anything is written, the file byte for byte as it was")
    func damagedStateIsRefusedBeforeTheLock() async throws {
        let harness = try Harness(objects: [:])
        let drifted = try Self.makeDrifted(in: harness.directory, count: 300)
        do {
            // One file id changed in place (a valid page, other content), then all checkpointed
            // into the file, so that nothing is left for a later connection to write back.
            let db = try SQLiteConnection(path: drifted.statePath, create: false)
            try db.execute("UPDATE files SET file_id = 'tampered' WHERE path = 'd1/f1.cram'")
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: drifted.statePath))
        let session = ApplySession(.init(manifestPath: drifted.manifestPath, statePath: drifted.statePath),
                                   client: harness.client, options: ExecutorOptions(), clock: harness.clock, onEvent: { _ in })
        do {
            _ = try await session.run(.init(confirm: { _ in true }))
            Issue.record("apply ran on a damaged state")
        } catch ApplySession.Failure.state(let error) {
            #expect(error == .damaged(path: drifted.statePath, detail: "the record of 'alice/p1:d1/f1.cram' fails its checksum"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: drifted.statePath)) == before)
        #expect(try StateStore.open(at: drifted.statePath, create: false).currentLock() == nil)
        #expect(await harness.importCalls() == 0)
    }
}

/// A plan handed out of a `@Sendable` hook.
final class PlanBox: @unchecked Sendable {  // Unchecked: guarded by the lock.
    private let lock = NSLock()
    private var plan: Plan?
    func set(_ value: Plan) { lock.withLock { plan = value } }
    func get() -> Plan? { lock.withLock { plan } }
}

@Suite("files the user names are read within a limit")
struct BoundedFileTests {
    @Test("an endless device stops at the limit, for the fingerprint and for a plan file")
    func endlessInput() throws {
        #expect(throws: BoundedFile.Failure.self) { _ = try BoundedFile.sha256(of: "/dev/zero", limit: 1 << 20) }
        #expect(throws: BoundedFile.Failure.self) { _ = try BoundedFile.contents(of: "/dev/zero", limit: 1 << 20) }
        let error = #expect(throws: BoundedFile.Failure.self) { _ = try BoundedFile.contents(of: "/dev/zero", limit: 4096) }
        #expect(error.map { "\($0)" } == "'/dev/zero' goes on past the limit of 4096 bytes")
    }

    @Test("within the limit: the bytes, and the digest sha256(of:) gives for them")
    func withinLimit() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("m.yaml").path
            let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect(try BoundedFile.contents(of: path) == bytes)
            #expect(try BoundedFile.sha256(of: path) == SavedPlan.sha256(of: bytes))
            #expect(throws: BoundedFile.Failure.self) { _ = try BoundedFile.sha256(of: dir.appendingPathComponent("none").path) }
        }
    }

    @Test("a saved plan that is a regular file is read whole past the limit (a million actions pass 1 GiB); a device is not")
    func planPastTheLimit() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("big.plan").path
            let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect(throws: BoundedFile.Failure.self) { _ = try BoundedFile.contents(of: path, limit: 1 << 20) }
            #expect(try BoundedFile.planContents(of: path, limit: 1 << 20) == bytes)
            #expect(throws: BoundedFile.Failure.self) { _ = try BoundedFile.planContents(of: "/dev/zero", limit: 1 << 20) }
        }
    }
}
