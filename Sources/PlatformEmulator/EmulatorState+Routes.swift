import Foundation

extension EmulatorState {
    /// Route templates; `*` matches one path segment.
    nonisolated static let templates: [String] = [
        "", "rate_limit", "projects/*/*",
        "files", "files/*", "files/*/list", "files/*/metadata", "files/*/tags", "bulk/files/get",
        "bulk/files/update", "bulk/files/edit", "async/files/move", "async/files/move/*",
        "storage/imports", "storage/imports/*", "bulk/storage/imports/create", "bulk/storage/imports/get",
        "bulk/drs/imports/create", "bulk/drs/imports/*",
        "storage/volumes", "storage/volumes/*/*", "storage/volumes/*/*/list", "storage/volumes/*/*/object",
    ]

    /// The wildcard segments of `segments` when they match `template`, else nil.
    nonisolated static func match(_ segments: [String], _ template: String) -> [String]? {
        let parts = template.split(separator: "/").map(String.init)
        guard parts.count == segments.count else { return nil }
        var captured: [String] = []
        for (part, segment) in zip(parts, segments) {
            if part == "*" { captured.append(segment) } else if part != segment { return nil }
        }
        return captured
    }

    /// The route template of a request, e.g. `GET /files/{id}`; used for counters.
    nonisolated static func endpoint(of request: EmulatorRequest) -> String {
        var segments = request.pathSegments
        guard segments.first == "v2" else {
            return segments.first == "_admin" ? "\(request.method) /\(segments.joined(separator: "/"))" : "\(request.method) (outside /v2)"
        }
        segments.removeFirst()
        // Literal templates win over wildcard ones ("bulk/drs/imports/create" over ".../*").
        let matching = templates.filter { match(segments, $0) != nil }
        guard let template = matching.min(by: { $0.filter { $0 == "*" }.count < $1.filter { $0 == "*" }.count }) else {
            return "\(request.method) (unknown)"
        }
        let named = template.split(separator: "/").enumerated().map { index, part in
            part == "*" ? (template.hasPrefix("storage/volumes") ? (index == 2 ? "{owner}" : "{name}") : template.hasPrefix("projects") ? (index == 1 ? "{owner}" : "{slug}") : "{id}") : String(part)
        }
        return "\(request.method) /\(named.joined(separator: "/"))"
    }

    /// Handles an admitted platform request (under `/v2`).
    func handle(_ request: EmulatorRequest, base: String, token: String?) -> EmulatorResponse {
        advance()
        do {
            return finish(try route(request, base: base), token: token)
        } catch {
            return finish(error: error, token: token)
        }
    }

