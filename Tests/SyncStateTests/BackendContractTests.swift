import Foundation
import Testing
import TestSupport
@testable import SyncCore
@testable import SyncState

/// The state store's contract, run against both backends: the SQLite file and a PostgreSQL
/// workspace on a throwaway local cluster (`PostgresTestServer`).
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A new, empty state (its own file, or its own workspace) and a way to open it again.
    final class Fixture: Sendable {
        let location: String
        let options: StateStore.Options
        private let directory = TemporaryDirectory()

        init(_ backend: Backend, clock: TestClock, pid: Int32 = 1000, host: String = "test-host") throws {
            options = .testing(clock: clock, pid: pid, host: host)
            switch backend {
            case .sqlite: location = directory.file("s.state")
            case .postgres: location = try PostgresTestServer.shared().url(workspace: "contract-\(UUID().uuidString.lowercased())")
            }
        }

        func open(create: Bool = true, options: StateStore.Options? = nil) throws -> any StateBackend {
            let options = options ?? self.options
            if PostgresLocation.isPostgres(location) {
                return try PostgresStateStore.open(try PostgresLocation.parse(location, environment: [:]), create: create, options: options)
            }
            return try StateStore.open(at: location, create: create, options: options)
        }

        /// A new store holding `files` (recorded in one write, the lock released).
        func open(holding files: [RecordedFile]) throws -> any StateBackend {
            let store = try open()
            try store.withLock(operation: "test") { try store.record(files) }
            return store
        }
    }
}

