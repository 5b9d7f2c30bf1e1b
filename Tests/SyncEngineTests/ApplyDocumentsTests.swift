import Foundation
import SyncCore
@testable import SyncEngine
import Testing

@Suite("apply --json documents")
struct ApplyDocumentsTests {
    static let address = Address(project: "alice/p1", path: "raw/s1.bam")

    @Test("every executor event is one line: format_version, event, then its own keys")
    func everyEvent() throws {
        var counts = ExecutorCounts()
        counts.total = 3
        counts.done = 2
        counts.failed = 1
        counts.jobsInFlight = 1
        counts.pacingSeconds = 12.5
        let cases: [(ExecutorEvent, String)] = [
            (.started(total: 3), #"{"format_version":1,"event":"started","total":3}"#),
            (.settled(batches: 2, adopted: 5, notSubmitted: 1),
             #"{"format_version":1,"event":"settled","batches":2,"adopted":5,"not_submitted":1}"#),
            (.folder(project: "alice/p1", path: "raw/s1", created: false),
             #"{"format_version":1,"event":"folder","project":"alice/p1","path":"raw/s1","created":false}"#),
            (.submitted(batch: 7, kind: .drs, items: 100), #"{"format_version":1,"event":"submitted","batch":7,"kind":"drs","items":100}"#),
            (.progress(counts),
             #"{"format_version":1,"event":"progress","total":3,"done":2,"skipped":0,"failed":1,"jobs_in_flight":1,"pacing_seconds":12.5,"rate_limit_seconds":0.0}"#),
            (.pacing(.milliseconds(61_500)), #"{"format_version":1,"event":"pacing","seconds":61.0}"#),
            (.problem(ItemProblem(address: Self.address, source: .volume(volume: "alice/vol", location: "runs/s1.bam"),
                                  outcome: .skipped, message: "name taken")),
             #"{"format_version":1,"event":"skipped","address":"alice/p1:raw/s1.bam","outcome":"skipped","source":{"kind":"volume","volume":"alice/vol","location":"runs/s1.bam"},"message":"name taken"}"#),
            (.problem(ItemProblem(address: Self.address, source: nil, outcome: .failed, message: "a \"quoted\" /path\n")),
             #"{"format_version":1,"event":"failed","address":"alice/p1:raw/s1.bam","outcome":"failed","source":null,"message":"a \"quoted\" /path\n"}"#),
        ]
        for (event, line) in cases {
            let document = ApplyEventDocument(event)
            #expect(try document.jsonText() == line + "\n")
            #expect(try JSONDecoder().decode(ApplyEventDocument.self, from: Data(line.utf8)) == document)
        }
    }

    @Test("done: the counts of a run, or all zero when nothing was planned")
    func done() throws {
        #expect(try ApplyEventDocument.done(changes: 0, report: nil, failuresFile: nil).jsonText() == """
            {"format_version":1,"event":"done","changes":0,"imported":0,"replaced":0,"updated":0,"forgotten":0,"skipped":0,"failed":0,"interrupted":false,"failures_file":null,"adopted":0}

            """)
        let problems = [
            ItemProblem(address: Self.address, source: nil, outcome: .failed, message: "boom"),
            ItemProblem(address: Address(project: "alice/p1", path: "b"), source: .drs(uri: "drs://x/1"), outcome: .skipped, message: "taken"),
        ]
        let report = ExecutionReport(counts: ExecutorCounts(), outcomes: [.imported: 4, .updated: 1], problems: problems, interrupted: true)
        #expect(try ApplyEventDocument.done(changes: 7, report: report, failuresFile: "s.failures.json").jsonText() == """
            {"format_version":1,"event":"done","changes":7,"imported":4,"replaced":0,"updated":1,"forgotten":0,"skipped":1,"failed":1,"interrupted":true,"failures_file":"s.failures.json","adopted":0}

            """)
        let failures = FailuresDocument(problems)
        #expect(try JSONDecoder().decode(FailuresDocument.self, from: failures.jsonData()) == failures)
        #expect(try failures.jsonText().hasPrefix("{\n  \"format_version\": 1,\n  \"items\": [\n    {\n      \"address\": \"alice/p1:raw/s1.bam\","))
    }
}
