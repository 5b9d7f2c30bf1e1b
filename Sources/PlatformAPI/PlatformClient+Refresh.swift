internal import Foundation

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
