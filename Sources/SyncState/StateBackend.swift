public import SyncCore

/// The state store as the pipeline, the executor and the commands see it, whatever keeps it:
/// a SQLite file (`StateStore`) or a PostgreSQL workspace (`PostgresStateStore`).
///
/// Both keep the same records (files by address, folder ids, the bulk-job journal), the same
/// lineage and serial rules (every write is one transaction that checks the lock and adds 1 to
/// the serial) and a lock that names its holder. Open one with `StateBackends.open(_:create:)`.
public protocol StateBackend: AnyObject, Sendable {
    /// Where the state is, fit to print: a file path, or a PostgreSQL URL without its password.
    var path: String { get }
    /// A UUID chosen when the state was created; it never changes.
    var lineage: String { get }

    /// The number of committed changes since the state was created.
    func serial() throws(StateError) -> Int64
    /// Reads every record, checking it, without writing anything.
    func verify() throws(StateError)

    // MARK: Lock

    /// Takes the lock for `operation`; throws `StateError.locked` naming the holder.
    @discardableResult
    func acquireLock(operation: String) throws(StateError) -> LockInfo
    /// Refreshes the held lock's heartbeat; throws `lockLost` when it was taken or removed.
    func refreshLock() throws(StateError)
    /// Releases the held lock; does nothing when none is held.
    func releaseLock() throws(StateError)
    /// The lock this store holds, if any.
    var heldLock: LockInfo? { get }
    /// The lock as stored, whoever holds it.
    func currentLock() throws(StateError) -> LockInfo?
    /// Whether `lock` is expired (its holder is gone).
    func isExpired(_ lock: LockInfo) -> Bool
    /// Removes the lock whose holder id is `holderID`, whoever holds it.
    @discardableResult
    func forceUnlock(holderID: String) throws(StateError) -> LockInfo

    // MARK: Files and folders

    /// Records `files` (insert or replace by address) and forgets `removing`, in one transaction.
    func record(_ files: [RecordedFile], removing: [Address]) throws(StateError)
    /// Forgets the files at `addresses`; returns those that were recorded.
    @discardableResult
    func forget(_ addresses: [Address]) throws(StateError) -> [Address]
    /// The recorded file at `address`, if any.
    func file(at address: Address) throws(StateError) -> RecordedFile?
    /// Every recorded file, sorted by address.
    func loadAllFiles() throws(StateError) -> [RecordedFile]
    /// How many files are recorded.
    func fileCount() throws(StateError) -> Int
    /// Records folder ids, in one transaction.
    func record(folders: [FolderRecord]) throws(StateError)
    /// The id of folder `path` in `project`, if recorded.
    func folderID(project: String, path folderPath: String) throws(StateError) -> String?
    /// Every recorded folder, sorted by project and path.
    func allFolders() throws(StateError) -> [FolderRecord]

    /// Streams every recorded file in address order from one snapshot (see
    /// `StateStore.forEachFile(parts:comparingWith:unchanged:_:)`); returns the serial read.
    func forEachFile(parts: Int, comparingWith desired: DesiredState?,
                     unchanged: @escaping @Sendable (Int, Int) -> Void,
                     _ body: @escaping @Sendable (Int, RecordedFile, () -> RecordedFile) -> Void) throws(StateError) -> Int64

    // MARK: Journal

    /// Step 1: records a batch as `submitting`, before its POST is sent.
    func beginBatch(kind: FileSource.Kind, policy: ConflictPolicy, tags: [String], items: [JournalItem]) throws(StateError) -> JournalBatch
    /// Step 2: records the ids the POST returned and marks the batch `submitted`.
    func markSubmitted(batch id: Int64, jobID: String?, importIDs: [String?], results: [Int: JournalItemResult]) throws(StateError)
    /// Step 3: stores results, records files and marks the batch `done`, in one transaction.
    func completeBatch(_ id: Int64, results: [Int: JournalItemResult], recording files: [RecordedFile],
                       removing: [Address]) throws(StateError)
    /// Batches not yet `done`, oldest first.
    func unfinishedBatches() throws(StateError) -> [JournalBatch]
    /// Every batch, oldest first.
    func allBatches() throws(StateError) -> [JournalBatch]
    /// One batch by id.
    func batch(_ id: Int64) throws(StateError) -> JournalBatch?
    /// Deletes `done` batches older than the newest `keeping` ones.
    @discardableResult
    func pruneDoneBatches(keeping: Int) throws(StateError) -> Int

    // MARK: Verification (refresh)

