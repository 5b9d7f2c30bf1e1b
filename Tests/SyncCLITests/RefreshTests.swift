import Foundation
import PlatformAPI
import PlatformEmulator
@testable import SyncCLI
import SyncCore
import SyncEngine
import SyncState
import Testing
import TestSupport

/// `plan --refresh`, `apply --refresh` and `refresh` in process against the emulator.
private struct RefreshFixture {
    static let token = "refresh-test-token"
    let emulator: Emulator
    let clock: TestClock
    let scratch = TemporaryDirectory()
    var directory: URL { scratch.url }
    var manifestPath: String { directory.appendingPathComponent("sbsync.yaml").path }
    var statePath: String { directory.appendingPathComponent("state.db").path }

    /// `volumeFiles` volume objects and `drsFiles` DRS URIs, in nested folders.
    init(volumeFiles: Int, drsFiles: Int, projects: [String] = ["alice/p1"]) throws {
        // A day ahead of the real time: the state stamps an import batch's files as verified by
        // the system clock, and a refresh by this one, which must come later however slowly the
        // test runs.
        clock = TestClock(Date().timeIntervalSince1970.rounded(.down) + 86_400)
        var objects: [String: Int] = [:]
        for i in 0..<volumeFiles { objects["runs/s\(i).bam"] = 10 + i }
        emulator = try Emulator(configuration: EmulatorConfiguration(
            tokens: [Self.token], projects: projects, volumes: ["alice/vol": .objects(objects)],
            jobDuration: 4, rateLimit: 1_000_000, seed: 5, clock: clock.emulatorClock))
        var yaml = """
            version: 1
            project: alice/p1
            defaults:
              conflict: overwrite
              tags: [demo]
            volumes:
              - volume: alice/vol
                files:

            """
        for i in 0..<volumeFiles {
            yaml += "          - {location: runs/s\(i).bam, folder: raw/b\(i % 4)/l\(i % 3), metadata: {sample_id: S\(i)}}\n"
        }
        if drsFiles > 0 {
            yaml += "drs:\n"
            for i in 0..<drsFiles {
                yaml += "  - {uri: \"drs://drs.example.org/obj-\(i)\", name: d\(i).cram, folder: drs/g\(i % 5), metadata: {sample_id: D\(i)}}\n"
            }
        }
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: manifestPath))
    }

    var environment: [String: String] {
        ["SB_API_ENDPOINT": "http://127.0.0.1/v2", "SB_AUTH_TOKEN": Self.token, "HOME": directory.path]
    }

    func apply(_ arguments: [String], token: String = Self.token,
               transport: ClosureTransport? = nil) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try ApplyCommand.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        let env = ApplyCommand.Environment(inputIsTerminal: false, errorIsTerminal: false, readLine: { nil },
                                           transport: transport ?? inProcess(emulator), clock: clock)
        var environment = self.environment
        environment["SB_AUTH_TOKEN"] = token
        let code = await command.execute(io: captured.io, environment: environment, environmentIO: env)
        return (code, captured.stdout, captured.stderr)
    }

    func plan(_ arguments: [String], token: String = Self.token) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try PlanCommand.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        var environment = self.environment
        environment["SB_AUTH_TOKEN"] = token
        let code = await command.execute(io: captured.io, environment: environment, transport: inProcess(emulator))
        return (code, captured.stdout, captured.stderr)
    }

    func refresh(_ arguments: [String], token: String = Self.token, emulator other: Emulator? = nil,
                 terminal: Bool = false, answer: String? = nil) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try RefreshCommand.parse(arguments + ["-f", manifestPath, "--state", statePath])
        let captured = Captured()
        let env = ApplyCommand.Environment(inputIsTerminal: terminal, errorIsTerminal: false, readLine: { answer },
                                           transport: inProcess(other ?? emulator), clock: clock)
        var environment = self.environment
        environment["SB_AUTH_TOKEN"] = token
        let code = await command.execute(io: captured.io, environment: environment, environmentIO: env)
        return (code, captured.stdout, captured.stderr)
    }

    /// Every platform request so far (admin calls and `GET /rate_limit` are not counted).
    func requests() async -> Int {
        await emulator.counters().requestsByEndpoint.filter { !$0.key.hasPrefix("GET /rate_limit") }.values.reduce(0, +)
    }

    /// The whole state as the export writes it, plus the verification times: compared before and after.
    func dump() throws -> String {
        let store = try StateStore.open(at: statePath, create: false)
        var out = ""
        try store.exportJSON { out += $0 }
        let times = try store.verificationTimes().map { "\($0.key) \($0.value)" }.sorted()
        return out + times.joined(separator: "\n") + "\nserial \(try store.serial())"
    }

    func recorded() throws -> [RecordedFile] {
        try StateStore.open(at: statePath, create: false).loadAllFiles()
    }
}

