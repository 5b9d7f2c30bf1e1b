import Foundation
import Testing
import TestSupport
import SyncCore
@testable import SyncState

/// Large batches go through `record` sorted by address before inserting (past 1,000 files;
/// skipped when already sorted), with a larger page cache (past `StateStore.largeBatch`),
/// values bound from one reusable buffer. The stored result must not depend on the batch's
/// size or order.
@Suite struct BulkRecordTests {
    /// More files than `largeBatch`, in address order, with the cases the fast path must get
    /// right: two projects, non-ASCII paths (where byte order is not `String` order), an empty
    /// location, empty metadata and tags, no file or job id.
    static func largeBatch() -> [RecordedFile] {
        var files: [RecordedFile] = []
        for i in 0..<(StateStore.largeBatch + 2_000) {
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

/// A large `record` is an ordinary WAL transaction, like every other write of the store.
@Suite struct LargeWriteTests {
    static func journalMode(_ store: StateStore) throws -> String? {
        try store.read { db in try db.scalarText("PRAGMA journal_mode") }
    }

    @Test func aLargeWriteGoesThroughTheWALWhileAnotherConnectionReads() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("busy.state")
        let store = try newState(at: path, holding: [sampleFile(0)])

        let reader = try SQLiteConnection(path: path, create: false)
        try reader.execute("BEGIN")
        #expect(try reader.scalarInt("SELECT count(*) FROM files") == 1)
        let files = BulkRecordTests.largeBatch()
        try store.withLock(operation: "test") { try store.record(files) }
        // The reader still sees its snapshot while the write is already committed.
        #expect(try reader.scalarInt("SELECT count(*) FROM files") == 1)
        try reader.execute("COMMIT")
        #expect(try reader.scalarInt("SELECT count(*) FROM files") == Int64(files.count + 1))
        #expect(try Self.journalMode(store) == "wal")
        #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
    }

    /// A bad file in the first chunk of rows, in a middle chunk, and in the last one.
    @Test(arguments: [17, 2 * StateStore.chunkRows + 17, StateStore.largeBatch + 1_999])
    func aFailedLargeWriteStoresNothing(bad: Int) throws {
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
    }

    /// A file a rollback-journal writer (sbsync 0.1's bulk path did this) left in rollback mode
    /// is put back in WAL mode when it is opened.
    @Test func aFileLeftInRollbackModeOpensInWALMode() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("old.state")
        try newState(at: path, holding: [sampleFile(0)])
        do {
            let db = try SQLiteConnection(path: path, create: false)
            #expect(try db.scalarText("PRAGMA journal_mode = DELETE") == "delete")
        }
        let store = try StateStore.open(at: path, create: false, options: .testing(clock: TestClock()))
        #expect(try Self.journalMode(store) == "wal")
        #expect(try store.loadAllFiles() == [sampleFile(0)])
    }
}
