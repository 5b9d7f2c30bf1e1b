import SyncCore

/// `state push`/`pull`: replacing a state's records with another state's, in one transaction.
extension StateStore {
    public func replaceContents(with snapshot: StateSnapshot, adoptLineage: Bool) throws(StateError) {
        try heldTransaction { db, held in
            try Self.touchLock(db, holder: held.holder, now: options.now(), path: path)
            try db.execute("DELETE FROM files; DELETE FROM folders; DELETE FROM batch_items; DELETE FROM batches")
            try Self.upsert(snapshot.files, db)
            let folder = try db.prepare("INSERT INTO folders (\(Self.folderColumns)) VALUES (?, ?, ?, ?, ?, ?)")
            for record in snapshot.folders {
                var values: [SQLiteValue] = [.text(record.project), .text(record.path), .text(record.id),
                                             .int(record.createdBySbsync ? 1 : 0), .int(record.recordedAt)]
                values.append(.int(RowChecksum.of(values)))
                try folder.run(values)
            }
            let batch = try db.prepare("""
                INSERT INTO batches (id, kind, policy, tags, state, job_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let item = try db.prepare("""
                INSERT INTO batch_items (batch_id, position, project, path, source_kind, source, location, requested_name,
                                         destination_project, destination_parent, import_id, outcome, result_file_id, result_name, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for entry in snapshot.journal {
                try batch.run(.int(entry.id), .text(entry.kind.rawValue), .text(entry.policy.rawValue),
                              RecordCodec.encode(tags: entry.tags).map(SQLiteValue.blob) ?? .null, .text(entry.state.rawValue),
                              .optionalText(entry.jobID), .int(entry.createdAt), .int(entry.updatedAt))
                for (position, journalItem) in entry.items.enumerated() {
                    try Self.bindItem(journalItem, batch: entry.id, position: position, item)
                    try item.bind(.optionalText(journalItem.importID), at: 11)
                    try item.bind(.optionalText(journalItem.result?.outcome.rawValue), at: 12)
                    try item.bind(.optionalText(journalItem.result?.fileID), at: 13)
                    try item.bind(.optionalText(journalItem.result?.actualName), at: 14)
                    try item.bind(.optionalText(journalItem.result?.error), at: 15)
                    try item.step()
                }
                item.reset()
            }
            if adoptLineage {
                try db.prepare("UPDATE metadata SET value = ? WHERE key = 'lineage'").run(.text(snapshot.lineage))
            }
            try db.prepare("UPDATE metadata SET value = max(value + 1, ?) WHERE key = 'serial'").run(.int(snapshot.serial))
        }
    }
}
