public import Foundation

// The JSON of platform-api.md, as Codable structs. Ids are strings, dates `Date` (decoded from
// `…Z` strings), enums open (`rawValue` structs) so an unknown value never fails a decode.
// Fields the spec allows to be absent are optional.

/// The state of a volume import job (§7.2).
public struct ImportState: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let pending = ImportState(rawValue: "PENDING")
    public static let running = ImportState(rawValue: "RUNNING")
    public static let completed = ImportState(rawValue: "COMPLETED")
    public static let failed = ImportState(rawValue: "FAILED")
    /// `COMPLETED` or `FAILED`.
    public var isFinal: Bool { self == .completed || self == .failed }
    public var description: String { rawValue }
}

/// The state of a bulk DRS import job (§10.2). `FINISHED` is the only final state.
public struct DRSImportState: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let submitted = DRSImportState(rawValue: "SUBMITTED")
    public static let resolving = DRSImportState(rawValue: "RESOLVING")
    public static let running = DRSImportState(rawValue: "RUNNING")
    public static let finished = DRSImportState(rawValue: "FINISHED")
    public var isFinal: Bool { self == .finished }
    public var description: String { rawValue }
}

/// `SKIP`, `OVERWRITE` or `RENAME` for DRS imports (§10.1).
public struct DRSConflictResolution: RawRepresentable, Codable, Sendable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let skip = DRSConflictResolution(rawValue: "SKIP")
    public static let overwrite = DRSConflictResolution(rawValue: "OVERWRITE")
    public static let rename = DRSConflictResolution(rawValue: "RENAME")
}

/// Where an import or a folder lands: a project root or a folder (§7.1).
public enum FileParent: Sendable, Hashable {
    /// The root of project `owner/slug`.
    case project(String)
    /// The folder with this id.
    case folder(String)
}

/// `source` of a volume import.
public struct VolumeSource: Codable, Sendable, Hashable {
    public var volume: String
    public var location: String
    public init(volume: String, location: String) {
        self.volume = volume
        self.location = location
    }
}

/// `destination` of a volume import: exactly one of `project`/`parent`, optional `name`.
public struct ImportDestination: Codable, Sendable, Hashable {
    public var project: String?
    public var parent: String?
    public var name: String?

    public init(project: String? = nil, parent: String? = nil, name: String? = nil) {
        self.project = project
        self.parent = parent
        self.name = name
    }

