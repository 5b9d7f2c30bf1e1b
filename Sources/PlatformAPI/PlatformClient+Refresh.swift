internal import Foundation

/// `GET /projects/{owner}/{slug}` (§15): the fields a refresh needs.
public struct PlatformProject: Decodable, Sendable, Hashable {
    public var id: String
    /// The hidden folder that is `parent` of the project's root items.
    public var rootFolder: String?

    enum CodingKeys: String, CodingKey {
        case id
        case rootFolder = "root_folder"
    }

    public init(id: String, rootFolder: String?) {
        self.id = id
        self.rootFolder = rootFolder
    }
}

/// One item of `POST /async/files/move` (§15; body shape in `PlatformAssumptions.asyncMoveBody`).
public struct FileMove: Encodable, Sendable, Hashable {
    /// The file to move.
    public var file: String
    /// The folder id it goes to.
    public var parent: String
    /// Its name there; `nil` keeps the name.
    public var name: String?

    public init(file: String, parent: String, name: String? = nil) {
        self.file = file
        self.parent = parent
        self.name = name
    }
}

/// An async file job (`/async/files/{move|copy|delete}`, §15).
public struct AsyncFileJob: Decodable, Sendable, Hashable {
    public var id: String
    /// SUBMITTED, RESOLVING, RUNNING, FINISHED.
    public var state: String
    /// One record per item, in request order, once the job finished [UNCONFIRMED].
    public var result: [BulkRecord<PlatformFile>]?

    public var isFinished: Bool { state.uppercased() == "FINISHED" }
}

extension PlatformReader {
    /// `GET /projects/{owner}/{slug}`: the project, or `PlatformError.api` 404 when there is none
    /// (or the token cannot see it).
    public func project(id: String) async throws -> PlatformProject {
        let parts = id.split(separator: "/", maxSplits: 1).map(String.init)
        let path = "/projects/" + parts.map { FormEncoding.escape($0) }.joined(separator: "/")
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(PlatformProject.self, from: response, request: RequestSummary(method: .get, path: path))
    }
}

extension PlatformClient {
    /// `POST /async/files/move`: starts a job that moves up to 100 files (each to a folder, under
    /// a name). Never resent once it may have reached the platform (`outcomeUnknown`): a move is
    /// found done or not by the next refresh.
    public func moveFiles(_ items: [FileMove]) async throws -> AsyncFileJob {
        try reader.checkBulk(items.count, "file moves")
        struct Body: Encodable, Sendable { var items: [FileMove] }
        let path = PlatformAssumptions.asyncMovePath
        let response = try await engine.send(.post, path, body: Body(items: items), kind: .create)
        return try engine.decode(AsyncFileJob.self, from: response, request: RequestSummary(method: .post, path: path))
    }

    /// `GET /async/files/move/{id}`: a move job.
    public func moveJob(id: String) async throws -> AsyncFileJob {
        let path = "\(PlatformAssumptions.asyncMovePath)/\(FormEncoding.escape(id))"
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(AsyncFileJob.self, from: response, request: RequestSummary(method: .get, path: path))
    }
}
