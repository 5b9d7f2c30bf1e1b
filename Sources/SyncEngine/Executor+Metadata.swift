import PlatformAPI
import SyncCore
import SyncState

/// Metadata and tags, in bulk: `POST /bulk/files/edit`, up to 100 files per call.
///
/// Merge, not replace: the manifest owns the metadata keys it lists, nothing else. An edit sets
/// every key the manifest lists and removes (`null`) the keys it listed at the last apply and no
/// longer does; keys set on the platform by anyone else are left alone (`/bulk/files/update`
/// would erase them). Tags are owned whole: the edit carries the manifest's tag list, which
/// replaces the file's.
///
/// Every edit carries the whole of what the manifest owns: all its keys (and `null` for keys it
/// dropped) and its tag list, so a key or tag someone else changed on the platform is set back
/// too, and the file carries exactly the manifest's values once the edit is answered.
///
/// The state is the journal of this step. Before an edit goes out, each of its files is recorded
/// as unconfirmed (`SpecDigest.editUnconfirmed`) with the keys of its old and new metadata and
/// the new tags; once the edit's answer shows the file carrying the manifest's values, it is
/// recorded with them. A run killed in between, or an answer lost, leaves the file unconfirmed:
/// the next plan shows it as `update` whatever the manifest says by then, and the next edit sets
/// the manifest's values and removes every key the file may hold that the manifest does not list.
extension Executor {
    /// A recorded file whose metadata or tags still differ from its desired file's.
    struct PendingEdit: Sendable {
        /// The file as the state holds it now.
        var recorded: RecordedFile
        var desired: DesiredFile
        /// What the item counts as once the edit succeeded (imported, replaced, updated).
        var outcome: ItemOutcome
    }

    /// The recorded file for an imported platform file. When the file carries the desired
    /// metadata and tags (DRS imports set both), the record says so and nothing is left to do;
    /// otherwise it records what the file carries of the manifest's keys, and the edit that
    /// makes up the difference comes with it.
    func recordable(file: PlatformFile, item: JournalItem, desired: DesiredFile?, jobID: String?,
                    outcome: ItemOutcome) -> (file: RecordedFile, edit: PendingEdit?) {
        let now = Int64(clock.now())
        func record(_ metadata: Metadata, _ tags: [String]) -> RecordedFile {
            RecordedFile(address: item.address, source: item.source, metadata: metadata, tags: tags,
                         specDigest: SpecDigest.compute(source: item.source, metadata: metadata, tags: tags),
                         fileID: file.id, actualName: file.name, jobID: jobID, createdAt: now, updatedAt: now)
        }
        guard let desired else { return (record(Metadata(platform: file.metadata), file.tags), nil) }
        let carried = Self.carried(desired, by: file)
        if carried.complete { return (record(carried.metadata, carried.tags), nil) }
        // Recorded unconfirmed at once (the edit follows): no second write before the edit.
        let recorded = Self.unconfirmed(record(carried.metadata, carried.tags), editingTo: desired)
        return (recorded, PendingEdit(recorded: recorded, desired: desired, outcome: outcome))
    }

    /// `recorded` as the state holds it while an edit to `desired` is out: the keys of both
    /// (the new values), the new tags, and the marker instead of a digest.
    static func unconfirmed(_ recorded: RecordedFile, editingTo desired: DesiredFile) -> RecordedFile {
        var pending = recorded
        pending.metadata = recorded.metadata.merging(desired.metadata)
        pending.tags = desired.tags
        pending.specDigest = SpecDigest.editUnconfirmed
        return pending
    }

    /// What `file` carries of what `desired` asks: the desired metadata and tags when it carries
    /// them all (`complete`), else its own values of the manifest's keys and its own tags.
    static func carried(_ desired: DesiredFile, by file: PlatformFile) -> (metadata: Metadata, tags: [String], complete: Bool) {
        let metadataDone = desired.metadata.isSatisfied(by: file.metadata)
        let tagsDone = Set(desired.tags) == Set(file.tags)
        if metadataDone && tagsDone { return (desired.metadata, desired.tags, true) }
        var owned = Metadata()
        for entry in desired.metadata {
            if let value = file.metadata[entry.key] { owned[entry.key] = MetadataValue(value) }
        }
        return (metadataDone ? desired.metadata : owned, tagsDone ? desired.tags : file.tags, false)
    }