    public init(_ where: FileParent, name: String?) {
        switch `where` {
        case .project(let p): self.init(project: p, name: name)
        case .folder(let f): self.init(parent: f, name: name)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(project, forKey: .project)
        try c.encodeIfPresent(parent, forKey: .parent)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// The body of `POST /storage/imports` and one item of `POST /bulk/storage/imports/create`.
/// Encoded as sevenbridges-python does: `overwrite` always, `autorename` only when true,
/// `preserve_folder_structure` only when set.
public struct ImportRequest: Encodable, Sendable, Hashable {
    public var source: VolumeSource
    public var destination: ImportDestination
    public var overwrite: Bool
    public var autorename: Bool
    public var preserveFolderStructure: Bool?

    public init(
        source: VolumeSource, destination: ImportDestination, overwrite: Bool = false, autorename: Bool = false,
        preserveFolderStructure: Bool? = nil
    ) {
        self.source = source
        self.destination = destination
        self.overwrite = overwrite
        self.autorename = autorename
        self.preserveFolderStructure = preserveFolderStructure
    }

    enum CodingKeys: String, CodingKey {
        case source, destination, overwrite, autorename
        case preserveFolderStructure = "preserve_folder_structure"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(destination, forKey: .destination)
        try c.encode(overwrite, forKey: .overwrite)
        if autorename { try c.encode(true, forKey: .autorename) }
        try c.encodeIfPresent(preserveFolderStructure, forKey: .preserveFolderStructure)
    }
}

/// A volume import job (§7.2).
public struct ImportJob: Decodable, Sendable, Hashable {
    public var href: String?
    public var id: String
    public var state: ImportState
    public var overwrite: Bool?
    public var autorename: Bool?
    public var preserveFolderStructure: Bool?
    public var source: VolumeSource?
    public var destination: ImportDestination?
    public var startedOn: Date?
    public var finishedOn: Date?
    /// The imported file once `COMPLETED` (for a flattened folder import, the parent folder).
    public var result: PlatformFile?
    /// Why the job `FAILED`.
    public var error: PlatformErrorBody?

    enum CodingKeys: String, CodingKey {
        case href, id, state, overwrite, autorename, source, destination, result, error
        case preserveFolderStructure = "preserve_folder_structure"
        case startedOn = "started_on", finishedOn = "finished_on"
    }

    public init(
        id: String, state: ImportState, href: String? = nil, source: VolumeSource? = nil,
        destination: ImportDestination? = nil, result: PlatformFile? = nil, error: PlatformErrorBody? = nil
    ) {
        self.id = id
        self.state = state
        self.href = href
        self.source = source
        self.destination = destination
        self.result = result
        self.error = error
    }
}

/// One record of a bulk answer: `{"resource": …}` or `{"error": …}` (§8.1, §9.2, §10.2).
public enum BulkRecord<Resource: Decodable & Sendable>: Decodable, Sendable {
    case resource(Resource)
    case error(PlatformErrorBody)

    enum CodingKeys: String, CodingKey { case resource, error }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let error = try c.decodeIfPresent(PlatformErrorBody.self, forKey: .error) {
            self = .error(error)
        } else if let resource = try c.decodeIfPresent(Resource.self, forKey: .resource) {
            self = .resource(resource)
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a bulk record holds neither 'resource' nor 'error'"))
        }
    }

    /// The resource, or `nil` for an error record.
    public var resource: Resource? {
        if case .resource(let r) = self { return r }
        return nil
    }

    /// The error, or `nil` for a resource record.
    public var error: PlatformErrorBody? {
        if case .error(let e) = self { return e }
        return nil
    }
}

extension BulkRecord: Equatable where Resource: Equatable {}
extension BulkRecord: Hashable where Resource: Hashable {}

/// `{"items": [records]}`.
struct BulkResponse<Resource: Decodable & Sendable>: Decodable, Sendable {
    var items: [BulkRecord<Resource>]
}

/// One item of `POST /bulk/drs/imports/create` (§10.1).
public struct DRSImportItem: Encodable, Sendable, Hashable {
    public var drsURI: String
    public var destination: FileParent
    public var name: String?
    public var metadata: [String: JSONValue]?

    public init(drsURI: String, destination: FileParent, name: String? = nil, metadata: [String: JSONValue]? = nil) {
        self.drsURI = drsURI
        self.destination = destination
        self.name = name
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case drsURI = "drs_uri", project, parent, name, metadata
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(drsURI, forKey: .drsURI)
        switch destination {
        case .project(let p): try c.encode(p, forKey: .project)
        case .folder(let f): try c.encode(f, forKey: .parent)
        }
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(metadata, forKey: .metadata)
    }
}

struct DRSImportBody: Encodable {
    var conflictResolution: DRSConflictResolution
    var tags: [String]?
    var items: [DRSImportItem]

    enum CodingKeys: String, CodingKey {
        case conflictResolution = "conflict_resolution", tags, items
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(conflictResolution, forKey: .conflictResolution)
        try c.encodeIfPresent(tags, forKey: .tags)
        try c.encode(items, forKey: .items)
    }
}

/// A file as a DRS job's `result` names it: at least the id (§10.2).
public struct FileReference: Decodable, Sendable, Hashable {
    public var id: String
    public var href: String?
    public var name: String?
    public init(id: String, href: String? = nil, name: String? = nil) {
        self.id = id
        self.href = href
        self.name = name
    }
}

/// A bulk DRS import job (§10.1, §10.2).
public struct DRSImportJob: Decodable, Sendable, Hashable {
    public var href: String?
    public var id: String
    public var state: DRSImportState
    public var startedOn: Date?
    public var finishedOn: Date?
    /// One record per item once the job has run; may be empty before.
    public var result: [BulkRecord<FileReference>]

    enum CodingKeys: String, CodingKey {
        case href, id, state, result
        case startedOn = "started_on", finishedOn = "finished_on"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        href = try c.decodeIfPresent(String.self, forKey: .href)
        id = try c.decode(String.self, forKey: .id)
        state = try c.decode(DRSImportState.self, forKey: .state)
        startedOn = try c.decodeIfPresent(Date.self, forKey: .startedOn)
        finishedOn = try c.decodeIfPresent(Date.self, forKey: .finishedOn)
        result = try c.decodeIfPresent([BulkRecord<FileReference>].self, forKey: .result) ?? []
    }
}

/// `file` or `folder` (§9.1); compared case-insensitively.
public struct FileType: RawRepresentable, Codable, Sendable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let file = FileType(rawValue: "file")
    public static let folder = FileType(rawValue: "folder")
    public var isFolder: Bool { rawValue.lowercased() == "folder" }
}

/// `storage` of a file (§9.1). For volume imports, (`volume`, `location`) identify the source.
public struct FileStorage: Decodable, Sendable, Hashable {
    /// `PLATFORM`, `VOLUME`, or another value for DRS files [UNCONFIRMED].
    public var type: String?
    public var volume: String?
    public var location: String?
    public var hostedOnLocations: [String]?
    /// The DRS URI of a DRS-imported file, when the platform reports it [UNCONFIRMED].
    public var drsURI: String?

