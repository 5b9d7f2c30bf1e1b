import Foundation
import SyncCore
import SyncState
import Testing
import TestSupport

/// The files of the rig's project on the emulator: path → id.
private func emulatorFiles(_ emulator: EmulatorProcess) throws -> [(path: String, id: String)] {
    let projects = try emulator.state()["projects"] as? [[String: Any]] ?? []
    return (projects.first?["files"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "file" }
        .compactMap { file in (file["path"] as? String).flatMap { path in (file["id"] as? String).map { (path, $0) } } }
}

/// A last run to the end, then one with nothing to do; then every desired path exactly once on
/// the emulator, nothing else, and the state recording each with the emulator's id.
private func finishAndExpectConverged(_ rig: CrashRig, _ sbsync: String, expected: Set<String>) throws {
    let final = try run(sbsync, rig.arguments, environment: rig.environment)
    #expect(final.status == 0, "\(final.stderr)")
    let again = try run(sbsync, rig.arguments, environment: rig.environment)
    #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")
    let emulator = rig.emulator, state = rig.state
    let files = try emulatorFiles(emulator)
    #expect(files.count == expected.count, "\(files.count) files on the emulator for \(expected.count) desired")
    #expect(Set(files.map(\.path)) == expected)
    #expect(!files.contains { $0.path.split(separator: "/").last?.hasPrefix("_") == true }, "a renamed duplicate")
    let store = try StateStore.open(at: state, create: false)
    let recorded = try store.loadAllFiles()
    #expect(recorded.count == expected.count, "\(recorded.count) recorded for \(expected.count) desired")
    let idByPath = Dictionary(files.map { ($0.path, $0.id) }, uniquingKeysWith: { a, _ in a })
    for file in recorded {
        #expect(idByPath[file.address.path] == file.fileID, "\(file.address) recorded as \(file.fileID ?? "nil")")
    }
    #expect(try store.unfinishedBatches().isEmpty)
}

@Suite("crash safety of adoption and of DRS rename batches (SIGKILL at random moments)", .serialized)
struct AdoptCrashTests {
    @Test("adopting 2,400 files after a lost state, killed at 20+ random moments: no import, no duplicate, no lost record")
    func killedAdoptConverges() throws {
        let volumeFiles = 2000, drsFiles = 400
        let seed = CrashRig.seed("adopt crash test")
        var random = SeededRandom(seed: seed)
        let (directory, listing) = try CrashRig.directory("adopt-crash", volumeObjects: volumeFiles)
        defer { try? FileManager.default.removeItem(at: directory) }
        var yaml = """
            version: 1
            project: adopt/p
            defaults:
              conflict: rename
              tags: [t]
            volumes:
              - volume: adopt/vol
                folder: vol
                prefixes:
                  - prefix: cohort/
            drs:

            """
        for i in 0..<drsFiles { yaml += "  - uri: drs://drs.example.org/a-\(i)\n    name: d\(i).cram\n    folder: drs/g\(i % 4)\n" }
        let rig = try CrashRig(name: "adopt", yaml: yaml, directory: directory, listing: listing, seed: seed, jobs: 2)
        defer { rig.emulator.stop() }
        let sbsync = try sbsyncBinary()
        let first = try run(sbsync, rig.arguments, environment: rig.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let imported = try emulatorFiles(rig.emulator)
        #expect(imported.count == volumeFiles + drsFiles)

        // Lose the state, then adopt again and again, killed at random moments; now and then the
        // state is lost again, so the kills land in adoption, not only in "No changes" runs.
        let state = rig.state
        let (kills, runs) = try killRepeatedly(sbsync, rig.arguments, environment: rig.environment, random: &random, maxRuns: 80,
                                               delay: 5_000...700_000) { run, random in
            guard run == 1 || Int.random(in: 0..<3, using: &random) == 0 else { return }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: state + suffix) }
        }
        print("adopt crash test: \(kills) kills in \(runs) runs")
        #expect(kills >= 20)

        var expected = Set((0..<volumeFiles).map { "vol/s\($0).bam" })
        for i in 0..<drsFiles { expected.insert("drs/g\(i % 4)/d\(i).cram") }
        try finishAndExpectConverged(rig, sbsync, expected: expected)
        // Adopted, not imported again: every file keeps the id of the first import.
        #expect(Set(try emulatorFiles(rig.emulator).map(\.id)) == Set(imported.map(\.id)))
    }

    @Test("800 DRS files under conflict: rename, answers lost and killed at 20+ random moments: no renamed duplicate, no lost record")
    func killedDRSRenameConverges() throws {
        let drsFiles = 800
        let seed = CrashRig.seed("DRS rename crash test")
        var random = SeededRandom(seed: seed)
        let (directory, listing) = try CrashRig.directory("drs-rename-crash", volumeObjects: 1)
        defer { try? FileManager.default.removeItem(at: directory) }
        var yaml = """
            version: 1
            project: drsr/p
            defaults:
              conflict: rename
            drs:

            """
        for i in 0..<drsFiles { yaml += "  - uri: drs://drs.example.org/r-\(i)\n    name: r\(i).cram\n    folder: g\(i % 4)\n" }
        // DRS jobs of 4 s, and 5% of the answers lost after the platform acted: a settle that looked
        // at the destination at once would find a running job's files missing and import them again.
        let rig = try CrashRig(name: "drsr", yaml: yaml, directory: directory, listing: listing, seed: seed, jobs: 2,
                               emulatorArguments: ["--job-duration", "8", "--time-scale", "2", "--drop-rate", "0.05", "--drop-after-apply", "1"])
        defer { rig.emulator.stop() }
        let sbsync = try sbsyncBinary()

        let (kills, runs) = try killRepeatedly(sbsync, rig.arguments, environment: rig.environment, random: &random,
                                               maxRuns: 120, delay: 10_000...1_200_000)
        print("DRS rename crash test: \(kills) kills in \(runs) runs")
        #expect(kills >= 20)
        try finishAndExpectConverged(rig, sbsync, expected: Set((0..<drsFiles).map { "g\($0 % 4)/r\($0).cram" }))
    }
}
