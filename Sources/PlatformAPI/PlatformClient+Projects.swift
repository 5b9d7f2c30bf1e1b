internal import Foundation

/// A project as `GET /projects/{owner}/{slug}` describes it (the fields sbsync reads).
public struct PlatformProject: Decodable, Sendable, Hashable {
    public var id: String
    /// The hidden folder that is `parent` of the project's root items (§15, Net::SB `Project.pm`).
    public var rootFolder: String?
    /// The caller's permissions, when the platform sends them [UNCONFIRMED: see
    /// `PlatformAssumptions.projectPermissionsMayBeAbsent`].
    public var permissions: Permissions?

    public struct Permissions: Decodable, Sendable, Hashable {
        public var write: Bool?
    }

    enum CodingKeys: String, CodingKey {
        case id, permissions
        case rootFolder = "root_folder"
    }

    public init(id: String, rootFolder: String?, permissions: Permissions? = nil) {
        self.id = id
        self.rootFolder = rootFolder
        self.permissions = permissions
    }

    /// Whether the caller may add files: `false` only when the platform says so.
    public var isWritable: Bool { permissions?.write ?? true }
}

extension PlatformReader {
    /// `GET /projects/{owner}/{slug}`: one project (404 when it does not exist or the caller
    /// cannot see it).
    public func project(id: String) async throws -> PlatformProject {
        let path = "/projects/\(Self.volumePath(id))"
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(PlatformProject.self, from: response, request: RequestSummary(method: .get, path: path))
    }
}
