internal import Foundation
public import Logging

/// Read-only calls to the platform. `sbsync plan` gets only this type, so it cannot change
/// anything on the platform.
public struct PlatformReader: Sendable {
    let engine: RequestEngine

    /// The endpoint this reader talks to.
    public var endpoint: PlatformEndpoint { engine.endpoint }

    /// The shared request budget.
    public var budget: RequestBudget { engine.budget }
}

/// Every call the sync tool makes: the reads (`reader`) and the writes. Create calls are never
/// resent once they may have reached the server; they throw `PlatformError.outcomeUnknown`.
public struct PlatformClient: Sendable {
    /// The read-only half of this client.
    public let reader: PlatformReader
    var engine: RequestEngine { reader.engine }

    /// - Parameters:
    ///   - config: endpoint and token.
    ///   - transport: how requests travel (`AsyncHTTPTransport`, or `ClosureTransport` in tests).
    ///   - budget: the request budget; share one between clients that use the same token.
    ///   - clock: time and sleeping, for backoff and rate-limit waits.
    ///   - options: timeouts and retry policy.
    ///   - logger: request log; `debug` has one line per request and answer, `trace` adds
    ///     headers. The token is never logged.
    public init(
        config: PlatformConfig,
        transport: any HTTPTransport,
        budget: RequestBudget? = nil,
        clock: any PlatformClock = SystemPlatformClock(),
        options: PlatformClientOptions = PlatformClientOptions(),
        logger: Logger = Logger(label: "sbsync.platform")
    ) {
        let budget = budget ?? RequestBudget(clock: clock)
        reader = PlatformReader(engine: RequestEngine(
            config: config, transport: transport, budget: budget, clock: clock, options: options, logger: logger))
    }

    /// The endpoint this client talks to.
    public var endpoint: PlatformEndpoint { reader.endpoint }
}

// MARK: - Reads

extension PlatformReader {
    /// `GET /rate_limit`: the current rate-limit window. Does not count against the budget (§6.1).
    public func rateLimit() async throws -> RateLimitStatus {
        let request = RequestSummary(method: .get, path: "/rate_limit")
        let response = try await engine.send(.get, "/rate_limit", kind: .idempotent, countsAgainstBudget: false)
        let body = try engine.decode(RateLimitBody.self, from: response, request: request)
        func header(_ name: String) -> Int? { response.header(name).flatMap { Int($0.trimmingWhitespace()) } }
        guard let limit = body.rate?.limit ?? header("X-RateLimit-Limit"),
            let remaining = body.rate?.remaining ?? header("X-RateLimit-Remaining"),
            let reset = body.rate?.reset ?? header("X-RateLimit-Reset")
        else {
            throw PlatformError.invalidResponse(request: request, status: response.status, reason: "no rate limit in body or headers")
        }
        return RateLimitStatus(
            limit: limit, remaining: remaining, reset: reset,
            instanceLimit: body.instanceLimit?.limit, instanceRemaining: body.instanceLimit?.remaining)
    }

    /// `GET /storage/imports/{id}`: one volume import job.
    public func importJob(id: String) async throws -> ImportJob {
        let path = "/storage/imports/\(FormEncoding.escape(id))"
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(ImportJob.self, from: response, request: RequestSummary(method: .get, path: path))
    }

    /// `GET /storage/imports`: one page of the caller's volume import jobs, in the order the
    /// platform lists them. Useful to find jobs lost in a crash.
    /// - Parameters:
    ///   - project: only jobs importing into this project.
    ///   - volume: only jobs importing from this volume.
    ///   - state: only jobs in this state.
    ///   - offset: the first item, from 0.
    ///   - limit: items per page, 1...100.
    public func listImportJobs(
        project: String? = nil, volume: String? = nil, state: ImportState? = nil, offset: Int = 0, limit: Int = 100
    ) async throws -> Page<ImportJob> {
        var query: [(String, String)] = []
        if let project { query.append(("project", project)) }
        if let volume { query.append(("volume", volume)) }
        if let state { query.append(("state", state.rawValue)) }
        return try await page("/storage/imports", query: query, offset: offset, limit: limit)
    }

