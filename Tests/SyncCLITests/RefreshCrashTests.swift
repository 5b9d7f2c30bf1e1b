import Foundation
import SyncCore
import SyncState
import Testing
import TestSupport

@Suite("crash safety: refresh killed with SIGKILL at random moments", .serialized)
struct RefreshCrashTests {
    @Test("2,000 recorded files with drift, refresh and apply --refresh killed at 20+ random moments: converge, 0 lost records, 0 duplicates")
    func killedRefreshConverges() throws {
        let volumeFiles = 1_600, drsFiles = 400
        let seed = CrashRig.seed("refresh crash test")
        var random = SeededRandom(seed: seed)
        let (directory, listing) = try CrashRig.directory("refresh-crash", volumeObjects: volumeFiles)
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = CrashRig.manifest("rc", drsFiles: drsFiles, tags: ["rc"], conflict: "overwrite")
        let rig = try CrashRig(name: "rc", yaml: yaml, directory: directory, listing: listing, seed: seed, jobs: 2)
        defer { rig.emulator.stop() }
        let sbsync = try sbsyncBinary()
        let first = try run(sbsync, rig.arguments, environment: rig.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let expected = try StateStore.open(at: rig.state, create: false).loadAllFiles().count
        #expect(expected == volumeFiles + drsFiles)

        // Drift on the platform, then refreshes killed at random moments.
        rig.emulator.drift(#"{"count": 60, "seed": \#(seed % 1000), "project": "rc/p"}"#)

        // A run that ends before its kill may have left nothing to do (a fast machine): more drift
        // gives the next runs work to be killed in. Not renames, moves or replacements: a file put
        // in place of one of ours (by the first drift) and then renamed away is the user's file,
        // not a duplicate, but would look like one here.
        var drifts = 1
        func moreDrift() {
            drifts += 1
            rig.emulator.drift(#"{"count": 20, "seed": \#(seed % 1000 + UInt64(drifts)), "project": "rc/p", "kinds": ["delete", "metadata", "tags"]}"#)
        }
        let refresh = ["refresh", "-f", rig.manifest, "--state", rig.state, "--auto-approve", "--refresh-budget", "12"]
        let (refreshKills, refreshRuns) = try killRepeatedly(sbsync, refresh, environment: rig.environment, random: &random,
                                                             wanted: 12, maxRuns: 40, delay: 20_000...400_000, ranOut: moreDrift)
        var applyRefresh = rig.arguments
        applyRefresh += ["--refresh"]
        let (applyKills, applyRuns) = try killRepeatedly(sbsync, applyRefresh, environment: rig.environment, random: &random,
                                                         wanted: 10, maxRuns: 40, delay: 20_000...1_500_000, ranOut: moreDrift)
        print("refresh crash test: \(refreshKills) kills in \(refreshRuns) refresh runs, \(applyKills) in \(applyRuns) apply --refresh runs, \(drifts) drifts")
        #expect(refreshKills + applyKills >= 20)

        // A run to the end, then nothing left to do.
        let final = try run(sbsync, applyRefresh, environment: rig.environment)
        #expect(final.status == 0, "\(final.stdout)\(final.stderr)")
        let again = try run(sbsync, ["plan", "-f", rig.manifest, "--state", rig.state, "--refresh"], environment: rig.environment)
        #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")

        // Every desired file exactly once; the state records each, with the platform's id.
        let projects = try rig.emulator.state()["projects"] as? [[String: Any]] ?? []
        let files = (projects.first?["files"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "file" }
        var expectedPaths = Set((0..<volumeFiles).map { "vol/s\($0).bam" })
        for i in 0..<drsFiles { expectedPaths.insert("drs/g\(i % 4)/d\(i).cram") }
        let paths = files.compactMap { $0["path"] as? String }
        let extra = Set(paths).subtracting(expectedPaths).sorted(), missing = expectedPaths.subtracting(paths).sorted()
        var seen = Set<String>(), twice: [String] = []
        for path in paths where !seen.insert(path).inserted { twice.append(path) }
        #expect(extra.isEmpty && missing.isEmpty, "extra on the platform: \(extra); missing: \(missing)")
        #expect(twice.isEmpty, "on the platform twice: \(twice)")
        #expect(paths.count == expectedPaths.count, "\(paths.count - expectedPaths.count) duplicates")
        let store = try StateStore.open(at: rig.state, create: false)
        let recorded = try store.loadAllFiles()
        #expect(recorded.count == expected, "\(expected - recorded.count) records lost")
        var idByPath: [String: String] = [:]
        for file in files { if let path = file["path"] as? String, let id = file["id"] as? String { idByPath[path] = id } }
        for file in recorded { #expect(idByPath[file.address.path] == file.fileID, "\(file.address)") }
    }
}
