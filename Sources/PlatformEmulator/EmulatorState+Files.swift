import Foundation

extension EmulatorState {
    // MARK: Rendering

    func fileJSON(_ node: FileNode, base: String) -> JSONValue {
        [
            "href": .string("\(base)/files/\(node.id)"),
            "id": .string(node.id),
            "name": .string(node.name),
            "size": node.size.map { .int($0) } ?? .null,
            "project": .string(node.project),
            "parent": .string(node.parent),
            "type": node.isFolder ? "folder" : "file",
            "created_on": .string(timestamp(node.createdOn)),
            "modified_on": .string(timestamp(node.modifiedOn)),
            "storage": node.storage,
            "origin": [:],
            "tags": .array(node.tags.map { .string($0) }),
            "metadata": .object(node.metadata),
            "_secondary_files": nil,
        ]
    }

    // MARK: Directory operations

    /// Resolves a destination to the folder id it names.
    func directory(project: String?, parent: String?) throws(PlatformError) -> (folder: String, project: String) {
        switch (project, parent) {
        case (let project?, nil):
            guard project.split(separator: "/", omittingEmptySubsequences: false).count == 2 else {
                throw PlatformError.badRequest("Malformed project id '\(project)', expected owner/project.", code: 3012)
            }
            guard let found = projects[project] else { throw PlatformError.projectNotFound(project) }
            return (found.rootFolder, found.id)
        case (nil, let parent?):
            if let root = projects.values.first(where: { $0.rootFolder == parent }) { return (parent, root.id) }
            guard let node = files[parent] else {
                throw PlatformError(status: 404, code: 5026, message: "Destination folder '\(parent)' not found.")
            }
            guard node.isFolder else {
                throw PlatformError(status: 400, code: 5022, message: "Parent '\(parent)' is not a folder.")
            }
            return (parent, node.project)
        case (nil, nil):
            throw PlatformError.badRequest("Either 'parent' or 'project' must be given.", code: 5029)
        case (.some, .some):
            throw PlatformError.badRequest("Only one of 'parent' and 'project' may be given.", code: 5031)
        }
    }

    func insert(_ node: FileNode) {
        files[node.id] = node
        children[node.parent, default: []].append(node.id)
        childByName[node.parent, default: [:]][node.name] = node.id
        if node.isFolder {
            children[node.id] = children[node.id] ?? []
            childByName[node.id] = childByName[node.id] ?? [:]
        }
    }

    /// Removes a file or folder. Its id stays in `children` (removing from the middle of a
    /// 200k-entry array per overwrite would be quadratic); readers skip ids not in `files`.
    func remove(_ id: String) {
        guard let node = files.removeValue(forKey: id) else { return }
        if childByName[node.parent]?[node.name] == id { childByName[node.parent]?[node.name] = nil }
    }

    /// The live children of a folder, in creation order.
    func liveChildren(of folder: String) -> [FileNode] {
        (children[folder] ?? []).compactMap { files[$0] }
    }

    /// `_<n>_<name>` with the smallest free n ≥ 1 (platform-api.md §12.3, UNCONFIRMED).
    func autorenamed(_ name: String, in folder: String) -> String {
        var n = 1
        while childByName[folder]?["_\(n)_\(name)"] != nil { n += 1 }
        return "_\(n)_\(name)"
    }

    enum ConflictPolicy { case skip, overwrite, rename, fail }

    /// Places a new file named `name` in `folder` under `policy`; returns the new node's id.
    func place(
        name: String, in folder: String, project: String, policy: ConflictPolicy, size: Int,
        storage: JSONValue, tags: [String], metadata: [String: JSONValue], skipError: PlatformError
    ) throws(PlatformError) -> String {
        let conflict = PlatformError(status: 409, code: EmulatorAssumptions.conflictCode, message: EmulatorAssumptions.conflictMessage)
        var finalName = name
        if let existingID = childByName[folder]?[name], let existing = files[existingID] {
            switch policy {
            case .skip: throw skipError
            case .fail: throw conflict
            case .rename: finalName = autorenamed(name, in: folder)
            case .overwrite:
                guard !existing.isFolder else { throw conflict }
                remove(existingID)
            }
        }
        let current = now
        let node = FileNode(
            serial: nextSerial(), id: newFileID(), name: finalName, isFolder: false, project: project, parent: folder, size: size,
            createdOn: current, modifiedOn: current, storage: storage, tags: tags, metadata: metadata)
        insert(node)
        return node.id
    }

    // MARK: Calls

