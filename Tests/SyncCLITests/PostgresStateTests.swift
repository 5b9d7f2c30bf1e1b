import Foundation
import SyncCore
import SyncState
import Testing
import TestSupport

/// The built binary against a PostgreSQL state on a throwaway local cluster: the lock across
/// processes, and crash safety (SIGKILLed applies, server restarts mid-apply).
@Suite("sbsync apply with a PostgreSQL state", .serialized)
struct PostgresStateTests {
    /// `sbsync arguments`, started with its output discarded.
    static func start(_ sbsync: String, _ arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sbsync)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func open(_ url: String) throws -> PostgresStateStore {
        try PostgresStateStore.open(try PostgresLocation.parse(url, environment: [:]), create: false)
    }

    @Test("two applies on one workspace: one wins, the other exits 5 naming the holder; another workspace is not blocked; refresh and state list/show --json on it")
    func aSecondApplyIsToldWhoHoldsTheLock() throws {
        let server = try PostgresTestServer.shared()
        let (directory, listing) = try CrashRig.directory("pglock", volumeObjects: 400)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rig = try CrashRig(name: "pglock", yaml: CrashRig.manifest("pglock", drsFiles: 0), directory: directory, listing: listing,
                               seed: 1, jobs: 1)
        defer { rig.emulator.stop() }
        let url = server.url(workspace: "lock-\(UUID().uuidString.lowercased())")
        let arguments = rig.arguments.map { $0 == rig.state ? url : $0 }
        let sbsync = try sbsyncBinary()

        let first = try Self.start(sbsync, arguments, environment: rig.environment)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) }; first.waitUntilExit() }

        // Wait (bounded) until the first apply holds the lock.
        var holder: LockInfo?
        for _ in 0..<600 where holder == nil {
            if let store = try? Self.open(url) { holder = try? store.currentLock() }
            if holder == nil { usleep(50_000) }
        }
        let held = try #require(holder)
        #expect(held.pid == first.processIdentifier)

        let second = try run(sbsync, arguments, environment: rig.environment)
        #expect(second.status == 5, "\(second.stderr)")
        #expect(second.stderr.contains("lock \(held.holder) held by 'apply' (pid \(first.processIdentifier)"), "\(second.stderr)")

        // Another workspace of the same database is not blocked.
        let otherManifest = directory.appendingPathComponent("other.yaml").path
        try Data("""
            version: 1
            project: pglock/p
            drs:
              - uri: drs://drs.example.org/other
                name: other.cram
                folder: other

            """.utf8).write(to: URL(fileURLWithPath: otherManifest))
        let other = try run(sbsync, ["apply", "-f", otherManifest, "--state", server.url(workspace: "other-\(UUID().uuidString.lowercased())"),
                                     "--auto-approve", "--poll-interval", "0.05", "--drs-pace", "1000000"], environment: rig.environment)
        #expect(other.status == 0, "\(other.stderr)")

        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(try Self.open(url).fileCount() == 400)
        #expect(try Self.open(url).currentLock() == nil)

        // Refresh against the workspace: plan --refresh checks, refresh records what it found.
        let manifest = ["-f", rig.manifest, "--state", url]
        let checked = try run(sbsync, ["plan", "--refresh"] + manifest, environment: rig.environment)
        #expect(checked.status == 0 && checked.stdout.contains("No changes"), "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stderr.contains("refreshing 400 files"), "\(checked.stderr)")
        // Three deletions (one may be the other workspace's file: not this state's).
        let drifts = rig.emulator.drift(#"{"count": 3, "seed": 7, "project": "pglock/p", "kinds": ["delete"]}"#)
        let gone = drifts.filter { $0["name"] as? String != "other.cram" }.count
        #expect(drifts.count == 3)
        let refreshed = try run(sbsync, ["refresh", "--auto-approve"] + manifest, environment: rig.environment)
        #expect(refreshed.status == 0, "\(refreshed.stdout)\(refreshed.stderr)")
        #expect(refreshed.stdout.contains("Recorded: 400 file(s) verified or corrected, \(gone) gone file(s) forgotten"), "\(refreshed.stdout)")
        let summary = try Self.open(url).verificationSummary()
        #expect(summary.files == 400 - gone && summary.verified == 400 - gone)
        let replan = try run(sbsync, ["plan"] + manifest, environment: rig.environment)
        #expect(replan.stdout.contains("last verified against the platform: ") && replan.stdout.contains(", all files"), "\(replan.stdout)")
        #expect(replan.stdout.contains("\(gone) to import"), "\(replan.stdout)")

        // state list/show --json read the workspace; a password in the URL stays out of them.
        func json(_ text: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        let secret = url.replacingOccurrences(of: "://sbsync@", with: "://sbsync:Sup3rSecret@")
        let listed = try run(sbsync, ["state", "list", "--json", "-f", rig.manifest, "--state", secret], environment: rig.environment)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(json(listed.stdout)["count"] as? Int == 400 - gone && json(listed.stdout)["state"] as? String == url, "\(listed.stdout.prefix(300))")
        #expect(!(listed.stdout + listed.stderr).contains("Sup3rSecret"))
        let address = try #require(try Self.open(url).loadAllFiles().first?.address.description)
        let shown = try run(sbsync, ["state", "show", address, "--json", "-f", rig.manifest, "--state", secret], environment: rig.environment)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect((json(shown.stdout)["file"] as? [String: Any])?["address"] as? String == address, "\(shown.stdout)")
        #expect(!(shown.stdout + shown.stderr).contains("Sup3rSecret"))
        let text = try run(sbsync, ["state", "show", address] + manifest, environment: rig.environment)
        #expect(text.stdout.contains("verified:"), "\(text.stdout)")
    }

    @Test("800 files on PostgreSQL: 20+ SIGKILLs and 3+ server restarts mid-apply converge with no duplicates")
    func killedAndRestartedApplyConverges() async throws {
        let volumeFiles = 600
        var drsFiles = 200
        let seed = CrashRig.seed("postgres crash test")
        var random = SeededRandom(seed: seed)
        let (directory, listing) = try CrashRig.directory("pgcrash", volumeObjects: volumeFiles)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rig = try CrashRig(name: "pgcrash", yaml: CrashRig.manifest("pgcrash", drsFiles: drsFiles), directory: directory,
                               listing: listing, seed: seed, jobs: 1)
        defer { rig.emulator.stop() }
        let sbsync = try sbsyncBinary()

        try await withPostgresServer { server in
            let url = server.url(workspace: "crash")
            let arguments = rig.arguments.map { $0 == rig.state ? url : $0 }
            var serials: [Int64] = []
            func observe() {
                if let serial = try? Self.open(url).serial() { serials.append(serial) }
            }

            var kills = 0, restarts = 0, runs = 0
            while (kills < 20 || restarts < 3) && runs < 80 {
                runs += 1
                let process = try Self.start(sbsync, arguments, environment: rig.environment)
                usleep(UInt32.random(in: 100_000...1_500_000, using: &random))
                if restarts < 3 && runs % 4 == 0 {
                    if process.isRunning {
                        try server.restart()
                        restarts += 1
                    }
                    // The apply stops by itself at its next state write; bounded all the same.
                    for _ in 0..<1_200 where process.isRunning { usleep(50_000) }
                    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                    process.waitUntilExit()
                } else {
                    if process.isRunning {
                        kill(process.processIdentifier, SIGKILL)
                        kills += 1
                    } else if kills < 20 {
                        // The run finished before its kill: on a fast machine the work would run
                        // out before 20 kills. More DRS files (one more batch) give the next runs
                        // work to be killed in.
                        drsFiles += 100
                        try Data(CrashRig.manifest("pgcrash", drsFiles: drsFiles).utf8).write(to: URL(fileURLWithPath: rig.manifest))
                    }
                    process.waitUntilExit()
                }
                observe()
            }
            print("postgres crash test: \(kills) kills and \(restarts) server restarts in \(runs) runs; \(drsFiles) DRS files in the end")
            #expect(kills >= 20)
            #expect(restarts >= 3)

            let final = try run(sbsync, arguments, environment: rig.environment)
            #expect(final.status == 0, "\(final.stderr)")
            observe()
            let again = try run(sbsync, arguments, environment: rig.environment)
            #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")

            // The serial never went back, and moved.
            #expect(zip(serials, serials.dropFirst()).allSatisfy { $0 <= $1 }, "\(serials)")
            #expect((serials.last ?? 0) > (serials.first ?? 0))

            // Every desired file exactly once on the platform, and recorded with its id.
            let files = ((try rig.emulator.state()["projects"] as? [[String: Any]])?.first?["files"] as? [[String: Any]] ?? [])
                .filter { $0["type"] as? String == "file" }
            let paths = files.compactMap { $0["path"] as? String }
            var expected = Set((0..<volumeFiles).map { "vol/s\($0).bam" })
            for i in 0..<drsFiles { expected.insert("drs/g\(i % 4)/d\(i).cram") }
            #expect(paths.count == expected.count, "\(paths.count) files on the emulator for \(expected.count) desired")
            #expect(Set(paths) == expected)
            let store = try Self.open(url)
            let recorded = try store.loadAllFiles()
            #expect(recorded.count == expected.count)
            var idByPath: [String: String] = [:]
            for file in files { if let path = file["path"] as? String, let id = file["id"] as? String { idByPath[path] = id } }
            for file in recorded { #expect(idByPath[file.address.path] == file.fileID, "\(file.address)") }
            #expect(try store.unfinishedBatches().isEmpty)
        }
    }

    @Test("state push and pull move a state between a file and a workspace, refusing a newer or foreign target")
    func pushAndPull() throws {
        let server = try PostgresTestServer.shared()
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("s.state").path
            let local = try StateStore.open(at: file, create: true)
            try local.withLock(operation: "test") { try local.record([RecordedFile(
                address: Address(project: "a/b", path: "x.bam"), source: .drs(uri: "drs://h/1"), metadata: Metadata(), tags: [],
                specDigest: String(repeating: "0", count: 64), fileID: "f1", actualName: "x.bam", jobID: nil, createdAt: 1, updatedAt: 1)]) }
            let url = server.url(workspace: "push-\(UUID().uuidString.lowercased())")
            let manifest = dir.appendingPathComponent("sbsync.yaml").path
            let sbsync = try sbsyncBinary()
            let env = ["PATH": "/usr/bin:/bin", "HOME": dir.path]

            let push = try run(sbsync, ["state", "push", "-f", manifest, "--state", file, "--to", url], environment: env)
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stdout.contains("copied 1 files"))
            let remote = try Self.open(url)
            #expect(remote.lineage == local.lineage)
            #expect(try remote.loadAllFiles() == local.loadAllFiles())

            // The workspace moves on; pushing the older file onto it is refused.
            _ = try remote.withLock(operation: "test") { try remote.forget([Address(project: "a/b", path: "x.bam")]) }
            let stale = try run(sbsync, ["state", "push", "-f", manifest, "--state", file, "--to", url], environment: env)
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("is newer"), "\(stale.stderr)")
            #expect(try Self.open(url).fileCount() == 0)

            // Pull it back into a new file (SBSYNC_STATE names the workspace).
            let pulled = dir.appendingPathComponent("pulled.state").path
            let pull = try run(sbsync, ["state", "pull", "-f", manifest, "--to", pulled], environment: env.merging(["SBSYNC_STATE": url]) { $1 })
            #expect(pull.status == 0, "\(pull.stderr)")
            let copy = try StateStore.open(at: pulled, create: false)
            #expect(copy.lineage == local.lineage)
            #expect(try copy.serial() == remote.serial())
            #expect(try copy.fileCount() == 0)

            // A file of another lineage is refused unless --force.
            let foreign = dir.appendingPathComponent("foreign.state").path
            try newForeignState(foreign)
            let refused = try run(sbsync, ["state", "pull", "-f", manifest, "--state", url, "--to", foreign], environment: env)
            #expect(refused.status == 1 && refused.stderr.contains("another state"), "\(refused.stderr)")
            let forced = try run(sbsync, ["state", "pull", "-f", manifest, "--state", url, "--to", foreign, "--force"], environment: env)
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try StateStore.open(at: foreign, create: false).lineage == local.lineage)
        }
    }

    @Test("a password in the state URL never reaches the output, and SBSYNC_STATE is used when --state is not given")
    func passwordsStayOutOfMessages() throws {
        try withTemporaryDirectory { dir in
            let manifest = dir.appendingPathComponent("sbsync.yaml").path
            try Data("""
                version: 1
                project: a/b
                drs:
                  - uri: drs://drs.example.org/x
                    name: x.cram

                """.utf8).write(to: URL(fileURLWithPath: manifest))
            // Port 1 on loopback: nothing listens, so connecting fails at once.
            let url = "postgres://alice:Sup3rSecret@127.0.0.1:1/sbsync?workspace=w&sslmode=disable"
            let env = ["PATH": "/usr/bin:/bin", "HOME": dir.path, "NO_COLOR": "1"]
            for result in [try run(try sbsyncBinary(), ["plan", "-f", manifest, "--state", url], environment: env),
                           try run(try sbsyncBinary(), ["plan", "-f", manifest], environment: env.merging(["SBSYNC_STATE": url]) { $1 }),
                           try run(try sbsyncBinary(), ["state", "list", "-f", manifest, "--state", url], environment: env)] {
                #expect(result.status == 1)
                #expect(result.stderr.contains("postgres://alice@127.0.0.1:1/sbsync?workspace=w"), "\(result.stderr)")
                #expect(!(result.stdout + result.stderr).contains("Sup3rSecret"))
            }
        }
    }

    private func newForeignState(_ path: String) throws {
        let store = try StateStore.open(at: path, create: true)
        try store.withLock(operation: "test") { try store.record(folders: [FolderRecord(project: "c/d", path: "f", id: "1", createdBySbsync: true)]) }
    }
}