    /// `POST /bulk/storage/imports/get`: up to 100 volume import jobs in one request, one record
    /// per id, in order. Idempotent: retried like a GET.
    public func importJobs(ids: [String]) async throws -> [BulkRecord<ImportJob>] {
        try checkBulk(ids.count, "import job ids")
        struct Body: Encodable, Sendable { var import_ids: [String] }
        return try await bulk("/bulk/storage/imports/get", body: Body(import_ids: ids), expected: ids.count, kind: .idempotent)
    }

    /// `GET /bulk/drs/imports/{id}`: a bulk DRS import job.
    public func drsImportJob(id: String) async throws -> DRSImportJob {
        let path = "/bulk/drs/imports/\(FormEncoding.escape(id))"
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(DRSImportJob.self, from: response, request: RequestSummary(method: .get, path: path))
    }

    /// `GET /files`: one page of the direct children of a project root or folder, with all
    /// fields (`fields=_all`).
    /// - Parameters:
    ///   - query: where to list and the `name`/`tag`/`metadata.*` filters.
    ///   - offset: the first item, from 0.
    ///   - limit: items per page, 1...100.
    public func listFiles(_ query: FileQuery, offset: Int = 0, limit: Int = 100) async throws -> Page<PlatformFile> {
        try await page("/files", query: query.queryItems, offset: offset, limit: limit)
    }

    /// `GET /files/{id}`: one file or folder.
    public func file(id: String) async throws -> PlatformFile {
        let path = "/files/\(FormEncoding.escape(id))"
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(PlatformFile.self, from: response, request: RequestSummary(method: .get, path: path))
    }

    /// `POST /bulk/files/get`: up to 100 files in one request, one record per id, in order.
    public func files(ids: [String]) async throws -> [BulkRecord<PlatformFile>] {
        try checkBulk(ids.count, "file ids")
        struct Body: Encodable, Sendable { var file_ids: [String] }
        return try await bulk("/bulk/files/get", body: Body(file_ids: ids), expected: ids.count, kind: .idempotent)
    }

    /// `GET /storage/volumes/{owner}/{name}`: one volume.
    public func volume(id: String) async throws -> Volume {
        let path = "/storage/volumes/\(Self.volumePath(id))"
        let response = try await engine.send(.get, path, kind: .idempotent)
        return try engine.decode(Volume.self, from: response, request: RequestSummary(method: .get, path: path))
    }

    /// `GET /storage/volumes/{owner}/{name}/list`: one level of a volume's contents below
    /// `prefix`, one page (continuation-token pagination).
    /// - Parameters:
    ///   - volume: `owner/name`.
    ///   - prefix: list below this key prefix; end it with `/` for a "directory".
    ///   - continuationToken: the previous page's `continuationToken`, or `nil` for the first page.
    ///   - limit: items per page, 1...100.
    public func listVolume(
        _ volume: String, prefix: String? = nil, continuationToken: String? = nil, limit: Int = 100
    ) async throws -> VolumeListing {
        try checkLimit(limit)
        let path = "/storage/volumes/\(Self.volumePath(volume))/list"
        var query: [(String, String)] = []
        if let prefix { query.append(("prefix", prefix)) }
        query.append(("limit", String(limit)))
        if let continuationToken { query.append(("continuation_token", continuationToken)) }
        query.append(("fields", PlatformAssumptions.listFieldsParameter))
        let response = try await engine.send(.get, path, query: query, kind: .idempotent)
        return try engine.decode(VolumeListing.self, from: response, request: RequestSummary(method: .get, path: path))
    }

    // MARK: Helpers

