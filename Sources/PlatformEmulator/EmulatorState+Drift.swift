import Foundation

/// Platform-side edits that make a project drift from a state (DESIGN.md "Truth from the
/// platform"): the async move job, and the admin call that applies drift to random files.
extension EmulatorState {
    // MARK: Async move (§15)

    /// `POST /async/files/move` with `{"items": [{"file", "parent", "name"?}]}` (≤ 100): each item
    /// moves a file into a folder (of the same project), under `name` or its own. The job is
    /// FINISHED when created (assumption), with one record per item in request order.
    func createMoveJob(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let items = body["items"]?.arrayValue, !items.isEmpty else {
            throw PlatformError.badRequest("Body must be {\"items\": [{\"file\", \"parent\", \"name\"}]}.", code: 9011)
        }
        guard items.count <= 100 else { throw PlatformError.badRequest("At most 100 items per bulk call.") }
        var result: [JSONValue] = []
        for item in items {
            do throws(PlatformError) {
                result.append(["resource": fileJSON(try move(item), base: base)])
            } catch {
                result.append(["error": error.json])
            }
        }
        let id = hexID(bytes: 16)
        let failed = result.filter { $0["error"] != nil }.count
        let job: JSONValue = [
            "id": .string(id), "href": .string("\(base)/async/files/move/\(id)"), "type": "MOVE", "state": "FINISHED",
            "result": .array(result), "total_files": .int(items.count), "completed_files": .int(items.count - failed),
            "failed_files": .int(failed),
        ]
        moveJobs[id] = job
        return .json(200, job)
    }

    /// `GET /async/files/move/{id}`.
    func getMoveJob(_ id: String) throws(PlatformError) -> EmulatorResponse {
        guard let job = moveJobs[id] else { throw PlatformError.notFound("Async job '\(id)' does not exist.") }
        return .json(200, job)
    }

    private func move(_ item: JSONValue) throws(PlatformError) -> FileNode {
        guard let id = item["file"]?.stringValue, let parent = item["parent"]?.stringValue else {
            throw PlatformError.badRequest("Each item needs 'file' and 'parent'.", code: 9011)
        }
        var node = try editableFile(id)
        let target = try directory(project: nil, parent: parent)
        guard target.project == node.project else {
            throw PlatformError.badRequest("Files can only be moved within their project.", code: 9011)
        }
        let name = item["name"]?.stringValue ?? node.name
        guard !name.isEmpty, !name.contains("/"), name.count <= 255 else {
            throw PlatformError.badRequest("Invalid name parameter '\(name)'.", code: 5024)
        }
        if target.folder == node.parent && name == node.name { return node }
        if childByName[target.folder]?[name] != nil {
            throw PlatformError(status: 409, code: 5003, message: "File '\(name)' already exists.")
        }
        if childByName[node.parent]?[node.name] == id { childByName[node.parent]?[node.name] = nil }
        children[node.parent]?.removeAll { $0 == id }
        node.parent = target.folder
        node.name = name
        node.modifiedOn = now
        files[id] = node
        children[target.folder, default: []].append(id)
        childByName[target.folder, default: [:]][name] = id
        return node
    }

    // MARK: Drift (admin)

    /// Applies one of `kinds` to each of `count` random files of `project` (all projects when
    /// `nil`), chosen with `seed`: `delete`, `rename` (to `drift-<n>-<name>`), `move` (into the
    /// folder `drift-moved` at the project root, made when missing), `metadata` (sets
    /// `drift=edited` and changes every other key's value), `tags` (replaces them by
    /// `["drift"]`), `replace` (deletes it and puts a new file, other id, under its name).
    /// - Returns: what was done to which file, in the order done.
    func applyDrift(count: Int, seed: UInt64, project: String?, kinds: [EmulatorDrift.Kind]) -> [EmulatorDrift] {
        let kinds = kinds.isEmpty ? EmulatorDrift.Kind.allCases : kinds
        var candidates = files.values.filter { !$0.isFolder && (project == nil || $0.project == project) }
            .sorted { $0.serial < $1.serial }
        var generator = SeededGenerator(seed: seed)
        candidates.shuffle(using: &generator)
        var done: [EmulatorDrift] = []
        for (n, node) in candidates.prefix(max(count, 0)).enumerated() {
            let kind = kinds[n % kinds.count]
            var record = EmulatorDrift(kind: kind, fileID: node.id, project: node.project, name: node.name, newName: nil, newFileID: nil)
            var changed = node
            changed.modifiedOn = now
            switch kind {
            case .delete:
                remove(node.id)
            case .rename:
                let name = "drift-\(n)-\(node.name)"
                childByName[node.parent]?[node.name] = nil
                childByName[node.parent, default: [:]][name] = node.id
                changed.name = name
                files[node.id] = changed
                record.newName = name
            case .move:
                guard let root = projects[node.project]?.rootFolder else { continue }
                let folder: String
                if let existing = childByName[root]?["drift-moved"] {
                    folder = existing
                } else {
                    let created = FileNode(serial: nextSerial(), id: newFileID(), name: "drift-moved", isFolder: true,
                                           project: node.project, parent: root, size: nil, createdOn: now, modifiedOn: now,
                                           storage: nil, tags: [], metadata: [:])
                    insert(created)
                    folder = created.id
                }
                let name = childByName[folder]?[node.name] == nil ? node.name : "drift-\(n)-\(node.name)"
                childByName[node.parent]?[node.name] = nil
                children[node.parent]?.removeAll { $0 == node.id }
                changed.parent = folder
                changed.name = name
                files[node.id] = changed
                children[folder, default: []].append(node.id)
                childByName[folder, default: [:]][name] = node.id
                record.newName = "drift-moved/\(name)"
            case .metadata:
                for key in changed.metadata.keys { changed.metadata[key] = .string("edited") }
                changed.metadata["drift"] = .string("edited")
                files[node.id] = changed
            case .tags:
                changed.tags = ["drift"]
                files[node.id] = changed
            case .replace:
                remove(node.id)
                let replacement = FileNode(serial: nextSerial(), id: newFileID(), name: node.name, isFolder: false,
                                           project: node.project, parent: node.parent, size: 1, createdOn: now, modifiedOn: now,
                                           storage: ["type": "PLATFORM"], tags: [], metadata: [:])
                insert(replacement)
                record.newFileID = replacement.id
            }
            done.append(record)
        }
        return done
    }
}

/// One platform-side edit made by the emulator's drift call (`POST /_admin/drift`).
public struct EmulatorDrift: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case delete, rename, move, metadata, tags, replace
    }

    public var kind: Kind
    public var fileID: String
    public var project: String
    /// The file's name before.
    public var name: String
    /// Its new name (`rename`) or `folder/name` (`move`).
    public var newName: String?
    /// The file put in its place (`replace`).
    public var newFileID: String?
}
