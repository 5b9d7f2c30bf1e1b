import Foundation
import Testing
import TestSupport
import SyncCore
@testable import SyncState

@Suite struct StateStoreTests {
    @Test func createsAFileReadableByItsOwnerOnly() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("sub/dir/cohort.state")
        let store = try StateStore.open(at: path, create: true, options: .testing(clock: TestClock()))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: dir.file("sub/dir"))
        #expect((directory[.posixPermissions] as? Int) == 0o700)
        #expect(try store.storedFormatVersion() == StateStore.formatVersion)
        #expect(try store.serial() == 0)
        #expect(try store.fileCount() == 0)
        // SQLite gives its companion files the database's mode.
        try store.withLock(operation: "test") { try store.record([sampleFile(1)]) }
        for companion in [path + "-wal", path + "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: companion)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(companion)")
        }
    }

    @Test func refusesToCreateWhenAskedNotTo() {
        let dir = TemporaryDirectory()
        let path = dir.file("missing.state")
        #expect(throws: StateError.notFound(path: path)) {
            _ = try StateStore.open(at: path, create: false)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func keepsItsLineageAndCountsCommittedChanges() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let lineage: String
        do {
            let store = try StateStore.open(at: path, create: true, options: .testing(clock: clock))
            lineage = store.lineage
            #expect(UUID(uuidString: lineage) != nil)
            try store.withLock(operation: "test") {
                try store.record([sampleFile(1), sampleFile(2)])
                try store.record([sampleFile(3)])
                try store.forget([sampleFile(1).address])
            }
            #expect(try store.serial() == 3)
        }
        let reopened = try StateStore.open(at: path, create: false, options: .testing(clock: clock))
        #expect(reopened.lineage == lineage)
        #expect(try reopened.serial() == 3)
        let both = try reopened.loadAllFilesAndSerial()
        #expect(both.serial == 3 && both.files == [sampleFile(2), sampleFile(3)])
        var streamed: [RecordedFile] = []
        let serial = try reopened.forEachFile { streamed.append($0) }
        #expect(serial == 3 && streamed == both.files)
        struct Stop: Error {}
        #expect(throws: Stop.self) { try reopened.forEachFile { _ in throw Stop() } }
        #expect(try reopened.fileCount() == 2)  // the connection is usable after a throwing body
        #expect(try reopened.fileCount() == 2)
        let other = try StateStore.open(at: dir.file("other.state"), create: true, options: .testing(clock: clock))
        #expect(other.lineage != lineage)
    }

    @Test func roundTripsEveryFieldOfARecordedFile() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        var odd = sampleFile(7, drs: true)
        odd.metadata = Metadata([("ünïcode ключ", .string("значение 🧬")), ("big", .int(Int.max)), ("neg", .int(Int.min)),
                                 ("pi", .float(-3.25)), ("nan-free", .float(1e300)), ("empty", .string("")), ("f", .bool(false))])
        odd.tags = ["a", "", "tag with spaces", "🧪"]
        odd.fileID = nil
        odd.jobID = nil
        odd.actualName = "s000007_R1 (1).fastq.gz"
        var bare = sampleFile(8)
        bare.metadata = Metadata()
        bare.tags = []
        let files = [sampleFile(1), odd, bare, sampleFile(2, project: "other/project")]
        try store.withLock(operation: "test") { try store.record(files) }
        let loaded = try store.loadAllFiles()
        #expect(loaded == files.sorted { $0.address < $1.address })
        #expect(try store.file(at: odd.address) == odd)
        #expect(try store.file(at: Address(project: "nobody/none", path: "x")) == nil)
    }

    @Test func recordingTheSameAddressReplacesIt() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        var file = sampleFile(1)
        try store.withLock(operation: "test") {
            try store.record([file])
            file.metadata["sample_id"] = .string("changed")
            file.fileID = "new-id"
            try store.record([file])
        }
        #expect(try store.loadAllFiles() == [file])
    }

    @Test func aFailingBatchLeavesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        try store.acquireLock(operation: "test")
        try store.record([sampleFile(0)])
        let serial = try store.serial()
        var batch = (1...500).map { sampleFile($0) }
        batch[400].actualName = ""  // refused by the table's CHECK, mid-transaction
        #expect(throws: StateError.self) { try store.record(batch, removing: [sampleFile(0).address]) }
        #expect(try store.loadAllFiles() == [sampleFile(0)])
        #expect(try store.serial() == serial)
        // The connection is usable afterwards.
        try store.record([sampleFile(1)])
        #expect(try store.fileCount() == 2)
    }

    @Test func writesNeedTheLock() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let store = try StateStore.open(at: path, create: true, options: .testing(clock: TestClock()))
        #expect(throws: StateError.notLocked(path: path)) { try store.record([sampleFile(1)]) }
        #expect(try store.fileCount() == 0)
    }

    @Test func forgetReportsWhatWasRecorded() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        try store.acquireLock(operation: "test")
        try store.record([sampleFile(1), sampleFile(2)])
        let removed = try store.forget([sampleFile(2).address, Address(project: "a/b", path: "nope")])
        #expect(removed == [sampleFile(2).address])
        #expect(try store.loadAllFiles() == [sampleFile(1)])
    }

    @Test func recordsFolderIDs() throws {
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock(42)))
        try store.acquireLock(operation: "test")
        try store.record(folders: [FolderRecord(project: "a/b", path: "raw", id: "f1", createdBySbsync: true),
                                   FolderRecord(project: "a/b", path: "raw/s1", id: "f2", createdBySbsync: false)])
        #expect(try store.folderID(project: "a/b", path: "raw/s1") == "f2")
        #expect(try store.folderID(project: "a/b", path: "other") == nil)
        #expect(try store.allFolders() == [FolderRecord(project: "a/b", path: "raw", id: "f1", createdBySbsync: true, recordedAt: 42),
                                           FolderRecord(project: "a/b", path: "raw/s1", id: "f2", createdBySbsync: false, recordedAt: 42)])
        #expect(throws: StateError.self) {
            try store.record(folders: [FolderRecord(project: "a/b", path: "", id: "root", createdBySbsync: false)])
        }
    }

    @Test(arguments: [
        ("cohort.yaml", ".sbsync/cohort.state"),
        ("manifests/cohort.yml", "manifests/.sbsync/cohort.state"),
        ("/abs/dir/cohort.prod.yaml", "/abs/dir/.sbsync/cohort.prod.state"),
        ("noext", ".sbsync/noext.state"),
    ])
    func defaultPathSitsBesideTheManifest(manifest: String, expected: String) {
        #expect(StatePath.defaultPath(forManifest: manifest) == expected)
    }
}

