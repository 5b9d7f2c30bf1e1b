import ArgumentParser
import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCLI
import SyncCore
import SyncState
import Testing
#if canImport(Glibc)
import Glibc
#endif

// Regression tests for the security and odd-input items of issue 15, black box: the commands
// parsed and run in process, and the built binary.

/// A scratch folder, removed after `body`.
private func withDirectory<R>(_ body: (URL) async throws -> R) async throws -> R {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sbsync-harden-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// A scratch folder holding `sbsync.yaml` with `text`; `body` gets the folder and the manifest.
private func withManifest<R>(_ text: String, _ body: (URL, URL) async throws -> R) async throws -> R {
    try await withDirectory { directory in
        let manifest = directory.appendingPathComponent("sbsync.yaml")
        try write(text, to: manifest)
        return try await body(directory, manifest)
    }
}

private func write(_ text: String, to url: URL, mode: Int = 0o600) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
}

private func mode(of url: URL) throws -> Int {
    ((try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
}

/// Every regular file under `directory`, with its bytes.
private func filesWritten(under directory: URL) -> [(path: String, text: String)] {
    let paths = (try? FileManager.default.subpathsOfDirectory(atPath: directory.path)) ?? []
    return paths.compactMap { path in
        FileManager.default.contents(atPath: directory.appendingPathComponent(path).path)
            .map { (path, String(decoding: $0, as: UTF8.self)) }
    }
}

/// A command run in process: exit code and what it printed.
private struct Ran {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Polls and pacing without waiting: a sleep only lets other tasks run.
private struct NoWaitClock: PlatformClock {
    func now() -> Double { Date().timeIntervalSince1970 }
    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        await Task.yield()
    }
}

private func apply(_ arguments: [String], environment: [String: String], transport: (any HTTPTransport)? = nil) async throws -> Ran {
    let command = try ApplyCommand.parse(arguments)
    let captured = Captured()
    let code = await command.execute(
        io: captured.io, environment: environment,
        environmentIO: ApplyCommand.Environment(inputIsTerminal: false, errorIsTerminal: false, readLine: { nil },
                                                transport: transport, clock: NoWaitClock()))
    return Ran(code: code, stdout: captured.stdout, stderr: captured.stderr)
}

private func plan(_ arguments: [String], environment: [String: String], transport: (any HTTPTransport)? = nil) async throws -> Ran {
    let command = try PlanCommand.parse(arguments)
    let captured = Captured()
    let code = await command.execute(io: captured.io, environment: environment, transport: transport)
    return Ran(code: code, stdout: captured.stdout, stderr: captured.stderr)
}

/// An emulator answered in process, without sockets, through the transport seam.
func inProcess(_ emulator: Emulator) -> ClosureTransport {
    ClosureTransport { request in
        let parts = request.url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        var headers: [String: String] = ["host": "127.0.0.1"]
        for header in request.headers { headers[header.name] = header.value }
        let response = await emulator.respond(to: EmulatorRequest(
            method: request.method.rawValue, target: parts.count == 4 ? "/" + parts[3] : "/", headers: headers,
            body: Data(request.body ?? [])))
        if response.dropConnection { throw TransportError(phase: .maybeSent, kind: .connectionDropped, message: "dropped") }
        return TransportResponse(status: response.status, headers: response.headers, body: [UInt8](response.body))
    }
}

/// Requests that reached the transport.
private final class RequestLog: @unchecked Sendable {
    // @unchecked: guarded by the lock.
    private let lock = NSLock()
    private var urls: [String] = []
    var all: [String] { lock.withLock { urls } }
    func add(_ url: String) { lock.withLock { urls.append(url) } }
}

/// A manifest with a volume prefix (so plan, too, must read credentials) and a DRS entry.
private let prefixManifest = """
    version: 1
    project: harden/p
    volumes:
      - volume: harden/vol
        prefixes:
          - prefix: in/
    drs:
      - uri: drs://drs.example.org/obj-1
        name: one.cram

    """

// MARK: - 1. Token leak

/// A token with a byte no HTTP header value may carry in its middle.
struct BadToken: Sendable, CustomTestStringConvertible {
    var name: String
    var character: String
    /// What the refusal says about it.
    var rule: String
    /// Whether a credentials file can hold it inside a value (a line break cannot).
    var fitsInFile = true
    /// Whether an environment variable of a child process can hold it (NUL cannot).
    var fitsInEnvironment = true

    var value: String { "tok-SECRET-9f8e" + character + "7d6c5b4a" }
    var testDescription: String { name }
    /// No output may contain either half.
    static let secretPieces = ["SECRET-9f8e", "7d6c5b4a"]

    static let all = [
        BadToken(name: "DEL", character: "\u{7F}", rule: "contains a control character (U+007F) at character 16"),
        BadToken(name: "NUL", character: "\u{0}", rule: "contains a control character (U+0000) at character 16", fitsInEnvironment: false),
        BadToken(name: "ESC", character: "\u{1B}", rule: "contains a control character (U+001B) at character 16"),
        BadToken(name: "LF", character: "\n", rule: "contains a line break at character 16", fitsInFile: false),
        BadToken(name: "CR", character: "\r", rule: "contains a line break at character 16", fitsInFile: false),
        BadToken(name: "TAB", character: "\t", rule: "contains a control character (U+0009) at character 16"),
        BadToken(name: "NEL", character: "\u{85}", rule: "contains a control character (U+0085) at character 16"),
        BadToken(name: "space", character: " ", rule: "contains a space at character 16"),
        BadToken(name: "non-ASCII", character: "é", rule: "contains a non-ASCII character at character 16"),
    ]
}

@Suite("hardening: a token that cannot be a header value never leaks", .serialized)
struct TokenLeakTests {
    @Test("apply and plan, in process and as the binary, from SB_AUTH_TOKEN and from the credentials file: refused by rule, never echoed",
          arguments: BadToken.all)
    func neverEchoed(token: BadToken) async throws {
        let configuration = EmulatorConfiguration(
            tokens: ["good-token"], projects: ["harden/p"], volumes: ["harden/vol": .objects(["in/a.bam": 1])])
        try await withRunningEmulator(configuration) { running in
            let endpoint = running.baseURL.absoluteString
            for fromFile in [false, true] where fromFile ? token.fitsInFile : true {
                try await withManifest(prefixManifest) { directory, manifest in
                    var environment = ["HOME": directory.path, "NO_COLOR": "1", "PATH": "/usr/bin:/bin"]
                    if fromFile {
                        try write("[default]\napi_endpoint = \(endpoint)\nauth_token = \(token.value)\n",
                                  to: directory.appendingPathComponent(".sevenbridges/credentials"))
                    } else {
                        environment["SB_API_ENDPOINT"] = endpoint
                        environment["SB_AUTH_TOKEN"] = token.value
                    }
                    let source = fromFile ? "auth_token of profile 'default'" : "SB_AUTH_TOKEN"
                    var outputs: [(String, String)] = []

                    // In process, on the network stack the binary uses (AsyncHTTPClient).
                    let applied = try await apply(["-f", manifest.path, "--auto-approve"], environment: environment)
                    let planned = try await plan(["-f", manifest.path], environment: environment)
                    for (name, ran) in [("apply", applied), ("plan", planned)] {
                        #expect(ran.code == 1, "\(name) from \(source): \(ran.stderr)")
                        #expect(ran.stderr.contains(source) && ran.stderr.contains(token.rule), "\(name): \(ran.stderr)")
                        outputs += [("\(name) stdout", ran.stdout), ("\(name) stderr", ran.stderr)]
                    }

                    // The built binary.
                    if fromFile || token.fitsInEnvironment {
                        for command in ["apply", "plan"] {
                            let ran = try run(try sbsyncBinary(), [command, "-f", manifest.path] + (command == "apply" ? ["--auto-approve"] : []),
                                              environment: environment)
                            #expect(ran.status == 1, "binary \(command) from \(source): \(ran.stderr)")
                            #expect(ran.stderr.contains(token.rule), "binary \(command): \(ran.stderr)")
                            outputs += [("binary \(command) stdout", ran.stdout), ("binary \(command) stderr", ran.stderr)]
                        }
                    }

                    for file in filesWritten(under: directory) where !file.path.hasSuffix("credentials") {
                        outputs.append(("file \(file.path)", file.text))
                    }
                    for (name, text) in outputs {
                        for piece in BadToken.secretPieces {
                            #expect(!text.contains(piece), "the token leaked in \(name) (from \(source)): \(text)")
                        }
                    }
                }
            }
            // Nothing carrying the bad token reached the platform.
            let counters = await running.emulator.counters()
            #expect(counters.requestsByEndpoint.filter { !$0.key.hasPrefix("GET /_admin") }.values.reduce(0, +) == 0)
        }
    }
}

// MARK: - 2. Loopback means loopback

@Suite("hardening: plain http only to literal loopback")
struct LoopbackTests {
    @Test("http://evil.localhost is refused before any request: nothing reaches the transport (so no name is looked up)",
          arguments: ["http://evil.localhost:8080/v2", "http://a.b.localhost/v2", "http://localhost.:8080/v2", "http://127.0.0.08/v2"])
    func notLoopback(endpoint: String) async throws {
        try await withManifest(prefixManifest) { directory, manifest in
            let log = RequestLog()
            let transport = ClosureTransport { request in
                log.add(request.url)
                return TransportResponse(status: 500)
            }
            let environment = ["SB_API_ENDPOINT": endpoint, "SB_AUTH_TOKEN": "good-token", "HOME": directory.path]
            let applied = try await apply(["-f", manifest.path, "--auto-approve"], environment: environment, transport: transport)
            let planned = try await plan(["-f", manifest.path], environment: environment, transport: transport)
            let flagged = try await plan(["-f", manifest.path, "--endpoint", endpoint],
                                         environment: ["SB_AUTH_TOKEN": "good-token", "HOME": directory.path], transport: transport)
            for ran in [applied, planned] {
                #expect(ran.code == 1)
                #expect(ran.stderr.contains("refusing plain http endpoint '\(endpoint)'"), "\(ran.stderr)")
            }
            #expect(flagged.code == 1 && flagged.stderr.contains("refusing plain http endpoint"), "\(flagged.stderr)")
            #expect(log.all.isEmpty, "requests sent to \(log.all)")
        }
    }
}

// MARK: - 3. Permissions

@Suite("hardening: private folders and files")
struct PermissionTests {
    @Test(".sbsync/ is created 0700, the failures file and saved plans are 0600 (also when replacing a 0644 file)")
    func modes() async throws {
        try await withManifest(prefixManifest) { directory, manifest in
            let emulator = try Emulator(configuration: EmulatorConfiguration(
                tokens: ["good-token"], projects: ["harden/p"], volumes: ["harden/vol": .objects(["in/a.bam": 1])],
                missingDRSURIs: ["drs://drs.example.org/obj-1"], jobDuration: 0, rateLimit: 1_000_000))
            let environment = ["SB_API_ENDPOINT": "http://127.0.0.1/v2", "SB_AUTH_TOKEN": "good-token", "HOME": directory.path]

            let planFile = directory.appendingPathComponent("saved.plan")
            try write("old", to: planFile, mode: 0o644)
            let planned = try await plan(["-f", manifest.path, "--out", planFile.path], environment: environment, transport: inProcess(emulator))
            #expect(planned.code == 0, "\(planned.stderr)")
            #expect(try mode(of: planFile) == 0o600)

            let applied = try await apply(["-f", manifest.path, "--auto-approve", "--poll-interval", "0.001"],
                                          environment: environment, transport: inProcess(emulator))
            #expect(applied.code == 3, "\(applied.stdout)\(applied.stderr)")
            let folder = directory.appendingPathComponent(".sbsync")
            #expect(try mode(of: folder) == 0o700)
            let failures = folder.appendingPathComponent("sbsync.state.failures.json")
            #expect(FileManager.default.fileExists(atPath: failures.path))
            #expect(try mode(of: failures) == 0o600)
        }
    }

    @Test("plan warns about a credentials file others can read, as apply does; a CRLF credentials file is read")
    func credentialsFile() async throws {
        try await withManifest(prefixManifest) { directory, manifest in
            let emulator = try Emulator(configuration: EmulatorConfiguration(
                tokens: ["good-token"], projects: ["harden/p"], volumes: ["harden/vol": .objects(["in/a.bam": 1])]))
            let credentials = directory.appendingPathComponent(".sevenbridges/credentials")
            try write("[default]\r\napi_endpoint = http://127.0.0.1/v2\r\nauth_token = good-token\r\n", to: credentials, mode: 0o644)
            let planned = try await plan(["-f", manifest.path], environment: ["HOME": directory.path], transport: inProcess(emulator))
            #expect(planned.code == 0, "\(planned.stderr)")
            #expect(planned.stderr.contains("sbsync: warning: credentials file \(credentials.path) is accessible by other users (mode 644)"),
                    "\(planned.stderr)")
            #expect(planned.stdout.contains("+ harden/p:a.bam"), "\(planned.stdout)")
        }
    }
}

// MARK: - 4. Control characters

/// Control characters other than the line breaks that end lines.
private func rawControls(_ text: String) -> [Unicode.Scalar] {
    text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
}

@Suite("hardening: no raw control characters on a terminal or in a plan")
struct ControlCharacterTests {
    @Test("names and folders with control characters are refused at file:line:column, the message escaped")
    func refusedAtValidation() async throws {
        try await withManifest("""
                version: 1
                project: alice/p1
                drs:
                  - uri: drs://drs.example.org/obj-1
                    name: "evil\\nPlan: 0 to import.bam"
                  - uri: drs://drs.example.org/obj-2
                    name: "red\\e[31m.bam"
                volumes:
                  - volume: alice/vol
                    files:
                      - location: "runs/bell\\a.bam"
                      - location: runs/ok.bam
                        folder: "raw\\tx"
                """) { directory, manifest in
            let planned = try await plan(["-f", manifest.path, "--offline"], environment: [:])
            #expect(planned.code == 1)
            #expect(rawControls(planned.stderr).isEmpty, "\(planned.stderr.debugDescription)")
            #expect(!planned.stderr.contains("\nPlan: 0 to import"))
            let path = manifest.path
            for line in [
                "\(path):5:11: error: file name 'evil\\nPlan: 0 to import.bam' contains the control character U+000A; remove it",
                "\(path):7:11: error: file name 'red\\u{1B}[31m.bam' contains the control character U+001B; remove it",
                "\(path):11:19: error: file name 'bell\\u{7}.bam' contains the control character U+0007; remove it",
                "\(path):13:17: error: folder 'raw\\tx' contains '\\t'; folder names use only letters, digits, '_', '-' and '.'",
            ] {
                #expect(planned.stderr.contains(line + "\n"), "missing: \(line)\n\(planned.stderr)")
            }
            let binary = try run(try sbsyncBinary(), ["validate", "-f", manifest.path])
            #expect(binary.status == 1 && rawControls(binary.stderr).isEmpty, "\(binary.stderr.debugDescription)")
        }
    }

    @Test("a state holding names and metadata with control characters: plan, apply and state list/show escape them")
    func escapedInOutput() async throws {
        try await withManifest("""
                version: 1
                project: alice/p1
                drs:
                  - uri: drs://drs.example.org/kept
                    name: kept.bam
                    metadata: {note: "bold\\e[1m"}
                """) { directory, manifest in
            let statePath = directory.appendingPathComponent(".sbsync/sbsync.state").path
            let store = try StateStore.open(at: statePath, create: true)
            func recorded(_ path: String, _ uri: String, _ metadata: Metadata) -> RecordedFile {
                let source = FileSource.drs(uri: uri)
                return RecordedFile(address: Address(project: "alice/p1", path: path), source: source, metadata: metadata, tags: [],
                                    specDigest: SpecDigest.compute(source: source, metadata: metadata, tags: []), fileID: "f1",
                                    actualName: Address(project: "alice/p1", path: path).name, jobID: nil, createdAt: 0, updatedAt: 0)
            }
            let evil = "gone/evil\nPlan: 0 to import.bam\u{1B}[2J"
            try store.withLock(operation: "test") {
                try store.record([
                    recorded(evil, "drs://drs.example.org/evil", Metadata()),
                    recorded("kept.bam", "drs://drs.example.org/kept", Metadata([("note", .string("plain"))])),
                ])
            }
            let escaped = "alice/p1:gone/evil\\nPlan: 0 to import.bam\\u{1B}[2J"

            let planned = try await plan(["-f", manifest.path, "--detail"], environment: [:])
            #expect(planned.code == 0, "\(planned.stderr)")
            #expect(rawControls(planned.stdout).isEmpty, "\(planned.stdout.debugDescription)")
            #expect(planned.stdout.contains("- \(escaped) (no longer in the manifest)"), "\(planned.stdout)")
            #expect(planned.stdout.contains("metadata key 'note' changed from 'plain' to 'bold\\u{1B}[1m'"), "\(planned.stdout)")

            let list = try run(try sbsyncBinary(), ["state", "list", "-f", manifest.path])
            #expect(list.status == 0 && rawControls(list.stdout).isEmpty && list.stdout.contains(escaped), "\(list.stdout.debugDescription)")
            let show = try run(try sbsyncBinary(), ["state", "show", "-f", manifest.path, "alice/p1:" + evil])
            #expect(show.status == 0 && rawControls(show.stdout).isEmpty && show.stdout.contains(escaped), "\(show.stdout.debugDescription)")

            // apply prints the same plan before it asks (and is refused: no terminal).
            let platform = try Emulator(configuration: EmulatorConfiguration(tokens: ["t"], projects: ["alice/p1"], volumes: [:]))
            let applied = try await apply(["-f", manifest.path], environment: ["SB_API_ENDPOINT": "http://127.0.0.1/v2", "SB_AUTH_TOKEN": "t"],
                                          transport: inProcess(platform))
            #expect(applied.code == 1)
            #expect(rawControls(applied.stdout + applied.stderr).isEmpty, "\((applied.stdout + applied.stderr).debugDescription)")
            #expect(applied.stdout.contains(escaped), "\(applied.stdout)")
        }
    }
}

// MARK: - 8. Numeric options

@Suite("hardening: numeric options are range-checked")
struct NumericOptionTests {
    @Test("apply: out-of-range numbers are usage errors (exit 64)", arguments: [
        ("--poll-interval", "inf"), ("--poll-interval", "nan"), ("--poll-interval", "-1"), ("--poll-interval", "0"),
        ("--drs-window", "1e300"), ("--drs-window", "-inf"), ("--jobs", "0"), ("--jobs", "1000000"),
        ("--drs-pace", "0"), ("--drs-pace", "-5"),
    ])
    func applyOptions(option: String, value: String) {
        do {
            _ = try ApplyCommand.parse(["\(option)=\(value)"])
            Issue.record("\(option) \(value) was accepted")
        } catch {
            #expect(ApplyCommand.exitCode(for: error) == ExitCode(64))
            #expect(ApplyCommand.message(for: error).hasPrefix("\(option) must be a number"), "\(ApplyCommand.message(for: error))")
        }
    }

    @Test("the binary: apply --poll-interval inf and --drs-window 1e300 exit 64 with a message, not a crash")
    func applyBinary() async throws {
        try await withDirectory { directory in
            let configuration = EmulatorConfiguration(tokens: ["good-token"], projects: ["harden/p"], jobDuration: 600)
            try await withRunningEmulator(configuration) { running in
                let manifest = directory.appendingPathComponent("sbsync.yaml")
                try write("version: 1\nproject: harden/p\ndrs:\n  - uri: drs://drs.example.org/1\n    name: a.cram\n", to: manifest)
                let environment = ["SB_API_ENDPOINT": running.baseURL.absoluteString, "SB_AUTH_TOKEN": "good-token",
                                   "HOME": directory.path, "PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no"]
                for (option, value) in [("--poll-interval", "inf"), ("--drs-window", "1e300")] {
                    let ran = try run(try sbsyncBinary(), ["apply", "-f", manifest.path, "--auto-approve", option, value], environment: environment)
                    #expect(ran.status == 64, "\(option) \(value): \(ran.status) \(ran.stderr)")
                    #expect(ran.stderr.contains("\(option) must be a number of seconds"), "\(ran.stderr)")
                }
            }
        }
    }

    @Test("the emulator binary: out-of-range numbers exit 64 before it listens", arguments: [
        ("--rate-window", "inf"), ("--job-duration", "1e300"), ("--time-scale", "0"), ("--drs-window", "nan"),
        ("--latency-ms", "99999999999"), ("--rate-limit", "-1"), ("--drs-pace", "0"), ("--rate-limit-burst", "-1"),
    ])
    func emulatorOptions(option: String, value: String) throws {
        let emulator = URL(fileURLWithPath: try sbsyncBinary()).deletingLastPathComponent().appendingPathComponent("sbsync-emulator").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: emulator)
        process.arguments = ["--port", "0", "\(option)=\(value)"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // An emulator that accepted the value prints where it listens; stop it then.
        let firstOutput = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        if firstOutput.contains("listening") {
            Issue.record("\(option) \(value) was accepted: \(firstOutput)")
            process.terminate()
        }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 64, "\(stderr)")
        #expect(stderr.contains("\(option) must be a number from"), "\(stderr)")
    }
}

