import Foundation
import Testing
import TestSupport
import SyncCore
@testable import SyncState

/// Files sbsync did not write, or cannot read: refused with a clear error, never changed.
@Suite struct StateFileSafetyTests {
    /// Writes a file in the pre-release layout (format 0) with one recorded file.
    func makeFormat0File(at path: String) throws -> RecordedFile {
        let db = try SQLiteConnection(path: path, create: true)
        try db.execute(Schema.version0)
        let meta = try db.prepare("INSERT INTO metadata (key, value) VALUES (?, ?)")
        try meta.run(.text("format_version"), .int(0))
        try meta.run(.text("lineage"), .text("0d9a3a3e-4c4e-4f0b-9a52-4d1c8e0b7f11"))
        try meta.run(.text("serial"), .int(41))
        var file = sampleFile(3)
        file.jobID = nil
        try db.prepare("""
            INSERT INTO files (project, path, source_kind, source, location, metadata, tags, spec_digest, file_id,
                               actual_name, created_at, updated_at)
            VALUES (?, ?, 'volume', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run(.text(file.address.project), .text(file.address.path), .text("rfranklin/input"),
                     .text("fastq/" + file.address.path), .blob(RecordCodec.encode(metadata: file.metadata)!),
                     .blob(RecordCodec.encode(tags: file.tags)!), .text(file.specDigest), .text(file.fileID!),
                     .text(file.actualName), .int(file.createdAt), .int(file.updatedAt))
        return file
    }

    @Test func migratesAnOlderFormatAndKeepsABackup() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("old.state")
        let file = try makeFormat0File(at: path)
        let original = try #require(fileBytes(path))

        let store = try StateStore.open(at: path, create: false, options: .testing(clock: TestClock()))
        #expect(try store.storedFormatVersion() == StateStore.formatVersion)
        #expect(store.lineage == "0d9a3a3e-4c4e-4f0b-9a52-4d1c8e0b7f11")
        #expect(try store.serial() == 42)
        #expect(try store.loadAllFiles() == [file])
        // The migrated file has the journal and the new column.
        try store.acquireLock(operation: "test")
        var updated = file
        updated.jobID = "job-1"
        try store.record([updated])
        #expect(try store.file(at: file.address)?.jobID == "job-1")
        _ = try store.beginBatch(kind: .drs, policy: .skip, tags: [], items: [
            JournalItem(address: Address(project: "a/b", path: "x"), source: .drs(uri: "drs://h/1"), requestedName: "x",
                        destinationProject: "a/b", destinationParent: nil),
        ])

        // The backup is the old file, readable as format 0.
        let backup = path + ".v0.bak"
        #expect(FileManager.default.fileExists(atPath: backup))
        let copy = try SQLiteConnection(path: backup, create: false)
        #expect(try copy.scalarInt("SELECT value FROM metadata WHERE key = 'format_version'") == 0)
        #expect(try copy.scalarInt("SELECT count(*) FROM files") == 1)
        #expect(original.count > 0)
        let mode = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func refusesANewerFormatAndLeavesItUntouched() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("new.state")
        try newState(at: path, holding: [sampleFile(1)])
        do {
            let db = try SQLiteConnection(path: path, create: false)
            try db.execute("UPDATE metadata SET value = 7 WHERE key = 'format_version'")
        }
        let before = try #require(fileBytes(path))
        #expect(throws: StateError.newerFormat(path: path, found: 7, supported: StateStore.formatVersion)) {
            _ = try StateStore.open(at: path, create: true)
        }
        #expect(fileBytes(path) == before)
        #expect(StateError.newerFormat(path: path, found: 7, supported: 1).description.contains("upgrade sbsync"))
    }

    @Test(arguments: [
        ("garbage", Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })),
        ("text", Data("version: 1\nproject: a/b\n".utf8)),
        ("magic only", Data("SQLite format 3\0".utf8)),
    ])
    func refusesADamagedFileAndLeavesItUntouched(name: String, content: Data) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad.state")
        try content.write(to: URL(fileURLWithPath: path))
        do {
            _ = try StateStore.open(at: path, create: true)
            Issue.record("opened a damaged file")
        } catch {
            guard case .damaged(let errorPath, _) = error else { Issue.record("unexpected error \(error)"); return }
            #expect(errorPath == path)
            #expect(error.description.contains("was not changed"))
            #expect(error.description.contains("Restore it from a backup"))
        }
        #expect(fileBytes(path) == content)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func refusesATruncatedFileAndLeavesItUntouched() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("cut.state")
        try newState(at: path, holding: (0..<3000).map { sampleFile($0) })
        let whole = try #require(fileBytes(path))
        let cut = whole.prefix(whole.count / 2)
        try cut.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StateError.self) { _ = try StateStore.open(at: path, create: false) }
        guard case .damaged(path, let detail)? = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(detail.contains("truncated"))
        #expect(fileBytes(path) == cut)
    }

    @Test func reportsDamageFoundWhileReading() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("holes.state")
        try newState(at: path, holding: (0..<3000).map { sampleFile($0) })
        var bytes = try #require(fileBytes(path))
        // Overwrite pages in the middle (not page 1, so the file still opens).
        let start = bytes.count / 2
        for i in start..<(start + 16384) { bytes[i] = 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: path))
        let store = try StateStore.open(at: path, create: false, options: .testing(clock: TestClock()))
        let error = #expect(throws: StateError.self) { _ = try store.loadAllFiles() }
        guard case .damaged(path, _)? = error else { Issue.record("unexpected \(String(describing: error))"); return }
    }

    @Test func refusesAnEmptyFileAndAForeignDatabase() throws {
        let dir = TemporaryDirectory()
        let empty = dir.file("empty.state")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(throws: StateError.notAStateFile(path: empty)) { _ = try StateStore.open(at: empty, create: true) }
        #expect(fileBytes(empty) == Data())

        let foreign = dir.file("foreign.db")
        do {
            let db = try SQLiteConnection(path: foreign, create: true)
            try db.execute("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('Rosalind')")
        }
        let before = try #require(fileBytes(foreign))
        #expect(throws: StateError.notAStateFile(path: foreign)) { _ = try StateStore.open(at: foreign, create: true) }
        #expect(fileBytes(foreign) == before)
    }
}