    enum CodingKeys: String, CodingKey {
        case type, volume, location
        case hostedOnLocations = "hosted_on_locations"
        case drsURI = "drs_uri"
    }

    public init(type: String? = nil, volume: String? = nil, location: String? = nil, drsURI: String? = nil) {
        self.type = type
        self.volume = volume
        self.location = location
        self.drsURI = drsURI
    }
}

/// A file or folder (§9.1).
public struct PlatformFile: Decodable, Sendable, Hashable {
    public var href: String?
    public var id: String
    public var name: String
    /// Absent or `null` for folders.
    public var size: Int64?
    public var project: String?
    public var parent: String?
    public var type: FileType
    public var createdOn: Date?
    public var modifiedOn: Date?
    public var storage: FileStorage?
    public var origin: [String: JSONValue]?
    public var tags: [String]
    public var metadata: [String: JSONValue]

    public var isFolder: Bool { type.isFolder }

    enum CodingKeys: String, CodingKey {
        case href, id, name, size, project, parent, type, storage, origin, tags, metadata
        case createdOn = "created_on", modifiedOn = "modified_on"
    }

    public init(
        id: String, name: String, type: FileType = .file, project: String? = nil, parent: String? = nil,
        size: Int64? = nil, storage: FileStorage? = nil, tags: [String] = [], metadata: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.project = project
        self.parent = parent
        self.size = size
        self.storage = storage
        self.tags = tags
        self.metadata = metadata
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        href = try c.decodeIfPresent(String.self, forKey: .href)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        size = try c.decodeIfPresent(Int64.self, forKey: .size)
        project = try c.decodeIfPresent(String.self, forKey: .project)
        parent = try c.decodeIfPresent(String.self, forKey: .parent)
        type = try c.decodeIfPresent(FileType.self, forKey: .type) ?? .file
        createdOn = try c.decodeIfPresent(Date.self, forKey: .createdOn)
        modifiedOn = try c.decodeIfPresent(Date.self, forKey: .modifiedOn)
        storage = try c.decodeIfPresent(FileStorage.self, forKey: .storage)
        origin = try c.decodeIfPresent([String: JSONValue].self, forKey: .origin)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:]
    }
}

/// `service` of a volume (§9.3). Credentials are deliberately not decoded.
public struct VolumeService: Decodable, Sendable, Hashable {
    /// `S3`, `GCS`, `OSS`, `AZURE`…; compare case-insensitively.
    public var type: String?
    public var bucket: String?
    /// Prepended by the platform to every import `location`.
    public var prefix: String?
    public var endpoint: String?
    var accessMode: String?

    enum CodingKeys: String, CodingKey {
        case type, bucket, prefix, endpoint
        case accessMode = "access_mode"
    }
}

/// A volume (§9.3).
public struct Volume: Decodable, Sendable, Hashable {
    public var href: String?
    /// `owner/name`.
    public var id: String
    public var name: String?
    public var description: String?
    /// `RO` or `RW`, from the top level or from `service`.
    public var accessMode: String?
    public var service: VolumeService?
    public var active: Bool?
    public var createdOn: Date?
    public var modifiedOn: Date?

    enum CodingKeys: String, CodingKey {
        case href, id, name, description, service, active
        case accessMode = "access_mode", createdOn = "created_on", modifiedOn = "modified_on"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        href = try c.decodeIfPresent(String.self, forKey: .href)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        service = try c.decodeIfPresent(VolumeService.self, forKey: .service)
        accessMode = try c.decodeIfPresent(String.self, forKey: .accessMode) ?? service?.accessMode
        active = try c.decodeIfPresent(Bool.self, forKey: .active)
        createdOn = try c.decodeIfPresent(Date.self, forKey: .createdOn)
        modifiedOn = try c.decodeIfPresent(Date.self, forKey: .modifiedOn)
    }
}

/// One object of a volume listing (§9.3).
public struct VolumeObject: Decodable, Sendable, Hashable {
    public var href: String?
    /// The full key on the bucket, the volume prefix included.
    public var location: String
    public var volume: String?
    public var type: String?
    /// Provider metadata (`size`, `md5Hash`, …), present with `fields=_all`.
    public var metadata: [String: JSONValue]?

    /// `metadata.size` as an integer, when the provider reports it.
    public var size: Int64? {
        switch metadata?["size"] {
        case .string(let s)?: Int64(s)
        case let value?: value.intValue
        case nil: nil
        }
    }