// MARK: - 13. Fatal signals

@Suite("hardening: a fatal signal ends the process by that signal", .serialized)
struct FatalSignalTests {
    @Test("SIGSEGV, SIGABRT, SIGILL, SIGFPE sent to sbsync: death by the signal (a shell sees 128 + n), never exit 0",
          arguments: [SIGSEGV, SIGABRT, SIGILL, SIGFPE])
    func diesBySignal(signal: Int32) async throws {
        try await withDirectory { directory in
            // The manifest is a FIFO: when opening it for writing returns, sbsync has opened it
            // for reading, so it is running its command (no sleeping to wait for that).
            let fifo = directory.appendingPathComponent("sbsync.yaml").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try sbsyncBinary())
            process.arguments = ["validate", "-f", fifo]
            var environment = ProcessInfo.processInfo.environment
            environment["SWIFT_BACKTRACE"] = "enable=yes,interactive=no"
            process.environment = environment
            let err = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = err
            let ended = DispatchSemaphore(value: 0)
            process.terminationHandler = { _ in ended.signal() }
            try process.run()
            let writer = open(fifo, O_WRONLY)
            #expect(writer >= 0)
            // A valid manifest waits in the pipe: a process that survives the signal reads it and exits 0.
            let manifest = Array("version: 1\nproject: a/b\ndrs:\n  - uri: drs://x.org/1\n    name: a.cram\n".utf8)
            _ = manifest.withUnsafeBytes { Glibc.write(writer, $0.baseAddress, $0.count) }
            kill(process.processIdentifier, signal)
            close(writer)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if ended.wait(timeout: .now() + 60) == .timedOut {
                Issue.record("sbsync still running 60 s after signal \(signal)")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                    "ended by \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus): \(stderr)")
        }
    }
}