    func listFiles(_ request: EmulatorRequest, base: String, folderID: String?) throws(PlatformError) -> EmulatorResponse {
        let folder: String
        if let folderID {
            guard let node = files[folderID] ?? rootAsNode(folderID) else { throw PlatformError.fileNotFound(folderID) }
            guard node.isFolder else { throw PlatformError(status: 400, code: 5022, message: "'\(folderID)' is not a folder.") }
            folder = folderID
        } else {
            folder = try directory(project: request.queryValue("project"), parent: request.queryValue("parent")).folder
        }
        let names = Set(request.queryValues("name"))
        let tags = Set(request.queryValues("tag"))
        var metadataFilters: [String: Set<String>] = [:]
        for item in request.queryItems where item.name.hasPrefix("metadata.") {
            metadataFilters[String(item.name.dropFirst("metadata.".count)), default: []].insert(item.value)
        }
        // With name filters, look the names up instead of scanning the folder (large cohorts).
        let candidates: [FileNode] =
            names.isEmpty
            ? liveChildren(of: folder)
            : names.compactMap { childByName[folder]?[$0] }.compactMap { files[$0] }.sorted { $0.serial < $1.serial }
        let matching = candidates.filter { node in
            if !tags.isEmpty && tags.isDisjoint(with: node.tags) { return false }
            for (key, values) in metadataFilters {
                guard let value = node.metadata[key], values.contains(metadataString(value)) else { return false }
            }
            return true
        }
        return try page(matching, request: request, base: base) { fileJSON($0, base: base) }
    }

    func rootAsNode(_ id: String) -> FileNode? {
        guard let project = projects.values.first(where: { $0.rootFolder == id }) else { return nil }
        return FileNode(
            serial: -1, id: id, name: project.id, isFolder: true, project: project.id, parent: id, size: nil,
            createdOn: project.createdOn, modifiedOn: project.createdOn, storage: nil, tags: [], metadata: [:])
    }

