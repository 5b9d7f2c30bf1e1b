import ArgumentParser
import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCLI
import SyncCore
import SyncEngine
import SyncState
import Synchronization
import Testing
import TestSupport

/// Adoption before import, a lost state, plan's platform checks and `state rebuild`, in process
/// against an emulator answered without sockets (issue 11).
private struct AdoptFixture {
    static let token = "adopt-test-token"
    let emulator: Emulator
    let clock = TestClock()
    let scratch = TemporaryDirectory()
    var directory: URL { scratch.url }
    var manifestPath: String { directory.appendingPathComponent("sbsync.yaml").path }
    var statePath: String { directory.appendingPathComponent("state.db").path }

    init(jobDuration: TimeInterval = 4) throws {
        var objects: [String: Int] = [:]
        for i in 0..<30 { objects["runs/s\(i).bam"] = 10 + i }
        objects["other/x.txt"] = 3
        emulator = try Emulator(configuration: EmulatorConfiguration(
            tokens: [Self.token], projects: ["alice/p1"], volumes: ["alice/vol": .objects(objects)],
            jobDuration: jobDuration, rateLimit: 1_000_000, seed: 5, clock: clock.emulatorClock))
    }

    func write(_ manifest: String) throws {
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: manifestPath))
    }

    func environment(token: String = Self.token) -> [String: String] {
        ["SB_API_ENDPOINT": "http://127.0.0.1/v2", "SB_AUTH_TOKEN": token, "HOME": directory.path]
    }

    func apply(_ arguments: [String] = ["--auto-approve"], token: String = Self.token,
               transport: ClosureTransport? = nil) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try ApplyCommand.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        let env = ApplyCommand.Environment(inputIsTerminal: false, errorIsTerminal: false, readLine: { nil },
                                           transport: transport ?? inProcess(emulator), clock: clock)
        let code = await command.execute(io: captured.io, environment: environment(token: token), environmentIO: env)
        return (code, captured.stdout, captured.stderr)
    }

    func plan(_ arguments: [String] = [], token: String = Self.token) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try PlanCommand.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: environment(token: token), transport: inProcess(emulator))
        return (code, captured.stdout, captured.stderr)
    }

    func rebuild(_ arguments: [String] = []) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try StateCommand.Rebuild.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: environment(), transport: inProcess(emulator))
        return (code, captured.stdout, captured.stderr)
    }

    /// Removes the state as a fresh clone would lack it.
    func loseState() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: statePath + suffix) }
    }

    func importCalls() async -> Int {
        let c = await emulator.counters().requestsByEndpoint
        return (c["POST /bulk/storage/imports/create"] ?? 0) + (c["POST /bulk/drs/imports/create"] ?? 0)
            + (c["POST /storage/imports"] ?? 0)
    }

    func files() async -> [EmulatorSnapshot.File] {
        await emulator.snapshot().project("alice/p1")?.files.filter { $0.type == "file" } ?? []
    }
}

private func manifest(policy: String) -> String {
    """
    version: 1
    project: alice/p1
    defaults:
      conflict: \(policy)
      metadata: {study: S}
    volumes:
      - volume: alice/vol
        folder: raw
        files:
          - location: other/x.txt
            metadata: {sample_id: X}
        prefixes:
          - prefix: runs/
            include: ["*.bam"]
    drs:
      - uri: drs://drs.example.org/obj-1
        name: one.cram
        folder: drs/deep
      - uri: drs://drs.example.org/obj-2
        name: two.cram
        folder: drs
    """
}