@Suite("Refresh: drift found on the platform, and the way back")
struct RefreshTests {
    @Test("every drift kind made through the emulator is found by plan --refresh with its action and reason; one apply --refresh brings the project back")
    func everyDriftKind() async throws {
        let f = try RefreshFixture(volumeFiles: 1_700, drsFiles: 320)
        let first = try await f.apply(["--auto-approve"])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Apply complete: 2020 imported"))
        let recorded = try f.recorded()
        #expect(recorded.count == 2_020)
        let byID = Dictionary(uniqueKeysWithValues: recorded.map { ($0.fileID ?? "", $0.address) })

        // Without a refresh the plan trusts the state, and says how old its knowledge is: the
        // imports just now (each batch records the files the platform answered with as verified).
        let untrusted = try await f.plan([])
        #expect(untrusted.stdout.contains("No changes"))
        #expect(untrusted.stdout.contains("note: last verified against the platform: just now, all files"), "\(untrusted.stdout)")

        let drifts = await f.emulator.applyDrift(count: 60, seed: 11, project: "alice/p1")
        #expect(drifts.count == 60)
        let before = await f.requests()
        let planned = try await f.plan(["--refresh", "--detail"])
        #expect(planned.code == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("refreshing 2,020 files: about 23 requests"), "\(planned.stderr)")
        // One project call, 21 bulk gets, one folder listing per folder with gone files.
        let spent = await f.requests() - before
        #expect(spent <= 1 + 21 + 20, "plan --refresh made \(spent) requests")
        for drift in drifts {
            let address = try #require(byID[drift.fileID])
            let shown = address.description
            switch drift.kind {
            case .delete:
                #expect(planned.stdout.contains("+ \(shown) (deleted on the platform)"), "\(shown)")
            case .rename:
                #expect(planned.stdout.contains("> \(shown) (renamed on the platform to '\(drift.newName ?? "")')"), "\(shown)")
            case .move:
                #expect(planned.stdout.contains("> \(shown) (moved on the platform to '\(drift.newName ?? "")')"), "\(shown)")
            case .metadata:
                #expect(planned.stdout.contains("~ \(shown) (metadata or tags edited on the platform; metadata key 'sample_id' changed from 'edited' to "), "\(shown)")
            case .tags:
                #expect(planned.stdout.contains("~ \(shown) (metadata or tags edited on the platform; tags added: demo; removed: drift)"), "\(shown)")
            case .replace:
                #expect(planned.stdout.contains("+ \(shown) (replaced on the platform by another file (id \(drift.newFileID ?? "")))"), "\(shown)")
            }
        }
        #expect(planned.stdout.contains("Plan: 20 to import, 0 to replace, 20 to update, 20 to move back, 0 to forget."))
        #expect(!planned.stdout.contains("note: last verified"))
        // plan wrote nothing.
        #expect(try f.recorded() == recorded)

        let applied = try await f.apply(["--refresh", "--auto-approve"])
        #expect(applied.code == 0, "\(applied.stderr)\n\(applied.stdout)")
        #expect(applied.stdout.contains("Refresh: 2020 of 2020 recorded files checked"))

        // The platform holds the manifest again: every address, once, with its metadata and tags.
        let files = await f.emulator.snapshot().project("alice/p1")?.files.filter { $0.type == "file" } ?? []
        let byPath = Dictionary(grouping: files, by: \.path)
        for file in try f.recorded() {
            let there = byPath[file.address.path] ?? []
            #expect(there.count == 1, "\(file.address)")
            #expect(there.first?.tags == ["demo"], "\(file.address)")
            #expect(there.first?.id == file.fileID, "\(file.address)")
        }
        #expect(!files.contains { $0.path.hasPrefix("drift-moved/") })

        let again = try await f.plan(["--refresh"])
        #expect(again.code == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Refresh: 2020 of 2020 recorded files checked"))
        #expect(again.stdout.contains("0 drifted"))
        #expect(again.stdout.hasSuffix("No changes. The projects match the manifest.\n"), "\(again.stdout)")
    }

