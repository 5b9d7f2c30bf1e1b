import ArgumentParser
import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCLI
import SyncCore
import SyncEngine
import SyncState
import Testing
import TestSupport

/// `sbsync apply` in process against an emulator answered without sockets.
private struct ApplyFixture {
    static let token = "apply-test-token"
    let emulator: Emulator
    let clock: TestClock
    let scratch = TemporaryDirectory()
    var directory: URL { scratch.url }
    var manifestPath: String { directory.appendingPathComponent("sbsync.yaml").path }
    var statePath: String { directory.appendingPathComponent("state.db").path }

    init() throws {
        clock = TestClock()
        var objects: [String: Int] = [:]
        for i in 0..<120 { objects["runs/s\(i).bam"] = 10 + i }
        objects["other/x.txt"] = 3
        emulator = try Emulator(configuration: EmulatorConfiguration(
            tokens: [Self.token], projects: ["alice/p1"], volumes: ["alice/vol": .objects(objects)],
            jobDuration: 4, rateLimit: 1_000_000, seed: 3, clock: clock.emulatorClock))
    }

    func write(_ manifest: String) throws {
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: manifestPath))
    }

    var transport: ClosureTransport { inProcess(emulator) }

    func apply(_ arguments: [String], terminal: Bool = false, answer: String? = nil,
               token: String = Self.token) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try ApplyCommand.parse(arguments + (arguments.first?.hasSuffix(".plan") == true ? [] : ["-f", manifestPath]) + ["--state", statePath])
        let captured = Captured()
        let env = ApplyCommand.Environment(inputIsTerminal: terminal, errorIsTerminal: false, readLine: { answer },
                                           transport: transport, clock: clock)
        let code = await command.execute(io: captured.io, environment: ["SB_API_ENDPOINT": "http://127.0.0.1/v2", "SB_AUTH_TOKEN": token, "HOME": directory.path],
                                         environmentIO: env)
        return (code, captured.stdout, captured.stderr)
    }

    func plan(_ arguments: [String], environment: [String: String]? = nil) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try PlanCommand.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: environment ?? ["SB_API_ENDPOINT": "http://127.0.0.1/v2", "SB_AUTH_TOKEN": Self.token, "HOME": directory.path],
                                         transport: transport)
        return (code, captured.stdout, captured.stderr)
    }

    func importCalls() async -> Int {
        let c = await emulator.counters().requestsByEndpoint
        return (c["POST /bulk/storage/imports/create"] ?? 0) + (c["POST /bulk/drs/imports/create"] ?? 0)
    }

    func files() async -> [EmulatorSnapshot.File] {
        await emulator.snapshot().project("alice/p1")?.files.filter { $0.type == "file" } ?? []
    }
}

private let manifest = """
    version: 1
    project: alice/p1
    defaults:
      tags: [demo]
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
        folder: drs
      - uri: drs://drs.example.org/obj-2
        name: two.cram
        folder: drs
    """

@Suite("sbsync apply against the emulator in process")
struct ApplyCommandTests {
    @Test("apply --auto-approve imports everything (prefixes listed), then a second apply changes nothing")
    func applyTwice() async throws {
        let f = try ApplyFixture()
        try f.write(manifest)
        let first = try await f.apply(["--auto-approve"])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Plan: 123 to import"))
        #expect(first.stdout.contains("Apply complete: 123 imported"))
        let files = await f.files()
        #expect(files.count == 123 && Set(files.map(\.path)).count == 123)
        #expect(files.contains { $0.path == "raw/runs/s7.bam" } || files.contains { $0.path == "raw/s7.bam" })
        let calls = await f.importCalls()
        let second = try await f.apply(["--auto-approve"])
        #expect(second.code == 0, "\(second.stderr)")
        #expect(second.stdout.contains("No changes"))
        #expect(await f.importCalls() == calls)
    }

