import ArgumentParser
import Foundation
@testable import SyncCLI
import SyncCore
import SyncEngine
import SyncState
import Testing
import TestSupport

/// A temporary directory with a copy of an example manifest, removed afterwards.
final class PlanSandbox {
    let scratch = TemporaryDirectory()
    var directory: URL { scratch.url }
    let manifest: String

    init(example: String = "small.yaml") throws {
        manifest = scratch.file(example)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("manifests/examples/\(example)"),
                                         to: URL(fileURLWithPath: manifest))
    }

    var defaultState: String { StatePath.defaultPath(forManifest: manifest) }

    /// The manifest's desired files as the state would record them after a successful apply.
    func appliedFiles() throws -> [RecordedFile] {
        try ManifestLoader.load(path: manifest).state.files.map { file in
            RecordedFile(address: file.address, source: file.source, metadata: file.metadata, tags: file.tags,
                         specDigest: SpecDigest.compute(source: file.source, metadata: file.metadata, tags: file.tags),
                         fileID: "id-" + file.address.name, actualName: file.address.name, jobID: nil,
                         createdAt: 1_700_000_000, updatedAt: 1_700_000_000)
        }
    }

    /// `appliedFiles()` drifted from the manifest: one file's metadata and tags changed, one
    /// file's source changed, and a file the manifest no longer has.
    func driftedFiles() throws -> [RecordedFile] {
        var files = try appliedFiles()
        files[0].metadata["sample_id"] = .string("S0")
        files[0].tags = ["old"]
        files[1].source = .volume(volume: "rfranklin/input", location: "fastq/old_R2.fastq.gz")
        // The state stores the digest of what it records, as every apply writes it.
        for i in 0..<2 { files[i].specDigest = files[i].computedSpecDigest }
        files.append(RecordedFile(address: Address(project: "rfranklin/my-project", path: "raw/gone.bam"),
                                  source: .volume(volume: "rfranklin/input", location: "bam/gone.bam"), metadata: Metadata(),
                                  tags: [], specDigest: "x", fileID: "id-gone", actualName: "gone.bam", jobID: nil,
                                  createdAt: 1, updatedAt: 1))
        return files
    }

    /// Writes a state at the default path holding `files`.
    @discardableResult
    func writeState(_ files: [RecordedFile]) throws -> StateStore {
        let store = try StateStore.open(at: defaultState, create: true)
        try store.withLock(operation: "test") { try store.record(files) }
        return store
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try #require(try SBSync.parseAsRoot(["plan", "-f", manifest] + arguments) as? PlanCommand)
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: environment)
        // Paths differ per run; golden files hold them as <dir>.
        let dir = directory.path
        let strip = { (text: String) in text.replacingOccurrences(of: dir, with: "<dir>") }
        return (code, strip(captured.stdout), strip(captured.stderr))
    }
}

