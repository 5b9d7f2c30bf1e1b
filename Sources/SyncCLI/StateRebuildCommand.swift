public import ArgumentParser
import Foundation
public import PlatformAPI
import SyncCore
import SyncEngine
import SyncState

extension StateCommand {
    /// `sbsync state rebuild -f MANIFEST [--force]`
    public struct Rebuild: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Make a new state from what the platform holds at the manifest's destinations.",
            discussion: """
                For a lost .sbsync/ folder (a fresh clone): every desired file found on the platform from \
                the same source is recorded (adopted) under a new lineage; nothing is imported or changed \
                on the platform. Refuses to replace an existing state unless --force is given, and then \
                keeps the old one as <state>.bak. Cost: about one listing request per destination folder \
                plus one per further 100 files. \
                Exit codes: \(ExitStatus.summary([.success, .error, .locked, .usage])).
                """)

        @OptionGroup var options: StateOptions
        @OptionGroup var platform: PlatformOptions

        @Flag(name: .long, help: "Replace an existing state (kept as <state>.bak).")
        var force = false

        public init() {}

        public func run() async throws {
            try await InternalFailure.guarding {
                try finish(await execute(io: .standard, environment: ProcessInfo.processInfo.environment))
            }
        }

        /// - Parameter transport: how to reach the platform (`nil`: AsyncHTTPClient).
        public func execute(io: CommandIO, environment: [String: String], transport: (any HTTPTransport)? = nil) async -> Int32 {
            guard let config = platform.resolved(environment: environment, io: io) else { return ExitStatus.error.rawValue }
            let manifest = options.manifest, statePath = options.path, force = self.force
            do {
                let result: StateRebuild.Result
                if let transport {
                    result = try await StateRebuild.run(manifestPath: manifest, statePath: statePath,
                                                        reader: PlatformClient(config: config, transport: transport).reader, force: force)
                } else {
                    result = try await AsyncHTTPTransport.withTransport { transport in
                        try await StateRebuild.run(manifestPath: manifest, statePath: statePath,
                                                   reader: PlatformClient(config: config, transport: transport).reader, force: force)
                    }
                }
                var out = "Rebuilt the state '\(statePath)' (new lineage \(result.lineage)): \(result.recorded) file(s) found on the "
                    + "platform and recorded; \(result.missing) not on the platform (the next apply imports them)"
                if result.conflicts > 0 { out += "; \(result.conflicts) address(es) held by another file (see 'sbsync plan')" }
                out += ". \(result.requests) listing request(s).\n"
                if let backup = result.backup { out += "The old state is kept as '\(backup)'.\n" }
                io.stdout(out)
                return ExitStatus.success.rawValue
            } catch StateRebuild.Failure.exists(let path) {
                io.error("the state '\(path)' exists; rebuilding would replace it",
                         hint: "pass --force to replace it (the old one is kept as '\(path).bak')")
                return ExitStatus.error.rawValue
            } catch StateRebuild.Failure.invalid(let diagnostics) {
                io.diagnostics(diagnostics, manifest: manifest, color: false)
                return ExitStatus.error.rawValue
            } catch StateRebuild.Failure.checking(let error) {
                io.error("cannot read the manifest's destinations on the platform: \(shown: error)",
                         hint: (error.hint.map { $0 + "\n" } ?? "") + "nothing was changed")
                return ExitStatus.error.rawValue
            } catch StateRebuild.Failure.state(let error) {
                return io.fail(error)
            } catch is CancellationError {
                return ExitStatus.interrupted.rawValue
            } catch {
                io.stderr(InternalFailure.message(for: error))
                return ExitStatus.error.rawValue
            }
        }
    }
}
