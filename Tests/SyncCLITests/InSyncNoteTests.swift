import ArgumentParser
import Foundation
@testable import SyncCLI
import SyncCore
@testable import SyncEngine
@testable import SyncState
import Testing
import TestSupport

/// The portal-cohort example (a CSV, a Gen3 JSON, an included manifest with a TSV) in a
/// temporary folder, with a state that records exactly what it asks for.
private final class CohortSandbox {
    let scratch = TemporaryDirectory()
    var folder: String { scratch.url.path }
    var manifest: String { scratch.file("portal-cohort.yaml") }
    var state: String { scratch.file("cohort.state") }
    var table: String { scratch.file("portal-cohort/cds-manifest.csv") }

    init() throws {
        let examples = repositoryRoot.appendingPathComponent("manifests/examples")
        try FileManager.default.copyItem(at: examples.appendingPathComponent("portal-cohort.yaml"), to: URL(fileURLWithPath: manifest))
        try FileManager.default.copyItem(at: examples.appendingPathComponent("portal-cohort"),
                                         to: URL(fileURLWithPath: scratch.file("portal-cohort")))
        let files = try ManifestLoader.load(path: manifest).state.files.map { file in
            RecordedFile(address: file.address, source: file.source, metadata: file.metadata, tags: file.tags,
                         specDigest: SpecDigest.compute(source: file.source, metadata: file.metadata, tags: file.tags),
                         fileID: "id-" + file.address.name, actualName: file.address.name, jobID: nil,
                         createdAt: 1_700_000_000, updatedAt: 1_700_000_000)
        }
        let store = try StateStore.open(at: state, create: true)
        try store.withLock(operation: "test") { try store.record(files) }
    }

    func plan(_ arguments: [String] = []) async throws -> (code: Int32, stdout: String, stderr: String) {
        let command = try #require(try SBSync.parseAsRoot(["plan", "-f", manifest, "--state", state, "--color", "never"] + arguments) as? PlanCommand)
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: [:])
        return (code, captured.stdout, captured.stderr)
    }

    /// The note in the state, when it names the state's current serial.
    func currentNote() throws -> String? {
        let (note, serial) = try StateStore.open(at: state, create: false).inSyncNote()
        guard let note, let object = try? JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any],
              (object["serial"] as? NSNumber)?.int64Value == serial else { return nil }
        return note
    }

    /// Drops the note (an empty one is never used).
    func dropNote() throws {
        let store = try StateStore.open(at: state, create: false)
        #expect(try store.leaveInSyncNote("", lineage: store.lineage, serial: try store.serial()))
    }

    /// Changes a recorded row behind sbsync's back, as the `sqlite3` shell would: no serial.
    func handEdit(_ sql: String) throws {
        let db = try SQLiteConnection(path: state, create: false)
        try db.execute(sql)
    }

    func edit(_ path: String, replacing old: String, with new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(old))
        try Data(text.replacingOccurrences(of: old, with: new).utf8).write(to: URL(fileURLWithPath: path))
    }
}

@Suite("a plan that found no change leaves a note the next plan of the same files answers from")
struct InSyncNoteTests {
    @Test("a file's digests come from one read, and a file written before its parse read it gives none that match")
    func digestsOfOneRead() throws {
        let scratch = TemporaryDirectory()
        let path = scratch.file("m.yaml")
        let bytes = Data(String(repeating: "version: 1\n", count: 300_000).utf8)  // Over 3 MiB: several pieces.
        try bytes.write(to: URL(fileURLWithPath: path))
        let digests = FileDigests.read(path, [.sha256, .note])
        #expect(digests.sha256 == SavedPlan.sha256(of: bytes))
        #expect(digests.note == InSyncNote.digest(of: bytes) && digests.note == InSyncNote.digest(of: path))
        let unchanged = digests.confirmed(path)
        #expect(unchanged.sha256 == digests.sha256 && unchanged.note == digests.note && unchanged.stamp == digests.stamp)
        // Written again with the same bytes (by rename: another inode) between digest and parse.
        try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        let rewritten = digests.confirmed(path)
        #expect(rewritten.sha256 == "" && rewritten.note == nil && rewritten.stamp == nil)
        // Not a regular file: nothing read, no digest.
        #expect(FileDigests.read("/dev/zero", [.sha256, .note]).note == nil)
        // An empty file: the digest of no bytes.
        let empty = scratch.file("empty.csv")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(InSyncNote.digest(of: empty) == InSyncNote.digest(of: Data()))
    }

