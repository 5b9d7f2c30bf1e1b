import ArgumentParser
import Foundation
import Testing
import SyncCore
import SyncState
@testable import SyncCLI
import TestSupport

/// The state commands, parsed in process against a real state file.
@Suite struct StateCommandTests {
    final class Output: @unchecked Sendable {
        // @unchecked: written only by the synchronous command under test, read after it returns.
        var stdout = ""
        var stderr = ""
        var io: CommandIO { CommandIO(stdout: { self.stdout += $0 }, stderr: { self.stderr += $0 }) }
    }

    let scratch = TemporaryDirectory()
    let directory: String
    let statePath: String

    init() throws {
        directory = scratch.path
        statePath = directory + "/.sbsync/cohort.state"
        let store = try StateStore.open(at: statePath, create: true)
        try store.withLock(operation: "test") {
            try store.record([Self.file("raw/a.bam", drs: false), Self.file("drs/b.cram", drs: true)])
        }
    }

    static func file(_ path: String, drs: Bool) -> RecordedFile {
        let source: FileSource = drs ? .drs(uri: "drs://host/\(path)") : .volume(volume: "rf/in", location: path)
        let metadata = Metadata([("sample_id", .string("S1")), ("lane", .int(2))])
        return RecordedFile(address: Address(project: "rf/proj", path: path), source: source, metadata: metadata, tags: ["t"],
                            specDigest: SpecDigest.compute(source: source, metadata: metadata, tags: ["t"]), fileID: "f-\(path)",
                            actualName: Address(project: "rf/proj", path: path).name, jobID: nil, createdAt: 0, updatedAt: 0)
    }

    func run(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        let output = Output()
        let command = try StateCommand.parseAsRoot(arguments)
        let code: Int32
        switch command {
        case let c as StateCommand.List: code = c.execute(io: output.io)
        case let c as StateCommand.Show: code = c.execute(io: output.io)
        case let c as StateCommand.Remove: code = c.execute(io: output.io)
        case let c as StateCommand.Export: code = c.execute(io: output.io)
        default: Issue.record("unexpected command \(command)"); code = -1
        }
        return (code, output.stdout, output.stderr)
    }

    @Test func listsAddressesSortedAndFindsTheStateBesideTheManifest() throws {
        let result = try run(["list", "-f", directory + "/cohort.yaml"])
        #expect(result.code == 0)
        #expect(result.stdout == "rf/proj:drs/b.cram\nrf/proj:raw/a.bam\n")
    }

    @Test func showsOneFile() throws {
        let result = try run(["show", "--state", statePath, "rf/proj:raw/a.bam"])
        #expect(result.code == 0)
        #expect(result.stdout.contains("source:      volume rf/in:raw/a.bam\n"))
        #expect(result.stdout.contains("  sample_id: \"S1\"\n  lane: 2\n") || result.stdout.contains("  lane: 2\n  sample_id: \"S1\"\n"))
        let missing = try run(["show", "--state", statePath, "rf/proj:nope"])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("'rf/proj:nope' is not in the state file"))
    }

    @Test func rejectsSomethingThatIsNotAnAddress() {
        #expect(throws: (any Error).self) { _ = try StateCommand.parseAsRoot(["show", "--state", statePath, "no-colon"]) }
    }

    @Test func removesOnlyWhenEveryAddressIsRecorded() throws {
        let dry = try run(["rm", "--state", statePath, "--dry-run", "rf/proj:raw/a.bam"])
        #expect(dry.code == 0 && dry.stdout == "would forget rf/proj:raw/a.bam\n")
        let unknown = try run(["rm", "--state", statePath, "rf/proj:raw/a.bam", "rf/proj:zzz"])
        #expect(unknown.code == 1 && unknown.stderr.contains("  rf/proj:zzz\n"))
        #expect(try StateStore.open(at: statePath, create: false).fileCount() == 2)
        let removed = try run(["rm", "--state", statePath, "rf/proj:raw/a.bam"])
        #expect(removed.code == 0 && removed.stdout == "forgot rf/proj:raw/a.bam\n")
        #expect(try StateStore.open(at: statePath, create: false).fileCount() == 1)
    }

    @Test func aLockedStateExitsWith5AndNamesTheHolder() throws {
        let holder = try StateStore.open(at: statePath, create: false)
        let lock = try holder.acquireLock(operation: "apply")
        let result = try run(["rm", "--state", statePath, "rf/proj:raw/a.bam"])
        #expect(result.code == 5)
        #expect(result.stderr.contains("is locked: lock \(lock.holder) held by 'apply'"))
        #expect(try holder.fileCount() == 2)

        let output = Output()
        let unlock = try #require(try ForceUnlockCommand.parseAsRoot(["--state", statePath, lock.holder]) as? ForceUnlockCommand)
        #expect(unlock.execute(io: output.io) == 0)
        #expect(output.stdout.contains("lock id:     \(lock.holder)\n"))
        #expect(output.stdout.hasSuffix("removed lock \(lock.holder)\n"))
        #expect(try holder.currentLock() == nil)
    }

    @Test func exportsTheWholeStateAsJSON() throws {
        let result = try run(["export", "--state", statePath])
        #expect(result.code == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["format_version"] as? Int == StateExportDocument.currentFormatVersion)
        #expect(object["state_format_version"] as? Int == StateStore.formatVersion)
        #expect(object["serial"] as? Int == 1)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["address"] as? String } == ["rf/proj:drs/b.cram", "rf/proj:raw/a.bam"])
        let metadata = try #require(files[1]["metadata"] as? [String: Any])
        #expect(metadata["lane"] as? Int == 2)
        #expect(object["journal"] as? [Any] != nil && object["folders"] as? [Any] != nil)
        #expect(object["lock"] is NSNull)
    }

    @Test func aMissingStateFileIsAClearError() throws {
        let result = try run(["list", "--state", directory + "/none.state"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("no state file at '\(directory)/none.state'"))
    }
}