    /// `owner/name` → `owner/name` with each segment escaped (two path segments, §3.6).
    static func volumePath(_ id: String) -> String {
        id.split(separator: "/", omittingEmptySubsequences: false).map { FormEncoding.escape(String($0)) }
            .joined(separator: "/")
    }

    func checkLimit(_ limit: Int) throws {
        guard (1...PlatformAssumptions.maxPageLimit).contains(limit) else {
            throw PlatformError.invalidRequest("page limit \(limit) is out of range 1...\(PlatformAssumptions.maxPageLimit)")
        }
    }

    func checkBulk(_ count: Int, _ what: String) throws {
        guard count <= PlatformAssumptions.maxBulkItems else {
            throw PlatformError.invalidRequest(
                "\(count) \(what) in one bulk call; the platform takes at most \(PlatformAssumptions.maxBulkItems)")
        }
    }

    func page<Item: Decodable & Sendable>(
        _ path: String, query: [(String, String)], offset: Int, limit: Int
    ) async throws -> Page<Item> {
        try checkLimit(limit)
        guard offset >= 0 else { throw PlatformError.invalidRequest("page offset \(offset) is negative") }
        let full = query + [
            ("offset", String(offset)), ("limit", String(limit)), ("fields", PlatformAssumptions.listFieldsParameter),
        ]
        let response = try await engine.send(.get, path, query: full, kind: .idempotent)
        return try decodePage(response, path: path, offset: offset, limit: limit)
    }

    func decodePage<Item: Decodable & Sendable>(
        _ response: TransportResponse, path: String, offset: Int, limit: Int
    ) throws -> Page<Item> {
        let body = try engine.decode(CollectionBody<Item>.self, from: response, request: RequestSummary(method: .get, path: path))
        return Page(
            href: body.href, items: body.items, links: body.links,
            totalCount: response.header("X-Total-Matching-Query").flatMap { Int($0.trimmingWhitespace()) },
            offset: offset, limit: limit)
    }

    /// The page after `page`, following its `rel: next` link; `nil` on the last page.
    /// - Throws: `PlatformError.invalidRequest` when the link leaves the endpoint.
    public func nextPage<Item: Decodable & Sendable>(after page: Page<Item>) async throws -> Page<Item>? {
        guard let next = page.nextURL, !page.items.isEmpty else { return nil }
        let response = try await engine.send(.get, url: next, kind: .idempotent)
        let offset = FormEncoding.queryValue("offset", in: next).flatMap { Int($0) } ?? page.offset + page.items.count
        let limit = FormEncoding.queryValue("limit", in: next).flatMap { Int($0) } ?? page.limit
        return try decodePage(response, path: String(next.dropFirst(endpoint.baseURL.count)), offset: offset, limit: limit)
    }

    func bulk<Resource: Decodable & Sendable>(
        _ path: String, body: some Encodable & Sendable, expected: Int, kind: RequestKind
    ) async throws -> [BulkRecord<Resource>] {
        let summary = RequestSummary(method: .post, path: path)
        if expected == 0 { return [] }
        let response = try await engine.send(.post, path, body: body, kind: kind)
        let records = try engine.decode(BulkResponse<Resource>.self, from: response, request: summary).items
        guard records.count == expected else {
            throw PlatformError.invalidResponse(
                request: summary, status: response.status,
                reason: "\(records.count) records for \(expected) items")
        }
        return records
    }
}

// MARK: - Writes

extension PlatformClient {
    /// `POST /storage/imports`: starts one volume import.
    /// - Throws: `PlatformError.outcomeUnknown` when the job may or may not have been created.
    public func startImport(_ request: ImportRequest) async throws -> ImportJob {
        let path = "/storage/imports"
        let response = try await engine.send(.post, path, body: request, kind: .create)
        return try engine.decode(ImportJob.self, from: response, request: RequestSummary(method: .post, path: path))
    }

