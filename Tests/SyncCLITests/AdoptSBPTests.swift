import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCLI
import SyncState
import Testing
import TestSupport

/// A project of 10,000 files in 20 folders imported beforehand by sevenbridges-python (the
/// unchanged official client) is brought under a manifest by adoption: no import call, about one
/// listing request per folder and per further 100 files (issue 11).
@Suite struct AdoptSBPTests {
    static let token = "sbp-adopt-token"
    static let folders = 20, perFolder = 500

    /// sevenbridges-python imports every file, 100 per bulk call, into folders f0…f19.
    static let script = """
        import sys, time
        import sevenbridges as sbg
        base, token, project, volume, folders, per = sys.argv[1:7]
        api = sbg.Api(url=base, token=token, debug=True)  # debug: the emulator speaks http
        ids = []
        for k in range(int(folders)):
            folder = api.files.create_folder(name=f"f{k}", project=project)
            items = [{"volume": volume, "location": f"data/f{k}/s{i}.bam", "parent": folder.id}
                     for i in range(int(per))]
            for start in range(0, len(items), 100):
                records = api.imports.bulk_submit(items[start:start + 100])
                assert all(r.valid for r in records), [r.error for r in records if not r.valid]
                ids += [r.resource.id for r in records]
        pending = list(ids)
        while pending:
            done = []
            for start in range(0, len(pending), 100):
                for record in api.imports.bulk_get(pending[start:start + 100]):
                    assert record.valid
                    if record.resource.state in ("COMPLETED", "FAILED"):
                        assert record.resource.state == "COMPLETED", record.resource.error
                        done.append(record.resource.id)
            pending = [i for i in pending if i not in set(done)]
            if pending:
                time.sleep(0.05)
        print("imported", len(ids))
        """

    /// How many files (and how many distinct names per folder) sevenbridges-python counts.
    static let countScript = """
        import sys
        import sevenbridges as sbg
        base, token, project = sys.argv[1:4]
        api = sbg.Api(url=base, token=token, debug=True)  # debug: the emulator speaks http
        total, duplicates = 0, 0
        for folder in api.files.query(project=project).all():
            names = [f.name for f in api.files.query(parent=folder.id).all()]
            total += len(names)
            duplicates += len(names) - len(set(names)) + sum(1 for n in names if n.startswith("_"))
        print(f"files {total} duplicates {duplicates}")
        """

    static var manifest: String {
        var text = "version: 1\nproject: alice/p1\nvolumes:\n"
        for k in 0..<folders {
            text += "  - volume: alice/vol\n    folder: f\(k)\n    files:\n"
            for i in 0..<perFolder { text += "      - location: data/f\(k)/s\(i).bam\n" }
        }
        return text
    }

    static func runPython(_ python: String, _ script: String, _ arguments: [String], in directory: URL) async throws -> String {
        let path = directory.appendingPathComponent("script-\(UUID().uuidString).py").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        let (status, output) = try await runToEnd(python, [path] + arguments)
        #expect(status == 0, "python failed:\n\(output)")
        return output
    }

    @Test(.timeLimit(.minutes(10))) func adoptTenThousandFilesImportedBySevenbridgesPython() async throws {
        let python = try #require(sbsyncPython(), "no Python with sevenbridges-python: run `make python-deps` or set SBSYNC_PYTHON")
        var objects: [String: Int] = [:]
        for k in 0..<Self.folders { for i in 0..<Self.perFolder { objects["data/f\(k)/s\(i).bam"] = 100 + i } }
        let configuration = EmulatorConfiguration(
            tokens: [Self.token], projects: ["alice/p1"], volumes: ["alice/vol": .objects(objects)],
            jobDuration: 1, timeScale: 100, rateLimit: 1_000_000)
        try await withTemporaryDirectory { directory in
            try await withRunningEmulator(configuration) { running in
                let base = running.baseURL.absoluteString
                let imported = try await Self.runPython(
                    python, Self.script, [base, Self.token, "alice/p1", "alice/vol", "\(Self.folders)", "\(Self.perFolder)"], in: directory)
                #expect(imported.contains("imported 10000"), "\(imported)")

                let manifestPath = directory.appendingPathComponent("sbsync.yaml").path
                let statePath = directory.appendingPathComponent("state.db").path
                try Data(Self.manifest.utf8).write(to: URL(fileURLWithPath: manifestPath))
                let environment = ["SB_API_ENDPOINT": base, "SB_AUTH_TOKEN": Self.token, "HOME": directory.path]
                func apply() async throws -> (Int32, String, String) {
                    let captured = Captured()
                    let command = try ApplyCommand.parse(["--auto-approve", "-f", manifestPath, "--state", statePath])
                    let code = await command.execute(io: captured.io, environment: environment, environmentIO: .init(
                        inputIsTerminal: false, errorIsTerminal: false, readLine: { nil }))
                    return (code, captured.stdout, captured.stderr)
                }
                func plan() async throws -> (Int32, String, String) {
                    let captured = Captured()
                    let command = try PlanCommand.parse(["-f", manifestPath, "--state", statePath])
                    let code = await command.execute(io: captured.io, environment: environment)
                    return (code, captured.stdout, captured.stderr)
                }
                func requests() async -> (total: Int, imports: Int) {
                    let c = await running.emulator.counters().requestsByEndpoint
                    let imports = c.filter { $0.key.contains("imports/create") || $0.key == "POST /storage/imports" }.values.reduce(0, +)
                    return (c.values.reduce(0, +), imports)
                }

                // Adopt: one apply, no import call, within 10,000/100 + folders + 20 requests.
                await running.emulator.resetCounters()
                let (code, stdout, stderr) = try await apply()
                #expect(code == 0, "\(stderr)")
                #expect(stdout.contains("10000 to adopt") && stdout.contains("10000 adopted"), "\(stdout.suffix(600))")
                let adopted = await requests()
                #expect(adopted.imports == 0)
                #expect(adopted.total <= 10_000 / 100 + Self.folders + 20, "adopt made \(adopted.total) requests")
                print("adopt of 10,000 files in \(Self.folders) folders: \(adopted.total) requests")

                let (_, next, _) = try await plan()
                #expect(next.contains("No changes"), "\(next.suffix(600))")

                // Rebuild after losing the state gives the same, and nothing is duplicated.
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: statePath + suffix) }
                let captured = Captured()
                let rebuild = try StateCommand.Rebuild.parse(["-f", manifestPath, "--state", statePath])
                #expect(await rebuild.execute(io: captured.io, environment: environment) == 0, "\(captured.stderr)")
                #expect(captured.stdout.contains("10000 file(s) found on the platform and recorded; 0 not on the platform"),
                        "\(captured.stdout)")
                #expect(try StateStore.open(at: statePath, create: false).fileCount() == 10_000)
                let (_, again, _) = try await plan()
                #expect(again.contains("No changes"), "\(again.suffix(600))")
                let (applyCode, applied, _) = try await apply()
                #expect(applyCode == 0 && applied.contains("No changes"))
                #expect(await requests().imports == 0)

                let counted = try await Self.runPython(python, Self.countScript, [base, Self.token, "alice/p1"], in: directory)
                #expect(counted.contains("files 10000 duplicates 0"), "\(counted)")
            }
        }
    }
}
