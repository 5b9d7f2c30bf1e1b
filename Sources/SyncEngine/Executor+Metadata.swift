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
/// The state is the journal of this step: an imported file is recorded first with the metadata
/// and tags it actually carries (of the manifest's keys), then, once its edit succeeded, with the
/// manifest's. A run killed in between leaves a recorded file whose spec differs from the
/// manifest, which the next plan shows as `update` and the next apply finishes.
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
        let recorded = record(carried.metadata, carried.tags)
        return (recorded, carried.complete ? nil : PendingEdit(recorded: recorded, desired: desired, outcome: outcome))
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

    /// The edit item for one pending edit: the manifest's metadata with `null` for keys it no
    /// longer lists (only when the metadata differs), its tag list (only when the tags differ).
    static func fileEdit(for edit: PendingEdit) -> FileEdit {
        let before = edit.recorded, after = edit.desired
        var metadata: [String: JSONValue]?
        if before.metadata != after.metadata {
            var patch = after.metadata.json
            for entry in before.metadata where after.metadata[entry.key] == nil { patch[entry.key] = .null }
            metadata = patch
        }
        let tags = Set(before.tags) != Set(after.tags) ? after.tags : nil
        return FileEdit(id: before.fileID ?? "", tags: tags, metadata: metadata)
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

    /// Sends the edits, 100 per call, and records each file whose edit took effect. An item
    /// that failed stays recorded as it was and is reported once, as failed.
    func applyEdits(_ edits: [PendingEdit]) async throws {
        for chunk in edits.chunked(options.batchSize) {
            let batch = Array(chunk)
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