    private func route(_ request: EmulatorRequest, base: String) throws(PlatformError) -> EmulatorResponse {
        var segments = request.pathSegments
        guard segments.first == "v2" else { throw PlatformError.notFound("Not found: the API lives under /v2.") }
        segments.removeFirst()
        let body: JSONValue
        do {
            body = try JSONValue.parse(request.body)
        } catch {
            throw PlatformError.badRequest("Request body is not valid JSON.", code: 90009)
        }
        func on(_ method: String, _ template: String) -> [String]? {
            request.method == method ? Self.match(segments, template) : nil
        }
        if on("GET", "") != nil {
            return .json(200, [
                "rate_limit_url": .string("\(base)/rate_limit"), "user_url": .string("\(base)/user"),
                "files_url": .string("\(base)/files"), "storage_url": .string("\(base)/storage"),
                "projects_url": .string("\(base)/projects"),
            ])
        }
        if on("GET", "rate_limit") != nil {
            let headers = commonHeaders(token: token(of: request))
            func value(_ name: String) -> Int { Int(headers.first { $0.name == name }?.value ?? "") ?? 0 }
            requestSerial -= 1
            return .json(200, [
                "rate": ["limit": .int(value("X-RateLimit-Limit")), "remaining": .int(value("X-RateLimit-Remaining")), "reset": .int(value("X-RateLimit-Reset"))],
                "instance_limit": ["limit": -1, "remaining": 0],
            ])
        }
        if let p = on("GET", "projects/*/*") {
            let id = "\(p[0])/\(p[1])"
            guard let project = projects[id] else { throw PlatformError.projectNotFound(id) }
            return .json(200, [
                "href": .string("\(base)/projects/\(project.id)"), "id": .string(project.id), "name": .string(p[1]),
                "root_folder": .string(project.rootFolder), "created_on": .string(timestamp(project.createdOn)),
                "modified_on": .string(timestamp(project.createdOn)), "tags": [], "description": "",
            ])
        }

        if on("GET", "files") != nil { return try listFiles(request, base: base, folderID: nil) }
        if on("POST", "files") != nil { return try createFolder(body, base: base) }
        if let p = on("GET", "files/*") { return try getFile(p[0], base: base) }
        if let p = on("PATCH", "files/*") { return try patchFile(p[0], body: body, base: base) }
        if let p = on("DELETE", "files/*") { return try deleteFile(p[0]) }
        if let p = on("GET", "files/*/list") { return try listFiles(request, base: base, folderID: p[0]) }
        if let p = on("GET", "files/*/metadata") {
            guard let node = files[p[0]] else { throw PlatformError.fileNotFound(p[0]) }
            return .json(200, .object(node.metadata))
        }
        if let p = on("PATCH", "files/*/metadata") { return try setMetadata(p[0], body: body, merge: true) }
        if let p = on("PUT", "files/*/metadata") { return try setMetadata(p[0], body: body, merge: false) }
        if let p = on("GET", "files/*/tags") {
            guard let node = files[p[0]] else { throw PlatformError.fileNotFound(p[0]) }
            return .json(200, .array(node.tags.map { .string($0) }))
        }
        if let p = on("PUT", "files/*/tags") { return try setTags(p[0], body: body) }
        if on("POST", "bulk/files/get") != nil { return try bulkGetFiles(body, base: base) }
        if on("POST", "bulk/files/update") != nil { return try bulkEditFiles(body, base: base, replace: true) }
        if on("POST", "bulk/files/edit") != nil { return try bulkEditFiles(body, base: base, replace: false) }
        if on("POST", "async/files/move") != nil { return try createMoveJob(body, base: base) }
        if let p = on("GET", "async/files/move/*") { return try getMoveJob(p[0]) }

        if on("POST", "storage/imports") != nil { return try createImport(body, base: base) }
        if on("GET", "storage/imports") != nil { return try listImports(request, base: base) }
        if let p = on("GET", "storage/imports/*") { return try getImport(p[0], base: base) }
        if on("POST", "bulk/storage/imports/create") != nil { return try bulkCreateImports(body, base: base) }
        if on("POST", "bulk/storage/imports/get") != nil { return try bulkGetImports(body, base: base) }

        if on("POST", "bulk/drs/imports/create") != nil { return try createDRSImport(body, base: base) }
        if let p = on("GET", "bulk/drs/imports/*") { return try getDRSImport(p[0], base: base) }

        if on("GET", "storage/volumes") != nil { return try listVolumes(request, base: base) }
        if let p = on("GET", "storage/volumes/*/*") {
            return .json(200, volumeJSON(try volume(owner: p[0], name: p[1]), base: base))
        }
        if let p = on("GET", "storage/volumes/*/*/list") {
            return try listVolumeContents(try volume(owner: p[0], name: p[1]), request: request, base: base)
        }
        if let p = on("GET", "storage/volumes/*/*/object") {
            return try volumeObject(try volume(owner: p[0], name: p[1]), request: request, base: base)
        }
        if Self.templates.contains(where: { Self.match(segments, $0) != nil }) { throw PlatformError.methodNotAllowed }
        throw PlatformError.notFound("No route for \(request.method) /v2/\(segments.joined(separator: "/")).")
    }

    // MARK: Inspection

    func snapshot() -> EmulatorSnapshot {
        advance()
        var result: [EmulatorSnapshot.Project] = []
        for project in projects.values.sorted(by: { $0.id < $1.id }) {
            var entries: [EmulatorSnapshot.File] = []
            func walk(_ folder: String, path: String) {
                for id in children[folder] ?? [] {
                    guard let node = files[id] else { continue }
                    let nodePath = path.isEmpty ? node.name : "\(path)/\(node.name)"
                    entries.append(EmulatorSnapshot.File(
                        id: node.id, name: node.name, path: nodePath, type: node.isFolder ? "folder" : "file",
                        size: node.size, parent: node.parent, storage: node.storage, tags: node.tags, metadata: node.metadata))
                    if node.isFolder { walk(id, path: nodePath) }
                }
            }
            walk(project.rootFolder, path: "")
            result.append(EmulatorSnapshot.Project(id: project.id, rootFolder: project.rootFolder, files: entries))
        }
        let importStates = importOrder.compactMap { importJobs[$0] }.map(importState)
        return EmulatorSnapshot(
            projects: result,
            importJobs: Dictionary(grouping: importStates, by: { $0 }).mapValues(\.count),
            drsJobs: drsJobs.count)
    }
}

/// The platform's state at one instant, for tests and the admin endpoint.
public struct EmulatorSnapshot: Sendable, Codable, Equatable {
    public struct File: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        /// Path from the project root, `/`-separated.
        public var path: String
        /// `file` or `folder`.
        public var type: String
        public var size: Int?
        public var parent: String
        public var storage: JSONValue
        public var tags: [String]
        public var metadata: [String: JSONValue]
    }

    public struct Project: Sendable, Codable, Equatable {
        public var id: String
        public var rootFolder: String
        /// Every file and folder of the project, depth first in creation order.
        public var files: [File]
    }

    public var projects: [Project]
    /// Volume import jobs by state.
    public var importJobs: [String: Int]
    public var drsJobs: Int

    /// The project with this id.
    public func project(_ id: String) -> Project? { projects.first { $0.id == id } }
}
