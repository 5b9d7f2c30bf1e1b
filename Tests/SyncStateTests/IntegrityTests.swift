import Foundation
import Testing
import TestSupport
import SyncCore
@testable import SyncState

/// A state damaged on disk is refused, naming what is damaged, and never read as other content.
@Suite struct IntegrityTests {
    static func files(_ count: Int) -> [RecordedFile] {
        (0..<count).map { sampleFile($0, drs: $0 % 3 == 0) }
    }

    @Test func aRecordChangedBehindTheStoresBackIsRefusedByAddress() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let store = try newState(at: path, holding: Self.files(50))
        try store.withLock(operation: "test") {
            try store.record(folders: [FolderRecord(project: "rfranklin/my-project", path: "raw", id: "f1", createdBySbsync: true)])
        }
        // A valid SQLite page with other content: the file id of one record, changed in place.
        let db = try SQLiteConnection(path: path, create: false)
        let victim = sampleFile(7)
        try db.prepare("UPDATE files SET file_id = 'ffffffffffffffffffffffff' WHERE project = ? AND path = ?")
            .run(.text(victim.address.project), .text(victim.address.path))
        for read in [{ _ = try store.loadAllFiles() }, { _ = try store.file(at: victim.address) },
                     { _ = try store.forEachFile(parts: 2) { _, _, _ in } }, { try store.verify() }] as [() throws -> Void] {
            let error = #expect(throws: StateError.self) { try read() }
            guard case .damaged(_, let detail)? = error else { Issue.record("not refused as damaged: \(String(describing: error))"); continue }
            #expect(detail == "the record of '\(victim.address)' fails its checksum")
        }
        try db.execute("UPDATE folders SET folder_id = 'f2'")
        let error = #expect(throws: StateError.self) { _ = try store.folderID(project: "rfranklin/my-project", path: "raw") }
        #expect(error == .damaged(path: path, detail: "the record of folder 'rfranklin/my-project:raw' fails its checksum"))
    }

    /// Random bit flips anywhere past the file header: each damaged copy is either refused or
    /// read as exactly what was written (a flip in unused space), never as other content.
    @Test(arguments: 1...24)
    func bitFlipsAreRefusedOrHarmless(seed: Int) throws {
        let dir = TemporaryDirectory()
        let pristine = dir.file("pristine.state")
        let files = Self.files(400)
        let folders = (0..<20).map { FolderRecord(project: "rfranklin/my-project", path: "raw/s\($0)", id: "id\($0)", createdBySbsync: true) }
        do {
            let store = try newState(at: pristine, holding: files)
            try store.withLock(operation: "test") { try store.record(folders: folders) }
            let db = try SQLiteConnection(path: pristine, create: false)
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let expectedFiles = try StateStore.open(at: pristine, create: false).loadAllFiles()
        let expectedFolders = try StateStore.open(at: pristine, create: false).allFolders()
        var bytes = try #require(fileBytes(pristine))
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        for _ in 0..<8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let offset = 100 + Int((state >> 20) % UInt64(bytes.count - 100))
            bytes[offset] ^= UInt8(1) << UInt8((state >> 8) % 8)
        }
        let copy = dir.file("flipped-\(seed).state")
        try bytes.write(to: URL(fileURLWithPath: copy))
        do {
            let store = try StateStore.open(at: copy, create: false)
            let readFiles = try store.loadAllFiles(), readFolders = try store.allFolders()
            #expect(readFiles == expectedFiles && readFolders == expectedFolders, "seed \(seed): read as other content")
        } catch {
            switch error {
            case .damaged, .notAStateFile, .io: break
            default: Issue.record("seed \(seed): unexpected \(error)")
            }
        }
    }

    @Test func aFormat1StateIsMigratedWithEveryRowSummed() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("v1.state")
        let file = sampleFile(5)
        do {
            let db = try SQLiteConnection(path: path, create: true)
            try db.execute(Schema.version1)
            let meta = try db.prepare("INSERT INTO metadata (key, value) VALUES (?, ?)")
            try meta.run(.text("format_version"), .int(1))
            try meta.run(.text("lineage"), .text("5e0c7b4e-8c1f-4b59-9d0e-2f7a1c3b6a10"))
            try meta.run(.text("serial"), .int(7))
            try db.prepare("""
                INSERT INTO files (project, path, source_kind, source, location, metadata, tags, spec_digest, file_id,
                                   actual_name, created_at, updated_at, job_id)
                VALUES (?, ?, 'volume', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).run(.text(file.address.project), .text(file.address.path), .text("rfranklin/input"),
                         .text("fastq/" + file.address.path), .blob(RecordCodec.encode(metadata: file.metadata)!),
                         .blob(RecordCodec.encode(tags: file.tags)!), .text(file.specDigest), .text(file.fileID!),
                         .text(file.actualName), .int(file.createdAt), .int(file.updatedAt), .text(file.jobID!))
            try db.prepare("INSERT INTO folders (project, path, folder_id, created, recorded_at) VALUES ('a/b', 'raw', 'f9', 1, 5)").run()
        }
        let store = try StateStore.open(at: path, create: false, options: .testing(clock: TestClock()))
        #expect(try store.storedFormatVersion() == 2)
        #expect(try store.loadAllFiles() == [file])
        #expect(try store.folderID(project: "a/b", path: "raw") == "f9")
        #expect(FileManager.default.fileExists(atPath: path + ".v1.bak"))
        try store.verify()
    }

    /// A lock taken in another container (same host name, another PID namespace or boot) is never
    /// presumed dead by probing its pid here: it expires by its heartbeat only.
    @Test func aLockFromAnotherPIDNamespaceIsNotProbed() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let there = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100, host: "ws1", machine: "boot A, pid:[1]"))
        try there.acquireLock(operation: "apply")
        // Here, pid 100 does not exist, and the host name is the same.
        let here = try StateStore.open(at: path, create: false,
                                       options: .testing(clock: clock, pid: 200, host: "ws1", machine: "boot A, pid:[2]", alive: { _ in false }))
        let error = #expect(throws: StateError.self) { try here.acquireLock(operation: "apply") }
        guard case .locked(_, let holder)? = error else { Issue.record("took a live lock: \(String(describing: error))"); return }
        #expect(holder.machine == "boot A, pid:[1]")
        // In the holder's own namespace the dead pid is seen as dead.
        let sameNamespace = try StateStore.open(at: path, create: false,
                                                options: .testing(clock: clock, pid: 300, host: "ws1", machine: "boot A, pid:[1]", alive: { _ in false }))
        try sameNamespace.acquireLock(operation: "apply")
    }

    @Test func aReadOnlySharedMemoryFileIsRefusedWithWhatToDo() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        try newState(at: path, holding: [sampleFile(0)])
        try Data().write(to: URL(fileURLWithPath: path + "-shm"))
        let error = #expect(throws: StateError.self) { try StateStore.checkCompanions(path: path, isWritable: { _ in false }) }
        guard case .io(_, let detail)? = error else { Issue.record("not refused: \(String(describing: error))"); return }
        #expect(detail.contains("'\(path)-shm' cannot be written") && detail.contains("rm \(path)-shm"))
        try StateStore.checkCompanions(path: path, isWritable: { _ in true })
    }
}
