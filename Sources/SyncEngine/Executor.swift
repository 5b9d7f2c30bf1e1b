public import PlatformAPI
public import SyncCore
public import SyncState
import Synchronization

/// Carries a plan out on the platform and records every result in the state, following the
/// journal protocol of DESIGN.md: a batch is written before its POST, its ids right after, its
/// results (with the recorded files) in one transaction when they arrive. A crash at any
/// instant therefore loses nothing and duplicates nothing: `settle` finishes what a previous
/// run left behind, looking at the platform before anything is submitted again.
///
/// Per-item failures never stop a run; they end up in `ExecutionReport.problems`. A run stops
/// early only on errors that concern every item (the state cannot be written, the platform
/// stays unreachable while polling); the journal then holds what settling needs.
///
/// The store must hold its lock (`StateStore.acquireLock`) for as long as the executor runs.
public actor Executor {
    let client: PlatformClient
    let store: any StateBackend
    let options: ExecutorOptions
    let clock: any PlatformClock
    let onEvent: @Sendable (ExecutorEvent) -> Void
    private let stopFlag = Mutex(false)

    var counts = ExecutorCounts()
    var outcomes: [ItemOutcome: Int] = [:]
    var problems: [ItemProblem] = []
    var folderIDs: [FolderKey: String] = [:]
    /// Folders this run created: nothing can be in them but what it put there.
    var foldersMadeHere = Set<FolderKey>()
    /// Folders that could not be made this run, with the reason: not tried again.
    var failedFolders: [FolderKey: String] = [:]
    /// Folders a batch is finding or making now, and the batches waiting for them.
    var foldersInFlight = Set<FolderKey>()
    /// Folders to find or make this run, less those that cannot be made; and the last total
    /// told to `onEvent` (`.folders`).
    var folderTotal = 0
    var announcedFolderTotal = 0
    var folderWaiters: [FolderKey: [CheckedContinuation<Void, Never>]] = [:]
    /// DRS items submitted: (time, count), for the pace.
    var drsSubmissions: [(time: Double, count: Int)] = []
    var notStarted = 0
    /// The end of the latest DRS pace wait, so overlapping waits are counted once.
    var pacedUntil = 0.0
    /// DRS items whose batch has not started yet.
    var drsQueued = 0

    struct FolderKey: Hashable, Sendable {
        var project: String
        var path: String

        /// The folder it is in; `nil` at the project root.
        var parent: FolderKey? {
            let folder = Address(project: project, path: path).folder
            return folder.isEmpty ? nil : FolderKey(project: project, path: folder)
        }

        /// Its own name, the last segment of `path`.
        var name: String { Address(project: project, path: path).name }
    }

    /// - Parameters:
    ///   - client: the platform; its clock should be `clock`.
    ///   - store: the state, locked by the caller.
    ///   - options: batching, concurrency, pace and polling.
    ///   - clock: for poll intervals and the DRS pace.
    ///   - onEvent: progress events (called from the executor's tasks).
    public init(client: PlatformClient, store: any StateBackend, options: ExecutorOptions = ExecutorOptions(),
                clock: any PlatformClock = SystemPlatformClock(),
                onEvent: @escaping @Sendable (ExecutorEvent) -> Void = { _ in }) {
        self.client = client
        self.store = store
        self.options = options
        self.clock = clock
        self.onEvent = onEvent
    }

    /// Stops submitting new batches; what is in flight is still polled and recorded. Safe to
    /// call from any thread (a signal handler's task).
    public nonisolated func requestStop() {
        stopFlag.withLock { $0 = true }
    }

    /// Whether `requestStop()` was called.
    public nonisolated var isStopping: Bool { stopFlag.withLock { $0 } }

    // MARK: - Execute

    /// Carries out `changes` (a plan's `changes`).
    /// - Parameter changes: imports, replaces, updates and forgets; no-ops are not listed.
    /// - Returns: what happened, item by item for the problems.
    /// - Throws: `ExecutorError` when the run cannot go on; `CancellationError`.
    public func execute(_ changes: [PlannedChange]) async throws -> ExecutionReport {
        await reportRateLimitWaits()
        guard let limit = options.maxDuration else { return try await executeAll(changes) }
        let clock = self.clock
        return try await withThrowingTaskGroup(of: ExecutionReport?.self) { group in
            group.addTask { try await self.executeAll(changes) }
            group.addTask {
                try await clock.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let report = first else {
                throw ExecutorError.maxDurationReached(limit)
            }
            return report
        }
    }

    /// Waits of a second or more for the rate limit become `rateLimited` events.
    func reportRateLimitWaits() async {
        let onEvent = self.onEvent
        await client.reader.budget.onWait { wait in
            if wait >= .seconds(1) { onEvent(.rateLimited(wait)) }
        }
    }

    private func executeAll(_ changes: [PlannedChange]) async throws -> ExecutionReport {
        counts = ExecutorCounts()
        counts.total = changes.count
        outcomes = [:]
        problems = []
        notStarted = 0
        onEvent(.started(total: changes.count))

        var forgets: [PlannedChange] = [], updates: [PlannedChange] = [], moves: [PlannedChange] = [], adopts: [PlannedChange] = []
        var volume: [Work] = [], drs: [Work] = []
        for change in changes {
            switch change.action {
            case .forget: forgets.append(change)
            case .update: updates.append(change)
            case .move: moves.append(change)
            case .adopt: adopts.append(change)
            case .import, .replace:
                guard let desired = change.after else { continue }
                let replacing = change.action == .replace
                let work = Work(desired: desired, replacing: replacing,
                                name: replacing ? (change.before?.actualName ?? desired.address.name) : desired.address.name)
                switch desired.source.kind {
                case .volume: volume.append(work)
                case .drs: drs.append(work)
                }
            }
        }

        // Forget: the state only.
        if !forgets.isEmpty {
            try stateCall { try store.forget(forgets.map(\.address)) }
            finish(forgets.count, as: .forgotten)
        }

        // Folders: how many are to be found or made (the status line counts them); an adopted
        // file's are found and recorded first (a refresh tells a moved file by its folder's
        // recorded id); each import batch makes its own just before it starts (`run`).
        folderTotal = try unknownFolders(for: (volume + drs).map(\.desired.address) + adopts.map(\.address)).count
        announcedFolderTotal = folderTotal
        if folderTotal > 0 { onEvent(.folders(total: folderTotal)) }
        _ = try await ensureFolders(for: adopts.map(\.address))

        // Adopt: the state (and the manifest's metadata and tags where the file lacks them).
        try await runAdopts(adopts)

        // Imports and replaces, in bulk, a bounded number of jobs at once.
        var volumeBatches: [Batch] = []
        for (policy, group) in Dictionary(grouping: volume, by: \.policy).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for chunk in group.sorted(by: { $0.desired.address < $1.desired.address }).chunked(options.batchSize) {
                volumeBatches.append(Batch(kind: .volume, policy: policy, tags: [], items: Array(chunk)))
            }
        }
        var drsBatches: [Batch] = []
        struct DRSKey: Hashable { var policy: ConflictPolicy; var tags: [String] }
        let drsGroups = Dictionary(grouping: drs) { DRSKey(policy: $0.policy, tags: $0.desired.tags) }
        for (key, group) in drsGroups.sorted(by: { ($0.key.policy.rawValue, $0.key.tags.joined(separator: "\u{1}")) < ($1.key.policy.rawValue, $1.key.tags.joined(separator: "\u{1}")) }) {
            for chunk in group.sorted(by: { $0.desired.address < $1.desired.address }).chunked(options.batchSize) {
                drsBatches.append(Batch(kind: .drs, policy: key.policy, tags: key.tags, items: Array(chunk)))
            }
        }
        // Interleaved, so DRS jobs (slow, paced) run while volume jobs proceed.
        var batches: [Batch] = []
        for i in 0..<max(volumeBatches.count, drsBatches.count) {
            if i < drsBatches.count { batches.append(drsBatches[i]) }
            if i < volumeBatches.count { batches.append(volumeBatches[i]) }
        }
        drsQueued = drs.count
        try await runBatches(batches)

        // Metadata and tags, no re-import.
        try await runUpdates(updates)

        // Files renamed or moved on the platform, back to their address (a refreshed plan).
        try await runMoves(moves)

        return ExecutionReport(counts: counts, outcomes: outcomes, problems: problems, interrupted: notStarted > 0)
    }

    /// One import or replace.
    struct Work: Sendable {
        var desired: DesiredFile
        var replacing: Bool
        /// The name asked of the platform: the address's name, or for a replace the name the
        /// platform gave the file being replaced.
        var name: String
        /// A replace always overwrites: the file is ours.
        var policy: ConflictPolicy { replacing ? .overwrite : desired.policy }
    }

    struct Batch: Sendable {
        var kind: FileSource.Kind
        var policy: ConflictPolicy
        var tags: [String]
        var items: [Work]
    }

    private func runBatches(_ batches: [Batch]) async throws {
        try await Self.forEach(batches, atMost: options.maxJobsInFlight) { try await self.run($0) }
    }

    /// Runs `body` on every element in order of start, at most `width` at a time; the first
    /// error cancels the rest.
    static func forEach<Element: Sendable>(_ elements: [Element], atMost width: Int,
                                                   _ body: @escaping @Sendable (Element) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startOne() {
                let element = elements[next]
                next += 1
                group.addTask { try await body(element) }
            }
            while next < elements.count && next < width { startOne() }
            while try await group.next() != nil {
                if next < elements.count { startOne() }
            }
        }
    }

    private func run(_ batch: Batch) async throws {
        if batch.kind == .drs { drsQueued -= batch.items.count }
        if isStopping {
            notStarted += batch.items.count
            return
        }
        // Its folders, top-down; items under one that cannot be made fail.
        var batch = batch
        batch.items = dropItemsUnder(try await ensureFolders(for: batch.items.map(\.desired.address)), batch.items)
        guard !batch.items.isEmpty else { return }
        let desired = Dictionary(batch.items.map { ($0.desired.address, $0.desired) }, uniquingKeysWith: { a, _ in a })
        let replacing = Set(batch.items.filter(\.replacing).map(\.desired.address))
        let journalItems = batch.items.map { work in
            JournalItem(address: work.desired.address, source: work.desired.source, requestedName: work.name,
                        destinationProject: work.desired.address.project,
                        destinationParent: folderIDs[FolderKey(project: work.desired.address.project, path: work.desired.address.folder)])
        }
        if batch.kind == .drs { try await pace(batch.items.count) }
        if isStopping {
            notStarted += batch.items.count
            return
        }
        // 1. The batch is in the journal before its POST.
        let journal = try stateCall { try store.beginBatch(kind: batch.kind, policy: batch.policy, tags: batch.tags, items: journalItems) }
        counts.jobsInFlight += 1
        defer { counts.jobsInFlight -= 1 }
        onEvent(.submitted(batch: journal.id, kind: batch.kind, items: journal.items.count))
        switch batch.kind {
        case .volume:
            let flags = batch.policy.volumeFlags
            let requests = zip(batch.items, journal.items).map { work, item -> ImportRequest in
                guard case .volume(let volume, let location) = item.source else { preconditionFailure("volume batch") }
                return ImportRequest(
                    source: PlatformAPI.VolumeSource(volume: volume, location: location),
                    destination: ImportDestination(item.destinationParent.map(FileParent.folder) ?? .project(item.destinationProject),
                                                   name: work.name),
                    overwrite: flags.overwrite, autorename: flags.autorename)
            }
            let records: [BulkRecord<ImportJob>]
            do {
                records = try await client.startBulkImport(requests)
            } catch let error as PlatformError where error.isOutcomeUnknown {
                // Unknown: look at the platform before anything is sent again.
                try await settleUnknown(journal, desired: desired, replacing: replacing)
                return
            } catch let error as PlatformError where error.isCannotConnect {
                // Never sent: the batch stays in the journal, and the next apply settles it.
                throw ExecutorError.platform(error, context: "import")
            } catch let error as PlatformError {
                try failWhole(journal, message: error.description)
                return
            }
            // 2. The ids right after the response.
            var results: [Int: JournalItemResult] = [:]
            for (position, record) in records.enumerated() {
                if let error = record.error {
                    results[position] = JournalItemResult(outcome: .failed, error: error.description)
                }
            }
            try stateCall { try store.markSubmitted(batch: journal.id, jobID: nil, importIDs: records.map { $0.resource?.id }, results: results) }
            guard let submitted = try stateCall({ try store.batch(journal.id) }) else { throw ExecutorError.state("batch \(journal.id) vanished") }
            // 3. Poll, then fold the results in.
            _ = try await pollAndFoldVolume(submitted, desired: desired, replacing: replacing)
        case .drs:
            let items = zip(batch.items, journal.items).map { work, item -> DRSImportItem in
                guard case .drs(let uri) = item.source else { preconditionFailure("DRS batch") }
                return DRSImportItem(drsURI: uri, destination: item.destinationParent.map(FileParent.folder) ?? .project(item.destinationProject),
                                     name: work.name, metadata: work.desired.metadata.isEmpty ? nil : work.desired.metadata.json)
            }
            let job: DRSImportJob
            do {
                job = try await client.startDRSImport(items, conflictResolution: batch.policy.drs, tags: batch.tags.isEmpty ? nil : batch.tags)
            } catch let error as PlatformError where error.isOutcomeUnknown {
                try await settleUnknown(journal, desired: desired, replacing: replacing)
                return
            } catch let error as PlatformError where error.isCannotConnect {
                // Never sent: the batch stays in the journal, and the next apply settles it.
                throw ExecutorError.platform(error, context: "import")
            } catch let error as PlatformError {
                try failWhole(journal, message: error.description)
                return
            }
            try stateCall { try store.markSubmitted(batch: journal.id, jobID: job.id) }
            guard let submitted = try stateCall({ try store.batch(journal.id) }) else { throw ExecutorError.state("batch \(journal.id) vanished") }
            _ = try await pollAndFoldDRS(submitted, desired: desired, replacing: replacing, first: job)
        }
    }

    /// A bulk create whose outcome is unknown: settled by looking at the platform; the items
    /// not found there are reported as failed (the next apply submits them again).
    private func settleUnknown(_ journal: JournalBatch, desired: [Address: DesiredFile], replacing: Set<Address>) async throws {
        let fold = try await settleSubmitting(journal, desired: desired, replacing: replacing)
        guard fold.notSubmitted > 0, let settled = try stateCall({ try store.batch(journal.id) }) else { return }
        for item in settled.items where item.result?.outcome == .skipped && item.result?.error?.hasPrefix("not ") == true {
            problem(ItemProblem(address: item.address, source: item.source, outcome: .failed,
                                message: "the platform's answer to the import call was lost and the file is not at the destination (yet); the next apply checks again and submits it if needed"))
        }
    }

    /// A bulk call refused as a whole (e.g. 400, 403): every item failed with its message.
    private func failWhole(_ batch: JournalBatch, message: String) throws {
        var results: [Int: JournalItemResult] = [:]
        for position in batch.items.indices { results[position] = JournalItemResult(outcome: .failed, error: message) }
        try stateCall { try store.completeBatch(batch.id, results: results, recording: []) }
        for item in batch.items {
            problem(ItemProblem(address: item.address, source: item.source, outcome: .failed, message: message))
        }
    }

    // MARK: - Polling and folding

    /// What folding a batch found.
    struct FoldCounts {
        var adopted = 0
        var notSubmitted = 0
        var failed = 0
    }

    /// Polls a submitted volume batch's import jobs until each is final, then folds them in.
    func pollAndFoldVolume(_ batch: JournalBatch, desired: [Address: DesiredFile], replacing: Set<Address>) async throws -> FoldCounts {
        var pending: [Int] = batch.items.indices.filter { batch.items[$0].importID != nil && batch.items[$0].result == nil }
        var jobs: [Int: ImportJob] = [:]
        var interval = options.pollInterval
        while !pending.isEmpty {
            try await clock.sleep(for: interval)
            var still: [Int] = []
            for chunk in pending.chunked(100) {
                let ids = chunk.map { batch.items[$0].importID ?? "" }
                let records = try await platformCall("polling import jobs") { try await self.client.reader.importJobs(ids: ids) }
                for (position, record) in zip(chunk, records) {
                    if let job = record.resource {
                        if job.state.isFinal { jobs[position] = job } else { still.append(position) }
                    } else {
                        // The platform does not know the id: treat as failed, it is planned again.
                        jobs[position] = ImportJob(id: batch.items[position].importID ?? "", state: .failed,
                                                   error: record.error ?? PlatformErrorBody(message: "unknown import job"))
                    }
                }
            }
            pending = still
            interval = min(interval * 2, options.maxPollInterval)
        }

        var fold = Fold()
        var failures: [(Int, PlatformErrorBody)] = []
        for (position, item) in batch.items.enumerated() {
            if let result = item.result {
                // Settled at submission (refused item, or not submitted).
                if result.outcome == .failed {
                    fold.counts.failed += 1
                    problem(ItemProblem(address: item.address, source: item.source, outcome: .failed, message: result.error ?? "failed"))
                } else {
                    fold.counts.notSubmitted += 1
                }
                continue
            }
            guard let job = jobs[position] else { continue }
            if job.state == .completed, let file = job.result {
                adopt(file, position: position, item: item, desired: desired[item.address], jobID: job.id,
                      replacing: replacing, into: &fold)
            } else {
                let error = job.error ?? PlatformErrorBody(message: "the import job ended \(job.state)")
                failures.append((position, error))
            }
        }
        try await resolveFailures(failures, batch: batch, desired: desired, replacing: replacing, into: &fold)
        return try await complete(batch, fold)
    }

    /// Polls a submitted DRS batch's job until `FINISHED`, fetches the files it made, folds them in.
    func pollAndFoldDRS(_ batch: JournalBatch, desired: [Address: DesiredFile], replacing: Set<Address>,
                        first: DRSImportJob? = nil) async throws -> FoldCounts {
        guard let jobID = batch.jobID else { return try await settleSubmitting(batch, desired: desired, replacing: replacing) }
        var job = first
        var interval = options.pollInterval
        while job?.state.isFinal != true {
            try await clock.sleep(for: interval)
            job = try await platformCall("polling DRS import job \(jobID)") { try await self.client.reader.drsImportJob(id: jobID) }
            interval = min(interval * 2, options.maxPollInterval)
        }
        let finished = job!
        let ids = finished.result.compactMap { $0.resource?.id }
        var byID: [String: PlatformFile] = [:]
        for chunk in ids.chunked(100) {
            let records = try await platformCall("fetching imported files") { try await self.client.reader.files(ids: Array(chunk)) }
            for record in records { if let file = record.resource { byID[file.id] = file } }
        }
        var fold = Fold()
        var failures: [(Int, PlatformErrorBody)] = []
        for (position, item) in batch.items.enumerated() {
            let record = position < finished.result.count ? finished.result[position] : nil
            if let id = record?.resource?.id, let file = byID[id] {
                adopt(file, position: position, item: item, desired: desired[item.address], jobID: jobID,
                      replacing: replacing, into: &fold)
            } else {
                let error = record?.error ?? PlatformErrorBody(message: record == nil ? "the DRS job gave no result for this item"
                                                                                       : "the imported file could not be fetched")
                failures.append((position, error))
            }
        }
        try await resolveFailures(failures, batch: batch, desired: desired, replacing: replacing, into: &fold)
        return try await complete(batch, fold)
    }

    /// What folding a batch gathers before it is written in one transaction.
    struct Fold {
        var results: [Int: JournalItemResult] = [:]
        var files: [RecordedFile] = []
        /// Files recorded without all their metadata and tags yet.
        var edits: [PendingEdit] = []
        var counts = FoldCounts()
    }

    /// An item whose file is on the platform: recorded, counted now or once its edit succeeded.
    func adopt(_ file: PlatformFile, position: Int, item: JournalItem, desired: DesiredFile?, jobID: String?,
               replacing: Set<Address>, into fold: inout Fold) {
        let outcome: ItemOutcome = replacing.contains(item.address) ? .replaced : .imported
        let (recorded, edit) = recordable(file: file, item: item, desired: desired, jobID: jobID, outcome: outcome)
        fold.files.append(recorded)
        fold.results[position] = JournalItemResult(outcome: .imported, fileID: file.id, actualName: file.name)
        fold.counts.adopted += 1
        if let edit { fold.edits.append(edit) } else { finish(1, as: outcome) }
    }

    /// Step 3 of the journal (results and recorded files in one transaction), then the
    /// metadata and tags the imports did not carry.
    func complete(_ batch: JournalBatch, _ fold: Fold) async throws -> FoldCounts {
        try stateCall { try store.completeBatch(batch.id, results: fold.results, recording: fold.files) }
        await emitProgress()
        if !fold.edits.isEmpty { try await applyEdits(fold.edits) }
        return fold.counts
    }

    /// Failed items, in the end. A name conflict may be with the very file this item asked
    /// for (an earlier submission of it whose answer was lost): such a file is adopted.
    private func resolveFailures(_ failures: [(Int, PlatformErrorBody)], batch: JournalBatch, desired: [Address: DesiredFile],
                                 replacing: Set<Address>, into fold: inout Fold) async throws {
        var existing: [String: PlatformFile] = [:]
        let conflicts = failures.filter { $0.1.isNameConflict }.map { batch.items[$0.0] }
        if !conflicts.isEmpty {
            let byParent = Dictionary(grouping: conflicts) { $0.destinationParent.map(FileParent.folder) ?? .project($0.destinationProject) }
            for (parent, items) in byParent {
                for file in try await listFiles(in: parent, names: items.map(\.requestedName)) where !file.isFolder {
                    existing["\(parent)\u{0}" + Self.sourceKey(file)] = file
                }
            }
        }
        for (position, error) in failures {
            let item = batch.items[position]
            let parent = item.destinationParent.map(FileParent.folder) ?? .project(item.destinationProject)
            if error.isNameConflict, let file = existing["\(parent)\u{0}" + Self.sourceKey(item.source)],
               file.name == item.requestedName {
                adopt(file, position: position, item: item, desired: desired[item.address], jobID: item.importID ?? batch.jobID,
                      replacing: replacing, into: &fold)
            } else {
                settleFailure(error, item: item, policy: batch.policy, position: position, into: &fold)
            }
        }
    }

    static func sourceKey(_ source: FileSource) -> String {
        switch source {
        case .volume(let volume, let location): "v\u{0}\(volume)\u{0}\(location)"
        case .drs(let uri): "d\u{0}\(uri)"
        }
    }

    static func sourceKey(_ file: PlatformFile) -> String {
        if let uri = file.storage?.drsURI { return "d\u{0}\(uri)" }
        return "v\u{0}\(file.storage?.volume ?? "")\u{0}\(file.storage?.location ?? "")"
    }

    private func settleFailure(_ error: PlatformErrorBody, item: JournalItem, policy: ConflictPolicy, position: Int,
                               into fold: inout Fold) {
        if error.isNameConflict && policy == .skip {
            fold.results[position] = JournalItemResult(outcome: .skipped, error: error.description)
            problem(ItemProblem(address: item.address, source: item.source, outcome: .skipped,
                                message: "skipped: the name '\(item.requestedName)' is taken by a file sbsync does not manage (conflict: skip)"))
        } else {
            fold.results[position] = JournalItemResult(outcome: .failed, error: error.description)
            problem(ItemProblem(address: item.address, source: item.source, outcome: .failed, message: error.description))
        }
        fold.counts.failed += 1
    }

    // MARK: - DRS pace

    /// Waits until `count` more DRS items fit in the pace window, and reserves them.
    private func pace(_ count: Int) async throws {
        let window = options.drsWindow.seconds
        while true {
            let now = clock.now()
            drsSubmissions.removeAll { now - $0.time >= window }
            let used = drsSubmissions.reduce(0) { $0 + $1.count }
            if used + count <= options.drsPace || drsSubmissions.isEmpty {
                drsSubmissions.append((now, count))
                return
            }
            // Wait until enough of the oldest submissions leave the window.
            var freed = 0
            var until = now
            for entry in drsSubmissions {
                freed += entry.count
                until = entry.time + window
                if used - freed + count <= options.drsPace { break }
            }
            let wait = max(0.001, until - now)
            // Concurrent waiters overlap: count the wall time once.
            counts.pacingSeconds += max(0, until - max(now, pacedUntil))
            pacedUntil = max(pacedUntil, until)
            onEvent(.pacing(.milliseconds(Int64(wait * 1000))))
            try await clock.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
        }
    }

    // MARK: - Bookkeeping

    func finish(_ n: Int, as outcome: ItemOutcome) {
        outcomes[outcome, default: 0] += n
        counts.done += n
    }

    func problem(_ problem: ItemProblem) {
        problems.append(problem)
        switch problem.outcome {
        case .skipped: counts.skipped += 1
        case .failed: counts.failed += 1
        default: break
        }
        outcomes[problem.outcome, default: 0] += 1
        onEvent(.problem(problem))
    }

    func emitProgress() async {
        counts.rateLimitSeconds = await client.reader.budget.totalWait.seconds
        counts.paceFloorSeconds = options.paceFloorSeconds(drsItems: drsQueued)
        onEvent(.progress(counts))
    }

    @discardableResult
    func stateCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StateError {
            throw ExecutorError.state(error.description)
        }
    }

    func platformCall<T: Sendable>(_ context: String, _ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PlatformError {
            throw ExecutorError.platform(error, context: context)
        }
    }

    private func dropItemsUnder(_ failed: [FolderKey: String], _ items: [Work]) -> [Work] {
        guard !failed.isEmpty else { return items }
        return items.filter { work in
            let address = work.desired.address
            guard let failure = address.folderChain.lazy.compactMap({ failed[FolderKey(project: address.project, path: $0)] }).first else {
                return true
            }
            problem(ItemProblem(address: address, source: work.desired.source, outcome: .failed, message: failure))
            return false
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension ArraySlice {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        Array(self).chunked(size)
    }
}

