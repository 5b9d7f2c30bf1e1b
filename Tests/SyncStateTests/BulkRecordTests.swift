import Foundation
import Testing
import TestSupport
import SyncCore
@testable import SyncState

/// Large batches take another path through `record`: sorted by address before inserting (past
/// 1,000 files; skipped when already sorted), with a larger page cache (past
/// `StateStore.bulkBatch`), values bound from one reusable buffer. The stored result must not
/// depend on which path a batch takes, or on its order.
@Suite struct BulkRecordTests {
    /// More files than `bulkBatch`, in address order, with the cases the fast path must get
    /// right: two projects, non-ASCII paths (where byte order is not `String` order), an empty
    /// location, empty metadata and tags, no file or job id.
    static func largeBatch() -> [RecordedFile] {
        var files: [RecordedFile] = []
        for i in 0..<(StateStore.bulkBatch + 2_000) {
            var file = sampleFile(i, project: i % 7 == 0 ? "zeta/ünïcode" : "alpha/project", drs: i % 3 == 0)
            switch i % 11 {
            case 1: file.address.path = "café/e\u{301}-\(i)"     // decomposed é
            case 2: file.address.path = "café/\u{e9}-\(i - 1)"   // the same, precomposed: equal as Swift strings
            case 3: file.address.path = "Z/\(i)"                 // upper case sorts first
            case 4:
                file.metadata = Metadata()
                file.tags = []
                file.fileID = nil
                file.jobID = nil
            case 5 where !(i % 3 == 0): file.source = .volume(volume: "rfranklin/input", location: "")
            default: break
            }
            files.append(file)
        }
        return files.sorted { precedesByBytes($0.address, $1.address) }
    }

    /// SQLite's order of the primary key: project, then path, byte by byte.
    static func precedesByBytes(_ a: Address, _ b: Address) -> Bool {
        a.project.utf8.elementsEqual(b.project.utf8)
            ? a.path.utf8.lexicographicallyPrecedes(b.path.utf8)
            : a.project.utf8.lexicographicallyPrecedes(b.project.utf8)
    }

    /// A fixed shuffle (no randomness between runs).
    static func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            items.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        return items
    }

    static func recorded(_ batches: [[RecordedFile]], in dir: borrowing TemporaryDirectory, name: String) throws -> [RecordedFile] {
        let store = try StateStore.open(at: dir.file(name), create: true, options: .testing(clock: TestClock()))
        try store.withLock(operation: "test") {
            for batch in batches { try store.record(batch) }
        }
        return try store.loadAllFiles()
    }

    @Test func aLargeBatchIsStoredTheSameWhateverItsOrder() throws {
        let dir = TemporaryDirectory()
        let files = Self.largeBatch()
        // The reference: batches of 500, small enough to go in as given.
        let reference = try Self.recorded(stride(from: 0, to: files.count, by: 500).map { Array(files[$0..<min($0 + 500, files.count)]) },
                                          in: dir, name: "reference.state")
        #expect(reference.count == files.count)
        #expect(Set(reference.map(\.address)) == Set(files.map(\.address)))
        for (name, batch) in [("sorted", files), ("shuffled", Self.shuffled(files)), ("reversed", files.reversed())] {
            let stored = try Self.recorded([batch], in: dir, name: "\(name).state")
            #expect(stored == reference, "\(name)")
        }
        let emptyLocation = try #require(files.first { if case .volume(_, "") = $0.source { true } else { false } })
        #expect(reference.contains(emptyLocation))
    }

    @Test func theLaterOfTwoFilesAtOneAddressWins() throws {
        let dir = TemporaryDirectory()
        var files = Self.shuffled(Self.largeBatch())
        // ASCII paths, so that `==` on addresses finds exactly one file.
        let ascii = files.indices.filter { files[$0].address.path.hasPrefix("raw/") }
        var changed = files[ascii[0]], earlier = files[ascii[ascii.count - 1]]
        #expect(ascii[0] < 5_000 && ascii[ascii.count - 1] > 0)
        changed.fileID = "the-later-one"
        earlier.fileID = "the-earlier-one"
        files.insert(changed, at: 5_000)  // after the original: it replaces it
        files.insert(earlier, at: 0)      // before the original: replaced by it
        let stored = try Self.recorded([files], in: dir, name: "s.state")
        #expect(stored.count == files.count - 2)
        #expect(stored.first { $0.address == changed.address } == changed)
        #expect(stored.first { $0.address == earlier.address }?.fileID != "the-earlier-one")
    }

    @Test func insertionOrderIsByteOrderStableAndSkipsSortedInput() {
        let files = Self.shuffled(Self.largeBatch()) + Self.shuffled(Self.largeBatch()).prefix(500)
        let order = StateStore.insertionOrder(files)
        #expect(order.sorted() == Array(files.indices))
        func key(_ i: Int) -> ([UInt8], [UInt8]) { (Array(files[i].address.project.utf8), Array(files[i].address.path.utf8)) }
        for (a, b) in zip(order, order.dropFirst()) {
            let (ka, kb) = (key(a), key(b))
            let inOrder = ka.0.lexicographicallyPrecedes(kb.0)
                || (ka.0 == kb.0 && (ka.1.lexicographicallyPrecedes(kb.1) || (ka.1 == kb.1 && a < b)))
            #expect(inOrder, "\(files[a].address) at \(a) before \(files[b].address) at \(b)")
        }
        let sorted = order.map { files[$0] }
        #expect(StateStore.insertionOrder(sorted) == Array(sorted.indices))
    }
}

