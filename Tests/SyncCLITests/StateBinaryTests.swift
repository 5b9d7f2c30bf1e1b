import Foundation
import Testing
import SyncCore
import SyncState
import TestSupport

/// The state commands through the built `sbsync` binary: output, exit codes, the lock.
@Suite struct StateBinaryTests {
    @Test func aLockedStateExits5AndForceUnlockFreesIt() throws {
        let scratch = TemporaryDirectory()
        let directory = scratch.path
        let path = directory + "/.sbsync/cohort.state"
        let store = try StateStore.open(at: path, create: true)
        let source = FileSource.drs(uri: "drs://host/1")
        let file = RecordedFile(address: Address(project: "rf/proj", path: "drs/a.bam"), source: source, metadata: Metadata(),
                                tags: [], specDigest: SpecDigest.compute(source: source, metadata: Metadata(), tags: []),
                                fileID: "f1", actualName: "a.bam", jobID: nil, createdAt: 0, updatedAt: 0)
        // This test process holds the lock: alive, on this host.
        let lock = try store.acquireLock(operation: "apply")
        try store.record([file])

        let binary = try sbsyncBinary()
        let list = try run(binary, ["state", "list", "-f", directory + "/cohort.yaml"])
        #expect(list.status == 0)
        #expect(list.stdout == "rf/proj:drs/a.bam\n")

        let locked = try run(binary, ["state", "rm", "--state", path, "rf/proj:drs/a.bam"])
        #expect(locked.status == 5)
        #expect(locked.stdout.isEmpty)
        #expect(locked.stderr.contains("sbsync: error: state file '\(path)' is locked: lock \(lock.holder) held by 'apply' (pid \(getpid())"))

        let unlock = try run(binary, ["force-unlock", "--state", path, lock.holder])
        #expect(unlock.status == 0)
        #expect(unlock.stdout.contains("process:     pid \(getpid()) on host"))
        #expect(unlock.stdout.hasSuffix("removed lock \(lock.holder)\n"))

        let removed = try run(binary, ["state", "rm", "--state", path, "rf/proj:drs/a.bam"])
        #expect(removed.status == 0)
        #expect(removed.stdout == "forgot rf/proj:drs/a.bam\n")
        // The old holder finds out before its next write.
        #expect(throws: StateError.self) { try store.record([file]) }

        let usage = try run(binary, ["state", "show", "--state", path, "not-an-address"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("'not-an-address' is not an address"))
    }
}
