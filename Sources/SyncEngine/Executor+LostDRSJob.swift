import PlatformAPI
import SyncState

/// The DRS `rename` gap: a DRS batch whose create answer was lost may still be running on the
/// platform when apply settles it. Looking at the destination then finds nothing, the items are
/// planned again, and under `rename` the platform ends up with a second, renamed copy. So before
/// a DRS batch stuck in `submitting` is looked up, apply waits until every unfinished async job
/// of the user has finished (`GET /async/files`; `PlatformAssumptions.drsImportsListedAmongAsyncJobs`).
/// Any of them may be the lost one, and the platform gives no way to tell which: the jobs list
/// carries no items, and a job's results only name the files once they exist. Waiting for all is
/// slower when the user runs other long jobs at the same time, never wrong.
extension Executor {
    /// Waits (polling with backoff on the injected clock) until no async file job is unfinished.
    /// A platform without the list (404) is taken as having no such job.
    func waitForLostDRSJobs() async throws {
        var interval = options.pollInterval
        while true {
            let pending: Int
            do {
                pending = try await unfinishedAsyncJobs()
            } catch ExecutorError.platform(let error, _) where error.status == 404 {
                return
            }
            if pending == 0 { return }
            try await clock.sleep(for: interval)
            interval = min(interval * 2, options.maxPollInterval)
        }
    }

    /// How many listed async jobs are unfinished.
    private func unfinishedAsyncJobs() async throws -> Int {
        var pending = 0
        var page = try await platformCall("listing async file jobs") { try await self.client.reader.asyncFileJobs() }
        while true {
            pending += page.items.filter { !$0.isFinished }.count
            guard let next = try await platformCall("listing async file jobs", { [page] in try await self.client.reader.nextPage(after: page) })
            else { return pending }
            page = next
        }
    }
}
