public import SyncCore

/// One bulk import call, as the journal remembers it.
///
/// Life cycle (DESIGN.md "Journal protocol"): `submitting` is recorded before the POST;
/// `submitted` once the response gave job or import ids; `done` when the results have been
/// folded into the recorded files. On start, apply settles every batch that is not `done`.
public struct JournalBatch: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case submitting, submitted, done
    }

    public var id: Int64
    public var kind: FileSource.Kind
    public var policy: ConflictPolicy
    /// Tags sent with the call (DRS imports share them across the batch).
    public var tags: [String]
    public var state: State
    /// The bulk job id (DRS imports), when the platform gave one.
    public var jobID: String?
    public var items: [JournalItem]
    /// Unix seconds.
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// One item of a bulk import call.
public struct JournalItem: Sendable, Hashable, Codable {
    /// The address the item is for.
    public var address: Address
    public var source: FileSource
    /// The name asked of the platform.
    public var requestedName: String
    /// Destination project (`owner/slug`).
    public var destinationProject: String
    /// Destination folder id; `nil` for the project root.
    public var destinationParent: String?
    /// The per-item import id (volume imports), once submitted.
    public var importID: String?
    /// What became of it, once known.
    public var result: JournalItemResult?

    public init(address: Address, source: FileSource, requestedName: String, destinationProject: String,
                destinationParent: String?, importID: String? = nil, result: JournalItemResult? = nil) {
        self.address = address
        self.source = source
        self.requestedName = requestedName
        self.destinationProject = destinationProject
        self.destinationParent = destinationParent
        self.importID = importID
        self.result = result
    }
}

/// The outcome of one item.
public struct JournalItemResult: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        case imported, skipped, failed
    }

    public var outcome: Outcome
    public var fileID: String?
    /// The name the platform gave (after a rename, not the requested one).
    public var actualName: String?
    /// The platform's message for a failed item.
    public var error: String?

    public init(outcome: Outcome, fileID: String? = nil, actualName: String? = nil, error: String? = nil) {
        self.outcome = outcome
        self.fileID = fileID
        self.actualName = actualName
        self.error = error
    }
}

extension StateStore {
    /// Step 1: records a batch as `submitting`, before its POST is sent.
    /// - Returns: the batch with its new id.
    public func beginBatch(kind: FileSource.Kind, policy: ConflictPolicy, tags: [String], items: [JournalItem]) throws(StateError) -> JournalBatch {
        guard !items.isEmpty else { throw .journal("an empty batch") }
        if let wrong = items.first(where: { $0.source.kind != kind }) {
            throw .journal("item '\(wrong.address)' has a \(wrong.source.kind.rawValue) source in a \(kind.rawValue) batch")
        }
        return try write { db, now in
            try db.prepare("INSERT INTO batches (kind, policy, tags, state, job_id, created_at, updated_at) VALUES (?, ?, ?, 'submitting', NULL, ?, ?)")
                .run(.text(kind.rawValue), .text(policy.rawValue), RecordCodec.encode(tags: tags).map(SQLiteValue.blob) ?? .null, .int(now), .int(now))
            let id = db.lastInsertRowID
            let insert = try db.prepare("""
                INSERT INTO batch_items (batch_id, position, project, path, source_kind, source, location, requested_name,
                                         destination_project, destination_parent, import_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                """)
            for (position, item) in items.enumerated() {
                try Self.bindItem(item, batch: id, position: position, insert)
                try insert.step()
            }
            insert.reset()
            var stored = items
            for i in stored.indices {
                stored[i].importID = nil
                stored[i].result = nil
            }
            return JournalBatch(id: id, kind: kind, policy: policy, tags: tags, state: .submitting, jobID: nil,
                                items: stored, createdAt: now, updatedAt: now)
        }
    }

    /// Step 2: records the ids the POST returned and marks the batch `submitted`.
    /// - Parameters:
    ///   - jobID: the bulk job id (DRS), if any.
    ///   - importIDs: per-item import ids (volume) in item order; empty when there are none.
    ///   - results: items the response already settled (e.g. rejected at once), by position.
    public func markSubmitted(batch id: Int64, jobID: String?, importIDs: [String?], results: [Int: JournalItemResult]) throws(StateError) {
        try write { db, now in
            let batch = try Self.loadBatch(id, db)
            guard batch.state == .submitting else { throw StateError.journal("batch \(id) is \(batch.state.rawValue), not submitting") }
            guard importIDs.isEmpty || importIDs.count == batch.items.count else {
                throw StateError.journal("\(importIDs.count) import ids for the \(batch.items.count) items of batch \(id)")
            }
            try db.prepare("UPDATE batches SET state = 'submitted', job_id = ?, updated_at = ? WHERE id = ?")
                .run(.optionalText(jobID), .int(now), .int(id))
            let update = try db.prepare("UPDATE batch_items SET import_id = ? WHERE batch_id = ? AND position = ?")
            for (position, importID) in importIDs.enumerated() {
                try update.run(.optionalText(importID), .int(id), .int(Int64(position)))
            }
            try Self.storeResults(results, batch: batch, db)
        }
    }

    /// Step 3: in one transaction, stores the items' results, records and forgets files, and
    /// marks the batch `done`. Valid from `submitting` too (settling a batch whose response
    /// was lost, after finding its files at the destination).
    /// - Parameters:
    ///   - results: item results by position; items without one keep what they had.
    ///   - files: the recorded files the results produce.
    ///   - removing: addresses to forget (rarely needed).
    public func completeBatch(_ id: Int64, results: [Int: JournalItemResult], recording files: [RecordedFile],
                              removing: [Address]) throws(StateError) {
        try write { db, now in
            let batch = try Self.loadBatch(id, db)
            guard batch.state != .done else { throw StateError.journal("batch \(id) is already done") }
            try Self.storeResults(results, batch: batch, db)
            try Self.upsert(files, db)
            try Self.verified(files.map(\.address), at: now, db)
            _ = try Self.delete(removing, db)
            try db.prepare("UPDATE batches SET state = 'done', updated_at = ? WHERE id = ?").run(.int(now), .int(id))
        }
    }