    /// `POST /bulk/storage/imports/create`: starts up to 100 volume imports, one record per
    /// item, in request order.
    /// - Throws: `PlatformError.outcomeUnknown` when the jobs may or may not have been created;
    ///   `PlatformError.invalidRequest` for more than 100 items.
    public func startBulkImport(_ items: [ImportRequest]) async throws -> [BulkRecord<ImportJob>] {
        try reader.checkBulk(items.count, "import items")
        struct Body: Encodable, Sendable { var items: [ImportRequest] }
        return try await reader.bulk("/bulk/storage/imports/create", body: Body(items: items), expected: items.count, kind: .create)
    }

    /// `POST /bulk/drs/imports/create`: starts one bulk DRS import job for up to 100 items.
    /// - Parameters:
    ///   - items: the URIs and where they land.
    ///   - conflictResolution: what to do when a name is taken; always sent.
    ///   - tags: tags for every imported file.
    /// - Throws: `PlatformError.outcomeUnknown` when the job may or may not have been created.
    public func startDRSImport(
        _ items: [DRSImportItem], conflictResolution: DRSConflictResolution, tags: [String]? = nil
    ) async throws -> DRSImportJob {
        try reader.checkBulk(items.count, "DRS items")
        guard !items.isEmpty else { throw PlatformError.invalidRequest("a DRS import needs at least one item") }
        let path = "/bulk/drs/imports/create"
        let body = DRSImportBody(conflictResolution: conflictResolution, tags: tags, items: items)
        let response = try await engine.send(.post, path, body: body, kind: .create)
        return try engine.decode(DRSImportJob.self, from: response, request: RequestSummary(method: .post, path: path))
    }

    /// `POST /files`: creates a folder.
    /// - Throws: `PlatformError.api` with code 5030 when it exists; `.outcomeUnknown` when it
    ///   may or may not have been created.
    public func createFolder(named name: String, in parent: FileParent) async throws -> PlatformFile {
        struct Body: Encodable, Sendable {
            var name: String
            var type = "folder"
            var project: String?
            var parent: String?
        }
        var body = Body(name: name)
        switch parent {
        case .project(let p): body.project = p
        case .folder(let f): body.parent = f
        }
        let response = try await engine.send(.post, "/files", body: body, kind: .create)
        return try engine.decode(PlatformFile.self, from: response, request: RequestSummary(method: .post, path: "/files"))
    }

    /// `PATCH /files/{id}/metadata`: merges keys into a file's metadata (a `null` value removes
    /// the key). Returns the whole metadata afterwards. Idempotent: retried.
    public func mergeMetadata(fileID: String, _ metadata: [String: JSONValue]) async throws -> [String: JSONValue] {
        try await metadataCall(.patch, fileID: fileID, metadata)
    }

    /// `PUT /files/{id}/metadata`: replaces a file's metadata. Returns it. Idempotent: retried.
    public func replaceMetadata(fileID: String, _ metadata: [String: JSONValue]) async throws -> [String: JSONValue] {
        try await metadataCall(.put, fileID: fileID, metadata)
    }

    /// `PUT /files/{id}/tags`: replaces a file's tags. Returns them. Idempotent: retried.
    public func replaceTags(fileID: String, _ tags: [String]) async throws -> [String] {
        let path = "/files/\(FormEncoding.escape(fileID))/tags"
        let response = try await engine.send(.put, path, body: tags, kind: .idempotent)
        return try engine.decode([String].self, from: response, request: RequestSummary(method: .put, path: path))
    }

    private func metadataCall(
        _ method: HTTPMethod, fileID: String, _ metadata: [String: JSONValue]
    ) async throws -> [String: JSONValue] {
        let path = "/files/\(FormEncoding.escape(fileID))/metadata"
        let response = try await engine.send(method, path, body: metadata, kind: .idempotent)
        return try engine.decode([String: JSONValue].self, from: response, request: RequestSummary(method: method, path: path))
    }
}
