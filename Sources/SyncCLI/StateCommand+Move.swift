public import ArgumentParser
import Foundation
import SyncState

/// `sbsync state push` and `state pull`: copy a state between backends (a file and a
/// PostgreSQL workspace, or two of either).
extension StateCommand {
    /// `sbsync state push --to URL`
    public struct Push: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Copy this state (the file beside the manifest, or --state) to another state, e.g. a PostgreSQL workspace.",
            discussion: """
                The target takes this state's records, lineage and serial. Refused when the target holds \
                another state (another lineage) or a newer one (a higher serial), unless --force.
                """)

        @OptionGroup var options: StateOptions

        @Option(name: .long, help: ArgumentHelp("The target: postgres://USER@HOST:PORT/DATABASE?workspace=NAME, or a file.",
                                                valueName: "url-or-path"))
        var to: String

        @Flag(name: .long, help: "Replace a target of another lineage or a higher serial.")
        var force = false

        public init() {}

        public func run() throws {
            try finish(execute(io: .standard, environment: ProcessInfo.processInfo.environment))
        }

        func execute(io: CommandIO, environment: [String: String]) -> Int32 {
            let target = PostgresLocation.withDefaultWorkspace(to, workspace: StatePath.workspaceName(forManifest: options.manifest))
            return StateCopy.run(from: options.path(environment: environment), to: target, force: force, operation: "state push", io: io)
        }
    }

    /// `sbsync state pull --to FILE`
    public struct Pull: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Copy this state (--state or SBSYNC_STATE, e.g. a PostgreSQL workspace) into a state file.",
            discussion: """
                The file takes the state's records, lineage and serial (a missing file is created). Refused when \
                the file holds another state (another lineage) or a newer one (a higher serial), unless --force.
                """)

        @OptionGroup var options: StateOptions

        @Option(name: .long, help: ArgumentHelp("The state file to write.", valueName: "path"))
        var to: String

        @Flag(name: .long, help: "Replace a file of another lineage or a higher serial.")
        var force = false

        public init() {}

        public func validate() throws {
            if PostgresLocation.isPostgres(to) {
                throw ValidationError("'\(StateBackends.display(to))' is not a file; to copy into PostgreSQL use 'sbsync state push --to URL'")
            }
        }

        public func run() throws {
            try finish(execute(io: .standard, environment: ProcessInfo.processInfo.environment))
        }

        func execute(io: CommandIO, environment: [String: String]) -> Int32 {
            StateCopy.run(from: options.path(environment: environment), to: to, force: force, operation: "state pull", io: io)
        }
    }
}

/// The one rule of push and pull.
enum StateCopy {
    static func run(from source: String, to target: String, force: Bool, operation: String, io: CommandIO) -> Int32 {
        let shownSource = StateBackends.display(source), shownTarget = StateBackends.display(target)
        if shownSource == shownTarget {
            io.error("'\(shownSource)' is both the source and the target; nothing was copied")
            return ExitStatus.usage.rawValue
        }
        do {
            let snapshot = try StateBackends.open(source).snapshot()
            let (store, created) = try StateBackends.open(target, create: true)
            let copied = try store.withLock(operation: operation) { () throws -> Int64? in
                if !created, !force {
                    let serial = try store.serial()
                    let count = try store.fileCount()
                    if store.lineage != snapshot.lineage, serial > 0 || count > 0 {
                        io.error("'\(shownTarget)' holds another state (lineage \(store.lineage), not \(snapshot.lineage)); nothing was copied",
                                 hint: "pass --force to replace it")
                        return nil
                    }
                    if store.lineage == snapshot.lineage, serial > snapshot.serial {
                        io.error("'\(shownTarget)' is newer (serial \(serial), the source's is \(snapshot.serial)): it has changes the source lacks; nothing was copied",
                                 hint: "copy it the other way first, or pass --force to replace it")
                        return nil
                    }
                }
                try store.replaceContents(with: snapshot, adoptLineage: true)
                return snapshot.serial
            }
            guard copied != nil else { return ExitStatus.error.rawValue }
            let serial = (try? StateBackends.open(target).serial()) ?? snapshot.serial
            io.stdout("copied \(snapshot.files.count) files, \(snapshot.folders.count) folders and \(snapshot.journal.count) journal batches "
                + "from '\(shownSource)' to '\(shownTarget)' (lineage \(snapshot.lineage), serial \(serial))\n")
            return ExitStatus.success.rawValue
        } catch let error as StateError {
            return io.fail(error)
        } catch {
            io.error("\(error)")
            return ExitStatus.error.rawValue
        }
    }
}
