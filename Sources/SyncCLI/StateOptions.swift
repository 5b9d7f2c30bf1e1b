import ArgumentParser
import Foundation
import SyncCore
import SyncState

/// Where a command finds the state: the manifest it belongs to, or an explicit path.
struct StateOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("manifest")],
            help: ArgumentHelp("The manifest whose state to use; its state file is .sbsync/NAME.state beside it.", valueName: "path"))
    var manifest = "sbsync.yaml"

    @Option(name: .customLong("state"),
            help: ArgumentHelp("The state file to use instead of the one derived from the manifest's name.", valueName: "path"))
    var state: String?

    /// The state file's path: `--state`, or the default beside the manifest.
    var path: String { state ?? StatePath.defaultPath(forManifest: manifest) }

    /// Opens the existing state file.
    func open() throws(StateError) -> StateStore {
        try StateStore.open(at: path, create: false)
    }
}

/// Output and exit codes of the state commands.
struct StateCommandIO: Sendable {
    var stdout: @Sendable (String) -> Void
    var stderr: @Sendable (String) -> Void

    static let standard = StateCommandIO(
        stdout: { FileHandle.standardOutput.write(Data($0.utf8)) },
        stderr: { FileHandle.standardError.write(Data($0.utf8)) }
    )

    /// Prints `error` and returns its exit code: 5 when the state is locked, 1 otherwise.
    func fail(_ error: StateError) -> Int32 {
        stderr("sbsync: error: \(shown: error)\n")
        return Self.exitCode(for: error)
    }

    /// 5 for a lock held by someone else (DESIGN.md "Exit codes"), 1 for anything else.
    static func exitCode(for error: StateError) -> Int32 {
        if case .locked = error { return 5 }
        return 1
    }
}

/// Parses `PROJECT:PATH` arguments, or says what is wrong with one.
func parseAddresses(_ arguments: [String]) throws -> [Address] {
    try arguments.map { text in
        guard let address = Address(text), address.project.contains("/") else {
            throw ValidationError("'\(text)' is not an address; write PROJECT:PATH, e.g. rfranklin/my-project:raw/s1_R1.fastq.gz")
        }
        return address
    }
}
