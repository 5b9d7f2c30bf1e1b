import ArgumentParser
import Foundation
import PlatformEmulator

@main
struct SBSyncEmulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbsync-emulator",
        abstract: "A local emulator of the Seven Bridges platform API (v2) for sbsync and sevenbridges-python.",
        discussion: """
            Prints 'listening on http://HOST:PORT/v2' when ready. Admin calls (no token) live under \
            /_admin: GET state, GET counters, POST counters/reset, GET|POST faults, POST projects, \
            GET assumptions. See the README, section "The platform emulator".
            """)

    @Option(help: "Port to listen on; 0 picks a free port.")
    var port = 0

    @Option(help: "Address to bind. Keep the default (loopback): the admin endpoint has no auth.")
    var host = "127.0.0.1"

    @Option(name: .customLong("token"), help: ArgumentHelp("Accepted platform auth token (repeatable). Requests with any other token get 401.", valueName: "TOKEN"))
    var tokens: [String] = []

    @Option(name: .customLong("project"), help: ArgumentHelp("Project to create at start, owner/slug (repeatable).", valueName: "OWNER/SLUG"))
    var projects: [String] = []

    @Option(name: .customLong("volume"), help: ArgumentHelp("Volume backed by a directory: owner/name=DIR; every regular file under DIR is an object (repeatable).", valueName: "OWNER/NAME=DIR"))
    var volumes: [String] = []

    @Option(name: .customLong("volume-listing"), help: ArgumentHelp("Volume backed by a listing file: owner/name=FILE, one 'location' or 'location<TAB>size' per line (repeatable).", valueName: "OWNER/NAME=FILE"))
    var volumeListings: [String] = []

    @Option(name: .customLong("missing-drs"), help: ArgumentHelp("DRS URI that fails to resolve (repeatable); every other valid DRS URI resolves.", valueName: "URI"))
    var missingDRS: [String] = []

    @Option(name: .customLong("missing-drs-file"), help: ArgumentHelp("File with one missing DRS URI per line.", valueName: "FILE"))
    var missingDRSFile: String?

    @Option(help: "Platform seconds an import job (or one DRS item) takes to finish.")
    var jobDuration: Double = 6

    @Option(help: "Platform time runs this many times faster than real time (job durations, rate and DRS windows).")
    var timeScale: Double = 1

    @Option(help: "Requests allowed per token per rate window (the platform allows 1000 per 300 s).")
    var rateLimit = 1000

    @Option(help: "Rate window in platform seconds.")
    var rateWindow: Double = 300

    @Option(help: "DRS files started per DRS window (the platform: 500 per 300 s).")
    var drsPace = 500

    @Option(help: "DRS window in platform seconds.")
    var drsWindow: Double = 300

    @Flag(help: "Send Retry-After on 429 responses (SBP then retries GETs by itself).")
    var retryAfter = false

    @Option(help: "Fault: delay before handling every request, in milliseconds.")
    var latencyMs = 0

    @Option(help: "Fault: share (0-1) of requests answered 503/500.")
    var errorRate: Double = 0

    @Option(help: "Fault: share (0-1) of requests whose connection is closed without a response.")
    var dropRate: Double = 0

    @Option(help: "Fault: share (0-1) of dropped requests that are applied before the drop.")
    var dropAfterApply: Double = 0.5

    @Option(help: "Fault: share (0-1) of import items (volume jobs, DRS items) that fail.")
    var itemFailureRate: Double = 0

    @Option(help: "Fault: share (0-1) of bulk file edit/update items that fail.")
    var editFailureRate: Double = 0

    @Option(help: "Fault: answer the next N requests with 429 code 1000.")
    var rateLimitBurst = 0

    @Option(help: "Seed for ids and fault draws.")
    var seed: UInt64 = 1

    @Flag(help: "Print the behaviours the emulator assumes where the platform is unconfirmed, then exit.")
    var listAssumptions = false

    /// Every number in range (`EmulatorLimits`), so none can crash the emulator later; a value
    /// out of range is a usage error (exit 64).
    func validate() throws {
        let L = EmulatorLimits.self
        let problems: [String?] = [
            L.problem("--port", port, in: L.port),
            L.problem("--job-duration", jobDuration, in: L.jobDuration),
            L.problem("--time-scale", timeScale, in: L.timeScale),
            L.problem("--rate-limit", rateLimit, in: L.rateLimit),
            L.problem("--rate-window", rateWindow, in: L.rateWindow),
            L.problem("--drs-pace", drsPace, in: L.drsPace),
            L.problem("--drs-window", drsWindow, in: L.drsWindow),
            L.problem("--latency-ms", latencyMs, in: L.latencyMilliseconds),
            L.problem("--error-rate", errorRate, in: L.share),
            L.problem("--drop-rate", dropRate, in: L.share),
            L.problem("--drop-after-apply", dropAfterApply, in: L.share),
            L.problem("--item-failure-rate", itemFailureRate, in: L.share),
            L.problem("--edit-failure-rate", editFailureRate, in: L.share),
            L.problem("--rate-limit-burst", rateLimitBurst, in: L.rateLimitBurst),
        ]
        if let problem = problems.lazy.compactMap({ $0 }).first { throw ValidationError(problem) }
    }

    func run() async throws {
        if listAssumptions {
            EmulatorAssumptions.all.forEach { print("- \($0)") }
            return
        }
        var volumeSources: [String: VolumeSource] = [:]
        do {
            for value in volumes {
                let (id, path) = try EmulatorConfiguration.parseVolumeAssignment(value)
                volumeSources[id] = .directory(URL(fileURLWithPath: path))
            }
            for value in volumeListings {
                let (id, path) = try EmulatorConfiguration.parseVolumeAssignment(value)
                volumeSources[id] = .listing(URL(fileURLWithPath: path))
            }
        } catch {
            throw ValidationError("\(error)")
        }
        var missing = Set(missingDRS)
        if let missingDRSFile {
            guard let text = try? String(contentsOfFile: missingDRSFile, encoding: .utf8) else {
                throw ValidationError("--missing-drs-file '\(missingDRSFile)' cannot be read")
            }
            missing.formUnion(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let configuration = EmulatorConfiguration(
            tokens: Set(tokens), projects: projects, volumes: volumeSources, missingDRSURIs: missing,
            jobDuration: jobDuration, timeScale: timeScale, rateLimit: rateLimit, rateWindow: rateWindow,
            drsPace: drsPace, drsWindow: drsWindow, sendRetryAfter: retryAfter,
            faults: EmulatorFaults(
                latencyMilliseconds: latencyMs, errorRate: errorRate, dropRate: dropRate,
                dropAfterApplyShare: dropAfterApply, itemFailureRate: itemFailureRate, rateLimitBurst: rateLimitBurst,
                editFailureRate: editFailureRate),
            seed: seed, host: host, port: port)
        let emulator: Emulator
        do {
            emulator = try Emulator(configuration: configuration)
        } catch {
            FileHandle.standardError.write(Data("sbsync-emulator: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if tokens.isEmpty {
            FileHandle.standardError.write(Data("sbsync-emulator: warning: no --token given; every platform request will get 401\n".utf8))
        }
        let displayHost = host.contains(":") ? "[\(host)]" : host
        try await emulator.runUntilSignalled { port in
            // Written straight to fd 1 so it is never stuck in a buffer.
            FileHandle.standardOutput.write(Data("listening on http://\(displayHost):\(port)/v2\n".utf8))
        }
    }
}