    @Test("a budgeted refresh spends at most its budget, and k runs cover the project round-robin; the state shows what was verified when")
    func budgetRoundRobin() async throws {
        let f = try RefreshFixture(volumeFiles: 500, drsFiles: 0)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        var seen: [Address: Int64] = [:], refreshed = Set<Address>()
        for _ in 1...5 {
            f.clock.advance(by: 60)
            let before = await f.requests()
            let result = try await f.refresh(["--refresh-budget", "3", "--auto-approve"])
            #expect(result.code == 0, "\(result.stderr)")
            #expect(result.stderr.contains("refreshing 100 files: about 3 requests"), "\(result.stderr)")
            #expect(await f.requests() - before <= 3)
            // Every file was verified by its import; each run re-verifies 100 not yet refreshed.
            let times = try StateStore.open(at: f.statePath, create: false).verificationTimes()
            #expect(times.count == 500)
            let new = Set(times.filter { $0.value == f.clock.seconds }.keys)
            #expect(new.count == 100 && new.isDisjoint(with: refreshed))
            refreshed.formUnion(new)
            seen = times
        }
        #expect(refreshed.count == 500)
        // Covered: the sixth run checks the files verified longest ago, the first run's.
        let oldest = Set(seen.filter { $0.value == seen.values.min() }.keys)
        f.clock.advance(by: 60)
        #expect(try await f.refresh(["--refresh-budget", "3", "--auto-approve"]).code == 0)
        let times = try StateStore.open(at: f.statePath, create: false).verificationTimes()
        #expect(Set(times.filter { $0.value == f.clock.seconds }.keys) == oldest)
        let planned = try await f.plan([])
        #expect(planned.stdout.contains("note: last verified against the platform: "))
        #expect(planned.stdout.contains(", all files"))
        // `state show` says when a file was verified.
        let address = try #require(times.keys.first)
        let show = try StateCommand.Show.parse(["--state", f.statePath, address.description])
        let captured = Captured()
        #expect(show.execute(io: captured.io) == 0)
        #expect(captured.stdout.contains("verified:    "), "\(captured.stdout)")

        // Gone files in many folders: the folder listings stay within the budget too.
        await f.emulator.applyDrift(count: 120, seed: 4, project: "alice/p1", kinds: [.delete])
        for budget in [3, 7] {
            let before = await f.requests()
            let result = try await f.refresh(["--refresh-budget", String(budget), "--auto-approve"])
            #expect(result.code == 0, "\(result.stderr)")
            #expect(await f.requests() - before <= budget, "budget \(budget)")
        }
    }

    @Test("files renamed on the platform, renamed back by an edit whose answers are lost: unconfirmed, so a manifest put back is still applied")
    func renameBackWithLostAnswers() async throws {
        let f = try RefreshFixture(volumeFiles: 12, drsFiles: 0)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        let drifts = await f.emulator.applyDrift(count: 4, seed: 7, project: "alice/p1", kinds: [.rename])
        let original = try String(contentsOfFile: f.manifestPath, encoding: .utf8)
        try Data(original.replacingOccurrences(of: "sample_id: S", with: "sample_id: X").utf8).write(to: URL(fileURLWithPath: f.manifestPath))
        // Every edit reaches the platform, and its answer is lost.
        let emulator = f.emulator, plain = inProcess(f.emulator)
        let losing = ClosureTransport { request in
            let response = try await plain.send(request)
            if request.url.hasSuffix("/bulk/files/edit") { throw TransportError(phase: .maybeSent, kind: .connectionDropped, message: "dropped") }
            return response
        }
        f.clock.advance(by: 60)
        let cut = try await f.apply(["--refresh", "--auto-approve"], transport: losing)
        #expect(cut.code != 0 && cut.stdout.contains("renaming it back"), "\(cut.stdout)\(cut.stderr)")
        let renamed = Set(drifts.map(\.fileID))
        #expect(try f.recorded().filter { renamed.contains($0.fileID ?? "") }.allSatisfy { $0.specDigest == SpecDigest.editUnconfirmed })
        // The manifest put back: the renamed files are still planned, and the apply sets them.
        try Data(original.utf8).write(to: URL(fileURLWithPath: f.manifestPath))
        let planned = try await f.plan([])
        #expect(planned.stdout.contains("to update") && !planned.stdout.contains("No changes"), "\(planned.stdout)")
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        let files = await emulator.snapshot().project("alice/p1")?.files.filter { $0.type == "file" } ?? []
        for file in files where renamed.contains(file.id) {
            #expect(file.metadata["sample_id"].map { "\($0)" }?.contains("X") == false, "\(file.name): \(file.metadata)")
        }
        #expect(try await f.plan([]).stdout.contains("No changes"))
    }