    public init(location: String, volume: String? = nil, metadata: [String: JSONValue]? = nil) {
        self.location = location
        self.volume = volume
        self.metadata = metadata
    }
}

/// A sub-"directory" of a volume listing.
public struct VolumePrefix: Decodable, Sendable, Hashable {
    public var href: String?
    public var prefix: String
    public var volume: String?
}

/// One page of `GET /storage/volumes/{id}/list` (§9.3, continuation-token pagination).
public struct VolumeListing: Decodable, Sendable, Hashable {
    public var href: String?
    public var items: [VolumeObject]
    public var prefixes: [VolumePrefix]
    public var links: [Link]

    public struct Link: Decodable, Sendable, Hashable {
        public var next: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        href = try c.decodeIfPresent(String.self, forKey: .href)
        items = try c.decodeIfPresent([VolumeObject].self, forKey: .items) ?? []
        prefixes = try c.decodeIfPresent([VolumePrefix].self, forKey: .prefixes) ?? []
        links = try c.decodeIfPresent([Link].self, forKey: .links) ?? []
    }

    enum CodingKeys: String, CodingKey { case href, items, prefixes, links }

    /// The URL of the next page, or `nil` on the last page.
    public var nextURL: String? { links.lazy.compactMap(\.next).first }

    /// The `continuation_token` of the next page, or `nil` on the last page.
    public var continuationToken: String? {
        nextURL.flatMap { FormEncoding.queryValue("continuation_token", in: $0) }
    }
}

/// A link of an offset-paginated collection: `{"href", "rel", "method"}` (§4.1).
public struct PageLink: Decodable, Sendable, Hashable {
    public var href: String
    public var rel: String?
    public var method: String?
}

/// One page of an offset-paginated collection (§4.1).
public struct Page<Item: Decodable & Sendable>: Sendable {
    public var href: String?
    public var items: [Item]
    public var links: [PageLink]
    /// `X-Total-Matching-Query`, when sent.
    public var totalCount: Int?
    /// The offset this page was asked for.
    public var offset: Int
    /// The limit this page was asked for.
    public var limit: Int

    /// The `rel: next` link, or `nil` on the last page.
    public var nextURL: String? {
        links.first { $0.rel?.lowercased() == "next" }?.href
    }
}

struct CollectionBody<Item: Decodable & Sendable>: Decodable {
    var href: String?
    var items: [Item]
    var links: [PageLink]

    enum CodingKeys: String, CodingKey { case href, items, links }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        href = try c.decodeIfPresent(String.self, forKey: .href)
        items = try c.decodeIfPresent([Item].self, forKey: .items) ?? []
        links = try c.decodeIfPresent([PageLink].self, forKey: .links) ?? []
    }
}

/// `GET /rate_limit` (§6.1): the body and the headers of the answer.
public struct RateLimitStatus: Sendable, Hashable {
    public var limit: Int
    public var remaining: Int
    /// Unix seconds at which the window resets.
    public var reset: Int
    /// `instance_limit.limit`; -1 means unlimited.
    public var instanceLimit: Int?
    public var instanceRemaining: Int?
}

struct RateLimitBody: Decodable {
    struct Rate: Decodable {
        var limit: Int?
        var remaining: Int?
        var reset: Int?
    }
    struct Instance: Decodable {
        var limit: Int?
        var remaining: Int?
    }
    var rate: Rate?
    var instanceLimit: Instance?
    enum CodingKeys: String, CodingKey {
        case rate
        case instanceLimit = "instance_limit"
    }
}

/// How `GET /files` is scoped and filtered (§9.2).
public struct FileQuery: Sendable, Hashable {
    /// The project root or the folder whose direct children are listed.
    public var parent: FileParent
    /// Exact names, OR-ed (repeated `name=`).
    public var names: [String]
    /// `metadata.<key>=<value>` filters.
    public var metadata: [String: String]
    /// Exact tags (repeated `tag=`).
    public var tags: [String]

    public init(in parent: FileParent, names: [String] = [], metadata: [String: String] = [:], tags: [String] = []) {
        self.parent = parent
        self.names = names
        self.metadata = metadata
        self.tags = tags
    }

    var queryItems: [(String, String)] {
        var q: [(String, String)]
        switch parent {
        case .project(let p): q = [("project", p)]
        case .folder(let f): q = [("parent", f)]
        }
        q += names.map { ("name", $0) }
        q += tags.map { ("tag", $0) }
        q += metadata.sorted { $0.key < $1.key }.map { ("metadata.\($0.key)", $0.value) }
        return q
    }
}
