import Foundation
import Testing
import TestSupport

/// One line a process wrote, with when it arrived (seconds after the start).
struct ArrivedLine {
    var text: String
    var at: Double
}

/// Runs the built `sbsync` with `arguments` and reads the watched stream (`stdout` or `stderr`)
/// as it arrives: each read waits on the pipe's data, never on a timer, and stamps the lines it
/// completes. The other stream is collected whole. `exitAt` is when the watched pipe closed and
/// the process had exited.
func streamed(_ arguments: [String], environment: [String: String], watchStandardError: Bool = false) throws
    -> (lines: [ArrivedLine], other: String, status: Int32, exitAt: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try sbsyncBinary())
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let watched = watchStandardError ? err : out, other = watchStandardError ? out : err
    let start = Date()
    try process.run()
    nonisolated(unsafe) var otherData = Data()
    let otherReader = Thread { otherData = other.fileHandleForReading.readDataToEndOfFile() }
    otherReader.start()
    var lines: [ArrivedLine] = []
    var pending = Data()
    let handle = watched.fileHandleForReading
    while true {
        let chunk = handle.availableData  // blocks until the process writes (or closes the pipe)
        if chunk.isEmpty { break }
        let now = Date().timeIntervalSince(start)
        pending += chunk
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(ArrivedLine(text: String(decoding: pending[pending.startIndex..<newline], as: UTF8.self), at: now))
            pending = Data(pending[(newline + 1)...])
        }
    }
    process.waitUntilExit()
    let exitAt = Date().timeIntervalSince(start)
    while !otherReader.isFinished { usleep(1000) }
    return (lines, String(decoding: otherData, as: UTF8.self), process.terminationStatus, exitAt)
}

/// Output streams through a pipe: the built binary against `sbsync-emulator` with its default
/// (slow) timing, where one import job takes 6 s. The test measures when lines arrive by waiting
/// on the pipe; it never sleeps.
@Suite("output streams through a pipe", .serialized)
struct StreamingTests {
    /// Runs `sbsync apply --auto-approve EXTRA` of 200 files through a pipe (see `streamed`),
    /// against an emulator with the platform's timing.
    static func apply(_ extra: [String], watchStandardError: Bool = false) throws -> (lines: [ArrivedLine], other: String, status: Int32, exitAt: Double) {
        try withTemporaryDirectory { directory in
            let (emulator, manifest, environment) = try rig(directory, count: 200)
            defer { emulator.stop() }
            return try streamed(["apply", "-f", manifest, "--state", directory.appendingPathComponent("s.state").path, "--auto-approve"] + extra,
                                environment: environment, watchStandardError: watchStandardError)
        }
    }

    /// An emulator with the platform's timing and a volume of `count` objects, and a manifest importing all.
    static func rig(_ directory: URL, count: Int) throws -> (EmulatorProcess, manifest: String, environment: [String: String]) {
        let listing = directory.appendingPathComponent("volume.txt")
        try Data((0..<count).map { "batch/f\($0).txt\t10\n" }.joined().utf8).write(to: listing)
        let manifest = directory.appendingPathComponent("sbsync.yaml").path
        try Data("version: 1\nproject: stream/p\nvolumes:\n  - volume: stream/vol\n    prefixes:\n      - prefix: batch/\n".utf8)
            .write(to: URL(fileURLWithPath: manifest))
        let emulator = try EmulatorProcess(arguments: [
            "--port", "0", "--token", "stream-token", "--project", "stream/p", "--volume-listing", "stream/vol=\(listing.path)",
        ])
        let environment = ["SB_API_ENDPOINT": emulator.endpoint, "SB_AUTH_TOKEN": "stream-token", "NO_COLOR": "1",
                           "HOME": directory.path, "PATH": "/usr/bin:/bin"]
        return (emulator, manifest, environment)
    }