    /// Records that the files at `addresses` were found on the platform as recorded at `time`
    /// (Unix seconds), in one write (the caller holds the lock). Kept apart from the records:
    /// recording a file again keeps its time; a forgotten file's time is ignored by every read.
    func recordVerification(addresses: [Address], at time: Int64) throws(StateError)
    /// Recorded files, least recently verified first (never verified first of all, then by
    /// address), at most `limit` of them.
    func leastRecentlyVerifiedFiles(limit: Int?) throws(StateError) -> [RecordedFile]
    /// The verification time of each recorded file that has one.
    func verificationTimes() throws(StateError) -> [Address: Int64]
    /// How many recorded files were ever verified, and the range of their times.
    /// - Parameter fileCount: how many files the state records, when the caller just counted
    ///   them (a plan's scan); a backend may use it instead of counting again.
    func verificationSummary(fileCount: Int?) throws(StateError) -> VerificationSummary

    // MARK: The in-sync note (a cache beside the records)

    /// The note a plan left when it found the state matching the manifest
    /// (`leaveInSyncNote(_:lineage:serial:)`), read with the serial in one snapshot; `nil` note when none.
    func inSyncNote() throws(StateError) -> (note: String?, serial: Int64)
    /// Leaves `note` when this is still the state of `lineage` at `serial`; returns whether it
    /// did. Not a write of the records: no lock needed, the serial stays, and any later write
    /// (which adds 1 to the serial) makes the note stale. Waits for another writer only briefly.
    /// A state that cannot be written (a read-only file, a role without the right) throws.
    @discardableResult
    func leaveInSyncNote(_ note: String, lineage: String, serial: Int64) throws(StateError) -> Bool

    // MARK: Whole state

    /// Everything, read at one instant.
    func snapshot() throws(StateError) -> StateSnapshot
    /// Replaces everything (files, folders, journal) with `snapshot`'s, keeping this state's
    /// lineage unless `adoptLineage`; the serial becomes `max(current + 1, snapshot's)`.
    /// Needs the lock. (`state push`/`pull`.)
    func replaceContents(with snapshot: StateSnapshot, adoptLineage: Bool) throws(StateError)
}

extension StateBackend {
    /// Every recorded file, least recently verified first.
    public func leastRecentlyVerifiedFiles() throws(StateError) -> [RecordedFile] {
        try leastRecentlyVerifiedFiles(limit: nil)
    }

    public func record(_ files: [RecordedFile]) throws(StateError) {
        try record(files, removing: [])
    }

    public func markSubmitted(batch id: Int64, jobID: String?, importIDs: [String?] = []) throws(StateError) {
        try markSubmitted(batch: id, jobID: jobID, importIDs: importIDs, results: [:])
    }

    public func completeBatch(_ id: Int64, results: [Int: JournalItemResult], recording files: [RecordedFile]) throws(StateError) {
        try completeBatch(id, results: results, recording: files, removing: [])
    }

    /// Runs `body` holding the lock for `operation`, releasing it afterwards (also on error).
    public func withLock<T>(operation: String, _ body: () throws -> T) throws -> T {
        try acquireLock(operation: operation)
        do {
            let result = try body()
            try releaseLock()
            return result
        } catch {
            try? releaseLock()
            throw error
        }
    }

    /// Writes the whole state as one JSON document (`StateExportDocument`) through `write`.
    public func exportJSON(write: (String) -> Void) throws(StateError) {
        let document = StateExportDocument(try snapshot())
        do {
            try document.writeJSON(to: write)
        } catch let error as EncodingError {
            throw .io(path: path, detail: "cannot be written as JSON: \(JSONWriter.describe(error))")
        } catch {
            throw .io(path: path, detail: "cannot be written as JSON: \(error)")
        }
    }
}

extension StateStore: StateBackend {}

/// How much of a state a refresh has confirmed, and how long ago (`verificationSummary()`).
public struct VerificationSummary: Sendable, Hashable {
    /// Recorded files.
    public var files: Int
    /// Of those, files with a verification time.
    public var verified: Int
    /// The oldest and newest verification time of a recorded file (Unix seconds).
    public var oldest: Int64?
    public var newest: Int64?

    public init(files: Int, verified: Int, oldest: Int64?, newest: Int64?) {
        self.files = files
        self.verified = verified
        self.oldest = oldest
        self.newest = newest
    }
}

extension StateBackend {
    /// `verificationSummary(fileCount:)`, counting the files.
    public func verificationSummary() throws(StateError) -> VerificationSummary {
        try verificationSummary(fileCount: nil)
    }
}