    @Test("the answer from the note is the full comparison's, in text, JSON and a saved plan that applies")
    func theNoteGivesTheSamePlan() async throws {
        let box = try CohortSandbox()
        #expect(try box.currentNote() == nil)
        let fullJSON = try await box.plan(["--format", "json"])
        #expect(fullJSON.code == 0, "\(fullJSON.stderr)")
        #expect(try box.currentNote() != nil)
        let noteJSON = try await box.plan(["--format", "json"])
        #expect(noteJSON.stdout == fullJSON.stdout && noteJSON.code == 0)

        let noteText = try await box.plan(["--detailed-exitcode"])
        try box.dropNote()
        let fullText = try await box.plan(["--detailed-exitcode"])
        #expect(fullText.code == 0 && noteText.code == 0)
        #expect(noteText.stdout == fullText.stdout)
        #expect(fullText.stdout.contains("No changes. The projects match the manifest."), "\(fullText.stdout)")

        // A saved plan made from the note names the files' digests: apply finds it fresh.
        let out = box.scratch.file("p.plan")
        #expect(try box.currentNote() != nil)
        let saved = try await box.plan(["--out", out])
        #expect(saved.code == 0, "\(saved.stderr)")
        let plan = try SavedPlan.decode(Data(contentsOf: URL(fileURLWithPath: out)))
        let manifestSHA = try BoundedFile.sha256(of: box.manifest)
        let sources = PlanPipeline.fingerprints(of: PlanPipeline.load(box.manifest).check.sources)
        let store = try StateStore.open(at: box.state, create: false)
        #expect(plan.staleness(manifestSHA256: manifestSHA, sources: sources, lineage: store.lineage, serial: try store.serial()).isEmpty)
        #expect(!(try plan.plan()).hasChanges)
    }

    @Test("the note is used: a row edited behind sbsync's back (no serial) goes unseen until the note is gone")
    func theNoteIsUsed() async throws {
        let box = try CohortSandbox()
        _ = try await box.plan()
        #expect(try box.currentNote() != nil)
        try box.handEdit("UPDATE files SET spec_digest = 'f' || substr(spec_digest, 2), metadata = NULL WHERE path LIKE 'cds/OS001/%'")
        #expect(try await box.plan().stdout.contains("No changes"))
        try box.dropNote()
        let full = try await box.plan()
        // The full comparison checks every row: the edit is found (a damaged row, or a change).
        #expect(!full.stdout.contains("No changes") || full.code != 0, "\(full.stdout)\(full.stderr)")
    }

    @Test("every change to what the plan reads makes the note stand for nothing")
    func anyChangeMakesTheNoteStale() async throws {
        let box = try CohortSandbox()
        _ = try await box.plan()

        // One metadata cell of the CSV: exactly one update.
        try box.edit(box.table, replacing: "OS001-T,Controlled", with: "OS001-T-v2,Controlled")
        let table = try await box.plan()
        #expect(table.stdout.contains("0 to import, 0 to replace, 1 to update, 0 to forget"), "\(table.stdout)")
        try box.edit(box.table, replacing: "OS001-T-v2,Controlled", with: "OS001-T,Controlled")
        #expect(try await box.plan().stdout.contains("No changes"))
        #expect(try box.currentNote() != nil)

        // The manifest: a tag more on every file of the CSV.
        try box.edit(box.manifest, replacing: "tags: [CDS]", with: "tags: [CDS, v2]")
        #expect(try await box.plan().stdout.contains("to update"))
        try box.edit(box.manifest, replacing: "tags: [CDS, v2]", with: "tags: [CDS]")
        #expect(try await box.plan().stdout.contains("No changes"))

        // An included manifest.
        let included = box.scratch.file("portal-cohort/wgs.yaml")
        try box.edit(included, replacing: "lane_count: integer", with: "lane_count: float")
        let retyped = try await box.plan()
        #expect(retyped.stdout.contains("2 to update"), "\(retyped.stdout)\(retyped.stderr)")
        try box.edit(included, replacing: "lane_count: float", with: "lane_count: integer")
        #expect(try await box.plan().stdout.contains("No changes"))

        // A write of the state (the serial moves): a file forgotten through the store.
        let store = try StateStore.open(at: box.state, create: false)
        let first = try #require(try store.loadAllFiles().first)
        _ = try store.withLock(operation: "test") { try store.forget([first.address]) }
        #expect(try await box.plan().stdout.contains("1 to import"))

        // A row deleted by hand (no serial): the count differs.
        _ = try await box.plan()
        try store.withLock(operation: "test") { try store.record([first]) }
        #expect(try await box.plan().stdout.contains("No changes"))
        #expect(try box.currentNote() != nil)
        try box.handEdit("DELETE FROM files WHERE path = '\(first.address.path)'")
        #expect(try await box.plan().stdout.contains("1 to import"))
    }

