import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SyncCore
import SyncState
import Testing
import TestSupport

/// A built binary next to `sbsync`.
func sibling(_ name: String) throws -> String {
    let path = URL(fileURLWithPath: try sbsyncBinary()).deletingLastPathComponent().appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        Issue.record("\(name) not found beside sbsync; build it first (`swift build`)")
        throw CancellationError()
    }
    return path
}

/// `sbsync-emulator` as a separate process, on a free port.
final class EmulatorProcess {
    let process = Process()
    let endpoint: String
    var admin: String { String(endpoint.dropLast(3)) + "/_admin" }

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: try sibling("sbsync-emulator"))
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        let handle = out.fileHandleForReading
        while !String(decoding: buffer, as: UTF8.self).contains("\n") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer += chunk
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: "http://[^ \n]*/v2", options: .regularExpression) else {
            process.terminate()
            throw CancellationError()
        }
        endpoint = String(line[range])
    }

    func state() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(string: admin + "/state")!)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Makes files drift on the platform: `POST /_admin/drift` with `body`
    /// (`{"count": N, "seed": S, "project": P, "kinds": [...]}`).
    /// - Returns: the drifts made (`EmulatorDrift` as JSON: kind, file_id, project, name, …).
    @discardableResult
    func drift(_ body: String) -> [[String: Any]] {
        var request = URLRequest(url: URL(string: admin + "/drift")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        let done = DispatchSemaphore(value: 0)
        // Unchecked: written by the task before `signal()`, read after `wait()`.
        final class Answer: @unchecked Sendable { var data = Data() }
        let answer = Answer()
        URLSession.shared.dataTask(with: request) { data, _, _ in
            answer.data = data ?? Data()
            done.signal()
        }.resume()
        done.wait()
        return (try? JSONSerialization.jsonObject(with: answer.data)) as? [[String: Any]] ?? []
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}


/// A separate `sbsync-emulator` for a crash test (project `NAME/p`, volume `NAME/vol` listed by
/// `listing`, token `NAME-token`, jobs of 0.5 s, no rate limit, no DRS pace), the manifest
/// written into the test's directory, and the environment and arguments of an `sbsync apply`.
struct CrashRig {
    let emulator: EmulatorProcess
    let environment: [String: String]
    let arguments: [String]
    /// `DIRECTORY/sbsync.yaml`, holding `yaml`.
    let manifest: String
    /// `DIRECTORY/NAME.state`.
    let state: String

    /// - Parameter emulatorArguments: more `sbsync-emulator` arguments (a repeated option: the last wins).
    init(name: String, yaml: String, directory: URL, listing: URL, seed: UInt64, jobs: Int, emulatorArguments: [String] = []) throws {
        manifest = directory.appendingPathComponent("sbsync.yaml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: manifest))
        state = directory.appendingPathComponent("\(name).state").path
        emulator = try EmulatorProcess(arguments: [
            "--port", "0", "--token", "\(name)-token", "--project", "\(name)/p", "--volume-listing", "\(name)/vol=\(listing.path)",
            "--job-duration", "2", "--time-scale", "4", "--rate-limit", "1000000", "--drs-pace", "1000000", "--seed", String(seed % 100_000),
        ] + emulatorArguments)
        environment = ["SB_API_ENDPOINT": emulator.endpoint, "SB_AUTH_TOKEN": "\(name)-token", "NO_COLOR": "1",
                       "HOME": directory.path, "PATH": "/usr/bin:/bin"]
        arguments = ["apply", "-f", manifest, "--state", state, "--auto-approve", "--poll-interval", "0.05",
                     "--drs-pace", "1000000", "--jobs", String(jobs)]
    }

    /// `SBSYNC_CRASH_SEED`, else a random seed; printed so a failing run can be repeated.
    static func seed(_ label: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["SBSYNC_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max / 2)
        print("\(label) seed: \(seed) (repeat with SBSYNC_CRASH_SEED=\(seed))")
        return seed
    }

    /// A new scratch directory holding `volume.txt`, a volume listing of `cohort/s<i>.bam`
    /// (size i + 1) for i below `count`. The caller removes the directory.
    static func directory(_ label: String, volumeObjects count: Int) throws -> (directory: URL, listing: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sbsync-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listing = directory.appendingPathComponent("volume.txt")
        try Data((0..<count).map { "cohort/s\($0).bam\t\($0 + 1)\n" }.joined().utf8).write(to: listing)
        return (directory, listing)
    }
}

extension CrashRig {
    /// A manifest for project `NAME/p`: every object under `cohort/` of volume `NAME/vol` (into
    /// `vol/`), and `drsFiles` DRS files `drs/g<i % 4>/d<i>.cram`.
    /// - Parameters:
    ///   - tags: default tags of every file.
    ///   - conflict: the default conflict policy.
    ///   - overwriteEvery: every so many DRS entries (from the first) get `conflict: overwrite`.
    static func manifest(_ name: String, drsFiles: Int, tags: [String] = [], conflict: String? = nil,
                         overwriteEvery: Int? = nil) -> String {
        var yaml = "version: 1\nproject: \(name)/p\n"
        if !tags.isEmpty || conflict != nil { yaml += "defaults:\n" }
        if !tags.isEmpty { yaml += "  tags: [\(tags.joined(separator: ", "))]\n" }
        if let conflict { yaml += "  conflict: \(conflict)\n" }
        yaml += "volumes:\n  - volume: \(name)/vol\n    folder: vol\n    prefixes:\n      - prefix: cohort/\ndrs:\n"
        for i in 0..<drsFiles {
            yaml += "  - uri: drs://drs.example.org/item-\(i)\n    name: d\(i).cram\n    folder: drs/g\(i % 4)\n"
            if let every = overwriteEvery, i % every == 0 { yaml += "    conflict: overwrite\n" }
        }
        return yaml
    }
}

/// Runs `sbsync arguments` again and again, each run killed with SIGKILL after a random delay
/// (microseconds), until `wanted` runs were killed or `maxRuns` ran.
/// - Parameters:
///   - beforeRun: called before each run with its number (from 1), e.g. to lose the state.
///   - ranOut: called when a run ended by itself before its kill while kills are still wanted:
///     the work may be done (on a fast machine, before `wanted` kills), so a test can add more.
/// - Returns: the runs killed and the runs started.
func killRepeatedly(_ sbsync: String, _ arguments: [String], environment: [String: String], random: inout SeededRandom,
                    wanted: Int = 20, maxRuns: Int = 60, delay: ClosedRange<UInt32>,
                    beforeRun: (Int, inout SeededRandom) -> Void = { _, _ in },
                    ranOut: () throws -> Void = {}) throws -> (kills: Int, runs: Int) {
    var kills = 0, runs = 0
    while kills < wanted && runs < maxRuns {
        runs += 1
        beforeRun(runs, &random)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sbsync)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(UInt32.random(in: delay, using: &random))
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            kills += 1
        } else {
            try ranOut()
        }
        process.waitUntilExit()
    }
    return (kills, runs)
}

@Suite("crash safety: sbsync apply killed with SIGKILL at random moments", .serialized)
struct CrashTests {
    @Test("2,000 files (volume and DRS), killed at 20+ random moments, converge with no duplicates")
    func killedApplyConverges() throws {
        let volumeFiles = 1200
        var drsFiles = 800
        let seed = CrashRig.seed("crash test")
        var random = SeededRandom(seed: seed)
        let (directory, listing) = try CrashRig.directory("crash", volumeObjects: volumeFiles)
        defer { try? FileManager.default.removeItem(at: directory) }
        func yaml() -> String { CrashRig.manifest("crash", drsFiles: drsFiles, tags: ["crash"], overwriteEvery: 3) }
        let rig = try CrashRig(name: "crash", yaml: yaml(), directory: directory, listing: listing, seed: seed, jobs: 1)
        defer { rig.emulator.stop() }
        let (emulator, environment, arguments, state) = (rig.emulator, rig.environment, rig.arguments, rig.state)
        let sbsync = try sbsyncBinary()

        // A run that ends before its kill may have finished the work (a fast machine): one more
        // DRS batch gives the next runs work to be killed in.
        let (kills, attempts) = try killRepeatedly(sbsync, arguments, environment: environment, random: &random,
                                                   delay: 20_000...1_500_000, ranOut: {
            drsFiles += 100
            try Data(yaml().utf8).write(to: URL(fileURLWithPath: rig.manifest))
        })
        let beforeFinal = (((try emulator.state()["projects"] as? [[String: Any]])?.first?["files"] as? [[String: Any]]) ?? [])
            .filter { $0["type"] as? String == "file" }.count
        print("crash test: \(kills) kills in \(attempts) runs; \(beforeFinal) of \(volumeFiles + drsFiles) files on the emulator before the last run")
        #expect(kills >= 20)

        // A run to the end, then nothing left to do.
        let started = Date()
        let final = try run(sbsync, arguments, environment: environment)
        print("crash test: the last run took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(final.status == 0, "\(final.stderr)")
        let again = try run(sbsync, arguments, environment: environment)
        #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")

        // Every desired file exactly once, nothing else.
        let snapshot = try emulator.state()
        let projects = snapshot["projects"] as? [[String: Any]] ?? []
        let files = (projects.first?["files"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "file" }
        let paths = files.compactMap { $0["path"] as? String }
        var expected = Set((0..<volumeFiles).map { "vol/s\($0).bam" })
        for i in 0..<drsFiles { expected.insert("drs/g\(i % 4)/d\(i).cram") }
        #expect(paths.count == expected.count, "\(paths.count) files on the emulator for \(expected.count) desired")
        #expect(Set(paths) == expected)

        // The state matches the emulator file for file.
        let store = try StateStore.open(at: state, create: false)
        let recorded = try store.loadAllFiles()
        #expect(recorded.count == expected.count)
        var idByPath: [String: String] = [:]
        for file in files { if let path = file["path"] as? String, let id = file["id"] as? String { idByPath[path] = id } }
        for file in recorded {
            #expect(idByPath[file.address.path] == file.fileID, "\(file.address) recorded as \(file.fileID ?? "nil")")
        }
        #expect(try store.unfinishedBatches().isEmpty)
    }
}

@Suite("sbsync apply and Ctrl-C", .serialized)
struct InterruptTests {
    @Test("Ctrl-C once: no new batches, those in flight recorded, exit 130; the next apply finishes the rest")
    func interruptOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sbsync-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let listing = directory.appendingPathComponent("volume.txt")
        try Data((0..<800).map { "cohort/s\($0).bam\t1\n" }.joined().utf8).write(to: listing)
        let manifest = directory.appendingPathComponent("sbsync.yaml").path
        try Data("""
            version: 1
            project: int/p
            volumes:
              - volume: int/vol
                prefixes:
                  - prefix: cohort/

            """.utf8).write(to: URL(fileURLWithPath: manifest))
        let state = directory.appendingPathComponent("int.state").path
        let emulator = try EmulatorProcess(arguments: [
            "--port", "0", "--token", "int-token", "--project", "int/p", "--volume-listing", "int/vol=\(listing.path)",
            "--job-duration", "2", "--time-scale", "4", "--rate-limit", "1000000",
        ])
        defer { emulator.stop() }
        let environment = ["SB_API_ENDPOINT": emulator.endpoint, "SB_AUTH_TOKEN": "int-token", "NO_COLOR": "1",
                           "HOME": directory.path, "PATH": "/usr/bin:/bin"]
        let arguments = ["apply", "-f", manifest, "--state", state, "--auto-approve", "--poll-interval", "0.05", "--jobs", "1",
                         "--progress-interval", "0.1"]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try sbsyncBinary())
        process.arguments = arguments
        process.environment = environment
        let err = Pipe(), out = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Ctrl-C once the first batch is in flight (a progress line says so): read, never sleep.
        var seen = Data()
        let handle = err.fileHandleForReading
        while true {
            let chunk = handle.availableData  // blocks until the process writes or exits
            if chunk.isEmpty { break }
            seen += chunk
            if String(decoding: seen, as: UTF8.self).split(separator: "\n").contains(where: { line in
                line.contains(" job(s) in flight") && !line.hasSuffix(" 0 job(s) in flight")
            }) { break }
        }
        kill(process.processIdentifier, SIGINT)
        let stderr = String(decoding: seen + handle.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)  // the plan and the summary: small
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("stopping"))
        // An interrupted apply says so and what was saved; it never says "complete".
        #expect(stdout.contains("Apply interrupted:") && stdout.contains("What was done is saved in the state"), "\(stdout)")
        #expect(!stdout.contains("complete"), "\(stdout)")

        // What was in flight is recorded; nothing is left unsettled.
        let store = try StateStore.open(at: state, create: false)
        #expect(try store.unfinishedBatches().isEmpty)
        let recordedAfterStop = try store.loadAllFiles().count
        #expect(recordedAfterStop > 0 && recordedAfterStop < 800)

        let rest = try run(try sbsyncBinary(), arguments, environment: environment)
        #expect(rest.status == 0, "\(rest.stderr)")
        let files = ((try emulator.state()["projects"] as? [[String: Any]])?.first?["files"] as? [[String: Any]] ?? [])
            .filter { $0["type"] as? String == "file" }
        #expect(files.count == 800)
        #expect(Set(files.compactMap { $0["path"] as? String }).count == 800)
    }
}
