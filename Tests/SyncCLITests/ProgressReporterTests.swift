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
        // DRS items not started yet need the pace's windows, whatever the rate so far.
        counts.paceFloorSeconds = 3_600
        #expect(ProgressReporter.statusLine(counts, elapsed: 100).contains(" · ETA 1h0m · "))
        counts.paceFloorSeconds = 60
        #expect(ProgressReporter.statusLine(counts, elapsed: 100).contains(" · ETA 2m30s · "))
        counts.done = 0; counts.skipped = 0; counts.failed = 0
        counts.paceFloorSeconds = 600
        #expect(ProgressReporter.statusLine(counts, elapsed: 100).contains(" · ETA 10m0s · "))
    }

    @Test func jsonEventsAreOneObjectPerLine() throws {
        let events: [ExecutorEvent] = [
            .started(total: 3), .folders(total: 1), .folder(project: "a/b", path: "raw", created: true),
            .submitted(batch: 1, kind: .volume, items: 3), .progress(ExecutorCounts()),
            .problem(ItemProblem(address: Address(project: "a/b", path: "x.bam"), source: nil, outcome: .failed, message: "boom")),
        ]
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: true, live: false, color: false)
        for event in events { reporter.handle(event) }
        reporter.emit(.done(changes: 3, report: nil, failuresFile: nil))
        #expect(captured.stdout == """
            {"format_version":1,"event":"started","total":3}
            {"format_version":1,"event":"folders","total":1}
            {"format_version":1,"event":"folder","project":"a/b","path":"raw","created":true}
            {"format_version":1,"event":"submitted","batch":1,"kind":"volume","items":3}
            {"format_version":1,"event":"progress","total":0,"done":0,"skipped":0,"failed":0,"jobs_in_flight":0,"pacing_seconds":0.0,"rate_limit_seconds":0.0}
            {"format_version":1,"event":"failed","address":"a/b:x.bam","outcome":"failed","source":null,"message":"boom"}
            {"format_version":1,"event":"done","changes":3,"imported":0,"replaced":0,"updated":0,"forgotten":0,"skipped":0,"failed":0,"interrupted":false,"failures_file":null,"adopted":0}

            """)
        for line in captured.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["event"] is String)
            #expect(try JSONDecoder().decode(ApplyEventDocument.self, from: Data(line.utf8)).event == object["event"] as? String)
        }
        #expect(captured.stderr.isEmpty)
    }

    @Test func aRateLimitWaitIsShownAtOnceWhateverTheInterval() throws {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 3600)
        reporter.handle(.started(total: 10))
        reporter.handle(.rateLimited(.seconds(42)))
        #expect(captured.stderr.contains("0/10 done"))
        #expect(captured.stderr.contains("waiting 42s for the rate limit to reset"))
        let line = try ApplyEventDocument(.rateLimited(.seconds(42))).jsonText()
        #expect(line == #"{"format_version":1,"event":"rate_limited","seconds":42.0}"# + "\n")
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
        // Only the line that says the work started (and when to expect the next).
        #expect(captured.stderr == "Applying 10 change(s); a progress line every 1h0m.\n")
    }

    @Test("the ticker's line: only while the run goes, with counts, rate and ETA, never N/0")
    func tickerLine() {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 0)
        reporter.tick()
        #expect(captured.stderr.isEmpty)  // not started yet: the plan or the prompt may be on screen
        reporter.handle(.started(total: 10))
        reporter.handle(.submitted(batch: 1, kind: .volume, items: 5))
        reporter.handle(.submitted(batch: 2, kind: .volume, items: 5))
        reporter.tick()
        #expect(captured.stderr.hasSuffix("0/10 done · 0.0 files/s · ETA ? · 2 job(s) in flight\n"), "\(captured.stderr)")
        var counts = ExecutorCounts()
        counts.total = 10
        counts.done = 4
        counts.jobsInFlight = 2
        counts.rateLimitSeconds = 30
        reporter.handle(.progress(counts))
        captured.stderr = ""
        reporter.tick()
        #expect(captured.stderr.hasPrefix("4/10 done · "), "\(captured.stderr)")
        #expect(captured.stderr.contains(" files/s · ETA ") && captured.stderr.contains("2 job(s) in flight · waited 30s on rate limits\n"))
        // After a progress event, the executor's count is the count: a new submission does not add to it.
        reporter.handle(.submitted(batch: 3, kind: .volume, items: 5))
        captured.stderr = ""
        reporter.tick()
        #expect(captured.stderr.contains(" 2 job(s) in flight"))
        reporter.finish()
        captured.stderr = ""
        reporter.tick()
        #expect(captured.stderr.isEmpty)
    }

    @Test("a wait on the DRS pace over 2 s is shown when it starts")
    func pacingShown() {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 3600)
        reporter.handle(.started(total: 600))
        reporter.handle(.pacing(.seconds(1)))
        #expect(!captured.stderr.contains("DRS pace"))
        reporter.handle(.pacing(.seconds(120)))
        #expect(captured.stderr.contains("waiting 2m0s on the DRS pace\n"), "\(captured.stderr)")
    }

    @Test("batches waiting on the DRS pace side by side: their wait is counted and announced once")
    func overlappingPacingWaitsCountOnce() {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 0)
        reporter.handle(.started(total: 2000))
        for _ in 0..<4 { reporter.handle(.pacing(.seconds(300))) }
        #expect(captured.stderr.components(separatedBy: "waiting 5m0s on the DRS pace").count == 2, "\(captured.stderr)")
        captured.stderr = ""
        reporter.tick()
        #expect(captured.stderr.hasSuffix(" · 5m0s on the DRS pace\n"), "\(captured.stderr)")
    }

    @Test("folders made before the imports are counted in the status line until they are all done")
    func foldersInTheStatusLine() {
        let captured = Captured()
        let reporter = ProgressReporter(io: captured.io, json: false, live: false, color: false, interval: 0)
        reporter.handle(.started(total: 10))
        reporter.handle(.folders(total: 3))
        reporter.handle(.folder(project: "a/b", path: "x", created: true))
        captured.stderr = ""
        reporter.tick()
        #expect(captured.stderr.hasPrefix("folders 1/3 · 0/10 done · "), "\(captured.stderr)")
        reporter.handle(.folder(project: "a/b", path: "x/y", created: true))
        reporter.handle(.folder(project: "a/b", path: "x/z", created: false))
        captured.stderr = ""
        reporter.tick()
        #expect(captured.stderr.hasPrefix("0/10 done · "), "\(captured.stderr)")
    }
}