@Suite struct BackendContractTests {
    func items(_ range: Range<Int>) -> [JournalItem] {
        range.map { i in
            let file = sampleFile(i)
            return JournalItem(address: file.address, source: file.source, requestedName: file.address.name,
                               destinationProject: file.address.project, destinationParent: i % 2 == 0 ? "folder-\(i)" : nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func createsOpensAndRecordsWithTheSerialRules(_ backend: Backend) throws {
        let fixture = try Backend.Fixture(backend, clock: TestClock())
        #expect(throws: StateError.self) { try fixture.open(create: false) }
        let store = try fixture.open()
        #expect(try store.serial() == 0)
        #expect(try fixture.open(create: false).lineage == store.lineage)
        // No write without the lock.
        #expect(throws: StateError.notLocked(path: store.path)) { try store.record([sampleFile(1)]) }

        try store.acquireLock(operation: "apply")
        // Given out of order, with a DRS file and one recorded twice (the last wins).
        var changed = sampleFile(2)
        changed.fileID = "changed"
        try store.record([sampleFile(3), sampleFile(2), sampleFile(1, drs: true), changed])
        #expect(try store.serial() == 1)
        #expect(try store.loadAllFiles() == [sampleFile(1, drs: true), changed, sampleFile(3)])
        #expect(try store.file(at: sampleFile(3).address) == sampleFile(3))
        #expect(try store.file(at: Address(project: "a/b", path: "none")) == nil)
        #expect(try store.fileCount() == 3)

        #expect(try store.forget([sampleFile(3).address, Address(project: "a/b", path: "none"), sampleFile(1).address])
                == [sampleFile(3).address, sampleFile(1).address])
        #expect(try store.serial() == 2)
        try store.record(folders: [FolderRecord(project: "a/b", path: "raw", id: "f1", createdBySbsync: true)])
        #expect(try store.folderID(project: "a/b", path: "raw") == "f1")
        #expect(try store.folderID(project: "a/b", path: "other") == nil)
        #expect(throws: StateError.self) { try store.record(folders: [FolderRecord(project: "a/b", path: "", id: "x", createdBySbsync: false)]) }
        #expect(try store.serial() == 3)  // the refused write changed nothing
        try store.releaseLock()
        #expect(try fixture.open(create: false).loadAllFiles() == [changed])
    }

    @Test(arguments: Backend.allCases)
    func addressesComeInByteOrder(_ backend: Backend) throws {
        let fixture = try Backend.Fixture(backend, clock: TestClock())
        let store = try fixture.open()
        let paths = ["b", "B", "a_b", "a-b", "ab", "a b", "é", "z", "Z1", "a/b", "a.b"]
        let files = paths.map { path -> RecordedFile in
            var file = sampleFile(0)
            file.address = Address(project: "p/q", path: path)
            file.actualName = "n"
            return file
        }
        try store.withLock(operation: "test") { try store.record(files) }
        #expect(try store.loadAllFiles().map(\.address.path) == paths.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test(arguments: Backend.allCases)
    func followsAJournalBatchThroughItsLifeCycle(_ backend: Backend) throws {
        let clock = TestClock()
        let fixture = try Backend.Fixture(backend, clock: clock)
        let store = try fixture.open()
        try store.acquireLock(operation: "apply")
        let batch = try store.beginBatch(kind: .volume, policy: .rename, tags: ["ICDC", "raw"], items: items(0..<3))
        #expect(batch.state == .submitting)
        #expect(try store.unfinishedBatches() == [batch])
        clock.advance(by: 5)
        try store.markSubmitted(batch: batch.id, jobID: nil, importIDs: ["imp-0", "imp-1", nil],
                                results: [2: JournalItemResult(outcome: .failed, error: "no such object")])
        let submitted = try #require(try store.batch(batch.id))
        #expect(submitted.state == .submitted)
        #expect(submitted.items.map(\.importID) == ["imp-0", "imp-1", nil])
        #expect(submitted.updatedAt == batch.createdAt + 5)
        #expect(submitted.items[0].destinationParent == "folder-0" && submitted.items[1].destinationParent == nil)
        #expect(submitted.tags == ["ICDC", "raw"])
        try store.completeBatch(batch.id, results: [0: JournalItemResult(outcome: .imported, fileID: "f0", actualName: "n0")],
                                recording: [sampleFile(0)])
        #expect(try store.unfinishedBatches() == [])
        #expect(try store.batch(batch.id)?.state == .done)
        #expect(try store.loadAllFiles() == [sampleFile(0)])
        // A file the platform just answered with is verified as of the batch's end.
        #expect(try store.verificationTimes() == [sampleFile(0).address: clock.seconds])
        #expect(try store.serial() == 3)
        #expect(throws: StateError.self) { try store.completeBatch(batch.id, results: [:], recording: []) }
        #expect(throws: StateError.self) { try store.beginBatch(kind: .drs, policy: .skip, tags: [], items: items(0..<1)) }
        #expect(try store.serial() == 3)
        #expect(try store.batch(9_999_999) == nil)
    }

    @Test(arguments: Backend.allCases)
    func aSecondWriterIsToldWhoHoldsTheLock(_ backend: Backend) throws {
        let fixture = try Backend.Fixture(backend, clock: TestClock())
        let first = try fixture.open()
        let held = try first.acquireLock(operation: "apply")
        let second = try fixture.open(options: .testing(clock: TestClock(), pid: 2000, host: "other-host"))
        do {
            try second.acquireLock(operation: "apply")
            Issue.record("the second writer got the lock")
        } catch {
            guard case .locked(_, let holder) = error else { Issue.record("not .locked: \(error)"); return }
            // The holder's lock, not the asker's.
            #expect(holder == held)
            #expect(holder.pid == 1000 && holder.host == "test-host" && holder.operation == "apply")
        }
        #expect(try second.currentLock() == held)
        try first.releaseLock()
        #expect(try second.currentLock() == nil)
        let taken = try second.acquireLock(operation: "state rm")
        #expect(taken.host == "other-host")
        #expect(throws: StateError.self) { try first.record([sampleFile(1)]) }

        // force-unlock by id: the wrong id changes nothing; the right one frees the lock.
        #expect(throws: StateError.self) { try first.forceUnlock(holderID: "not-the-id") }
        #expect(try first.forceUnlock(holderID: taken.holder) == taken)
        #expect(try first.currentLock() == nil)
        try first.acquireLock(operation: "apply")
        try first.record([sampleFile(1)])
        #expect(try first.fileCount() == 1)
    }

    @Test(arguments: Backend.allCases)
    func theDiffScanCountsUnchangedRowsWithoutDecodingThem(_ backend: Backend) throws {
        let fixture = try Backend.Fixture(backend, clock: TestClock())
        let files = (0..<50).map { sampleFile($0) }
        let store = try fixture.open(holding: files)
        let wanted = files.prefix(40).map { file in
            DesiredFile(address: file.address, source: file.source, metadata: file.metadata, tags: file.tags,
                               policy: .skip, mark: nil)
        }
        let desired = DesiredState(files: wanted)
        let unchanged = Locked(0), others = Locked<[Address]>([])
        let serial = try store.forEachFile(parts: 2, comparingWith: desired, unchanged: { _, _ in unchanged.withLock { $0 += 1 } }) { _, file, _ in
            others.withLock { $0.append(file.address) }
        }
        #expect(serial == 1)
        #expect(unchanged.withLock { $0 } == 40)
        #expect(Set(others.withLock { $0 }) == Set(files.suffix(10).map(\.address)))
    }

    @Test(arguments: Backend.allCases)
    func verificationTimesOrderTheRefreshAndOutliveARecordButNotAForget(_ backend: Backend) throws {
        let fixture = try Backend.Fixture(backend, clock: TestClock())
        let files = (0..<6).map { sampleFile($0) }
        let store = try fixture.open(holding: files)
        // Nothing verified yet: address order.
        #expect(try store.leastRecentlyVerifiedFiles().map(\.address) == files.map(\.address))
        #expect(try store.verificationSummary() == VerificationSummary(files: 6, verified: 0, oldest: nil, newest: nil))
        #expect(try store.verificationTimes() == [:])
        // Recording needs the lock.
        #expect(throws: StateError.notLocked(path: store.path)) { try store.recordVerification(addresses: [files[0].address], at: 1) }

        try store.acquireLock(operation: "refresh")
        let unknown = Address(project: "a/b", path: "never-recorded")
        // An address given twice, and one that is not recorded (kept aside, never read).
        try store.recordVerification(addresses: [files[0].address, files[1].address, files[0].address, unknown], at: 100)
        try store.recordVerification(addresses: [files[2].address], at: 50)
        try store.recordVerification(addresses: [], at: 999)  // nothing to write: no write
        #expect(try store.serial() == 3)
        #expect(try store.leastRecentlyVerifiedFiles().map(\.address) == [files[3], files[4], files[5], files[2], files[0], files[1]].map(\.address))
        #expect(try store.leastRecentlyVerifiedFiles(limit: 2).map(\.address) == [files[3], files[4]].map(\.address))
        #expect(try store.leastRecentlyVerifiedFiles(limit: 0) == [])
        #expect(try store.verificationSummary() == VerificationSummary(files: 6, verified: 3, oldest: 50, newest: 100))
        #expect(try store.verificationTimes() == [files[0].address: 100, files[1].address: 100, files[2].address: 50])
        // A later time replaces the earlier one.
        try store.recordVerification(addresses: [files[2].address], at: 150)
        #expect(try store.verificationTimes()[files[2].address] == 150)

        // Recording a file again (an apply updating it) keeps its time.
        var updated = files[0]
        updated.fileID = "updated"
        try store.record([updated])
        #expect(try store.verificationTimes()[files[0].address] == 100)
        // A forgotten file's time counts no more...
        try store.forget([files[1].address])
        #expect(try store.verificationSummary() == VerificationSummary(files: 5, verified: 2, oldest: 100, newest: 150))
        #expect(try store.verificationTimes()[files[1].address] == nil)
        // ...until the address is recorded again: the row was kept aside.
        try store.record([files[1]])
        #expect(try store.verificationTimes()[files[1].address] == 100)
        try store.releaseLock()
        // The records are untouched: the store still verifies, and another opening sees the same.
        try store.verify()
        let again = try fixture.open(create: false)
        #expect(try again.verificationSummary() == VerificationSummary(files: 6, verified: 3, oldest: 100, newest: 150))
        #expect(try again.leastRecentlyVerifiedFiles().map(\.address) == [files[3], files[4], files[5], files[0], files[1], files[2]].map(\.address))
    }

    @Test(arguments: Backend.allCases)
    func aStateCopiesIntoTheOtherBackendAndBack(_ backend: Backend) throws {
        let clock = TestClock()
        let source = try Backend.Fixture(backend, clock: clock)
        let store = try source.open()
        try store.withLock(operation: "test") {
            try store.record((0..<30).map { sampleFile($0) })
            try store.record(folders: [FolderRecord(project: "a/b", path: "raw", id: "f1", createdBySbsync: true)])
            let batch = try store.beginBatch(kind: .volume, policy: .skip, tags: ["t"], items: items(0..<2))
            try store.markSubmitted(batch: batch.id, jobID: "job-1")
        }
        let original = try store.snapshot()
        let other = try Backend.Fixture(backend == .sqlite ? .postgres : .sqlite, clock: clock)
        let target = try other.open()
        try target.withLock(operation: "state push") { try target.replaceContents(with: original, adoptLineage: true) }
        let copied = try other.open(create: false).snapshot()
        #expect(copied.lineage == original.lineage)
        #expect(copied.serial == original.serial)
        #expect(copied.files == original.files)
        #expect(copied.folders == original.folders)
        #expect(copied.journal.map(\.items) == original.journal.map(\.items))
        #expect(copied.journal.map(\.state) == [.submitted])
    }

    @Test(arguments: Backend.allCases)
    func anInSyncNoteStaysOnlyUntilTheNextWrite(_ backend: Backend) throws {
        let fixture = try Backend.Fixture(backend, clock: TestClock())
        let store = try fixture.open(holding: [sampleFile(1)])
        #expect(try store.inSyncNote() == (nil, 1))
        // Left at an old serial, or for another state: refused. At the current one: kept,
        // without the lock and without adding to the serial.
        #expect(try store.leaveInSyncNote("old", lineage: store.lineage, serial: 0) == false)
        #expect(try store.leaveInSyncNote("other", lineage: "another-lineage", serial: 1) == false)
        #expect(try store.inSyncNote() == (nil, 1))
        #expect(try store.leaveInSyncNote("at 1", lineage: store.lineage, serial: 1))
        #expect(try fixture.open(create: false).inSyncNote() == ("at 1", 1))
        #expect(try store.serial() == 1)
        // Any write of the records adds 1 to the serial: the note names a serial that is gone.
        try store.withLock(operation: "test") { try store.record([sampleFile(2)]) }
        let (note, serial) = try store.inSyncNote()
        #expect(note == "at 1" && serial == 2)
        #expect(try store.leaveInSyncNote("at 2", lineage: store.lineage, serial: 2))
        #expect(try store.inSyncNote() == ("at 2", 2))
        // Neither a snapshot nor a copy carries it.
        let other = try Backend.Fixture(backend == .sqlite ? .postgres : .sqlite, clock: TestClock())
        let target = try other.open()
        try target.withLock(operation: "state push") { try target.replaceContents(with: try store.snapshot(), adoptLineage: true) }
        #expect(try target.inSyncNote().note == nil)
    }
}

@Suite struct PostgresBackendTests {
    @Test func twoWorkspacesNeverBlockEachOther() throws {
        let server = try PostgresTestServer.shared()
        let options = StateStore.Options.testing(clock: TestClock())
        let a = try PostgresStateStore.open(try PostgresLocation.parse(server.url(workspace: "team-a-\(UUID())"), environment: [:]), create: true, options: options)
        let b = try PostgresStateStore.open(try PostgresLocation.parse(server.url(workspace: "team-b-\(UUID())"), environment: [:]), create: true, options: options)
        try a.acquireLock(operation: "apply")
        try b.acquireLock(operation: "apply")
        try a.record([sampleFile(1)])
        try b.record([sampleFile(2), sampleFile(3)])
        #expect(try a.loadAllFiles() == [sampleFile(1)])
        #expect(try b.fileCount() == 2)
        #expect(a.lineage != b.lineage)
    }

    @Test func aLockDiesWithItsHoldersSession() throws {
        let server = try PostgresTestServer.shared()
        let location = try PostgresLocation.parse(server.url(workspace: "gone-\(UUID())"), environment: [:])
        var first: PostgresStateStore? = try PostgresStateStore.open(location, create: true, options: .testing(clock: TestClock()))
        try first?.acquireLock(operation: "apply")
        let second = try PostgresStateStore.open(location, create: false, options: .testing(clock: TestClock(), pid: 2))
        let row = try #require(try second.currentLock())
        #expect(second.isExpired(row) == false)
        first = nil  // the connection closes, as when the process is killed
        // The server ends the closed session's backend on its own time: ask again (bounded).
        var taken: LockInfo?
        for _ in 0..<5_000 where taken == nil {
            taken = try? second.acquireLock(operation: "apply")
        }
        #expect(taken?.pid == 2)
    }

    @Test func forceUnlockEndsAHolderThatIsStillConnected() throws {
        let server = try PostgresTestServer.shared()
        let location = try PostgresLocation.parse(server.url(workspace: "stuck-\(UUID())"), environment: [:])
        let stuck = try PostgresStateStore.open(location, create: true, options: .testing(clock: TestClock()))
        let held = try stuck.acquireLock(operation: "apply")
        let admin = try PostgresStateStore.open(location, create: false, options: .testing(clock: TestClock(), pid: 2))
        #expect(try admin.forceUnlock(holderID: held.holder) == held)
        // The stuck holder's session was ended: its next write fails and writes nothing.
        #expect(throws: StateError.self) { try stuck.record([sampleFile(1)]) }
        try admin.acquireLock(operation: "apply")
        #expect(try admin.fileCount() == 0)
    }

    @Test func aServerRestartStopsTheWriterSafely() async throws {
        try await withPostgresServer { server in
            let location = try PostgresLocation.parse(server.url(workspace: "restart"), environment: [:])
            let store = try PostgresStateStore.open(location, create: true, options: .testing(clock: TestClock()))
            try store.acquireLock(operation: "apply")
            try store.record([sampleFile(1)])
            try server.restart()
            do {
                try store.record([sampleFile(2)])
                Issue.record("a write went through after the connection was lost")
            } catch {
                #expect("\(error)".contains("lost the connection to PostgreSQL"))
            }
            #expect(throws: StateError.self) { try store.refreshLock() }
            let again = try PostgresStateStore.open(location, create: false, options: .testing(clock: TestClock(), pid: 2))
            try again.acquireLock(operation: "apply")
            #expect(try again.loadAllFiles() == [sampleFile(1)])
            #expect(try again.serial() == 1)
        }
    }

    @Test func passwordsAreNeverShown() throws {
        let url = "postgres://alice:s3cr%40t@db.example:6543/sbsync?workspace=w"
        #expect(PostgresLocation.redacted(url) == "postgres://alice@db.example:6543/sbsync?workspace=w")
        let parsed = try PostgresLocation.parse(url, environment: [:])
        #expect(parsed.password == "s3cr@t")
        #expect(!parsed.display.contains("s3cr"))
        #expect(StateBackends.display("/a/b.state") == "/a/b.state")
        for bad in ["postgres://alice:s3cr3t@db.example/sbsync", "postgres://alice:s3cr3t@db.example/sbsync?workspace=w&sslmode=maybe",
                    "postgres://alice:s3cr3t@db.example/?workspace=w", "postgres://alice:s3cr3t@db.example/sbsync?workspace=w&x=1"] {
            do {
                _ = try PostgresLocation.parse(bad, environment: [:])
                Issue.record("'\(bad)' was accepted")
            } catch {
                #expect(!"\(error)".contains("s3cr3t"))
                #expect("\(error)".contains("alice@db.example"))
            }
        }
        // PGPASSWORD, then the password file.
        #expect(try PostgresLocation.parse("postgres://bob@h/d?workspace=w", environment: ["PGPASSWORD": "env"]).password == "env")
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("pgpass").path
            try "# comment\nother:*:*:*:no\nh:5432:d:bob:from\\:file\n".write(toFile: file, atomically: true, encoding: .utf8)
            chmod(file, 0o600)
            #expect(try PostgresLocation.parse("postgres://bob@h/d?workspace=w", environment: ["PGPASSFILE": file]).password == "from:file")
            chmod(file, 0o644)  // readable by others: ignored, as libpq does
            #expect(try PostgresLocation.parse("postgres://bob@h/d?workspace=w", environment: ["PGPASSFILE": file]).password == nil)
        }
    }

    @Test func theDefaultWorkspaceIsFilledInOnlyWhenMissing() {
        #expect(PostgresLocation.withDefaultWorkspace("postgres://u@h/d", workspace: "m/c.yaml") == "postgres://u@h/d?workspace=m/c.yaml")
        #expect(PostgresLocation.withDefaultWorkspace("postgres://u@h/d?workspace=x", workspace: "m") == "postgres://u@h/d?workspace=x")
        #expect(PostgresLocation.withDefaultWorkspace("/a/s.state", workspace: "m") == "/a/s.state")
        #expect(PostgresLocation(user: "u", host: "h", port: 1, database: "d", workspace: "w").lockKey
                != PostgresLocation(user: "u", host: "h", port: 1, database: "d", workspace: "w2").lockKey)
    }
}

@Suite struct StateCreationTests {
    @Test func aNewStateFileAppearsWholeOrNotAtAll() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("sub/s.state").path
            let store = try StateStore.open(at: path, create: true, options: .testing(clock: TestClock()))
            #expect(try store.serial() == 0)
            // Built beside it under another name: nothing of that is left.
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path)
            #expect(left.filter { $0.contains("creating") } == [])
            // A leftover of a creation killed half-way does not stop the next one.
            try Data("junk".utf8).write(to: dir.appendingPathComponent("sub/t.state.creating-1-abc"))
            #expect(try StateStore.open(at: dir.appendingPathComponent("sub/t.state").path, create: true).serial() == 0)
        }
    }
}
