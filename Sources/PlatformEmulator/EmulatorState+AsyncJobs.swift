import Foundation

extension EmulatorState {
    /// `GET /async/files`: the caller's asynchronous bulk file jobs, oldest first, offset
    /// paginated. The emulator runs no copy, move or delete jobs, so it lists its DRS import
    /// jobs (an assumption: see `EmulatorAssumptions`), type `IMPORT`, without `result`.
    func listAsyncJobs(_ request: EmulatorRequest, base: String) throws(PlatformError) -> EmulatorResponse {
        let jobs = drsJobs.values.sorted { ($0.submittedOn, $0.id) < ($1.submittedOn, $1.id) }
        return try page(jobs, request: request, base: base) { job in
            guard case .object(var fields) = drsJSON(job, base: base) else { return .null }
            fields["result"] = nil
            fields["type"] = .string("IMPORT")
            return .object(fields)
        }
    }
}
