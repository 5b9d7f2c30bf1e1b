import PlatformAPI
import SyncCore
import SyncState

extension Executor {
    /// Finds or creates every folder `addresses` land in, top-down, and records their ids.
    /// - Returns: the folders that could not be made, with the reason (their items fail).
    func ensureFolders(for addresses: [Address]) async throws -> [FolderKey: String] {
        var needed = Set<FolderKey>()
        for address in addresses {
            for path in address.folderChain { needed.insert(FolderKey(project: address.project, path: path)) }
        }
        // Parents before children: sort by depth, then name.
        let ordered = needed.sorted {
            let a = $0.path.split(separator: "/").count, b = $1.path.split(separator: "/").count
            return a != b ? a < b : ($0.project, $0.path) < ($1.project, $1.path)
        }
        var failed: [FolderKey: String] = [:]
        var found: [FolderRecord] = []
        for key in ordered {
            if folderIDs[key] != nil { continue }
            if let id = try stateCall({ try store.folderID(project: key.project, path: key.path) }) {
                folderIDs[key] = id
                continue
            }
            let parentPath = key.path.contains("/") ? String(key.path[..<key.path.lastIndex(of: "/")!]) : ""
            if !parentPath.isEmpty, failed[FolderKey(project: key.project, path: parentPath)] != nil {
                failed[key] = failed[FolderKey(project: key.project, path: parentPath)]
                continue
            }
            let parent: FileParent = parentPath.isEmpty ? .project(key.project)
                : .folder(folderIDs[FolderKey(project: key.project, path: parentPath)] ?? "")
            let name = String(key.path.split(separator: "/").last ?? "")
            do {
                let (id, created) = try await findOrCreateFolder(named: name, in: parent)
                folderIDs[key] = id
                found.append(FolderRecord(project: key.project, path: key.path, id: id, createdBySbsync: created))
                onEvent(.folder(project: key.project, path: key.path, created: created))
            } catch let error as FolderProblem {
                failed[key] = "folder '\(key.path)' in \(key.project): \(error.message)"
            }
        }
        if !found.isEmpty {
            let records = found
            try stateCall { try store.record(folders: records) }
        }
        return failed
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

    private func findOrCreateFolder(named name: String, in parent: FileParent) async throws -> (String, Bool) {
        if let existing = try await existingFolder(named: name, in: parent) { return (existing, false) }
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
            throw FolderProblem(message: error.description)
        }
    }

    private func existingFolder(named name: String, in parent: FileParent) async throws -> String? {
        let files = try await listFiles(in: parent, names: [name])
        guard let match = files.first(where: { $0.name == name }) else { return nil }
        guard match.isFolder else { throw FolderProblem(message: "a file named '\(name)' is in the way") }
        return match.id
    }
}