@Suite("adoption before import, a lost state, plan's checks and state rebuild")
struct AdoptionTests {
    @Test("a lost state adopts what the platform holds: no duplicate, no re-import, no failure, under each policy",
          arguments: ["skip", "overwrite", "rename"])
    func lostStateUnderEachPolicy(policy: String) async throws {
        let f = try AdoptFixture()
        try f.write(manifest(policy: policy))
        let first = try await f.apply()
        #expect(first.code == 0, "\(first.stderr)")
        let before = await f.files()
        #expect(before.count == 33)
        let imports = await f.importCalls()

        f.loseState()
        let planned = try await f.plan()
        #expect(planned.code == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("Plan: 0 to import, 0 to replace, 0 to update, 0 to forget, 33 to adopt."), "\(planned.stdout)")
        #expect(planned.stdout.contains("= alice/p1:drs/deep/one.cram (already on the platform from the same source)"))
        #expect(!FileManager.default.fileExists(atPath: f.statePath), "plan created a state file")

        let second = try await f.apply()
        #expect(second.code == 0, "\(second.stderr)")
        #expect(second.stdout.contains("33 adopted"), "\(second.stdout)")
        #expect(await f.importCalls() == imports, "a lost state made import calls")
        let after = await f.files()
        #expect(after.map(\.id).sorted() == before.map(\.id).sorted(), "files were re-imported or duplicated")
        #expect(!after.contains { $0.name.hasPrefix("_") })

        let again = try await f.plan()
        #expect(again.stdout.contains("No changes"), "\(again.stdout)")
        // Adopting found every file on the platform: the plan does not say "never verified".
        #expect(again.stdout.contains("note: last verified against the platform: ") && again.stdout.contains(", all files"),
                "\(again.stdout)")
    }

    @Test("a saved plan carries its adopts: apply PLAN records them exactly, with no import call")
    func savedPlanAdopts() async throws {
        let f = try AdoptFixture()
        try f.write(manifest(policy: "overwrite"))
        #expect(try await f.apply().code == 0)
        let imports = await f.importCalls()
        f.loseState()
        let planFile = f.directory.appendingPathComponent("adopt.plan").path
        let planned = try await f.plan(["--out", planFile])
        #expect(planned.code == 0, "\(planned.stderr)")
        let command = try ApplyCommand.parse([planFile, "--state", f.statePath])
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: f.environment(), environmentIO: .init(
            inputIsTerminal: false, errorIsTerminal: false, readLine: { nil }, transport: inProcess(f.emulator), clock: f.clock))
        #expect(code == 0, "\(captured.stderr)")
        #expect(captured.stdout.contains("33 adopted"), "\(captured.stdout)")
        #expect(await f.importCalls() == imports)
        #expect(try await f.plan().stdout.contains("No changes"))
    }

    @Test("metadata edited on the platform before adoption is set back to the manifest's keys, other keys kept")
    func adoptSetsMetadata() async throws {
        let f = try AdoptFixture()
        try f.write(manifest(policy: "skip"))
        #expect(try await f.apply().code == 0)
        f.loseState()
        // The manifest now asks for another study: adopt, then one edit per 100 files.
        try f.write(manifest(policy: "skip").replacingOccurrences(of: "{study: S}", with: "{study: T}"))
        let applied = try await f.apply()
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("33 to adopt"))
        let files = await f.files()
        #expect(files.allSatisfy { $0.metadata["study"] == .string("T") })
        #expect(try await f.plan().stdout.contains("No changes"))
    }

    @Test("a file from another source at a destination is a conflict shown in the plan, settled by the policy")
    func otherSourceIsAConflict() async throws {
        let f = try AdoptFixture()
        try f.write("""
            version: 1
            project: alice/p1
            volumes:
              - volume: alice/vol
                folder: raw
                files:
                  - location: other/x.txt
            """)
        #expect(try await f.apply().code == 0)
        f.loseState()
        try f.write("""
            version: 1
            project: alice/p1
            defaults:
              conflict: skip
            volumes:
              - volume: alice/vol
                folder: raw
                files:
                  - location: runs/s1.bam
                    name: x.txt
                  - location: runs/s2.bam
            """)
        let planned = try await f.plan()
        #expect(planned.code == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains(
            "+ alice/p1:raw/x.txt (not in state; conflict: the platform holds a file from volume alice/vol:other/x.txt at this address; "
                + "conflict policy 'skip' decides)"), "\(planned.stdout)")
        #expect(planned.stdout.contains("Plan: 2 to import"))
        let applied = try await f.apply()
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("1 skipped by policy"), "\(applied.stdout)")
        #expect(await f.files().count == 2)
    }

    @Test("a brand-new project costs one listing request; --offline checks nothing and says so")
    func newProjectCostsOneRequest() async throws {
        let f = try AdoptFixture()
        try f.write(manifest(policy: "rename"))
        let planned = try await f.plan()
        #expect(planned.code == 0, "\(planned.stderr)")
        let c = await f.emulator.counters().requestsByEndpoint
        #expect(c["GET /files"] == 1, "\(c)")
        #expect(c["GET /projects/{owner}/{slug}"] == 1 && c["GET /storage/volumes/{owner}/{name}"] == 1, "\(c)")
        await f.emulator.resetCounters()
        let offline = try await f.plan(["--offline"])
        #expect(offline.stdout.contains("imports were not checked against the platform: plan ran with --offline;"), "\(offline.stdout)")
        #expect(await f.emulator.counters().requestsByEndpoint.isEmpty)
    }

    @Test("plan reports a misspelled project and volume at once, with their lines; a bad token changes nothing")
    func planChecksWhatApplyNeeds() async throws {
        let f = try AdoptFixture()
        try f.write("""
            version: 1
            volumes:
              - volume: alice/vlo
                files:
                  - location: other/x.txt
                    project: alice/p2
              - volume: alice/vol
                files:
                  - location: runs/s1.bam
                    project: alice/p1
            """)
        let planned = try await f.plan()
        #expect(planned.code == 1)
        #expect(planned.stderr.contains("project 'alice/p2' does not exist"), "\(planned.stderr)")
        #expect(planned.stderr.contains("volume 'alice/vlo' does not exist"), "\(planned.stderr)")
        #expect(planned.stderr.contains("sbsync.yaml:3:"), "the volume's line: \(planned.stderr)")
        #expect(planned.stderr.contains("sbsync.yaml:5:"), "the project's entry line: \(planned.stderr)")
        #expect(!planned.stderr.contains("alice/p1'"))

        try f.write(manifest(policy: "skip"))
        let refused = try await f.plan(token: "wrong-token")
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("the platform refused the token (401)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("wrong-token"))
        let applied = try await f.apply(token: "wrong-token")
        #expect(applied.code == 1)
        #expect(applied.stderr.contains("the platform refused the token (401)"), "\(applied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.statePath), "a failed check created the state file")
        #expect(await f.importCalls() == 0)
    }

    @Test("state rebuild records what the platform holds under a new lineage; refuses an existing state without --force")
    func rebuild() async throws {
        let f = try AdoptFixture()
        try f.write(manifest(policy: "rename"))
        #expect(try await f.apply().code == 0)
        let lineage = try StateStore.open(at: f.statePath, create: false).lineage
        let before = await f.files()

        let refused = try await f.rebuild()
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("exists"), "\(refused.stderr)")

        let forced = try await f.rebuild(["--force"])
        #expect(forced.code == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("33 file(s) found on the platform and recorded; 0 not on the platform"), "\(forced.stdout)")
        #expect(FileManager.default.fileExists(atPath: f.statePath + ".bak"))
        #expect(try StateStore.open(at: f.statePath, create: false).lineage != lineage)
        #expect(try StateStore.open(at: f.statePath + ".bak", create: false).fileCount() == 33)

        f.loseState()
        let rebuilt = try await f.rebuild()
        #expect(rebuilt.code == 0, "\(rebuilt.stderr)")
        let planned = try await f.plan()
        #expect(planned.stdout.contains("No changes"), "\(planned.stdout)")
        #expect(try await f.apply().code == 0)
        #expect(await f.files().map(\.id).sorted() == before.map(\.id).sorted())
    }

    @Test("an adopted or rebuilt state records its folders: a refresh finds a file moved on the platform")
    func adoptedFilesMovedAreFound() async throws {
        let f = try AdoptFixture()
        try f.write(manifest(policy: "skip"))
        #expect(try await f.apply().code == 0)
        for rebuild in [false, true] {
            f.loseState()
            if rebuild {
                #expect(try await f.rebuild().code == 0)
            } else {
                #expect(try await f.apply().code == 0)
            }
            let folders = try StateStore.open(at: f.statePath, create: false).allFolders()
            #expect(Set(folders.map(\.path)).isSuperset(of: ["raw", "drs", "drs/deep"]), "\(folders.map(\.path))")
            let moved = await f.emulator.applyDrift(count: 1, seed: rebuild ? 9 : 3, project: "alice/p1", kinds: [.move])
            #expect(moved.count == 1)
            let planned = try await f.plan(["--refresh"])
            #expect(planned.stdout.contains("1 to move back"), "\(planned.stdout)")
            #expect(try await f.apply(["--auto-approve", "--refresh"]).code == 0)
            #expect(try await f.plan(["--refresh"]).stdout.contains("No changes"))
        }
    }

    @Test("a DRS create whose answer was lost while the job runs (rename): apply waits for the job, records its files, never imports twice")
    func lostDRSAnswerUnderRename() async throws {
        let f = try AdoptFixture(jobDuration: 120)
        try f.write("""
            version: 1
            project: alice/p1
            defaults:
              conflict: rename
            drs:
              - uri: drs://drs.example.org/lost-1
                name: a.cram
              - uri: drs://drs.example.org/lost-2
                name: b.cram
                folder: sub
            """)
        // The first DRS create reaches the platform, then its connection drops.
        let lost = Mutex(false)
        let platform = inProcess(f.emulator)
        let dropping = ClosureTransport { request in
            let response = try await platform.send(request)
            if request.method == .post, request.url.hasSuffix("/bulk/drs/imports/create"),
               lost.withLock({ done in defer { done = true }; return !done }) {
                throw TransportError(phase: .maybeSent, kind: .connectionDropped, message: "dropped after the platform acted")
            }
            return response
        }
        let first = try await f.apply(transport: dropping)
        #expect(first.code == 0, "\(first.stdout)\(first.stderr)")
        #expect(await f.emulator.counters().requestsByEndpoint["GET /async/files"] ?? 0 >= 1)
        let again = try await f.apply()
        #expect(again.code == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")
        let files = await f.files()
        #expect(files.map(\.path).sorted() == ["a.cram", "sub/b.cram"], "\(files.map(\.path))")
        #expect(await f.emulator.counters().requestsByEndpoint["POST /bulk/drs/imports/create"] == 1)
    }
}