    @Test("refresh records only what was found: gone files forgotten, edits recorded, nothing imported")
    func refreshOnly() async throws {
        let f = try RefreshFixture(volumeFiles: 300, drsFiles: 0)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        await f.emulator.applyDrift(count: 4, seed: 3, project: "alice/p1", kinds: [.delete, .metadata])
        let imports = await f.emulator.counters().requestsByEndpoint["POST /bulk/storage/imports/create"]
        f.clock.advance(by: 60)
        let declined = try await f.refresh([])
        #expect(declined.code != 0 && declined.stderr.contains("--auto-approve"))
        // Without confirmation, the drift is not recorded; the files found as recorded are verified.
        #expect(declined.stderr.contains("4 drifted file(s) were not recorded (the 296 found as recorded were)"), "\(declined.stderr)")
        #expect(try f.recorded().count == 300)
        let times = try StateStore.open(at: f.statePath, create: false).verificationTimes()
        #expect(times.filter { $0.value == f.clock.seconds }.count == 296)
        // Answering anything but 'yes' on a terminal does the same.
        f.clock.advance(by: 60)
        let answeredNo = try await f.refresh([], terminal: true, answer: "no")
        #expect(answeredNo.code == 0 && answeredNo.stdout.contains("Drift not recorded; the 296 file(s) found as recorded were."),
                "\(answeredNo.stdout)")
        #expect(try f.recorded().count == 300)
        let after = try StateStore.open(at: f.statePath, create: false).verificationTimes()
        #expect(after.filter { $0.value == f.clock.seconds }.count == 296)
        let result = try await f.refresh(["--auto-approve"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout.contains("4 drifted"))
        #expect(try f.recorded().count == 298)
        #expect(await f.emulator.counters().requestsByEndpoint["POST /bulk/storage/imports/create"] == imports)
        let planned = try await f.plan([])
        #expect(planned.stdout.contains("Plan: 2 to import, 0 to replace, 2 to update, 0 to forget."), "\(planned.stdout)")
    }

    @Test("a refresh that finds no drift records the verification without asking, terminal or not")
    func noDriftNeedsNoConfirmation() async throws {
        let f = try RefreshFixture(volumeFiles: 120, drsFiles: 30)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        f.clock.advance(by: 60)
        let result = try await f.refresh([])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Recorded: 150 file(s) verified or corrected, 0 gone file(s) forgotten."), "\(result.stdout)")
        let times = try StateStore.open(at: f.statePath, create: false).verificationTimes()
        #expect(times.count == 150 && times.values.allSatisfy { $0 == f.clock.seconds })
    }