    /// Batches not yet `done`, oldest first: what apply settles before submitting anything new.
    public func unfinishedBatches() throws(StateError) -> [JournalBatch] {
        try batches(where: "state <> 'done'")
    }

    /// Every batch in the journal, oldest first.
    public func allBatches() throws(StateError) -> [JournalBatch] {
        try batches(where: "1")
    }

    /// One batch by id.
    public func batch(_ id: Int64) throws(StateError) -> JournalBatch? {
        try read { db in
            do { return try Self.loadBatch(id, db) } catch StateError.journal { return nil }
        }
    }

    /// Deletes `done` batches older than the newest `keeping` ones, to keep the journal short.
    /// - Returns: how many batches were deleted.
    @discardableResult
    public func pruneDoneBatches(keeping: Int) throws(StateError) -> Int {
        try write { db, _ in
            try db.prepare("""
                DELETE FROM batches WHERE state = 'done' AND id NOT IN
                    (SELECT id FROM batches WHERE state = 'done' ORDER BY id DESC LIMIT ?)
                """).run(.int(Int64(max(0, keeping))))
            return db.changes
        }
    }

    // MARK: Helpers

    /// Resets `statement` and binds batch id, position, address, source, requested name and
    /// destination at 1 to 10 (the columns of `batch_items` before `import_id`).
    static func bindItem(_ item: JournalItem, batch id: Int64, position: Int, _ statement: SQLiteStatement) throws {
        statement.reset()
        try statement.bind(.int(id), at: 1)
        try statement.bind(.int(Int64(position)), at: 2)
        try statement.bind(.text(item.address.project), at: 3)
        try statement.bind(.text(item.address.path), at: 4)
        try bindSource(item.source, statement, at: 5)
        try statement.bind(.text(item.requestedName), at: 8)
        try statement.bind(.text(item.destinationProject), at: 9)
        try statement.bind(.optionalText(item.destinationParent), at: 10)
    }

    private func batches(where condition: String) throws(StateError) -> [JournalBatch] {
        try read { db in try Self.loadBatches(db, where: condition) }
    }

    static func loadBatches(_ db: SQLiteConnection, where condition: String) throws -> [JournalBatch] {
        let select = try db.prepare("SELECT id FROM batches WHERE \(condition) ORDER BY id")
        var ids: [Int64] = []
        while try select.step() { ids.append(select.int64(0)) }
        select.reset()
        return try ids.map { try loadBatch($0, db) }
    }

    static func storeResults(_ results: [Int: JournalItemResult], batch: JournalBatch, _ db: SQLiteConnection) throws {
        let update = try db.prepare("UPDATE batch_items SET outcome = ?, result_file_id = ?, result_name = ?, error = ? WHERE batch_id = ? AND position = ?")
        for (position, result) in results.sorted(by: { $0.key < $1.key }) {
            guard batch.items.indices.contains(position) else {
                throw StateError.journal("a result for item \(position) of batch \(batch.id), which has \(batch.items.count) items")
            }
            try update.run(.text(result.outcome.rawValue), .optionalText(result.fileID), .optionalText(result.actualName),
                           .optionalText(result.error), .int(batch.id), .int(Int64(position)))
        }
    }

    static func loadBatch(_ id: Int64, _ db: SQLiteConnection) throws -> JournalBatch {
        let select = try db.prepare("SELECT kind, policy, tags, state, job_id, created_at, updated_at FROM batches WHERE id = ?")
        defer { select.reset() }
        try select.bind(.int(id))
        guard try select.step() else { throw StateError.journal("no batch \(id)") }
        guard let kind = select.text(0).flatMap(FileSource.Kind.init(rawValue:)),
              let policy = select.text(1).flatMap(ConflictPolicy.init(rawValue:)),
              let state = select.text(3).flatMap(JournalBatch.State.init(rawValue:)),
              let tags = try? RecordCodec.decodeTags(select.rawBlob(2))
        else { throw StateError.invalidValue("batch \(id): unreadable row") }
        var batch = JournalBatch(id: id, kind: kind, policy: policy, tags: tags, state: state, jobID: select.text(4),
                                 items: [], createdAt: select.int64(5), updatedAt: select.int64(6))
        select.reset()

        let items = try db.prepare("""
            SELECT project, path, source_kind, source, location, requested_name, destination_project, destination_parent,
                   import_id, outcome, result_file_id, result_name, error
            FROM batch_items WHERE batch_id = ? ORDER BY position
            """)
        defer { items.reset() }
        try items.bind(.int(id))
        var shared = RowDecoder.Shared()
        while try items.step() {
            let address = Address(project: items.text(0) ?? "", path: items.text(1) ?? "")
            let source = try RowDecoder.source(items, at: 2, shared: &shared, address: address, path: "")
            var result: JournalItemResult?
            if let outcome = items.text(9).flatMap(JournalItemResult.Outcome.init(rawValue:)) {
                result = JournalItemResult(outcome: outcome, fileID: items.text(10), actualName: items.text(11), error: items.text(12))
            }
            batch.items.append(JournalItem(address: address, source: source, requestedName: items.text(5) ?? "",
                                           destinationProject: items.text(6) ?? "", destinationParent: items.text(7),
                                           importID: items.text(8), result: result))
        }
        return batch
    }
}