/// Past `StateStore.bulkBatch` files, `record` writes under a rollback journal instead of the
/// WAL (each new page written once), and puts the file back in WAL mode after.
@Suite struct BulkJournalTests {
    static func journalMode(_ store: StateStore) throws -> String? {
        try store.read { db in try db.scalarText("PRAGMA journal_mode") }
    }

    /// The mode written in the file's header (bytes 18 and 19: 2 for WAL, 1 for a journal).
    static func headerMode(_ path: String) throws -> [UInt8] {
        Array(try #require(fileBytes(path))[18..<20])
    }

    static func walSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
    }

    @Test func aBulkWriteLeavesTheFileInWALModeWithNothingBehind() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bulk.state")
        let files = BulkRecordTests.largeBatch()
        do {
            let store = try StateStore.open(at: path, create: true, options: .testing(clock: TestClock()))
            #expect(try Self.journalMode(store) == "wal")
            try store.withLock(operation: "test") { try store.record(files) }
            #expect(try Self.journalMode(store) == "wal")
            #expect(try Self.headerMode(path) == [2, 2])
            #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
            // The rows (megabytes of pages) went straight into the file, not through the WAL.
            #expect(Self.walSize(path) < 100_000)
            #expect(try store.serial() == 1)
        }
        let reopened = try StateStore.open(at: path, create: false)
        #expect(try Self.journalMode(reopened) == "wal")
        #expect(try reopened.fileCount() == files.count)  // distinct addresses, byte for byte
    }

    @Test func aBulkWriteGoesThroughTheWALWhileAnotherConnectionReads() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("busy.state")
        let store = try newState(at: path, holding: [sampleFile(0)])

        let reader = try SQLiteConnection(path: path, create: false)
        try reader.execute("BEGIN")
        #expect(try reader.scalarInt("SELECT count(*) FROM files") == 1)
        let files = BulkRecordTests.largeBatch()
        try store.withLock(operation: "test") { try store.record(files) }
        // The reader still sees its snapshot: the write went through the WAL.
        #expect(try reader.scalarInt("SELECT count(*) FROM files") == 1)
        #expect(Self.walSize(path) > 1_000_000)
        try reader.execute("COMMIT")
        #expect(try reader.scalarInt("SELECT count(*) FROM files") == Int64(files.count + 1))
        #expect(try Self.journalMode(store) == "wal")
    }

    /// A bad file in the first chunk of rows, in the middle of the pipeline, and in the last
    /// chunk (inserted with nothing left to encode).
    @Test(arguments: [17, 2 * StateStore.chunkRows + 17, StateStore.bulkBatch + 1_999])
    func aFailedBulkWriteStoresNothingAndLeavesWALMode(bad: Int) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("failed.state")
        let store = try newState(at: path, holding: [sampleFile(0)])
        var files = BulkRecordTests.largeBatch()  // in insertion order: `bad` is its row
        files[bad].specDigest = ""
        let error = #expect(throws: StateError.self) {
            try store.withLock(operation: "test") { try store.record(files) }
        }
        guard case .invalidValue(let detail)? = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(detail.contains(files[bad].address.path))
        #expect(try store.loadAllFiles() == [sampleFile(0)])
        #expect(try store.serial() == 1)
        #expect(try Self.journalMode(store) == "wal")
        #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
    }

    /// Another process's bulk write, in rollback-journal mode and not yet committed: a store
    /// opened meanwhile reads the last commit (it cannot switch the file back to WAL yet, which
    /// must not stop it), and the next open, once the write is done, puts WAL back.
    @Test func aStoreOpensAndReadsWhileABulkWriteRuns() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("shared.state")
        try newState(at: path, holding: [sampleFile(0)])
        let writer = try SQLiteConnection(path: path, create: false)
        #expect(try writer.scalarText("PRAGMA journal_mode = DELETE") == "delete")
        try writer.execute("BEGIN IMMEDIATE")
        try StateStore.upsert([sampleFile(1), sampleFile(2)], writer)
        do {
            let reader = try StateStore.open(at: path, create: false, options: .testing(clock: TestClock()))
            #expect(try reader.loadAllFiles() == [sampleFile(0)])
            #expect(try Self.headerMode(path) == [1, 1])
        }
        try writer.execute("COMMIT")
        let later = try StateStore.open(at: path, create: false, options: .testing(clock: TestClock()))
        #expect(try later.fileCount() == 3)
        #expect(try Self.journalMode(later) == "wal")
        #expect(try Self.headerMode(path) == [2, 2])
    }

    /// What the disk holds when a bulk write dies while its commit writes pages into the file:
    /// a hot journal beside a file whose first page (written first) already counts pages that
    /// are not there yet. The next open must roll it back, not call the file truncated, and
    /// return to WAL mode.
    @Test func aBulkWriteCutShortIsRolledBackOnTheNextOpen() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("live.state"), crashed = dir.file("crashed.state")
        let before = (0..<100).map { sampleFile($0) }
        try newState(at: path, holding: before)
        do {
            let db = try SQLiteConnection(path: path, create: false)
            #expect(try db.scalarText("PRAGMA journal_mode = DELETE") == "delete")
            // A tiny page cache: SQLite spills pages into the file long before the commit.
            try db.execute("PRAGMA cache_size = 8; PRAGMA synchronous = FULL")
            try db.execute("BEGIN IMMEDIATE")
            try StateStore.upsert((100..<5_000).map { sampleFile($0) }, db)
            try db.execute("UPDATE metadata SET value = value + 1 WHERE key = 'serial'")
            // SQLite gives the journal the state file's mode: owner only.
            let mode = try FileManager.default.attributesOfItem(atPath: path + "-journal")[.posixPermissions] as? Int
            #expect(mode == 0o600)
            try FileManager.default.copyItem(atPath: path, toPath: crashed)
            try FileManager.default.copyItem(atPath: path + "-journal", toPath: crashed + "-journal")
            try db.execute("COMMIT")
        }
        // The crash: the commit had written the new first page (its header counts every page
        // of the finished write) and nothing after it.
        var cut = try #require(fileBytes(crashed))
        let committed = try #require(fileBytes(path))
        cut.replaceSubrange(0..<16_384, with: committed.prefix(16_384))
        try cut.write(to: URL(fileURLWithPath: crashed))
        let pages = cut[28..<32].reduce(0) { $0 << 8 | Int($1) }
        try #require(cut.count < pages * 16_384, "the header must count pages the file does not hold")

        let store = try StateStore.open(at: crashed, create: false)
        #expect(try store.loadAllFiles() == before)
        #expect(try store.serial() == 1)
        #expect(try Self.journalMode(store) == "wal")
        #expect(!FileManager.default.fileExists(atPath: crashed + "-journal"))
        #expect(try store.read { db in try db.scalarText("PRAGMA integrity_check") } == "ok")
    }
}