    @Test("a manifest and state reached through symbolic links use the note")
    func symlinks() async throws {
        let box = try CohortSandbox()
        let link = box.scratch.file("link.yaml")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: box.manifest)
        let command = { () async throws -> String in
            let plan = try #require(try SBSync.parseAsRoot(["plan", "-f", link, "--state", box.state, "--color", "never"]) as? PlanCommand)
            let captured = Captured()
            _ = await plan.execute(io: captured.io, environment: [:])
            return captured.stdout
        }
        #expect(try await command().contains("No changes"))
        // Used: a hand edit behind sbsync's back (no serial) is not seen through the link either.
        try box.handEdit("DELETE FROM metadata WHERE key = 'nothing'")
        try box.handEdit("UPDATE files SET metadata = NULL WHERE path LIKE 'cds/OS001/%'")
        #expect(try await command().contains("No changes"))
        try box.dropNote()
        #expect(try await !command().contains("No changes"))
    }

    @Test("a note is not trusted by another state put in place, nor left by another build")
    func anotherStateOrBuild() async throws {
        let box = try CohortSandbox()
        _ = try await box.plan()
        let note = try #require(try box.currentNote())
        // Another state at the same serial, one file recorded otherwise, moved in its place.
        var files = try StateStore.open(at: box.state, create: false).loadAllFiles()
        files[0].metadata = Metadata()
        files[0].specDigest = files[0].computedSpecDigest
        let otherPath = box.scratch.file("other.state")
        let other = try StateStore.open(at: otherPath, create: true)
        try other.withLock(operation: "test") { try other.record(files) }
        #expect(try other.serial() == StateStore.open(at: box.state, create: false).serial())
        try SQLiteConnection(path: otherPath, create: false).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: box.state + suffix) }
        try FileManager.default.copyItem(atPath: otherPath, toPath: box.state)
        // The old note, carried over by hand: another lineage, so not trusted.
        let moved = try StateStore.open(at: box.state, create: false)
        try box.handEdit("INSERT OR REPLACE INTO metadata (key, value) VALUES ('in_sync', '\(note.replacingOccurrences(of: "'", with: "''"))')")
        #expect(try moved.inSyncNote().note == note)
        #expect(try await box.plan().stdout.contains("1 to update"))

        // A note of another build (the same state, serial and files) is not trusted either.
        _ = try await box.plan()
        let current = try #require(try box.currentNote())
        var object = try #require(try JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any])
        object["build"] = "0.0.9 another build"
        let edited = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(try moved.leaveInSyncNote(edited, lineage: moved.lineage, serial: try moved.serial()))
        try box.handEdit("UPDATE files SET metadata = NULL WHERE path LIKE 'cds/OS001/%'")
        #expect(try await !box.plan().stdout.contains("No changes"))
    }

    @Test("a manifest with volume prefixes neither leaves nor uses a note: the listing may change")
    func prefixesLeaveNoNote() async throws {
        let box = try CohortSandbox()
        try box.edit(box.scratch.file("portal-cohort/wgs.yaml"), replacing: "    files_from: wgs-objects.tsv",
                     with: "    files_from: wgs-objects.tsv\n    prefixes: [{prefix: extra/}]")
        let plan = try await box.plan(["--offline"])
        #expect(plan.code == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("was not expanded"), "\(plan.stdout)")
        #expect(try box.currentNote() == nil)
    }
}

/// A generated cohort (a CSV with folders in `name`, quoted cells and metadata, under a
/// manifest with defaults), a state that records what it asks for, and edits of both.
private final class GeneratedCohort {
    let scratch = TemporaryDirectory()
    var manifest: String { scratch.file("cohort.yaml") }
    var table: String { scratch.file("rows.csv") }
    var state: String { scratch.file("cohort.state") }
    var rows: [[String]] = []
    var tags = ["t0"]
    var random: SeededRandom
    /// The next new row's number (never reused: addresses stay unique).
    var next = 40