    @Test("apply --json: each event arrives as it happens, the first long before the exit")
    func jsonEventsStream() throws {
        let run = try Self.apply(["--json"])
        #expect(run.status == 0, "\(run.other)")
        let first = try #require(run.lines.first)
        #expect(first.text.hasPrefix(#"{"format_version":1,"event":"started","total":200}"#))
        #expect(run.lines.last?.text.contains(#""event":"done""#) == true)
        // Two batches of 100, each a 6 s job: the run takes 6 s or more; the first event
        // came at the start, not with the rest at the exit.
        #expect(run.exitAt - first.at > 4, "first event at \(first.at) s, exit at \(run.exitAt) s")
        let submitted = run.lines.filter { $0.text.contains(#""event":"submitted""#) }
        #expect(submitted.count == 2 && submitted.allSatisfy { run.exitAt - $0.at > 4 })
    }

    @Test("apply into a pipe: a plain progress line every --progress-interval, events or not")
    func plainLinesOnTime() throws {
        let run = try Self.apply(["--progress-interval", "1"], watchStandardError: true)
        #expect(run.status == 0, "\(run.other)")
        #expect(run.other.contains("Apply complete: 200 imported"))
        let first = try #require(run.lines.first)
        #expect(first.text == "Applying 200 change(s); a progress line every 1s.")
        #expect(run.exitAt - first.at > 4)
        // No item ends during the first 6 s; the ticker still prints a line each second.
        let status = run.lines.filter { $0.text.contains("/200 done · ") }
        #expect(status.count >= 3, "\(run.lines.map(\.text))")
        #expect(status.allSatisfy { $0.text.contains("files/s · ETA ") && $0.text.contains("job(s) in flight") })
        #expect(!run.lines.contains { $0.text.contains("/0 done") })
    }
}

/// A wrong or stopped endpoint is reported within seconds, by the built binary: each quick
/// attempt is announced on standard error, then one sentence names the endpoint and the cause.
@Suite("network failures are fast and clear", .serialized)
struct NetworkFailureBinaryTests {
    static func manifest(in directory: URL, prefixes: Bool) throws -> String {
        let path = directory.appendingPathComponent("sbsync.yaml").path
        let body = prefixes ? "    prefixes:\n      - prefix: batch/\n" : "    files:\n      - location: a.bam\n"
        try Data("version: 1\nproject: net/p\nvolumes:\n  - volume: net/vol\n\(body)".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a closed loopback port: three quick attempts, then 'connection refused', for plan and apply")
    func refused() throws {
        // A port that was just free: an emulator listened there and has stopped.
        let emulator = try EmulatorProcess(arguments: ["--port", "0"])
        let endpoint = emulator.endpoint
        emulator.stop()
        try withTemporaryDirectory { directory in
            let environment = ["SB_API_ENDPOINT": endpoint, "SB_AUTH_TOKEN": "net-token", "NO_COLOR": "1",
                               "HOME": directory.path, "PATH": "/usr/bin:/bin"]
            for (prefixes, command) in [(false, "apply"), (true, "plan")] {
                let manifest = try Self.manifest(in: directory, prefixes: prefixes)
                var arguments = [command, "-f", manifest, "--state", directory.appendingPathComponent("s.state").path]
                if command == "apply" { arguments.append("--auto-approve") }
                let run = try streamed(arguments, environment: environment, watchStandardError: true)
                #expect(run.status == 1)
                #expect(run.exitAt < 10, "\(command) took \(run.exitAt) s to report a refused connection")
                let lines = run.lines.map(\.text)
                #expect(lines.contains("sbsync: attempt 1 of 3 to reach \(endpoint) failed (connection refused); trying again in 0.5 s"), "\(lines)")
                #expect(lines.contains("sbsync: attempt 2 of 3 to reach \(endpoint) failed (connection refused); trying again in 1.0 s"))
                #expect(lines.contains("sbsync: error: cannot reach the platform at \(endpoint): connection refused (3 attempts)"))
                #expect(!lines.contains { $0.contains("attempt 3 of") || $0.contains("errno") || $0.contains("error set") })
                #expect(lines.contains { $0.hasPrefix("hint: check SB_API_ENDPOINT") })
            }
        }
    }

    @Test("an unknown host (.invalid never resolves): three quick attempts, then 'unknown host'")
    func unknownHost() throws {
        try withTemporaryDirectory { directory in
            let endpoint = "https://sbsync-test.invalid/v2"
            let environment = ["SB_API_ENDPOINT": endpoint, "SB_AUTH_TOKEN": "net-token", "NO_COLOR": "1",
                               "HOME": directory.path, "PATH": "/usr/bin:/bin"]
            let manifest = try Self.manifest(in: directory, prefixes: true)
            let run = try streamed(["plan", "-f", manifest], environment: environment, watchStandardError: true)
            #expect(run.status == 1)
            #expect(run.exitAt < 15, "took \(run.exitAt) s to report an unknown host")
            let lines = run.lines.map(\.text)
            #expect(lines.filter { $0.hasPrefix("sbsync: attempt ") }.count == 2, "\(lines)")
            #expect(lines.contains("sbsync: error: cannot reach the platform at \(endpoint): unknown host 'sbsync-test.invalid' (3 attempts)"))
            #expect(lines.contains { $0.hasPrefix("hint: check the host name") })
        }
    }
}

/// The apply summary separates what a retry can fix from what it cannot.
@Suite("retry advice in the apply summary", .serialized)
struct RetryAdviceBinaryTests {
    @Test("a missing volume location: 'a retry will not help' and what to do, never 'run apply again to retry'")
    func missingLocation() throws {
        try withTemporaryDirectory { directory in
            let listing = directory.appendingPathComponent("volume.txt")
            try Data("here.bam\t10\n".utf8).write(to: listing)
            let manifest = directory.appendingPathComponent("sbsync.yaml").path
            try Data("version: 1\nproject: adv/p\nvolumes:\n  - volume: adv/vol\n    files:\n      - location: here.bam\n      - location: gone.bam\n".utf8)
                .write(to: URL(fileURLWithPath: manifest))
            let emulator = try EmulatorProcess(arguments: [
                "--port", "0", "--token", "adv-token", "--project", "adv/p", "--volume-listing", "adv/vol=\(listing.path)",
                "--job-duration", "1", "--time-scale", "20",
            ])
            defer { emulator.stop() }
            let environment = ["SB_API_ENDPOINT": emulator.endpoint, "SB_AUTH_TOKEN": "adv-token", "NO_COLOR": "1",
                               "HOME": directory.path, "PATH": "/usr/bin:/bin"]
            let result = try run(try sbsyncBinary(), ["apply", "-f", manifest, "--state", directory.appendingPathComponent("s.state").path,
                                                      "--auto-approve", "--poll-interval", "0.1"], environment: environment)
            #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("Apply complete: 1 imported"))
            #expect(result.stdout.contains("  1 not found (HTTP 404): a retry will not help: check the volume, location or DRS URI"), "\(result.stdout)")
            #expect(!result.stdout.contains("again to retry them"))
        }
    }
}
