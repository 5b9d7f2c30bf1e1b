import Foundation
import PlatformEmulator
import Testing
import TestSupport

/// sevenbridges-python 2.11.2, unchanged, against the emulator (the project's acceptance bar).
@Suite struct SBPAcceptanceTests {
    static let packageRoot = repositoryRoot

    @Test(.timeLimit(.minutes(3))) func sevenbridgesPythonRunsTheAcceptanceScript() async throws {
        let python = try #require(
            sbsyncPython(),
            "no Python with sevenbridges-python: run `make python-deps` or set SBSYNC_PYTHON")
        let configuration = EmulatorConfiguration(
            tokens: ["acceptance-token"], projects: ["alice/p1"],
            volumes: ["alice/vol": .objects([
                "runs/r1/sample1.bam": 1_000, "runs/r1/sample2.bam": 2_000, "runs/r1/sample3.bam": 3_000,
                "runs/r1/qc/report.txt": 10, "top.txt": 1,
            ])],
            missingDRSURIs: ["drs://drs.example.org/missing-1"],
            jobDuration: 20, timeScale: 100,  // jobs take 0.2 s
            rateLimit: 50, rateWindow: 150)  // 50 requests per 1.5 s: the script meets 429s
        let script = Self.packageRoot.appendingPathComponent("Tests/PlatformEmulatorTests/sbp/acceptance.py").path
        try await withRunningEmulator(configuration) { running in
            let (status, output) = try await runToEnd(
                python, [script, running.baseURL.absoluteString, "acceptance-token", "alice/p1", "alice/vol"])
            #expect(status == 0, "acceptance.py failed:\n\(output)")
            for line in [
                "ok: single import", "ok: imports.bulk_submit + bulk_get -> ['_1_sample1.bam', 'sample2.bam']",
                "ok: drs_imports.bulk_submit + bulk_get FINISHED + result_files", "ok: files.create_folder",
                "ok: files.query(limit=2).all() -> 13 items over 7 pages", "ok: volumes.get + volume.list",
                "ok: files.bulk_edit (merge, per-item error) + files.bulk_update (replace)",
                "ok: 429 handled by rate_limit_sleeper", "ACCEPTANCE PASSED",
            ] {
                #expect(output.contains(line), "missing '\(line)' in:\n\(output)")
            }
            let counters = await running.emulator.counters()
            #expect(counters.responses(status: 429) >= 1)
            #expect(counters.requestsByEndpoint["POST /bulk/drs/imports/create"] == 1)
            #expect(counters.requestsByEndpoint["POST /bulk/files/edit"] == 1)
            #expect(counters.requestsByEndpoint["POST /bulk/files/update"] == 1)
            #expect((counters.requestsByEndpoint["GET /files"] ?? 0) >= 7)
            let files = await running.emulator.snapshot().project("alice/p1")?.files ?? []
            #expect(files.filter { $0.type == "file" }.map(\.name).sorted() == [
                "0b1c2d3e-aaaa-bbbb-cccc-000000000002", "_1_sample1.bam", "sample1.bam", "sample2.bam", "tumor.cram",
            ])
        }
    }
}