@Suite("sbsync plan, in process")
struct PlanCommandTests {
    @Test func defaultsAndFlags() throws {
        let plain = try #require(try SBSync.parseAsRoot(["plan"]) as? PlanCommand)
        #expect(plain.manifest == "sbsync.yaml" && plain.stateOption.state == nil && plain.out == nil)
        #expect(!plain.detail && !plain.detailedExitcode && plain.output.color == .auto && !plain.output.json)
        let full = try #require(try SBSync.parseAsRoot([
            "plan", "--manifest", "m.yaml", "--state", "s.state", "--detail", "--json", "--out", "p.plan",
            "--detailed-exitcode", "--color", "never",
        ]) as? PlanCommand)
        #expect(full.manifest == "m.yaml" && full.stateOption.state == "s.state" && full.out == "p.plan")
        #expect(full.detail && full.detailedExitcode && full.output.color == .never && full.output.json)
        do {
            _ = try SBSync.parseAsRoot(["plan", "--detial"])
            Issue.record("a misspelt flag parsed")
        } catch {
            #expect(SBSync.exitCode(for: error) == ExitCode(64))
        }
    }

    @Test("no state file: everything is an import, and plan creates no state")
    func firstPlan() async throws {
        let sandbox = try PlanSandbox()
        let result = try await sandbox.run([])
        #expect(result.code == 0)
        #expect(result.stderr.isEmpty)
        try expectGolden(result.stdout, path: "Tests/SyncCLITests/Golden/plan-first.txt")
        #expect(!FileManager.default.fileExists(atPath: sandbox.defaultState))
        #expect(!FileManager.default.fileExists(atPath: (sandbox.defaultState as NSString).deletingLastPathComponent))
        #expect(try await sandbox.run(["--detailed-exitcode"]).code == 2)
    }

    @Test("a state that matches: no changes, exit 0 even with --detailed-exitcode")
    func noChanges() async throws {
        let sandbox = try PlanSandbox()
        let store = try sandbox.writeState(try sandbox.appliedFiles())
        let serial = try store.serial()
        let result = try await sandbox.run(["--detailed-exitcode"])
        // Without --refresh the plan says that it trusts the state, and since when.
        #expect(result == (0, "note: last verified against the platform: never (the plan trusts the state; "
            + "'sbsync plan --refresh' checks)\nNo changes. The projects match the manifest.\n", ""))
        #expect(try store.serial() == serial)
    }

    @Test("update, replace and forget against a state that drifted")
    func drift() async throws {
        let sandbox = try PlanSandbox()
        try sandbox.writeState(try sandbox.driftedFiles())
        let text = try await sandbox.run(["--detailed-exitcode"])
        #expect(text.code == 2)
        try expectGolden(text.stdout, path: "Tests/SyncCLITests/Golden/plan-drift.txt")
        let json = try await sandbox.run(["--json"])
        #expect(json.code == 0)
        try expectGolden(json.stdout, path: "Tests/SyncCLITests/Golden/plan-drift.json")
    }

    @Test("the state read in parts, rows that hold their desired file counted undecoded: the pure diff's plan",
          arguments: [1, 2, 3, 6])
    func partsGiveThePureDiffsPlan(parts: Int) throws {
        let sandbox = try PlanSandbox()
        let files = try sandbox.driftedFiles()
        try sandbox.writeState(files)
        let (manifest, desired) = try ManifestLoader.load(path: sandbox.manifest)
        let recorded = try StateDiff.compare(desired, manifest: manifest, statePath: sandbox.defaultState, parts: parts)
        let pure = Diff.compute(desired: desired, recorded: files)
        #expect(recorded.plan == pure)
        #expect(pure.counts == PlanCounts(imports: 0, replaces: 1, updates: 1, forgets: 1, unchanged: 1))
    }

    @Test("--out saves a plan that is fresh against the manifest and state it was made from")
    func savedPlan() async throws {
        let sandbox = try PlanSandbox()
        let store = try sandbox.writeState(Array(try sandbox.appliedFiles().dropFirst()))
        let out = sandbox.directory.appendingPathComponent("cohort.plan").path
        let result = try await sandbox.run(["--out", out])
        #expect(result.code == 0)
        #expect(result.stdout.hasSuffix("Plan: 1 to import, 0 to replace, 0 to update, 0 to forget.\n"
            + "Saved the plan to <dir>/cohort.plan; run it with: sbsync apply <dir>/cohort.plan\n"))
        let saved = try SavedPlan.decode(try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(saved.manifest.path == sandbox.manifest)
        #expect(saved.state == .init(path: sandbox.defaultState, lineage: store.lineage, serial: try store.serial()))
        #expect(saved.actions.map(\.action) == [.import])
        #expect(saved.actions.first?.after?.conflict == .skip)
        let digest = SavedPlan.sha256(of: try Data(contentsOf: URL(fileURLWithPath: sandbox.manifest)))
        #expect(saved.staleness(manifestSHA256: digest, lineage: store.lineage, serial: try store.serial()).isEmpty)

        // Another apply moves the serial: the saved plan is stale.
        try store.withLock(operation: "test") { try store.record(try sandbox.appliedFiles()) }
        #expect(!saved.staleness(manifestSHA256: digest, lineage: store.lineage, serial: try store.serial()).isEmpty)
    }

    @Test("--out to a place that cannot be written: exit 1, nothing on stdout")
    func unwritableOut() async throws {
        let sandbox = try PlanSandbox()
        let result = try await sandbox.run(["--out", sandbox.directory.appendingPathComponent("no/such/dir/p.plan").path])
        #expect(result.code == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("sbsync: error: cannot write the plan to '<dir>/no/such/dir/p.plan': "))
    }

    @Test("an invalid manifest: its diagnostics, exit 1, no plan")
    func invalidManifest() async throws {
        let sandbox = try PlanSandbox()
        try Data("version: 1\nproject: rfranklin/my-project\nvolumes:\n  - volume: rfranklin/input\n    filez: []\n".utf8)
            .write(to: URL(fileURLWithPath: sandbox.manifest))
        let result = try await sandbox.run(["--detailed-exitcode"])
        #expect(result.code == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("<dir>/small.yaml:5:5: error: unknown key 'filez'"))
    }

    @Test("a state file that is not a state: exit 1 naming it")
    func damagedState() async throws {
        let sandbox = try PlanSandbox()
        let state = sandbox.directory.appendingPathComponent("bad.state").path
        try Data(String(repeating: "not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: state))
        let result = try await sandbox.run(["--state", state])
        #expect(result.code == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("sbsync: error: cannot read the state '<dir>/bad.state': "))
    }

    @Test("volume prefixes are not expanded, said plainly; recorded files under them are not forgotten")
    func prefixes() async throws {
        let sandbox = try PlanSandbox(example: "every-feature.yaml")
        var files = try sandbox.appliedFiles()
        let listed = try #require(ManifestLoader.load(path: sandbox.manifest).manifest.prefixes.first)
        files.append(RecordedFile(address: Address(project: "rfranklin/my-project", path: "listed/x.fastq.gz"),
                                  source: .volume(volume: listed.volume, location: listed.prefix + "x.fastq.gz"),
                                  metadata: Metadata(), tags: [], specDigest: "x", fileID: nil, actualName: "x.fastq.gz",
                                  jobID: nil, createdAt: 1, updatedAt: 1))
        try sandbox.writeState(files)
        let result = try await sandbox.run([])
        #expect(result.code == 0)
        try expectGolden(result.stdout, path: "Tests/SyncCLITests/Golden/plan-prefixes.txt")
        #expect(!result.stdout.contains("to forget, ") || result.stdout.contains("0 to forget."))
    }

    @Test("colour only when asked for or on a terminal, never with NO_COLOR or --color never")
    func colour() async throws {
        let sandbox = try PlanSandbox()
        #expect(!(try await sandbox.run([])).stdout.contains("\u{1B}["))
        #expect(try await sandbox.run(["--color", "always"]).stdout.contains("\u{1B}[32m+\u{1B}[0m"))
        #expect(!(try await sandbox.run(["--color", "never"])).stdout.contains("\u{1B}["))
        #expect(!(try await sandbox.run([], environment: ["NO_COLOR": "1"])).stdout.contains("\u{1B}["))
    }
}
