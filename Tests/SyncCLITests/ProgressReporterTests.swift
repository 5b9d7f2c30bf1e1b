import Foundation
import SyncCore
import SyncEngine
import Testing

@testable import SyncCLI

@Suite struct ProgressReporterTests {
    @Test func statusLineNamesDoneRateETAJobsAndWaits() {
        var counts = ExecutorCounts()
        counts.total = 1000
        counts.done = 380
        counts.skipped = 10
        counts.failed = 10
        counts.jobsInFlight = 3
        counts.rateLimitSeconds = 65
        counts.pacingSeconds = 120
        let line = ProgressReporter.statusLine(counts, elapsed: 100)
        #expect(line == "400/1000 done, 10 skipped, 10 failed · 4.0 files/s · ETA 2m30s · 3 job(s) in flight · waited 1m5s on rate limits · 2m0s on the DRS pace")
    }

    @Test func jsonEventsAreOneObjectPerLine() throws {
        let events: [ExecutorEvent] = [
            .started(total: 3), .submitted(batch: 1, kind: .volume, items: 3), .progress(ExecutorCounts()),
            .problem(ItemProblem(address: Address(project: "a/b", path: "x.bam"), source: nil, outcome: .failed, message: "boom")),
        ]
        for event in events {
            let line = ProgressReporter.json(event)
            #expect(!line.contains("\n"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["event"] is String)
        }
        #expect(ProgressReporter.json(events[3]).contains(#""message":"boom""#))
    }

    @Test func aRateLimitWaitIsShownAtOnceWhateverTheInterval() throws {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 3600)
        reporter.handle(.started(total: 10))
        reporter.handle(.rateLimited(.seconds(42)))
        #expect(captured.stderr.contains("0/10 done"))
        #expect(captured.stderr.contains("waiting 42s for the rate limit to reset"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ProgressReporter.json(.rateLimited(.seconds(42))).utf8)) as? [String: Any])
        #expect(object["event"] as? String == "rate_limited" && object["seconds"] as? Double == 42)
    }

    @Test func plainLinesAreThrottled() {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 3600)
        reporter.handle(.started(total: 10))
        var counts = ExecutorCounts()
        counts.total = 10
        counts.done = 5
        reporter.handle(.progress(counts))
        reporter.finish()
        #expect(captured.stderr.isEmpty)
    }
}
