public import Foundation

/// One of the user's asynchronous bulk file jobs (§15): as `GET /async/files` lists them, or
/// as `/async/files/{move|copy|delete}` (and `GET …/{id}`) answer for one job.
public struct AsyncFileJob: Decodable, Sendable, Hashable {
    public var id: String
    /// `COPY`, `MOVE`, `DELETE`, and perhaps an import type [UNCONFIRMED]; sbsync does not rely on it.
    public var type: String?
    /// `SUBMITTED`, `RESOLVING`, `RUNNING`, `FINISHED`.
    public var state: String
    public var startedOn: Date?
    public var finishedOn: Date?
    /// One record per item, in request order, once a move/copy/delete job finished
    /// [UNCONFIRMED]; the list of jobs leaves it out.
    public var result: [BulkRecord<PlatformFile>]?

    enum CodingKeys: String, CodingKey {
        case id, type, state, result
        case startedOn = "started_on", finishedOn = "finished_on"
    }

    /// Whether the job is over.
    public var isFinished: Bool { state.uppercased() == "FINISHED" }
}

extension PlatformReader {
    /// `GET /async/files`: one page of the caller's asynchronous bulk file jobs (kept about a
    /// month). DRS imports are assumed to be listed too
    /// (`PlatformAssumptions.drsImportsListedAmongAsyncJobs`).
    public func asyncFileJobs(offset: Int = 0, limit: Int = 100) async throws -> Page<AsyncFileJob> {
        try await page("/async/files", query: [], offset: offset, limit: limit)
    }
}

extension PlatformAssumptions {
    /// §15 [UNCONFIRMED]: bulk DRS import jobs appear in `GET /async/files` (the DRS job's
    /// documented `href` is `…/async/files/import/<id>`), with `state` and `started_on`. Apply
    /// relies on it to close the DRS `rename` gap: before it settles a DRS batch whose create
    /// answer was lost, it waits until every unfinished async job of the user has finished, then
    /// looks at the destination. If DRS imports were not listed there, a batch
    /// settled while its job still runs could again gain a renamed second copy under `rename`.
    public static let drsImportsListedAmongAsyncJobs = true
}