    init(seed: UInt64) throws {
        random = SeededRandom(seed: seed)
        for i in 0..<40 { rows.append(row(i)) }
        try write()
        try recordWhatTheManifestAsks()
    }

    func row(_ i: Int) -> [String] {
        ["drs://drs.example.org/obj-\(i)", "p\(i % 5)/f\(i).cram", "S\(Int.random(in: 0..<9, using: &random))",
         Bool.random(using: &random) ? "" : "a, \"quoted\" \(i)"]
    }

    func write() throws {
        func cell(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        let csv = "drs_uri,name,sample,note\n" + rows.map { $0.map(cell).joined(separator: ",") + "\n" }.joined()
        try Data(csv.utf8).write(to: URL(fileURLWithPath: table))
        let yaml = "version: 1\nproject: gen/cohort\ndefaults:\n  tags: [\(tags.joined(separator: ", "))]\ndrs:\n  - from: rows.csv\n    folder: c\n"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: manifest))
    }

    /// Records exactly what the manifest asks for, as a clean apply would (the serial moves).
    func recordWhatTheManifestAsks() throws {
        let files = try ManifestLoader.load(path: manifest).state.files.map { file in
            RecordedFile(address: file.address, source: file.source, metadata: file.metadata, tags: file.tags,
                         specDigest: SpecDigest.compute(source: file.source, metadata: file.metadata, tags: file.tags),
                         fileID: "id-" + file.address.name, actualName: file.address.name, jobID: nil, createdAt: 1, updatedAt: 1)
        }
        let store = try StateStore.open(at: state, create: true)
        try store.withLock(operation: "test") {
            let stale = try store.loadAllFiles().map(\.address).filter { address in !files.contains { $0.address == address } }
            try store.record(files, removing: stale)
        }
    }

    func plan(notes: Bool) async throws -> (code: Int32, stdout: String) {
        let command = try #require(try SBSync.parseAsRoot(["plan", "-f", manifest, "--state", state, "--color", "never",
                                                           "--detailed-exitcode", "--detail"]) as? PlanCommand)
        let captured = Captured()
        let code = await command.execute(io: captured.io, environment: notes ? [:] : ["SBSYNC_IN_SYNC_NOTE": "off"])
        return (code, captured.stdout)
    }
}

@Suite("the in-sync note against the full comparison, over generated edits")
struct InSyncNotePropertyTests {
    @Test("after every edit of the table, the manifest or the state, the plan from the note is the full comparison's",
          arguments: [1, 2, 3] as [UInt64])
    func theNoteNeverDiffersFromTheFullComparison(seed: UInt64) async throws {
        let cohort = try GeneratedCohort(seed: seed)
        var answeredByNote = 0
        for _ in 0..<40 {
            switch Int.random(in: 0..<8, using: &cohort.random) {
            case 0: cohort.rows[Int.random(in: 0..<cohort.rows.count, using: &cohort.random)][2] = "S\(Int.random(in: 0..<9, using: &cohort.random))"
            case 1: if cohort.rows.count > 5 { cohort.rows.remove(at: Int.random(in: 0..<cohort.rows.count, using: &cohort.random)) }
            case 2:
                cohort.rows.append(cohort.row(cohort.next))
                cohort.next += 1
            case 3: cohort.tags = Bool.random(using: &cohort.random) ? ["t0"] : ["t0", "t1"]
            case 4:
                // A recorded file forgotten through the store (a write: the serial moves).
                let store = try StateStore.open(at: cohort.state, create: false)
                if let file = try store.loadAllFiles().randomElement(using: &cohort.random) {
                    _ = try store.withLock(operation: "test") { try store.forget([file.address]) }
                }
            default: try cohort.recordWhatTheManifestAsks()
            }
            try cohort.write()
            let first = try await cohort.plan(notes: true)
            let second = try await cohort.plan(notes: true)
            let full = try await cohort.plan(notes: false)
            #expect(first.stdout == full.stdout && first.code == full.code)
            #expect(second.stdout == full.stdout && second.code == full.code)
            if full.code == 0 {
                // A no-op plan leaves a note at the state's serial (or keeps the one it used).
                let (note, serial) = try StateStore.open(at: cohort.state, create: false).inSyncNote()
                let object = try note.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                #expect((object?["serial"] as? NSNumber)?.int64Value == serial)
                answeredByNote += 1
            }
        }
        // The walk reached the note's path: no-op plans after a full one.
        #expect(answeredByNote > 3)
    }
}
