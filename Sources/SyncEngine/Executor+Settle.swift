import PlatformAPI
public import SyncCore
import SyncState

extension Executor {
    /// Finishes every batch a previous run left unfinished, before anything new is planned.
    ///
    /// - `submitted` batches: their jobs are polled and their results folded in.
    /// - `submitting` batches (the POST may or may not have reached the platform): volume items
    ///   are looked up among the platform's import jobs for their project and volume (and then
    ///   polled); DRS items are looked up at their destination (files by name, `storage.drs_uri`).
    ///   What is found is adopted; what is not was never imported and is planned again.
    ///
    /// - Parameter desired: the manifest's files by address, so adopted files get the metadata
    ///   and tags the manifest wants; addresses not in it are recorded as found.
    public func settle(desired: [Address: DesiredFile] = [:]) async throws -> SettleReport {
        await reportRateLimitWaits()
        let batches = try stateCall { try store.unfinishedBatches() }
        // Progress while settling counts the items of these batches (not "100/0 done").
        counts = ExecutorCounts()
        counts.total = batches.reduce(0) { $0 + $1.items.count }
        var report = SettleReport()
        report.batches = batches.count
        for batch in batches {
            let fold: FoldCounts
            switch (batch.state, batch.kind) {
            case (.submitting, _):
                fold = try await settleSubmitting(batch, desired: desired, replacing: [])
            case (.submitted, .volume):
                fold = try await pollAndFoldVolume(batch, desired: desired, replacing: [])
            case (.submitted, .drs):
                fold = try await pollAndFoldDRS(batch, desired: desired, replacing: [])
            case (.done, _):
                continue
            }
            report.adopted += fold.adopted
            report.notSubmitted += fold.notSubmitted
            report.failed += fold.failed
        }
        if report.batches > 0 {
            onEvent(.settled(batches: report.batches, adopted: report.adopted, notSubmitted: report.notSubmitted))
        }
        return report
    }

    /// Settles a batch whose POST outcome is unknown, by looking at the platform first.
    func settleSubmitting(_ batch: JournalBatch, desired: [Address: DesiredFile], replacing: Set<Address>) async throws -> FoldCounts {
        switch batch.kind {
        case .volume:
            // The import jobs of each (project, volume), matched on source and destination.
            var importIDs: [String?] = Array(repeating: nil, count: batch.items.count)
            var byPair: [String: [Int]] = [:]
            for (position, item) in batch.items.enumerated() {
                guard case .volume(let volume, _) = item.source else { continue }
                byPair[item.destinationProject + "\u{0}" + volume, default: []].append(position)
            }
            for (pair, positions) in byPair {
                let parts = pair.split(separator: "\u{0}", maxSplits: 1).map(String.init)
                let jobs = try await allImportJobs(project: parts[0], volume: parts[1])
                var latest: [String: ImportJob] = [:]
                for job in jobs {
                    guard let source = job.source, let destination = job.destination else { continue }
                    let key = source.location + "\u{0}" + (destination.parent ?? destination.project ?? "") + "\u{0}" + (destination.name ?? "")
                    latest[key] = job  // listed in submission order: the last one wins
                }
                for position in positions {
                    let item = batch.items[position]
                    guard case .volume(_, let location) = item.source else { continue }
                    let key = location + "\u{0}" + (item.destinationParent ?? item.destinationProject) + "\u{0}" + item.requestedName
                    if let job = latest[key] { importIDs[position] = job.id }
                }
            }
            var results: [Int: JournalItemResult] = [:]
            for (position, id) in importIDs.enumerated() where id == nil {
                results[position] = JournalItemResult(outcome: .skipped, error: "not submitted (the run stopped before the platform took it)")
            }
            try stateCall { try store.markSubmitted(batch: batch.id, jobID: nil, importIDs: importIDs, results: results) }
            guard let submitted = try stateCall({ try store.batch(batch.id) }) else { throw ExecutorError.state("batch \(batch.id) vanished") }
            return try await pollAndFoldVolume(submitted, desired: desired, replacing: replacing)

        case .drs:
            // The job may still run (its answer was lost): let it finish before looking.
            try await waitForLostDRSJobs()
            // The destination, by name; a renamed file is found by listing the whole folder.
            var fold = Fold()
            var byParent: [FileParent: [Int]] = [:]
            for (position, item) in batch.items.enumerated() {
                byParent[item.destinationParent.map(FileParent.folder) ?? .project(item.destinationProject), default: []].append(position)
            }
            for (parent, positions) in byParent {
                let names = batch.policy == .rename ? [] : positions.map { batch.items[$0].requestedName }
                let found = try await listFiles(in: parent, names: names)
                var byURI: [String: PlatformFile] = [:]
                for file in found where !file.isFolder {
                    if let uri = file.storage?.drsURI { byURI[uri] = file }
                }
                for position in positions {
                    let item = batch.items[position]
                    guard case .drs(let uri) = item.source else { continue }
                    if let file = byURI[uri] {
                        adopt(file, position: position, item: item, desired: desired[item.address], jobID: batch.jobID,
                              replacing: replacing, into: &fold)
                    } else {
                        fold.results[position] = JournalItemResult(outcome: .skipped, error: "not found at the destination after an interrupted submission")
                        fold.counts.notSubmitted += 1
                    }
                }
            }
            return try await complete(batch, fold)
        }
    }

    func allImportJobs(project: String, volume: String) async throws -> [ImportJob] {
        var jobs: [ImportJob] = []
        var page = try await platformCall("listing import jobs") { try await self.client.reader.listImportJobs(project: project, volume: volume) }
        jobs += page.items
        while let next = try await platformCall("listing import jobs", { [page] in try await self.client.reader.nextPage(after: page) }) {
            jobs += next.items
            page = next
        }
        return jobs
    }

    func listFiles(in parent: FileParent, names: [String]) async throws -> [PlatformFile] {
        var files: [PlatformFile] = []
        let groups: [[String]] = names.isEmpty ? [[]] : names.chunked(50).map { Array($0) }
        for group in groups {
            var page = try await platformCall("listing files") { try await self.client.reader.listFiles(FileQuery(in: parent, names: group)) }
            files += page.items
            while let next = try await platformCall("listing files", { [page] in try await self.client.reader.nextPage(after: page) }) {
                files += next.items
                page = next
            }
        }
        return files
    }
}
