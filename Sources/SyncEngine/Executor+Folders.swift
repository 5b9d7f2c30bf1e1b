import PlatformAPI
import SyncCore
import SyncState
import Synchronization

extension Executor {
    /// The folders `addresses` land in that this run does not know yet and the state does not
    /// record (those it records are taken in, at no request).
    func unknownFolders(for addresses: [Address]) throws -> [FolderKey] {
        var needed = Set<FolderKey>()
        for address in addresses {
            for path in address.folderChain { needed.insert(FolderKey(project: address.project, path: path)) }
        }
        var unknown: [FolderKey] = []
        for key in needed where folderIDs[key] == nil {
            if let id = try stateCall({ try store.folderID(project: key.project, path: key.path) }) {
                folderIDs[key] = id
            } else {
                unknown.append(key)
            }
        }
        return unknown
    }

    /// Finds or creates every folder `addresses` land in, level by level (parents first), and
    /// records their ids. Each import batch calls it for its own files just before it starts,
    /// so folders are made while other batches wait on the DRS pace, not all before the first
    /// import.
    ///
    /// One request per folder made: a folder inside one this run has made cannot hold anything
    /// yet, so it is created without looking first (a portal manifest with a folder per
    /// participant makes tens of thousands). Any other folder is looked up first, and a create
    /// that finds the name taken (5030) looks again; a folder another batch is making is waited
    /// for, not made twice. Folders
    /// of one level are made `maxUpdatesInFlight` at a time, and recorded every
    /// `folderRecordChunk`, so a crash loses at most that many ids (found again, not made twice,
    /// by the next run's lookups). A folder that could not be made is not tried again this run.
    /// - Returns: the folders of `addresses` that could not be made, with the reason (their items fail).
    func ensureFolders(for addresses: [Address]) async throws -> [FolderKey: String] {
        let unknown = try unknownFolders(for: addresses)
        var failed: [FolderKey: String] = [:]
        guard !unknown.isEmpty else { return failed }
        let levels = Dictionary(grouping: unknown) { $0.path.split(separator: "/").count }
        for depth in levels.keys.sorted() {
            var todo: [FolderWork] = [], others: [FolderKey] = []
            for key in levels[depth]!.sorted(by: { ($0.project, $0.path) < ($1.project, $1.path) }) {
                if folderIDs[key] != nil { continue }  // made meanwhile, for another batch
                if let why = failedFolders[key] {
                    failed[key] = why
                    continue
                }
                // Another batch is making it: wait for that, not make it twice.
                if foldersInFlight.contains(key) {
                    others.append(key)
                    continue
                }
                let parentKey = key.parent
                if let parentKey, folderIDs[parentKey] == nil {
                    let why = failed[parentKey] ?? failedFolders[parentKey] ?? "folder '\(parentKey.path)' in \(key.project) could not be made"
                    failed[key] = why
                    cannotMake(key, why)
                    continue
                }
                let parent: FileParent = parentKey.map { .folder(folderIDs[$0]!) } ?? .project(key.project)
                todo.append(FolderWork(key: key, parent: parent, parentIsNew: parentKey.map(foldersMadeHere.contains) ?? false))
                foldersInFlight.insert(key)
            }
            for (i, chunk) in todo.chunked(Self.folderRecordChunk).enumerated() {
                do {
                    try await makeFolders(Array(chunk), failed: &failed)
                } catch {
                    // Whatever is left of this level is no longer in flight: its waiters go on.
                    for work in todo.dropFirst(i * Self.folderRecordChunk) { settledFolder(work.key) }
                    throw error
                }
            }
            for key in others {
                await untilSettled(key)
                if folderIDs[key] == nil {
                    failed[key] = failedFolders[key] ?? "folder '\(key.path)' in \(key.project) could not be made"
                }
            }
        }
        if folderTotal != announcedFolderTotal {
            announcedFolderTotal = folderTotal
            onEvent(.folders(total: folderTotal))
        }
        return failed
    }

    /// `key` cannot be made this run: it is not tried again, and the folders announced to the
    /// status line are one fewer (told at the end of `ensureFolders`).
    private func cannotMake(_ key: FolderKey, _ why: String) {
        guard failedFolders.updateValue(why, forKey: key) == nil else { return }
        folderTotal -= 1
    }

