import Foundation
import SyncState
import Testing
import TestSupport

/// Lists every file of a project with its metadata and tags through sevenbridges-python
/// (unchanged), as JSON `{path: {"metadata": {…}, "tags": […]}}`.
private let listThroughSBP = """
    import json, sys
    import sevenbridges as sbg
    endpoint, token, project = sys.argv[1:4]
    api = sbg.Api(url=endpoint, token=token, advance_access=False, debug=True)
    out = {}
    def walk(items, prefix):
        for f in items:
            path = prefix + f.name
            if f.is_folder():
                walk(f.list_files(limit=100).all(), path + "/")
            else:
                if path in out:
                    out[path]["copies"] += 1
                else:
                    out[path] = {"metadata": dict(f.metadata), "tags": list(f.tags), "copies": 1}
    walk(api.files.query(project=project, limit=100).all(), "")
    print(json.dumps(out, sort_keys=True))
    """

@Suite("crash safety with metadata and tags", .serialized)
struct MetadataCrashTests {
    @Test("every file carries metadata and tags; SIGKILL at 20+ random moments of 2,500 files; the next apply converges, checked through sevenbridges-python")
    func killedApplyWithMetadataConverges() throws {
        let volumeFiles = 1500, drsFiles = 1000
        let seed = CrashRig.seed("metadata crash test")
        var random = SeededRandom(seed: seed)
        let (directory, listing) = try CrashRig.directory("mcrash", volumeObjects: volumeFiles)
        defer { try? FileManager.default.removeItem(at: directory) }
        // What every file must carry: path → (metadata rendered as text, tags).
        var expected: [String: (metadata: [String: String], tags: [String])] = [:]
        var yaml = """
            version: 1
            project: mcrash/p
            volumes:
              - volume: mcrash/vol
                folder: vol
                files:

            """
        for i in 0..<volumeFiles {
            yaml += "      - location: cohort/s\(i).bam\n        metadata: {sample: S\(i), n: \(i), study: CRASH}\n"
            yaml += "        tags: [crash, v\(i % 2)]\n"
            if i % 5 == 0 { yaml += "        conflict: overwrite\n" }
            expected["vol/s\(i).bam"] = (["sample": "S\(i)", "n": "\(i)", "study": "CRASH"], ["crash", "v\(i % 2)"])
        }
        yaml += "drs:\n"
        for i in 0..<drsFiles {
            yaml += "  - uri: drs://drs.example.org/m-\(i)\n    name: d\(i).cram\n    folder: drs\n"
            yaml += "    metadata: {case: C\(i), n: \(i)}\n    tags: [crash, d\(i % 3)]\n"
            expected["drs/d\(i).cram"] = (["case": "C\(i)", "n": "\(i)"], ["crash", "d\(i % 3)"])
        }
        let rig = try CrashRig(name: "mcrash", yaml: yaml, directory: directory, listing: listing, seed: seed, jobs: 2)
        defer { rig.emulator.stop() }
        let (emulator, environment, arguments, manifest, state) = (rig.emulator, rig.environment, rig.arguments, rig.manifest, rig.state)
        let sbsync = try sbsyncBinary()

        // Short delays and many runs: a run that gets far enough finishes before its kill. (A kill
        // while the first run creates the state file is safe: the file is built under another
        // name and linked into place whole; the crash tests with shorter delays cover it.)
        let (kills, attempts) = try killRepeatedly(sbsync, arguments, environment: environment, random: &random,
                                                   maxRuns: 150, delay: 150_000...800_000)
        let onPlatform = (((try emulator.state()["projects"] as? [[String: Any]])?.first?["files"] as? [[String: Any]]) ?? [])
            .filter { $0["type"] as? String == "file" }.count
        print("metadata crash test: \(kills) kills in \(attempts) runs; \(onPlatform) of \(expected.count) files on the emulator before the last run")
        #expect(kills >= 20)

        let final = try run(sbsync, arguments, environment: environment)
        #expect(final.status == 0, "\(final.stdout)\(final.stderr)")
        let again = try run(sbsync, ["plan", "-f", manifest, "--state", state], environment: environment)
        #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")

        // Through sevenbridges-python: every desired file once, with exactly its metadata and tags.
        let script = directory.appendingPathComponent("list.py")
        try Data(listThroughSBP.utf8).write(to: script)
        let listed = try run(try python(), [script.path, emulator.endpoint, "mcrash-token", "mcrash/p"], environment: nil)
        #expect(listed.status == 0, "\(listed.stderr)")
        let files = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: [String: Any]] ?? [:]
        #expect(Set(files.keys) == Set(expected.keys), "\(files.count) files listed for \(expected.count) desired")
        var duplicates = 0, wrong = 0
        for (path, want) in expected {
            guard let got = files[path] else { continue }
            duplicates += ((got["copies"] as? Int) ?? 1) - 1
            let metadata = (got["metadata"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
            let tags = got["tags"] as? [String] ?? []
            if metadata != want.metadata || tags.sorted() != want.tags.sorted() {
                wrong += 1
                if wrong <= 3 { Issue.record("\(path): metadata \(metadata), tags \(tags); want \(want.metadata), \(want.tags)") }
            }
        }
        #expect(duplicates == 0)
        #expect(wrong == 0)
        let store = try StateStore.open(at: state, create: false)
        #expect(try store.loadAllFiles().count == expected.count)
        #expect(try store.unfinishedBatches().isEmpty)
    }
}
