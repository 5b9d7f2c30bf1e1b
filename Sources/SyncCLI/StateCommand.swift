public import ArgumentParser
import Foundation
import SyncCore
import SyncState

/// `sbsync state`: look at and correct the state file.
public struct StateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect the state file, or make it forget files.",
        discussion: """
            The state file records what sbsync imported: address, source, file id, the name the \
            platform gave, metadata and tags applied. It lives in .sbsync/NAME.state beside the \
            manifest (or at --state). Do not edit it by hand; use these commands. \
            Exit codes: \(ExitStatus.summary([.success, .error, .locked, .usage])).
            """,
        subcommands: [List.self, Show.self, Remove.self, Export.self, Rebuild.self, Push.self, Pull.self]
    )

    public init() {}

    /// `sbsync state list`
    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List the addresses of the recorded files, one a line, sorted.",
            discussion: "--json prints {format_version, state, count, files: [...]}, each file with the keys of "
                + "'state export' (address, source, metadata, tags, spec_digest, file_id, actual_name, job_id, created_at, updated_at).")

        @OptionGroup var options: StateOptions

        @Option(name: .long, help: ArgumentHelp("Only the files of this project (owner/slug).", valueName: "project"))
        var project: String?

        @Option(name: .long, help: ArgumentHelp(
            "Only the files whose path in the project matches this glob (* within a folder, ** across folders).",
            valueName: "glob"))
        var filter: String?

        @Flag(name: .long, help: "Print the files' records as JSON on standard output.")
        var json = false

        public init() {}

        public func validate() throws {
            if let filter {
                do throws(Glob.SyntaxError) { _ = try Glob(filter) } catch {
                    throw ValidationError("--filter '\(filter)' is not a glob: \(error)")
                }
            }
        }

        public func run() throws {
            try finish(execute(io: .standard))
        }

        func execute(io: CommandIO) -> Int32 {
            let glob = filter.flatMap { try? Glob($0) }
            do throws(StateError) {
                let files = try options.open().loadAllFiles().filter { file in
                    (project == nil || file.address.project == project) && glob?.matches(file.address.path) != false
                }
                if json {
                    do {
                        try StateListDocument(state: StateBackends.display(options.path), files: files).writeJSON(to: io.stdout)
                    } catch {
                        io.stderr(InternalFailure.message(for: error))
                        return ExitStatus.error.rawValue
                    }
                    return ExitStatus.success.rawValue
                }
                var out = ""
                for file in files {
                    out += file.address.description.terminalEscaped
                    out += "\n"
                    if out.utf8.count >= 1 << 20 {
                        io.stdout(out)
                        out = ""
                    }
                }
                io.stdout(out)
                return ExitStatus.success.rawValue
            } catch {
                return io.fail(error)
            }
        }
    }

    /// `sbsync state show ADDRESS`
    public struct Show: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show everything recorded about one file.")

        @OptionGroup var options: StateOptions

        @Argument(help: ArgumentHelp("The file's address, PROJECT:PATH.", valueName: "address"))
        var address: String

        @Flag(name: .long, help: "Print the record as JSON on standard output: {\"format_version\", \"state\", \"file\"}.")
        var json = false

        public init() {}

        public func validate() throws { _ = try parseAddresses([address]) }

        public func run() throws {
            try finish(execute(io: .standard))
        }

        func execute(io: CommandIO) -> Int32 {
            guard let address = try? parseAddresses([address])[0] else { return ExitStatus.usage.rawValue }
            do throws(StateError) {
                let store = try options.open()
                guard let file = try store.file(at: address) else {
                    io.error("'\(shown: address)' is not in the state file '\(StateBackends.display(options.path))'", hint: "'sbsync state list' shows what is")
                    return ExitStatus.error.rawValue
                }
                if json {
                    do {
                        io.stdout(try StateShowDocument(state: StateBackends.display(options.path), file: file).jsonText())
                    } catch {
                        io.stderr(InternalFailure.message(for: error))
                        return ExitStatus.error.rawValue
                    }
                    return ExitStatus.success.rawValue
                }
                io.stdout(Self.render(file, verifiedAt: try store.verificationTimes()[address]))
                return ExitStatus.success.rawValue
            } catch {
                return io.fail(error)
            }
        }

        /// - Parameter verifiedAt: when a refresh last found the file as recorded (a line only when it did).
        static func render(_ file: RecordedFile, verifiedAt: Int64? = nil) -> String {
            var lines: [(String, String)] = [
                ("address", file.address.description),
                ("source", file.source.description),
                ("actual name", file.actualName),
                ("file id", file.fileID ?? "(unknown)"),
                ("job id", file.jobID ?? "(unknown)"),
                ("spec digest", file.specDigest),
                ("tags", file.tags.isEmpty ? "(none)" : file.tags.joined(separator: ", ")),
                ("created", LockInfoFormat.timestamp(file.createdAt)),
                ("updated", LockInfoFormat.timestamp(file.updatedAt)),
            ]
            if let verifiedAt { lines.append(("verified", LockInfoFormat.timestamp(verifiedAt))) }
            if file.metadata.isEmpty {
                lines.append(("metadata", "(none)"))
            } else {
                lines.append(("metadata", ""))
            }
            var out = ""
            for (label, value) in lines {
                out += (label + ":").padding(toLength: 13, withPad: " ", startingAt: 0)
                out += value.isEmpty ? "\n" : value.terminalEscaped + "\n"
            }
            for entry in file.metadata {
                let value: String
                switch entry.value {
                case .string(let s): value = "\"" + s + "\""
                default: value = entry.value.description
                }
                out += "  \(shown: entry.key): \(shown: value)\n"
            }
            return out
        }
    }

    /// `sbsync state rm ADDRESS… [--dry-run]`
    public struct Remove: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Make the state forget files; the files stay on the platform.",
            discussion: """
                The next plan treats a forgotten file that is still in the manifest as new and \
                imports it again (under the manifest's conflict policy). Every address must be \
                recorded, or nothing is forgotten. Takes the state's lock.
                """)

        @OptionGroup var options: StateOptions

        @Flag(name: .long, help: "Show what would be forgotten without changing the state.")
        var dryRun = false

        @Argument(help: ArgumentHelp("Addresses of the files to forget, PROJECT:PATH.", valueName: "address"))
        var addresses: [String]

        public init() {}

        public func validate() throws {
            guard !addresses.isEmpty else { throw ValidationError("give at least one address to forget") }
            _ = try parseAddresses(addresses)
        }

        public func run() throws {
            try finish(execute(io: .standard))
        }

        func execute(io: CommandIO) -> Int32 {
            guard let wanted = try? parseAddresses(addresses) else { return ExitStatus.usage.rawValue }
            var seen = Set<Address>()
            let unique = wanted.filter { seen.insert($0).inserted }
            do {
                let store = try options.open()
                let missing = try unique.filter { try store.file(at: $0) == nil }
                if !missing.isEmpty {
                    let list = missing.map { "  \(shown: $0)\n" }.joined()
                    io.error("not in the state file '\(StateBackends.display(options.path))'; nothing was forgotten:\n" + list.dropLast())
                    return ExitStatus.error.rawValue
                }
                if dryRun {
                    io.stdout(unique.map { "would forget \(shown: $0)\n" }.joined())
                    return ExitStatus.success.rawValue
                }
                let removed = try store.withLock(operation: "state rm") { try store.forget(unique) }
                io.stdout(removed.map { "forgot \(shown: $0)\n" }.joined())
                return ExitStatus.success.rawValue
            } catch let error as StateError {
                return io.fail(error)
            } catch {
                io.error("\(shown: error)")
                return ExitStatus.error.rawValue
            }
        }
    }

    /// `sbsync state export`
    public struct Export: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Write the whole state as JSON to standard output.",
            discussion: """
                Keys: format_version, state_format_version, lineage, serial, files, folders, journal, lock. \
                For reading and backups; sbsync never reads this JSON back.
                """)

        @OptionGroup var options: StateOptions

        public init() {}

        public func run() throws {
            try finish(execute(io: .standard))
        }

        func execute(io: CommandIO) -> Int32 {
            do throws(StateError) {
                try options.open().exportJSON(write: io.stdout)
                return ExitStatus.success.rawValue
            } catch {
                return io.fail(error)
            }
        }
    }
}

/// Time stamps as the state commands print them.
enum LockInfoFormat {
    static func timestamp(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }

    static func describe(_ lock: LockInfo, expired: Bool) -> String {
        """
        lock id:     \(lock.holder)
        operation:   \(lock.operation)
        process:     pid \(lock.pid) on host '\(lock.host)'
        since:       \(timestamp(lock.createdAt))
        heartbeat:   \(timestamp(lock.heartbeatAt))\(expired ? " (expired: its holder is gone)" : "")

        """
    }
}
