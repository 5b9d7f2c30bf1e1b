import Foundation
public import PlatformAPI
import SyncCore
public import SyncState
public import SyncYAML

/// `sbsync state rebuild`: a new state (new lineage) made from what the platform holds at the
/// manifest's destinations, as if every desired file were adopted. Read-only on the platform:
/// files are recorded as the platform holds them (of the manifest's metadata keys), so a file
/// whose metadata differs shows as `update` in the next plan; nothing is imported or edited.
public enum StateRebuild {
    public enum Failure: Error, Sendable {
        /// A state exists and `force` was not given.
        case exists(String)
        case invalid([Diagnostic])
        case checking(PlatformError)
        case state(StateError)
    }

    public struct Result: Sendable {
        /// Files recorded.
        public var recorded: Int
        /// Desired files not found on the platform (the next plan imports them).
        public var missing: Int
        /// Desired addresses taken by another file or a folder (the next plan shows the conflict).
        public var conflicts: Int
        /// Where the old state was kept, when there was one.
        public var backup: String?
        public var lineage: String
        /// Listing requests of the destination check.
        public var requests: Int
    }

    /// - Parameters:
    ///   - force: replace an existing state; it is kept as `<state>.bak` (with its `-wal`/`-shm`).
    public static func run(manifestPath: String, statePath: String, reader: PlatformReader, force: Bool,
                           now: Int64? = nil) async throws -> Result {
        let now = now ?? Int64(Date().timeIntervalSince1970)
        let fm = FileManager.default
        if fm.fileExists(atPath: statePath) && !force { throw Failure.exists(statePath) }
        let loaded = PlanPipeline.load(manifestPath)
        guard let (manifest, offline) = loaded.valid else { throw Failure.invalid(loaded.diagnostics) }
        var desired: DesiredState
        do {
            try await PlanPipeline.preflight(manifest, offline, using: reader)
            desired = try await PlanPipeline.expand(manifest, offline, using: reader)
        } catch PlanPipeline.Failure.invalid(let diagnostics) {
            throw Failure.invalid(diagnostics)
        } catch PlanPipeline.Failure.checking(let error), PlanPipeline.Failure.listing(let error) {
            throw Failure.checking(error)
        }
        let everything = Diff.compute(desired: desired, recorded: [])
        let checked: (plan: Plan, summary: DestinationCheck.Summary)
        do {
            checked = try await DestinationCheck.check(everything, reader: reader)
        } catch let error as PlatformError {
            throw Failure.checking(error)
        }
        var files: [RecordedFile] = []
        for change in checked.plan.changes where change.action == .adopt {
            guard var file = change.before else { continue }
            file.createdAt = now
            file.updatedAt = now
            files.append(file)
        }

        // Only now, with everything known, is anything on disk touched.
        var backup: String?
        do throws(StateError) {
            if fm.fileExists(atPath: statePath) {
                // Not while an apply holds it; the old store is closed before its files move.
                func checkUnlocked() throws(StateError) {
                    let old = try StateStore.open(at: statePath, create: false)
                    _ = try old.acquireLock(operation: "rebuild")
                    try old.releaseLock()
                }
                try checkUnlocked()
                let bak = statePath + ".bak"
                for suffix in ["", "-wal", "-shm"] {
                    try? fm.removeItem(atPath: bak + suffix)
                    if fm.fileExists(atPath: statePath + suffix) {
                        do {
                            try fm.moveItem(atPath: statePath + suffix, toPath: bak + suffix)
                        } catch {
                            throw StateError.io(path: statePath, detail: "cannot keep the old state as '\(bak)': \(error.localizedDescription)")
                        }
                    }
                }
                backup = bak
            }
            let store = try StateStore.open(at: statePath, create: true)
            _ = try store.acquireLock(operation: "rebuild")
            defer { try? store.releaseLock() }
            // The folders too, so a later refresh tells a moved file by its folder's id.
            try store.record(folders: checked.summary.folders.map { folder in
                var folder = folder
                folder.recordedAt = now
                return folder
            })
            for chunk in files.chunked(5_000) { try store.record(Array(chunk)) }
            return Result(recorded: files.count, missing: checked.plan.counts.imports - checked.summary.conflicts,
                          conflicts: checked.summary.conflicts, backup: backup, lineage: store.lineage,
                          requests: checked.summary.requests)
        } catch {
            throw Failure.state(error)
        }
    }
}