    @Test("a refresh under a wrong token, 50% 5xx or a project answering 404 leaves the state byte-identical and names the cause")
    func faultsChangeNothing() async throws {
        let f = try RefreshFixture(volumeFiles: 2_100, drsFiles: 0)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        await f.emulator.applyDrift(count: 10, seed: 1, project: "alice/p1", kinds: [.delete])
        let dump = try f.dump()

        for command in ["refresh", "plan", "apply"] {
            let result: (code: Int32, stdout: String, stderr: String)
            switch command {
            case "refresh": result = try await f.refresh(["--auto-approve"], token: "wrong-token")
            case "plan": result = try await f.plan(["--refresh"], token: "wrong-token")
            default: result = try await f.apply(["--refresh", "--auto-approve"], token: "wrong-token")
            }
            #expect(result.code == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("401"), "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("wrong-token"))
            #expect(try f.dump() == dump, "\(command) under a wrong token changed the state")
        }

        await f.emulator.setFaults(EmulatorFaults(errorRate: 0.5))
        let flaky = try await f.refresh(["--auto-approve"])
        #expect(flaky.code == 1)
        #expect(flaky.stderr.contains("refresh stopped, the state is unchanged") && (flaky.stderr.contains("503") || flaky.stderr.contains("500")),
                "\(flaky.stderr)")
        #expect(try f.dump() == dump)
        let flakyApply = try await f.apply(["--refresh", "--auto-approve"])
        #expect(flakyApply.code == 1)
        #expect(try f.dump() == dump)
        // A dropped connection (a timeout looks the same to the refresh): not retried, nothing changed.
        await f.emulator.setFaults(EmulatorFaults(dropRate: 1, dropAfterApplyShare: 0))
        let dropped = try await f.refresh(["--auto-approve"])
        #expect(dropped.code == 1)
        #expect(dropped.stderr.contains("refresh stopped, the state is unchanged: GET /projects/alice/p1: no answer from the platform"), "\(dropped.stderr)")
        #expect(try f.dump() == dump)
        await f.emulator.setFaults(EmulatorFaults())

        // A recorded folder that answers 404 (deleted with its files): stop, do not take its files for deleted.
        let snapshot = await f.emulator.snapshot().project("alice/p1")?.files ?? []
        let folder = try #require(snapshot.first { $0.path == "raw/b1/l1" })
        for file in snapshot where file.path.hasPrefix("raw/b1/l1/") {
            #expect(await f.emulator.respond(to: EmulatorRequest(method: "DELETE", target: "/v2/files/\(file.id)",
                headers: ["X-SBG-Auth-Token": RefreshFixture.token])).status == 204)
        }
        #expect(await f.emulator.respond(to: EmulatorRequest(method: "DELETE", target: "/v2/files/\(folder.id)",
            headers: ["X-SBG-Auth-Token": RefreshFixture.token])).status == 204)
        let noFolder = try await f.refresh(["--auto-approve"])
        #expect(noFolder.code == 1)
        #expect(noFolder.stderr.contains("folder 'raw/b1/l1' of project 'alice/p1' answered 404"), "\(noFolder.stderr)")
        #expect(noFolder.stderr.contains("hint: if 'raw/b1/l1' was deleted on purpose"))
        #expect(try f.dump() == dump)

        // The same state against a platform without its project.
        let elsewhere = try Emulator(configuration: EmulatorConfiguration(
            tokens: [RefreshFixture.token], projects: ["alice/other"], volumes: [:], jobDuration: 4, rateLimit: 1_000_000,
            seed: 5, clock: f.clock.emulatorClock))
        let missing = try await f.refresh(["--auto-approve"], emulator: elsewhere)
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("project 'alice/p1' answered 404"), "\(missing.stderr)")
        #expect(try f.dump() == dump)
    }

    @Test("drift on more than half of the checked files needs --yes-drift before apply acts on it")
    func driftThreshold() async throws {
        let f = try RefreshFixture(volumeFiles: 40, drsFiles: 0)
        #expect(try await f.apply(["--auto-approve"]).code == 0)
        await f.emulator.applyDrift(count: 30, seed: 2, project: "alice/p1", kinds: [.tags])
        let dump = try f.dump()
        let refused = try await f.apply(["--refresh", "--auto-approve"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("30 of 40 checked files drifted"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--yes-drift"))
        #expect(try f.dump() == dump)
        let accepted = try await f.apply(["--refresh", "--auto-approve", "--yes-drift"])
        #expect(accepted.code == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("30 updated"))
    }

    @Test("the cost line: requests and ETA from the rate budget")
    func costLine() {
        #expect(Refresh.Cost(files: 1_000_000, projects: 1).line
            == "refreshing 1,000,000 files: about 10,101 requests, about 51 min at 1,000 requests / 5 min")
        #expect(Refresh.Cost(files: 2_020, projects: 1).line == "refreshing 2,020 files: about 23 requests, under a minute at 1,000 requests / 5 min")
    }
}
