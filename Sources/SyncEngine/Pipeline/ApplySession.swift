import Foundation
public import PlatformAPI
public import SyncCore
public import SyncState
import Synchronization
public import SyncYAML

/// `apply` as one sequence (DESIGN.md "One pipeline"): lock the state → check a saved plan →
/// expand prefixes → settle what an interrupted run left → the same diff as `plan` (or the
/// saved plan, exactly) → confirm → execute. The CLI supplies the confirmation and renders
/// what each step reports; every rule lives here or below.
public final class ApplySession: Sendable {
    /// What the session needs to know about the run.
    public struct Request: Sendable {
        /// The manifest file.
        public var manifestPath: String
        /// The state file (created when missing).
        public var statePath: String
        /// A plan saved by `plan --out`, to run exactly; and the file it came from.
        public var saved: (plan: SavedPlan, file: String)?
        /// `apply --refresh`: check recorded files on the platform first (`Refresh`).
        public var refresh: RefreshRequest?
        /// Leave an `InSyncNote` when the state ends as the manifest asks (not when the
        /// environment turns notes off, `InSyncNote.disabled(by:)`).
        public var inSyncNotes = true

        public init(manifestPath: String, statePath: String, saved: (plan: SavedPlan, file: String)? = nil,
                    refresh: RefreshRequest? = nil) {
            self.manifestPath = manifestPath
            self.statePath = statePath
            self.saved = saved
            self.refresh = refresh
        }
    }

    /// Why a run stopped before executing; every case is for the user to act on.
    public enum Failure: Error, Sendable {
        /// The manifest, or the expansion of its prefixes, has errors.
        case invalid([Diagnostic])
        /// The state could not be opened, locked or read (`.locked` names the holder).
        case state(StateError)
        /// The saved plan no longer fits; each reason says why.
        case stale([String])
        /// Listing volume prefixes failed.
        case listing(PlatformError)
        /// The refresh failed; the state is unchanged.
        case refresh(Refresh.Failure)
        /// The refresh found drift on more than the threshold's share of checked files, and it
        /// was not confirmed (`--yes-drift`, or on a terminal).
        case driftNotConfirmed(Refresh.Report)
    }

    /// How a run ended.
    public enum Outcome: Sendable {
        /// The plan had no changes; nothing was executed.
        case noChanges(Plan)
        /// The confirmation was declined; nothing was changed.
        case declined(Plan)
        /// The plan was carried out (perhaps interrupted: see the report).
        case executed(Plan, ExecutionReport)
    }

    /// Hooks for the caller, called in this order, each at most once.
    public struct Hooks: Sendable {
        /// Unfinished batches of an interrupted run were settled.
        public var settled: @Sendable (SettleReport) -> Void
        /// The plan to carry out (saved or made).
        public var planned: @Sendable (Plan) -> Void
        /// Whether to go ahead with a plan that has changes (not asked for a saved plan).
        public var confirm: @Sendable (Plan) async -> Bool
        /// `--refresh`: the refresh is about to start (its cost), and what it found.
        public var refreshing: @Sendable (Refresh.Cost) -> Void
        public var refreshed: @Sendable (Refresh.Report) -> Void
        /// Whether to act on drift above the threshold (not asked with `yesDrift`).
        public var confirmDrift: @Sendable (Refresh.Report) async -> Bool

        public init(settled: @escaping @Sendable (SettleReport) -> Void = { _ in },
                    planned: @escaping @Sendable (Plan) -> Void = { _ in },
                    confirm: @escaping @Sendable (Plan) async -> Bool,
                    refreshing: @escaping @Sendable (Refresh.Cost) -> Void = { _ in },
                    refreshed: @escaping @Sendable (Refresh.Report) -> Void = { _ in },
                    confirmDrift: @escaping @Sendable (Refresh.Report) async -> Bool = { _ in false }) {
            self.settled = settled
            self.planned = planned
            self.confirm = confirm
            self.refreshing = refreshing
            self.refreshed = refreshed
            self.confirmDrift = confirmDrift
        }
    }

    private let request: Request
    private let client: PlatformClient
    private let options: ExecutorOptions
    private let clock: any PlatformClock
    private let onEvent: @Sendable (ExecutorEvent) -> Void
    /// The executor once it exists, and whether a stop was asked for before it did.
    private let executor = Mutex<(executor: Executor?, stop: Bool)>((nil, false))