    /// The edit item for one pending edit: all the manifest's metadata with `null` for the keys
    /// the record holds and the manifest no longer lists, and its whole tag list.
    static func fileEdit(for edit: PendingEdit) -> FileEdit {
        let before = edit.recorded, after = edit.desired
        var patch = after.metadata.json
        for entry in before.metadata where after.metadata[entry.key] == nil { patch[entry.key] = .null }
        return FileEdit(id: before.fileID ?? "", tags: after.tags, metadata: patch)
    }

    /// `update` actions: their edits, 100 per call, a bounded number of calls at once.
    func runUpdates(_ updates: [PlannedChange]) async throws {
        var edits: [PendingEdit] = []
        for change in updates {
            guard let before = change.before, let after = change.after else { continue }
            guard before.fileID != nil else {
                problem(ItemProblem(address: change.address, source: after.source, outcome: .failed,
                                    message: "the platform file id is not recorded; cannot update metadata or tags", recorded: true))
                continue
            }
            edits.append(PendingEdit(recorded: before, desired: after, outcome: .updated))
        }
        if isStopping {
            notStarted += edits.count
            return
        }
        let chunks = edits.chunked(options.batchSize).map { Array($0) }
        try await Self.forEach(chunks, atMost: options.maxUpdatesInFlight) { try await self.applyEdits($0) }
    }

    /// The journal of an edit, before it goes out: each file recorded unconfirmed (one
    /// transaction for the batch); the edits with the records as written.
    func journal(_ edits: [PendingEdit]) throws -> [PendingEdit] {
        var batch = edits, marked: [RecordedFile] = []
        for index in batch.indices {
            let pending = Self.unconfirmed(batch[index].recorded, editingTo: batch[index].desired)
            if pending != batch[index].recorded { marked.append(pending) }
            batch[index].recorded = pending
        }
        if !marked.isEmpty {
            let files = marked
            try stateCall { try store.record(files) }
        }
        return batch
    }

    /// Sends the edits, 100 per call, and records each file whose edit took effect. An item
    /// that failed stays recorded as it was and is reported once, as failed.
    func applyEdits(_ edits: [PendingEdit]) async throws {
        for chunk in edits.chunked(options.batchSize) {
            let batch = try journal(Array(chunk))
            var records: [BulkRecord<PlatformFile>] = []
            var callError: String?
            do {
                records = try await client.editFiles(batch.map(Self.fileEdit(for:)))
            } catch let error as PlatformError where error.isCannotConnect {
                throw ExecutorError.platform(error, context: "edit files")
            } catch let error as PlatformError {
                callError = error.description
            }
            let now = Int64(clock.now())
            var done: [RecordedFile] = []
            var outcomes: [ItemOutcome] = []
            for (position, edit) in batch.enumerated() {
                let record = position < records.count ? records[position] : nil
                var message = record?.error?.description ?? callError ?? "the platform did not answer for this file"
                if let file = record?.resource {
                    let carried = Self.carried(edit.desired, by: file)
                    if file.id == edit.recorded.fileID && carried.complete {
                        var recorded = edit.recorded
                        recorded.metadata = edit.desired.metadata
                        recorded.tags = edit.desired.tags
                        recorded.specDigest = edit.desired.specDigest
                        recorded.updatedAt = now
                        done.append(recorded)
                        outcomes.append(edit.outcome)
                        continue
                    }
                    message = file.id == edit.recorded.fileID
                        ? "the platform accepted the edit but the file does not carry the manifest's metadata and tags"
                        : "the platform answered for file \(file.id) instead of \(edit.recorded.fileID ?? "?")"
                }
                let what = edit.outcome == .updated ? "recorded" : "\(edit.outcome.rawValue) and recorded"
                problem(ItemProblem(address: edit.recorded.address, source: edit.recorded.source, outcome: .failed,
                                    message: "\(what), but setting its metadata and tags failed: \(message); the next apply sets them",
                                    recorded: true))
            }
            if !done.isEmpty {
                let files = done
                try stateCall { try store.record(files) }
            }
            for outcome in outcomes { finish(1, as: outcome) }
            await emitProgress()
        }
    }
}
