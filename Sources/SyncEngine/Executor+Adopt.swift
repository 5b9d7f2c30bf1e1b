import PlatformAPI
import SyncCore
import SyncState

/// `adopt` actions: the file is on the platform from the same source, so it is recorded with
/// no import call. The recorded file is the journal: a file whose metadata or tags differ from
/// the manifest's is recorded first as the platform holds it (of the manifest's keys), then its
/// edit is sent (`applyEdits`), as after an import. A kill at any point leaves the file either
/// not recorded (the next plan adopts it again) or recorded (the next plan shows what is left).
/// An adopted file counts as verified at the time it was found (the plan's freshness note).
extension Executor {
    func runAdopts(_ adopts: [PlannedChange]) async throws {
        guard !adopts.isEmpty else { return }
        let now = Int64(clock.now())
        var complete: [RecordedFile] = [], edits: [PendingEdit] = []
        for change in adopts {
            guard var recorded = change.before, let desired = change.after, recorded.fileID != nil else { continue }
            recorded.createdAt = now
            recorded.updatedAt = now
            if recorded.specDigest == desired.specDigest {
                complete.append(recorded)
            } else {
                edits.append(PendingEdit(recorded: recorded, desired: desired, outcome: .adopted))
            }
        }
        for chunk in (complete + edits.map(\.recorded)).chunked(5_000) {
            let files = Array(chunk)
            try stateCall { try store.record(files) }
            // Found on the platform just now: as verified as a refresh would leave them.
            try stateCall { try store.recordVerification(addresses: files.map(\.address), at: now) }
        }
        finish(complete.count, as: .adopted)
        await emitProgress()
        if isStopping {
            notStarted += edits.count
            return
        }
        let chunks = edits.chunked(options.batchSize).map { Array($0) }
        try await Self.forEach(chunks, atMost: options.maxUpdatesInFlight) { try await self.applyEdits($0) }
    }
}
