import NIOCore
public import SyncCore
internal import PostgresNIO

/// The bulk-job journal, with the protocol of the SQLite store (`submitting → submitted → done`).
extension PostgresStateStore {
    public func beginBatch(kind: FileSource.Kind, policy: ConflictPolicy, tags: [String], items: [JournalItem]) throws(StateError) -> JournalBatch {
        guard !items.isEmpty else { throw .journal("an empty batch") }
        if let wrong = items.first(where: { $0.source.kind != kind }) {
            throw .journal("item '\(wrong.address)' has a \(wrong.source.kind.rawValue) source in a \(kind.rawValue) batch")
        }
        var stored = items
        for i in stored.indices {
            stored[i].importID = nil
            stored[i].result = nil
        }
        return try write { now in
            let batch = JournalBatch(id: 0, kind: kind, policy: policy, tags: tags, state: .submitting, jobID: nil,
                                     items: stored, createdAt: now, updatedAt: now)
            var inserted = batch
            inserted.id = try insertBatch(batch)
            return inserted
        }
    }

    /// Inserts `batch` (a new id) with its items as they are; returns the id.
    func insertBatch(_ batch: JournalBatch) throws -> Int64 {
        let row = try run("""
            INSERT INTO sbsync_batches (workspace_id, kind, policy, tags, state, job_id, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
            """, [.int(workspaceID), .text(batch.kind.rawValue), .text(batch.policy.rawValue), .bytes(RecordCodec.encode(tags: batch.tags)),
                  .text(batch.state.rawValue), .text(batch.jobID), .int(batch.createdAt), .int(batch.updatedAt)]).rows.first
        guard let id = try row?.makeRandomAccess()[0].decode(Int64.self) else { throw StateError.journal("no id for a new batch") }
        for start in stride(from: 0, to: batch.items.count, by: 1_000) {
            let chunk = batch.items[start..<min(start + 1_000, batch.items.count)]
            var sql = """
                INSERT INTO sbsync_batch_items (batch_id, position, project, path, source_kind, source, location, requested_name,
                destination_project, destination_parent, import_id, outcome, result_file_id, result_name, error) VALUES
                """
            var values: [Value] = [.int(id)]
            for (n, item) in zip(chunk.indices, chunk) {
                let base = (n - start) * 14 + 2
                sql += (n == start ? " " : ", ") + "($1, " + (base..<base + 14).map { "$\($0)" }.joined(separator: ", ") + ")"
                values.append(.int(Int64(n)))
                values.append(.text(item.address.project))
                values.append(.text(item.address.path))
                values += Self.sourceValues(item.source)
                values.append(.text(item.requestedName))
                values.append(.text(item.destinationProject))
                values.append(.text(item.destinationParent))
                values.append(.text(item.importID))
                values.append(.text(item.result?.outcome.rawValue))
                values.append(.text(item.result?.fileID))
                values.append(.text(item.result?.actualName))
                values.append(.text(item.result?.error))
            }
            _ = try run(sql, values)
        }
        return id
    }

    public func markSubmitted(batch id: Int64, jobID: String?, importIDs: [String?], results: [Int: JournalItemResult]) throws(StateError) {
        try write { now in
            let batch = try loadBatch(id)
            guard batch.state == .submitting else { throw StateError.journal("batch \(id) is \(batch.state.rawValue), not submitting") }
            guard importIDs.isEmpty || importIDs.count == batch.items.count else {
                throw StateError.journal("\(importIDs.count) import ids for the \(batch.items.count) items of batch \(id)")
            }
            _ = try run("UPDATE sbsync_batches SET state = 'submitted', job_id = $1, updated_at = $2 WHERE id = $3",
                        [.text(jobID), .int(now), .int(id)])
            for (position, importID) in importIDs.enumerated() {
                _ = try run("UPDATE sbsync_batch_items SET import_id = $1 WHERE batch_id = $2 AND position = $3",
                            [.text(importID), .int(id), .int(Int64(position))])
            }
            try storeResults(results, batch: batch)
        }
    }

    public func completeBatch(_ id: Int64, results: [Int: JournalItemResult], recording files: [RecordedFile],
                              removing: [Address]) throws(StateError) {
        try write { now in
            let batch = try loadBatch(id)
            guard batch.state != .done else { throw StateError.journal("batch \(id) is already done") }
            try storeResults(results, batch: batch)
            try upsert(files)
            try verified(files.map(\.address), at: now)
            _ = try delete(removing)
            _ = try run("UPDATE sbsync_batches SET state = 'done', updated_at = $1 WHERE id = $2", [.int(now), .int(id)])
        }
    }

    public func unfinishedBatches() throws(StateError) -> [JournalBatch] {
        try locked { _ in try loadBatches(unfinishedOnly: true) }
    }