    @Test("plan lists volume prefixes with read-only calls, so it shows what apply will do; --offline and no credentials say why not")
    func planListsPrefixes() async throws {
        let f = try ApplyFixture()
        try f.write(manifest)
        let planned = try await f.plan([])
        #expect(planned.code == 0, "\(planned.stderr)")
        #expect(planned.stdout.hasSuffix("Plan: 123 to import, 0 to replace, 0 to update, 0 to forget.\n"))
        #expect(!planned.stdout.contains("not expanded"))
        let counters = await f.emulator.counters().requestsByEndpoint
        #expect(counters.keys.allSatisfy { $0.hasPrefix("GET ") }, "plan made a non-GET call: \(counters)")
        #expect((counters["GET /storage/volumes/{owner}/{name}/list"] ?? 0) > 0)

        let offline = try await f.plan(["--offline"])
        #expect(offline.stdout.contains("Plan: 3 to import"))
        #expect(offline.stdout.contains("volume prefix 'runs/' of 'alice/vol' was not expanded: plan ran with --offline; apply lists it"))
        let anonymous = try await f.plan([], environment: ["HOME": f.directory.path])
        #expect(anonymous.code == 0 && anonymous.stdout.contains("Plan: 3 to import"))
        #expect(anonymous.stdout.contains("was not expanded: no platform credentials were found"))

        #expect(try await f.apply(["--auto-approve"]).code == 0)
        let after = try await f.plan(["--detailed-exitcode"])
        #expect(after.code == 0 && after.stdout.contains("No changes. The projects match the manifest."), "\(after.stdout)\(after.stderr)")
    }

    @Test("without a terminal and without --auto-approve: refused, nothing changed")
    func needsApproval() async throws {
        let f = try ApplyFixture()
        try f.write(manifest)
        let result = try await f.apply([])
        #expect(result.code == 1)
        #expect(result.stderr.contains("--auto-approve"))
        #expect(await f.importCalls() == 0)
        let declined = try await f.apply([], terminal: true, answer: "no")
        #expect(declined.code == 1 && declined.stdout.contains("cancelled"))
        #expect(await f.importCalls() == 0)
        let accepted = try await f.apply([], terminal: true, answer: "yes")
        #expect(accepted.code == 0, "\(accepted.stderr)")
    }

    @Test("a saved plan runs exactly; a stale one is refused with exit 4 and its reason")
    func savedPlans() async throws {
        let f = try ApplyFixture()
        try f.write(manifest.replacingOccurrences(of: "    prefixes:\n      - prefix: runs/\n        include: [\"*.bam\"]\n", with: ""))
        let planPath = f.directory.appendingPathComponent("p.plan").path
        let plan = try PlanCommand.parse(["-f", f.manifestPath, "--state", f.statePath, "--out", planPath])
        let captured = Captured()
        #expect(await plan.execute(io: captured.io, environment: [:]) == 0)
        let applied = try await f.apply([planPath])
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(await f.files().count == 3)
        // The state has moved on since: the same plan is stale now.
        let again = try await f.apply([planPath])
        #expect(again.code == 4)
        #expect(again.stderr.contains("is stale") && again.stderr.contains("state"))
        #expect(await f.importCalls() == 2)
        // The hint names the exact command, which works as written (a fresh plan of the current state).
        let hinted = try #require(again.stderr.firstMatch(of: /make the plan again with '([^']+)'/)?.output.1)
        let words = hinted.split(separator: " ").map(String.init)
        #expect(words == ["sbsync", "plan", "-f", f.manifestPath, "--state", f.statePath, "--out", planPath])
        let replanned = try #require(try SBSync.parseAsRoot(Array(words.dropFirst())) as? PlanCommand)
        #expect(await replanned.execute(io: captured.io, environment: [:]) == 0)
        let noop = try await f.apply([planPath])
        #expect(noop.code == 0, "\(noop.stderr)")
        // After another apply, that plan's serial is old: refused with the serial named.
        #expect(await plan.execute(io: captured.io, environment: [:]) == 0)
        var newer = manifest.replacingOccurrences(of: "    prefixes:\n      - prefix: runs/\n        include: [\"*.bam\"]\n", with: "")
        newer += "\n  - uri: drs://drs.example.org/obj-3\n    name: three.cram\n"
        try f.write(newer)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        try f.write(manifest.replacingOccurrences(of: "    prefixes:\n      - prefix: runs/\n        include: [\"*.bam\"]\n", with: ""))
        let serial = try await f.apply([planPath])
        #expect(serial.code == 4 && serial.stderr.contains("changed since the plan was made (serial"), "\(serial.stderr)")
        // A changed manifest is named as the reason.
        try f.write(manifest + "\n# edited\n")
        let edited = try await f.apply([planPath])
        #expect(edited.code == 4 && edited.stderr.contains("manifest"))
    }