    func metadataString(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        default: String(decoding: value.serialized(), as: UTF8.self)
        }
    }

    /// One page of an offset-paginated collection (platform-api.md §4.1).
    /// Renders only the requested page of `items`.
    func page<Item>(_ items: [Item], request: EmulatorRequest, base: String, render: (Item) -> JSONValue) throws(PlatformError) -> EmulatorResponse {
        let offset = try integerQuery(request, "offset", default: 0, range: 0...Int.max)
        let limit = try integerQuery(request, "limit", default: 50, range: 1...100)
        let pathPart = "/" + request.pathSegments.dropFirst().map(formPathSegment).joined(separator: "/")
        let query = request.rawQuery
        let href = base + pathPart + (query.isEmpty ? "" : "?" + query)
        let slice = offset < items.count ? items[offset..<min(offset + limit, items.count)].map(render) : []
        var links: [JSONValue] = []
        if offset + limit < items.count {
            var pairs = request.queryItems.filter { $0.name != "offset" && $0.name != "limit" }
            pairs.append(("offset", String(offset + limit)))
            pairs.append(("limit", String(limit)))
            links.append(["href": .string(base + pathPart + "?" + queryString(pairs)), "rel": "next", "method": "GET"])
        }
        if offset > 0 {
            var pairs = request.queryItems.filter { $0.name != "offset" && $0.name != "limit" }
            pairs.append(("offset", String(max(offset - limit, 0))))
            pairs.append(("limit", String(limit)))
            links.append(["href": .string(base + pathPart + "?" + queryString(pairs)), "rel": "prev", "method": "GET"])
        }
        var response = EmulatorResponse.json(200, ["href": .string(href), "items": .array(slice), "links": .array(links)])
        response.headers.append(("X-Total-Matching-Query", String(items.count)))
        return response
    }

    func integerQuery(_ request: EmulatorRequest, _ name: String, default value: Int, range: ClosedRange<Int>) throws(PlatformError) -> Int {
        guard let text = request.queryValue(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw PlatformError.badRequest("Invalid '\(name)' parameter '\(text)': expected an integer in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)).")
        }
        return number
    }

    func getFile(_ id: String, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let node = files[id] else { throw PlatformError.fileNotFound(id) }
        return .json(200, fileJSON(node, base: base))
    }

    func bulkGetFiles(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let ids = body["file_ids"]?.arrayValue else {
            throw PlatformError.badRequest("Body must be {\"file_ids\": [...]}.")
        }
        guard ids.count <= 100 else { throw PlatformError.badRequest("At most 100 file ids per bulk call.") }
        let records: [JSONValue] = ids.map { value in
            guard let id = value.stringValue else { return ["error": PlatformError.badRequest("File id must be a string.", code: 5004).json] }
            guard let node = files[id] else { return ["error": PlatformError.fileNotFound(id).json] }
            return ["resource": fileJSON(node, base: base)]
        }
        return .json(200, ["items": .array(records)])
    }

    func createFolder(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let name = body["name"]?.stringValue, !name.isEmpty else {
            throw PlatformError.badRequest("Invalid name parameter.", code: 5024)
        }
        guard body["type"]?.stringValue?.lowercased() == "folder" else {
            throw PlatformError.badRequest("Invalid type parameter; only 'folder' can be created.", code: 5012)
        }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        guard name.unicodeScalars.allSatisfy(allowed.contains), name.count <= 255 else {
            throw PlatformError.badRequest("Invalid name parameter '\(name)': folder names may only contain a-z A-Z 0-9 _ - .", code: 5024)
        }
        let (folder, project) = try directory(project: body["project"]?.stringValue, parent: body["parent"]?.stringValue)
        if let existing = childByName[folder]?[name], let node = files[existing] {
            throw node.isFolder
                ? PlatformError(status: 409, code: 5030, message: "Folder '\(name)' already exists.")
                : PlatformError(status: 409, code: 5003, message: "File '\(name)' already exists.")
        }
        let current = now
        let node = FileNode(
            serial: nextSerial(), id: newFileID(), name: name, isFolder: true, project: project, parent: folder, size: nil,
            createdOn: current, modifiedOn: current, storage: nil, tags: [], metadata: [:])
        insert(node)
        return .json(201, fileJSON(node, base: base))
    }

    func editableFile(_ id: String) throws(PlatformError) -> FileNode {
        guard let node = files[id] else { throw PlatformError.fileNotFound(id) }
        guard !node.isFolder else {
            throw PlatformError.badRequest("Folders have no metadata, tags or details to edit.", code: 5023)
        }
        return node
    }

    func setMetadata(_ id: String, body: JSONValue, merge: Bool) throws(PlatformError) -> EmulatorResponse {
        var node = try editableFile(id)
        guard let object = body.objectValue else { throw PlatformError.badRequest("Metadata must be a JSON object.", code: 5006) }
        if merge {
            for (key, value) in object {
                if value.isNull { node.metadata[key] = nil } else { node.metadata[key] = value }
            }
        } else {
            node.metadata = object.filter { !$0.value.isNull }
        }
        node.modifiedOn = now
        files[id] = node
        return .json(200, .object(node.metadata))
    }

    func setTags(_ id: String, body: JSONValue) throws(PlatformError) -> EmulatorResponse {
        var node = try editableFile(id)
        guard let array = body.arrayValue else { throw PlatformError.badRequest("Tags must be a JSON array of strings.") }
        var tags: [String] = []
        for value in array {
            guard let tag = value.stringValue else { throw PlatformError.badRequest("Tags must be strings.") }
            tags.append(tag)
        }
        node.tags = tags
        node.modifiedOn = now
        files[id] = node
        return .json(200, .array(tags.map { .string($0) }))
    }

    func patchFile(_ id: String, body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        var node = try editableFile(id)
        guard let object = body.objectValue else { throw PlatformError.badRequest("Body must be a JSON object.") }
        if let name = object["name"]?.stringValue, name != node.name {
            guard !name.isEmpty, !name.contains("/"), name.count <= 255 else {
                throw PlatformError.badRequest("Invalid name parameter '\(name)'.", code: 5024)
            }
            guard childByName[node.parent]?[name] == nil else {
                throw PlatformError(status: 409, code: 5003, message: "File '\(name)' already exists.")
            }
            childByName[node.parent]?[node.name] = nil
            childByName[node.parent]?[name] = id
            node.name = name
        }
        if let tags = object["tags"]?.arrayValue { node.tags = tags.compactMap(\.stringValue) }
        if let metadata = object["metadata"]?.objectValue {
            for (key, value) in metadata { node.metadata[key] = value.isNull ? nil : value }
        }
        node.modifiedOn = now
        files[id] = node
        return .json(200, fileJSON(node, base: base))
    }

    func deleteFile(_ id: String) throws(PlatformError) -> EmulatorResponse {
        guard let node = files[id] else { throw PlatformError.fileNotFound(id) }
        if node.isFolder, (children[id] ?? []).contains(where: { files[$0] != nil }) {
            throw PlatformError.badRequest("Cannot delete a non-empty folder.", code: 5021)
        }
        remove(id)
        return EmulatorResponse(status: 204)
    }
}

func formPathSegment(_ segment: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~:@")
    return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
}