    public func allBatches() throws(StateError) -> [JournalBatch] {
        try locked { _ in try loadBatches(unfinishedOnly: false) }
    }

    public func batch(_ id: Int64) throws(StateError) -> JournalBatch? {
        try locked { _ in
            do { return try loadBatch(id) } catch StateError.journal { return nil }
        }
    }

    @discardableResult
    public func pruneDoneBatches(keeping: Int) throws(StateError) -> Int {
        try write { _ in
            try run("""
                DELETE FROM sbsync_batches WHERE workspace_id = $1 AND state = 'done' AND id NOT IN
                    (SELECT id FROM sbsync_batches WHERE workspace_id = $1 AND state = 'done' ORDER BY id DESC LIMIT $2)
                """, [.int(workspaceID), .int(Int64(max(0, keeping)))]).metadata.rows ?? 0
        }
    }

    // MARK: Helpers

    func storeResults(_ results: [Int: JournalItemResult], batch: JournalBatch) throws {
        for (position, result) in results.sorted(by: { $0.key < $1.key }) {
            guard batch.items.indices.contains(position) else {
                throw StateError.journal("a result for item \(position) of batch \(batch.id), which has \(batch.items.count) items")
            }
            _ = try run("""
                UPDATE sbsync_batch_items SET outcome = $1, result_file_id = $2, result_name = $3, error = $4
                WHERE batch_id = $5 AND position = $6
                """, [.text(result.outcome.rawValue), .text(result.fileID), .text(result.actualName), .text(result.error),
                      .int(batch.id), .int(Int64(position))])
        }
    }

    func loadBatches(unfinishedOnly: Bool) throws -> [JournalBatch] {
        let condition = unfinishedOnly ? " AND state <> 'done'" : ""
        let ids = try run("SELECT id FROM sbsync_batches WHERE workspace_id = $1\(condition) ORDER BY id", [.int(workspaceID)]).rows
        return try ids.map { try loadBatch(try $0.makeRandomAccess()[0].decode(Int64.self)) }
    }

    func loadBatch(_ id: Int64) throws -> JournalBatch {
        let row = try run("SELECT kind, policy, tags, state, job_id, created_at, updated_at FROM sbsync_batches WHERE id = $1 AND workspace_id = $2",
                          [.int(id), .int(workspaceID)]).rows.first
        guard let cells = row?.makeRandomAccess() else { throw StateError.journal("no batch \(id)") }
        var tags: [String] = []
        if let bytes = try cells[2].decode(ByteBuffer?.self) {
            tags = (try? bytes.withUnsafeReadableBytes { try RecordCodec.decodeTags($0) }) ?? []
        }
        guard let kind = FileSource.Kind(rawValue: try cells[0].decode(String.self)),
              let policy = ConflictPolicy(rawValue: try cells[1].decode(String.self)),
              let state = JournalBatch.State(rawValue: try cells[3].decode(String.self))
        else { throw StateError.invalidValue("batch \(id): unreadable row") }
        var batch = JournalBatch(id: id, kind: kind, policy: policy, tags: tags, state: state, jobID: try cells[4].decode(String?.self),
                                 items: [], createdAt: try cells[5].decode(Int64.self), updatedAt: try cells[6].decode(Int64.self))
        let items = try run("""
            SELECT project, path, source_kind, source, location, requested_name, destination_project, destination_parent,
                   import_id, outcome, result_file_id, result_name, error
            FROM sbsync_batch_items WHERE batch_id = $1 ORDER BY position
            """, [.int(id)]).rows
        for item in items {
            let c = item.makeRandomAccess()
            let address = Address(project: try c[0].decode(String.self), path: try c[1].decode(String.self))
            let source: FileSource
            switch (try c[2].decode(String.self), try c[4].decode(String?.self)) {
            case ("volume", let location?): source = .volume(volume: try c[3].decode(String.self), location: location)
            case ("drs", nil): source = .drs(uri: try c[3].decode(String.self))
            default: throw StateError.invalidValue("batch \(id): an item with an unreadable source")
            }
            var result: JournalItemResult?
            if let outcome = try c[9].decode(String?.self).flatMap(JournalItemResult.Outcome.init(rawValue:)) {
                result = JournalItemResult(outcome: outcome, fileID: try c[10].decode(String?.self),
                                           actualName: try c[11].decode(String?.self), error: try c[12].decode(String?.self))
            }
            batch.items.append(JournalItem(address: address, source: source, requestedName: try c[5].decode(String.self),
                                           destinationProject: try c[6].decode(String.self),
                                           destinationParent: try c[7].decode(String?.self),
                                           importID: try c[8].decode(String?.self), result: result))
        }
        return batch
    }
}
