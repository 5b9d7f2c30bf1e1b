import PlatformAPI
import SyncCore
import SyncState

/// `move` actions (a refreshed plan): a file renamed or moved on the platform goes back to its
/// address. A rename within its folder is one item of `POST /bulk/files/edit` (with `name`, and
/// the metadata and tags when they were edited too); a file in another folder is moved by the
/// platform's async move job (`PlatformAssumptions.asyncMovePath`), its edits made afterwards.
/// The record keeps its address and id. A rename is journaled as every edit is: recorded
/// unconfirmed before it goes out, confirmed once its answer shows the name and the values.
extension Executor {
    func runMoves(_ moves: [PlannedChange]) async throws {
        guard !moves.isEmpty else { return }
        if isStopping {
            notStarted += moves.count
            return
        }
        var renames: [PendingEdit] = []
        var transfers: [PlannedChange] = []
        for change in moves {
            guard let before = change.before, let after = change.after, before.fileID != nil else {
                problem(ItemProblem(address: change.address, source: change.after?.source, outcome: .failed,
                                    message: "the platform file id is not recorded; cannot move it back", recorded: true))
                continue
            }
            let moved = change.reasons.contains { if case .drift(.moved) = $0 { true } else { false } }
            if moved { transfers.append(change) } else { renames.append(PendingEdit(recorded: before, desired: after, outcome: .updated)) }
        }
        for chunk in renames.chunked(options.batchSize) { try await rename(Array(chunk)) }
        if !transfers.isEmpty { try await transfer(transfers) }
    }

    /// Renames back (and sets the manifest's metadata and tags) in one bulk edit per 100 files,
    /// journaled as every edit is (`applyEdits`): the files are recorded unconfirmed first, and
    /// confirmed once the answer shows the name and the manifest's values.
    private func rename(_ edits: [PendingEdit]) async throws {
        let batch = try journal(edits)
        var items: [FileEdit] = []
        for edit in batch {
            var item = Self.fileEdit(for: edit)
            item.name = edit.recorded.actualName
            items.append(item)
        }
        var records: [BulkRecord<PlatformFile>] = []
        var callError: String?
        do {
            records = try await client.editFiles(items)
        } catch let error as PlatformError {
            callError = error.description
        }
        var done: [RecordedFile] = []
        for (position, edit) in batch.enumerated() {
            let record = position < records.count ? records[position] : nil
            var message = record?.error?.description ?? callError ?? "the platform did not answer for this file"
            if let file = record?.resource, file.name == edit.recorded.actualName {
                if Self.carried(edit.desired, by: file).complete {
                    var recorded = edit.recorded
                    recorded.metadata = edit.desired.metadata
                    recorded.tags = edit.desired.tags
                    recorded.specDigest = edit.desired.specDigest
                    recorded.updatedAt = Int64(clock.now())
                    done.append(recorded)
                    finish(1, as: .updated)
                    continue
                }
                message = "the platform renamed it but the file does not carry the manifest's metadata and tags"
            }
            problem(ItemProblem(address: edit.recorded.address, source: edit.recorded.source, outcome: .failed,
                                message: "renaming it back to '\(edit.recorded.actualName)' failed: \(message)", recorded: true))
        }
        if !done.isEmpty {
            let files = done
            try stateCall { try store.record(files) }
        }
    }

    /// Moves back to the address's folder (made when missing), 100 files per job, then sets
    /// edited metadata and tags back.
    private func transfer(_ changes: [PlannedChange]) async throws {
        let failedFolders = try await ensureFolders(for: changes.map(\.address))
        var roots: [String: String] = [:]
        var items: [(change: PlannedChange, move: FileMove)] = []
        for change in changes {
            guard let before = change.before, let fileID = before.fileID else { continue }
            let address = change.address
            if let reason = failedFolders[FolderKey(project: address.project, path: address.folder)] {
                problem(ItemProblem(address: address, source: before.source, outcome: .failed, message: reason, recorded: true))
                continue
            }
            var parent = folderIDs[FolderKey(project: address.project, path: address.folder)]
            if address.folder.isEmpty {
                if roots[address.project] == nil {
                    roots[address.project] = try await platformCall("GET /projects/\(address.project)") {
                        try await self.client.reader.project(id: address.project).rootFolder ?? ""
                    }
                }
                parent = roots[address.project]
            }
            guard let parent, !parent.isEmpty else {
                problem(ItemProblem(address: address, source: before.source, outcome: .failed,
                                    message: "the id of folder '\(address.folder)' is not known; cannot move the file back", recorded: true))
                continue
            }
            items.append((change, FileMove(file: fileID, parent: parent, name: before.actualName)))
        }
        var edits: [PendingEdit] = []
        for chunk in items.chunked(options.batchSize) {
            let batch = Array(chunk)
            var results: [BulkRecord<PlatformFile>] = []
            var callError: String?
            do {
                var job = try await client.moveFiles(batch.map(\.move))
                var wait = 1.0
                while !job.isFinished {
                    try await clock.sleep(for: .seconds(wait))
                    wait = min(wait * 2, 30)
                    job = try await client.moveJob(id: job.id)
                }
                results = job.result ?? []
            } catch let error as PlatformError {
                callError = error.description
            }
            for (position, item) in batch.enumerated() {
                let record = position < results.count ? results[position] : nil
                guard let before = item.change.before, let after = item.change.after else { continue }
                if let file = record?.resource, file.parent == item.move.parent {
                    if before.metadata != after.metadata || Set(before.tags) != Set(after.tags) {
                        edits.append(PendingEdit(recorded: before, desired: after, outcome: .updated))
                    } else {
                        finish(1, as: .updated)
                    }
                    continue
                }
                let message = record?.error?.description ?? callError ?? "the platform did not answer for this file"
                problem(ItemProblem(address: item.change.address, source: before.source, outcome: .failed,
                                    message: "moving it back to '\(item.change.address.path)' failed: \(message)", recorded: true))
            }
        }
        if !edits.isEmpty { try await applyEdits(edits) }
    }
}