    /// - Parameters:
    ///   - client: the platform; its clock should be `clock`.
    ///   - onEvent: the executor's progress events.
    public init(_ request: Request, client: PlatformClient, options: ExecutorOptions, clock: any PlatformClock,
                onEvent: @escaping @Sendable (ExecutorEvent) -> Void) {
        self.request = request
        self.client = client
        self.options = options
        self.clock = clock
        self.onEvent = onEvent
    }

    /// Stops submitting new batches (what is in flight is still settled); safe from any thread.
    public func requestStop() {
        let current = executor.withLock { state -> Executor? in
            state.stop = true
            return state.executor
        }
        current?.requestStop()
    }

    /// Runs the sequence.
    /// - Throws: `Failure`; `ExecutorError` or `PlatformError` when the run cannot go on
    ///   (the journal keeps what was in flight); `CancellationError`.
    public func run(_ hooks: Hooks) async throws -> Outcome {
        // Fingerprinted: an apply that leaves the state matching the manifest says so for the
        // bytes it read (`InSyncNote`), and the next plan need not compare every file.
        let loaded = PlanPipeline.load(request.manifestPath, noteDigests: request.saved == nil && request.inSyncNotes)
        guard let valid = loaded.valid else { throw Failure.invalid(loaded.diagnostics) }
        let manifest = valid.manifest
        var desired = valid.desired
        let sources = request.saved == nil ? [] : PlanPipeline.fingerprints(of: loaded.check.sources)

        // What apply will need (token, projects, volumes), before anything is created or locked:
        // a failed check changes nothing, not even an empty state file. A saved plan too: it may
        // have been made offline, and a state file made by a run that then could not reach the
        // platform would leave a plan made against no state stale for ever.
        try await PlanPipeline.preflight(manifest, desired, using: client.reader)

        // The state, locked for the whole run.
        let store: any StateBackend
        let stateExisted: Bool
        do throws(StateError) {
            let opened = try StateBackends.open(request.statePath, create: true)
            store = opened.store
            stateExisted = !opened.created
            // Every record read (and checked) before the lock row is the first thing written.
            if stateExisted { try store.verify() }
            _ = try store.acquireLock(operation: "apply")
        } catch {
            throw Failure.state(error)
        }
        defer { try? store.releaseLock() }

        // A saved plan must still fit, before anything (settling included) changes the state.
        if let saved = request.saved {
            let manifestSHA256 = (try? BoundedFile.sha256(of: request.manifestPath)) ?? ""
            let reasons = staleness(of: saved.plan, store: store, stateExisted: stateExisted, manifestSHA256: manifestSHA256,
                                    sources: sources)
            if !reasons.isEmpty { throw Failure.stale(reasons) }
        }

        // The lock expires when its heartbeat is old; long waits (DRS pace, polls) write nothing.
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                try? store.refreshLock()
            }
        }
        defer { heartbeat.cancel() }

        let executor = Executor(client: client, store: store, options: options, clock: clock, onEvent: onEvent)
        let stopAlready = self.executor.withLock { state -> Bool in
            state.executor = executor
            return state.stop
        }
        if stopAlready { executor.requestStop() }

        if request.saved == nil {
            desired = try await PlanPipeline.expand(manifest, desired, using: client.reader)
        }

        // Settle what an interrupted apply left, against what the manifest wants now.
        var byAddress: [Address: DesiredFile] = [:]
        byAddress.reserveCapacity(desired.count)
        for file in desired.files { byAddress[file.address] = file }
        let settled = try await executor.settle(desired: byAddress)
        if settled.batches > 0 { hooks.settled(settled) }

        var plan: Plan
        var foundFolders: [FolderRecord] = []
        if let saved = request.saved {
            plan = try saved.plan.plan()
        } else {
            let diffed: Plan
            do throws(StateError) {
                let outcome = try PlanPipeline.plan(manifest, desired, store: store)
                diffed = outcome.plan
                if request.refresh == nil, let inputs = InSyncNote.Inputs(loaded) {
                    InSyncNote.leave(after: outcome, of: manifest, inputs: inputs, statePath: request.statePath)
                }
            } catch {
                throw Failure.state(error)
            }
            // A destination not in the state is looked at before anything is imported there.
            let checked = try await PlanPipeline.checkDestinations(diffed, using: client.reader)
            plan = Plan(projects: checked.plan.projects, notes: diffed.notes + DestinationCheck.notes(checked.summary))
            foundFolders = checked.summary.folders
        }
        var refreshed: Refresh.Report?
        if request.saved == nil {
            (plan, refreshed) = try await refresh(plan, store: store, desired: byAddress, hooks: hooks)
        }
        hooks.planned(plan)
        guard plan.hasChanges else {
            try recordVerification(refreshed, store: store)
            return .noChanges(plan)
        }
        if request.saved == nil, await !hooks.confirm(plan) { return .declined(plan) }
        try recordVerification(refreshed, store: store)
        try await executor.knowFolders(foundFolders)
        let report = try await executor.execute(plan.changes)
        if request.saved == nil, !Task.isCancelled, let inputs = InSyncNote.Inputs(loaded), manifest.prefixes.isEmpty,
           let outcome = try? PlanPipeline.plan(manifest, desired, store: store) {
            // One more comparison (a second or two for a million files, against an apply of
            // hours): when the state now holds exactly what the manifest asks for, the plan
            // after this apply says so from the note.
            InSyncNote.leave(after: outcome, of: manifest, inputs: inputs, statePath: request.statePath)
        }
        return .executed(plan, report)
    }

    /// `--refresh`: the plan with the way back for every drift (`Refresh`), once drift above the
    /// threshold is confirmed.
    private func refresh(_ plan: Plan, store: any StateBackend, desired: [Address: DesiredFile],
                         hooks: Hooks) async throws -> (Plan, Refresh.Report?) {
        guard let refresh = request.refresh else { return (plan, nil) }
        do {
            hooks.refreshing(try Refresh.cost(store: store, budget: refresh.budget))
        } catch {
            throw Failure.state(error)
        }
        let report: Refresh.Report
        do {
            report = try await Refresh.run(store: store, reader: refresh.reader ?? client.reader, budget: refresh.budget)
        } catch let failure as Refresh.Failure {
            throw Failure.refresh(failure)
        }
        hooks.refreshed(report)
        if report.driftShare > refresh.driftThreshold, !refresh.yesDrift, await !hooks.confirmDrift(report) {
            throw Failure.driftNotConfirmed(report)
        }
        return (plan.reconciled(with: report.drifts) { desired[$0] }, report)
    }

    /// Records the verification of the files a refresh found as recorded.
    private func recordVerification(_ report: Refresh.Report?, store: any StateBackend) throws {
        guard let report else { return }
        do {
            try Refresh.recordVerification(report.verified, in: store, at: Int64(clock.now()))
        } catch {
            throw Failure.state(error)
        }
    }

    /// Why the saved plan no longer fits the manifest and the state (empty: it fits).
    private func staleness(of saved: SavedPlan, store: any StateBackend, stateExisted: Bool, manifestSHA256: String,
                           sources: [SavedPlan.SourceRef]) -> [String] {
        // A plan made before the first apply was made against no state file at all.
        var reasons = saved.staleness(manifestSHA256: manifestSHA256, sources: sources,
                                      lineage: stateExisted ? store.lineage : nil,
                                      serial: stateExisted ? (try? store.serial()) ?? -1 : 0)
        if reasons.isEmpty, let unfinished = try? store.unfinishedBatches(), !unfinished.isEmpty {
            reasons.append("the state '\(StateBackends.display(request.statePath))' has \(unfinished.count) unfinished batch(es) of an interrupted apply; "
                + "run 'sbsync apply' without a plan file to settle them, then plan again")
        }
        return reasons
    }
}

/// `apply --refresh`: what to check and how drift is confirmed.
public struct RefreshRequest: Sendable {
    /// The most requests the refresh makes (`nil`: every recorded file).
    public var budget: Int?
    /// Act on drift above the threshold without asking.
    public var yesDrift: Bool
    /// The share of checked files that may drift before confirmation is needed (default 0.5).
    public var driftThreshold: Double
    /// The reader to check with (`nil`: the session's client). The CLI gives one that does not
    /// retry, so a 5xx stops the refresh.
    public var reader: PlatformReader?

    public init(budget: Int? = nil, yesDrift: Bool = false, driftThreshold: Double = 0.5, reader: PlatformReader? = nil) {
        self.budget = budget
        self.yesDrift = yesDrift
        self.driftThreshold = driftThreshold
        self.reader = reader
    }
}