    @Test("a saved plan made with no state, applied with a refused token: nothing changed, no state file, and the plan still applies")
    func savedPlanRefusedTokenChangesNothing() async throws {
        let f = try ApplyFixture()
        try f.write(manifest.replacingOccurrences(of: "    prefixes:\n      - prefix: runs/\n        include: [\"*.bam\"]\n", with: ""))
        let planPath = f.directory.appendingPathComponent("p.plan").path
        let plan = try PlanCommand.parse(["-f", f.manifestPath, "--state", f.statePath, "--out", planPath])
        #expect(await plan.execute(io: Captured().io, environment: [:]) == 0)
        let refused = try await f.apply([planPath], token: "not-the-token")
        #expect(refused.code == 1 && refused.stderr.contains("refused the token (401)") && refused.stderr.contains("nothing was changed"),
                "\(refused.stderr)")
        #expect(!refused.stderr.contains("not-the-token"))
        // Before, the state file was made first, and the plan (made against none) was stale for ever.
        #expect(!FileManager.default.fileExists(atPath: f.statePath))
        #expect(await f.importCalls() == 0)
        let applied = try await f.apply([planPath])
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(await f.files().count == 3)
    }

    @Test("a manifest given where apply takes a saved plan: exit 64 with the right command, nothing done")
    func aManifestAsThePlanFile() async throws {
        let f = try ApplyFixture()
        try f.write(manifest)
        let given = try await f.apply([f.manifestPath, "--auto-approve"])
        #expect(given.code == 64, "\(given.stderr)")
        #expect(given.stderr.contains("is a manifest, not a saved plan"), "\(given.stderr)")
        #expect(given.stderr.contains("run 'sbsync apply -f \(f.manifestPath)'"), "\(given.stderr)")
        #expect(await f.importCalls() == 0)
        #expect(!FileManager.default.fileExists(atPath: f.statePath))
        // Anything else that is not a saved plan is still called damaged.
        let other = f.directory.appendingPathComponent("notes.txt").path
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: other))
        let damaged = try await f.apply([other])
        #expect(damaged.code == 1 && damaged.stderr.contains("not a saved plan (not a JSON object)"), "\(damaged.stderr)")
    }

    /// A fixture with the test manifest, applied once under `faults`, which are then switched off.
    fileprivate func appliedUnder(_ faults: EmulatorFaults) async throws -> (ApplyFixture, (code: Int32, stdout: String, stderr: String)) {
        let f = try ApplyFixture()
        try f.write(manifest)
        await f.emulator.setFaults(faults)
        let first = try await f.apply(["--auto-approve"])
        await f.emulator.setFaults(.none)
        return (f, first)
    }

    @Test("a saved plan of a manifest with a table is stale once the table changes, naming it")
    func savedPlanWithATable() async throws {
        let f = try ApplyFixture()
        let table = f.directory.appendingPathComponent("cohort.csv")
        try Data("drs_uri,name,Sample Id\ndrs://drs.example.org/obj-1,one.cram,S1\n".utf8).write(to: table)
        try f.write("version: 1\nproject: alice/p1\ndrs:\n  - from: cohort.csv\n")
        let planPath = f.directory.appendingPathComponent("p.plan").path
        let plan = try PlanCommand.parse(["-f", f.manifestPath, "--state", f.statePath, "--out", planPath])
        #expect(await plan.execute(io: Captured().io, environment: [:]) == 0)
        // One row's metadata edited after the plan was saved.
        try Data("drs_uri,name,Sample Id\ndrs://drs.example.org/obj-1,one.cram,S2\n".utf8).write(to: table)
        let stale = try await f.apply([planPath])
        #expect(stale.code == 4, "\(stale.stderr)")
        #expect(stale.stderr.contains("cohort.csv' changed since the plan was made"), "\(stale.stderr)")
        #expect(await f.importCalls() == 0)
    }

    @Test("an apply that leaves the state as the manifest asks leaves an in-sync note, and the next plan answers from it; one with failures leaves none")
    func inSyncNoteAfterApply() async throws {
        let cohort = "version: 1\nproject: alice/p1\ndefaults: {tags: [demo]}\nvolumes:\n  - volume: alice/vol\n    files: [{location: other/x.txt}]\ndrs:\n  - from: cohort.csv\n"
        let rows = "drs_uri,name,Sample Id\ndrs://drs.example.org/obj-1,a/one.cram,S1\ndrs://drs.example.org/obj-2,two.cram,S2\n"
        func note(_ f: ApplyFixture) throws -> String? {
            let (note, serial) = try StateStore.open(at: f.statePath, create: false).inSyncNote()
            guard let note, let object = try? JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any],
                  (object["serial"] as? NSNumber)?.int64Value == serial else { return nil }
            return note
        }
        let f = try ApplyFixture()
        try Data(rows.utf8).write(to: f.directory.appendingPathComponent("cohort.csv"))
        try f.write(cohort)
        let applied = try await f.apply(["--auto-approve"])
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(try note(f) != nil)
        let plan = try await f.plan(["--detailed-exitcode"])
        #expect(plan.code == 0 && plan.stdout.contains("No changes"), "\(plan.stdout)\(plan.stderr)")

        var faults = EmulatorFaults.none
        faults.editFailureRate = 1
        let failing = try ApplyFixture()
        try Data(rows.utf8).write(to: failing.directory.appendingPathComponent("cohort.csv"))
        try failing.write(cohort)
        await failing.emulator.setFaults(faults)
        let failed = try await failing.apply(["--auto-approve"])
        #expect(failed.code == 3, "\(failed.stderr)")
        #expect(try note(failing) == nil)
        #expect(try await failing.plan([]).stdout.contains("1 to update"))
    }

    @Test("failed items: exit 3, a failures file, and the next apply retries them")
    func failures() async throws {
        var faults = EmulatorFaults.none
        faults.itemFailureRate = 0.5
        let (f, first) = try await appliedUnder(faults)
        #expect(first.code == 3, "\(first.stderr)")
        #expect(first.stdout.contains("failed"))
        let failuresFile = f.statePath + ".failures.json"
        let written = try JSONDecoder().decode(FailuresDocument.self, from: Data(contentsOf: URL(fileURLWithPath: failuresFile)))
        #expect(written.formatVersion == 1)
        #expect(!written.items.isEmpty && written.items.allSatisfy { $0.outcome == .failed && $0.source != nil })
        await f.emulator.setFaults(.none)
        let second = try await f.apply(["--auto-approve"])
        #expect(second.code == 0, "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: failuresFile))
        let files = await f.files()
        #expect(files.count == 123 && Set(files.map(\.path)).count == 123)
    }

    @Test("files whose metadata and tags failed are counted once and said to be recorded, not 'not recorded'")
    func metadataFailures() async throws {
        var faults = EmulatorFaults.none
        faults.editFailureRate = 1
        let (f, first) = try await appliedUnder(faults)
        #expect(first.code == 3, "\(first.stderr)")
        // The volume files (default tags) need an edit; the DRS files carry theirs.
        #expect(first.stdout.contains("2 imported, 0 replaced, 0 updated, 0 forgotten; 0 skipped by policy; 121 failed."), "\(first.stdout)")
        #expect(first.stdout.contains("Those files are recorded, but without the metadata or tags the manifest gives them"), "\(first.stdout)")
        #expect(!first.stdout.contains("not recorded"))
        let second = try await f.apply(["--auto-approve"])
        #expect(second.code == 0, "\(second.stderr)")
        #expect(second.stdout.contains("0 imported, 0 replaced, 121 updated"), "\(second.stdout)")
        #expect(await f.files().count == 123)
    }

    @Test("a state locked by a live apply: exit 5")
    func locked() async throws {
        let f = try ApplyFixture()
        try f.write(manifest)
        let other = try StateStore.open(at: f.statePath, create: true)
        try other.acquireLock(operation: "apply")
        let result = try await f.apply(["--auto-approve"])
        #expect(result.code == 5)
        try other.releaseLock()
    }

    @Test("--json streams one event per line")
    func jsonEvents() async throws {
        let f = try ApplyFixture()
        try f.write(manifest)
        let result = try await f.apply(["--auto-approve", "--json"])
        #expect(result.code == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)")
        }
        #expect(lines.last?.hasPrefix(#"{"format_version":1,"event":"done","changes":"#) == true)
    }
}