@Suite struct SpecDigestTests {
    @Test func isStableAndSensitiveToEveryPart() {
        let source = FileSource.volume(volume: "a/b", location: "x/y.bam")
        let metadata = Metadata([("sample_id", .string("S1")), ("n", .int(1))])
        let digest = SpecDigest.compute(source: source, metadata: metadata, tags: ["t"])
        #expect(digest.count == 64)
        #expect(digest == SpecDigest.compute(source: source, metadata: Metadata([("n", .int(1)), ("sample_id", .string("S1"))]), tags: ["t"]))
        let variants = [
            SpecDigest.compute(source: .volume(volume: "a/b", location: "x/y.bai"), metadata: metadata, tags: ["t"]),
            SpecDigest.compute(source: .drs(uri: "a/b"), metadata: metadata, tags: ["t"]),
            SpecDigest.compute(source: source, metadata: Metadata([("sample_id", .string("S1")), ("n", .string("1"))]), tags: ["t"]),
            SpecDigest.compute(source: source, metadata: Metadata([("sample_id", .string("S1")), ("n", .float(1))]), tags: ["t"]),
            SpecDigest.compute(source: source, metadata: metadata, tags: []),
            SpecDigest.compute(source: source, metadata: metadata, tags: ["t", "u"]),
            // Length prefixes keep field boundaries: ("ab","c") differs from ("a","bc").
            SpecDigest.compute(source: .volume(volume: "a/bx", location: "/y.bam"), metadata: metadata, tags: ["t"]),
        ]
        #expect(Set(variants + [digest]).count == variants.count + 1)
    }
}