    /// Finds or makes `folders` (at most `maxUpdatesInFlight` at a time), records them, and
    /// settles them for any batch waiting on them; adds the ones that could not be made to `failed`.
    private func makeFolders(_ folders: [FolderWork], failed: inout [FolderKey: String]) async throws {
        let results = Mutex<[(FolderWork, Result<(id: String, created: Bool), FolderProblem>)]>([])
        try await Self.forEach(folders, atMost: options.maxUpdatesInFlight) { work in
            let outcome: Result<(id: String, created: Bool), FolderProblem>
            do {
                outcome = .success(try await self.findOrCreateFolder(named: work.key.name, in: work.parent,
                                                                     parentIsNew: work.parentIsNew))
            } catch let problem as FolderProblem {
                outcome = .failure(problem)
            }
            results.withLock { $0.append((work, outcome)) }
        }
        var found: [FolderRecord] = []
        for (work, outcome) in results.withLock({ $0 }).sorted(by: { ($0.0.key.project, $0.0.key.path) < ($1.0.key.project, $1.0.key.path) }) {
            let key = work.key
            switch outcome {
            case .success(let folder):
                folderIDs[key] = folder.id
                if folder.created { foldersMadeHere.insert(key) }
                found.append(FolderRecord(project: key.project, path: key.path, id: folder.id, createdBySbsync: folder.created))
                onEvent(.folder(project: key.project, path: key.path, created: folder.created))
            case .failure(let problem):
                let why = "folder '\(key.path)' in \(key.project): \(problem.message)"
                failed[key] = why
                cannotMake(key, why)
            }
        }
        defer { for work in folders { settledFolder(work.key) } }
        if !found.isEmpty { try stateCall { try store.record(folders: found) } }
    }

    /// Returns once no batch is making `key` any more.
    private func untilSettled(_ key: FolderKey) async {
        guard foldersInFlight.contains(key) else { return }
        await withCheckedContinuation { folderWaiters[key, default: []].append($0) }
    }

    /// `key` is made (or could not be): the batches waiting on it go on.
    private func settledFolder(_ key: FolderKey) {
        guard foldersInFlight.remove(key) != nil else { return }
        for waiter in folderWaiters.removeValue(forKey: key) ?? [] { waiter.resume() }
    }

    /// Folders recorded in the state together, at most (see `ensureFolders`).
    static let folderRecordChunk = 500

    /// A folder to find or make.
    struct FolderWork: Sendable {
        var key: FolderKey
        var parent: FileParent
        /// Its parent was made by this run: nothing can be in it yet.
        var parentIsNew: Bool
    }

    /// Takes in folders a destination check found on the platform (ids known): recorded like
    /// folders found here, so the folders of adopted files cost no second lookup.
    func knowFolders(_ folders: [FolderRecord]) throws {
        let records = folders.filter { folderIDs[FolderKey(project: $0.project, path: $0.path)] == nil }
        for folder in records { folderIDs[FolderKey(project: folder.project, path: folder.path)] = folder.id }
        guard !records.isEmpty else { return }
        try stateCall { try store.record(folders: records) }
    }

    struct FolderProblem: Error {
        var message: String
    }

    /// The folder's id and whether this call created it.
    /// - Parameter parentIsNew: the parent was just made, so the folder is created without a lookup.
    private func findOrCreateFolder(named name: String, in parent: FileParent, parentIsNew: Bool) async throws -> (id: String, created: Bool) {
        if !parentIsNew, let existing = try await existingFolder(named: name, in: parent) { return (existing, false) }
        // A create whose answer was lost, and that a lookup then shows never happened, is sent
        // again: a folder that cannot be made fails every file under it for the whole run.
        var attempt = 1
        while true {
            do {
                let folder = try await client.createFolder(named: name, in: parent)
                return (folder.id, true)
            } catch let error as PlatformError where error.isCannotConnect {
                throw ExecutorError.platform(error, context: "create folder '\(name)'")
            } catch let error as PlatformError {
                // Taken meanwhile (5030), or perhaps created (outcome unknown): look again.
                if error.code == 5030 || error.isOutcomeUnknown, let existing = try await existingFolder(named: name, in: parent) {
                    return (existing, !(error.code == 5030))
                }
                guard error.isOutcomeUnknown, attempt < Self.folderCreateAttempts else {
                    throw FolderProblem(message: error.description)
                }
                attempt += 1
            }
        }
    }

    /// Creates of one folder whose answers were lost (and that lookups show never happened), at most.
    static let folderCreateAttempts = 3

    private func existingFolder(named name: String, in parent: FileParent) async throws -> String? {
        let files = try await listFiles(in: parent, names: [name])
        guard let match = files.first(where: { $0.name == name }) else { return nil }
        guard match.isFolder else { throw FolderProblem(message: "a file named '\(name)' is in the way") }
        return match.id
    }
}
