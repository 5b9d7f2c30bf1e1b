import Foundation
import SyncCore
import SyncEngine
import SyncState
import Testing

/// Tables of files (`from:`, `files_from:`) and `include:` through the loader: a table and the
/// same entries written in YAML are one desired state and one plan.
@Suite struct TableSourceTests {
    /// Runs `body` with a fresh folder (with a `.git`, so it is a repository root), removed after.
    static func inFolder<R>(_ body: (URL) throws -> R) throws -> R {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sbsync-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".git"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder)
    }

    static func write(_ text: String, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// What a desired file is, without where it was declared.
    struct Spec: Hashable {
        var address: Address, source: FileSource, metadata: Metadata, tags: [String], policy: ConflictPolicy
        init(_ f: DesiredFile) {
            address = f.address; source = f.source; metadata = f.metadata; tags = f.tags; policy = f.policy
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A YAML double-quoted scalar (JSON's string syntax is YAML's), written by the one JSON encoder.
    static func yamlString(_ s: String) -> String {
        // `[s]` written compactly: strip the brackets (and a final newline, if the style adds one).
        var text = String(decoding: try! JSONWriter.encode([s], style: .compact), as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return String(text.dropFirst().dropLast())
    }

    /// Generated rows (quoting, Unicode, empty cells, folders in `name`) as a CSV and as YAML.
    static func generated(seed: UInt64, rows: Int) -> (csv: String, yaml: String, rows: [[String]]) {
        var table: [[String]] = []
        var rng = Seeded(seed: seed)
        let words = ["alpha", "Ω", "ünï", "a,b", "say \"x\"", "two\nlines", "日本", " sp ", "1.5", "007", "true"]
        let folders = ["", "a", "a/b", "x_1/y-2.z"]
        var csv = "drs_uri,name,Sample Id,Notes,Size\r\n"
        var yaml = "version: 1\nproject: alice/p1\ndrs:\n"
        for i in 0..<rows {
            let uri = ["drs://nci-crdc.datacommons.io/dg.4DFC/u\(i)", "drs://dg.4503:u\(i)", "drs://dg.4dfc/u\(i)"][i % 3]
            let folder = folders[Int(rng.next() % UInt64(folders.count))]
            let base = words[Int(rng.next() % 3)].replacingOccurrences(of: ",", with: "") + "\(i).bam"
            let name = folder.isEmpty ? base : folder + "/" + base
            let sample = rng.next() % 4 == 0 ? "" : words[Int(rng.next() % UInt64(words.count))]
            let notes = rng.next() % 3 == 0 ? "" : words[Int(rng.next() % UInt64(words.count))] + words[Int(rng.next() % UInt64(words.count))]
            let size = rng.next() % 5 == 0 ? "" : String(rng.next() % 100_000)
            table.append([uri, name, sample, notes, size])
            csv += [uri, name, sample, notes, size].map(csvField).joined(separator: ",") + "\r\n"
            yaml += "  - uri: \(uri)\n    name: \(yamlString(base))\n"
            let fullFolder = ["cohort", folder].filter { !$0.isEmpty }.joined(separator: "/")
            yaml += "    folder: \(yamlString(fullFolder))\n    tags: [t]\n    metadata:\n      origin: table\n"
            if !sample.isEmpty { yaml += "      Sample Id: \(yamlString(sample))\n" }
            if !notes.isEmpty { yaml += "      notes: \(yamlString(notes))\n" }
            if !size.isEmpty { yaml += "      Size: \(size)\n" }
        }
        return (csv, yaml, table)
    }

    static let tableManifest = """
        version: 1
        project: alice/p1
        drs:
          - from: rows.csv
            folder: cohort
            tags: [t]
            metadata: {origin: table}
            columns:
              rename: {Notes: notes}
              types: {Size: integer}
        """

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func aTableAndTheSameEntriesInYAMLAreOneDesiredStateAndOnePlan(seed: Int) async throws {
        let rows = seed == 6 ? 20_000 : 60
        let (csv, yaml, _) = Self.generated(seed: UInt64(seed), rows: rows)
        try await Self.expectSame(table: (csv, "rows.csv"), manifest: Self.tableManifest, yaml: yaml, files: rows)
    }

    /// `validate`'s lighter reading (`.addresses`: URIs and names checked on the table's bytes in
    /// place, URIs not kept) finds exactly the problems and addresses the full reading finds.
    @Test(arguments: [21, 22, 23])
    func validatesLighterReadingFindsWhatTheFullOneFinds(seed: Int) throws {
        var (csv, _, _) = Self.generated(seed: UInt64(seed), rows: 300)
        csv += "drs://bad host/x,ok.bam,,,\r\n" + "drs://h.org/\"q\"\"x\",\"say \"\"hi\"\".bam\",,,\r\n"
            + ",empty-uri.bam,,,\r\n" + "drs://h.org/y,,,,\r\n" + "drs://h.org/z,/abs.bam,,,\r\n"
            + "\"drs://dg.4503:q\"\"\",\"a/../b.bam\",,,\r\n" + "drs://h.org/w,a//b.bam,,,\r\n"
            + "drs://dg.4503:ok,dup/x.bam,,,\r\n" + "drs://dg.4503:ok2,dup/x.bam,,,\r\n"
            + "drs://bad host/m,meta.bam,,,abc\r\n"  // A bad typed cell: the URI is not checked after it.
        var bytes = Array(csv.utf8)
        bytes += Array("drs://h.org/\u{FF},bad-utf8-uri.bam,,,\r\n".utf8)
        bytes[bytes.count - 24] = 0xFF  // An invalid UTF-8 byte in the last row's URI.
        bytes += Array("drs://h.org/v,name".utf8) + [0xC3] + Array(".bam,,,\r\n".utf8)
        try Self.inFolder { folder in
            try Data(bytes).write(to: folder.appendingPathComponent("rows.csv"))
            let path = try Self.write(Self.tableManifest, "table.yaml", in: folder)
            let full = ManifestLoader.check(path: path, detail: .full)
            let light = ManifestLoader.check(path: path, detail: .addresses)
            #expect(full.diagnostics.count >= 9, "\(full.diagnostics.map(\.description))")
            #expect(light.diagnostics.map(\.description) == full.diagnostics.map(\.description))
            let fullFiles = try #require(full.state).files, lightFiles = try #require(light.state).files
            #expect(lightFiles.map(\.address) == fullFiles.map(\.address))
            #expect(lightFiles.map(\.source.kind) == fullFiles.map(\.source.kind))
            #expect(lightFiles.map(\.mark) == fullFiles.map(\.mark))
        }
    }

    /// The manifest using `table` and the `yaml` manifest give the same `files` desired files and
    /// the same plan.
    static func expectSame(table: (text: String, name: String), manifest: String, yaml: String, files: Int) async throws {
        try await Self.inFolderAsync { folder in
            _ = try Self.write(table.text, table.name, in: folder)
            let tablePath = try Self.write(manifest, "table.yaml", in: folder)
            let yamlPath = try Self.write(yaml, "plain.yaml", in: folder)
            let table = PlanPipeline.load(tablePath), plain = PlanPipeline.load(yamlPath)
            #expect(table.diagnostics.isEmpty, "\(table.diagnostics.prefix(3))")
            #expect(plain.diagnostics.isEmpty, "\(plain.diagnostics.prefix(3))")
            let (tm, td) = try #require(table.valid), (pm, pd) = try #require(plain.valid)
            #expect(td.count == files)
            #expect(td.files.map(Spec.init) == pd.files.map(Spec.init))
            let state = folder.appendingPathComponent("none.state").path
            let p1 = try await PlanPipeline.plan(tm, td, prefixes: .unexpanded(reason: "test"), statePath: state).plan
            let p2 = try await PlanPipeline.plan(pm, pd, prefixes: .unexpanded(reason: "test"), statePath: state).plan
            #expect(p1.counts == p2.counts)
            #expect(p1.changes.map { ($0.address, $0.action, $0.after.map(Spec.init)) }.elementsEqual(
                p2.changes.map { ($0.address, $0.action, $0.after.map(Spec.init)) }) { $0 == $1 })
        }
    }

    static func tsvField(_ s: String) -> String {
        s.contains("\t") || s.contains("\"") || s.contains("\n") || s.contains("\r")
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Generated volume rows (locations with spaces and Unicode, blank or present `name` and
    /// `folder` cells, quoted cells, empty metadata cells) as a TSV and as the same `files:` in YAML.
    /// - Parameter groupKeys: the YAML gives each file what `groupKeysManifest`'s group gives
    ///   every row: its project, policy, tags and metadata (a row's own `Sample Id` wins).
    static func generatedVolumeRows(seed: UInt64, rows: Int, groupKeys: Bool = false) -> (tsv: String, yaml: String) {
        var rng = Seeded(seed: seed)
        let words = ["alpha", "Ω", "ünï", "a\tb", "say \"x\"", "two\nlines", "日本", " sp ", "1.5", "007", "true", "x,y"]
        let folders = ["", "a", "a/b", "x_1/y-2.z"]
        var tsv = "location\tname\tfolder\tSample Id\tNotes\tReads\n"
        var yaml = "version: 1\nproject: alice/p1\ndefaults: {tags: [t], metadata: {origin: table}}\n"
            + "volumes:\n  - volume: alice/input\n    folder: raw\n    files:\n"
        for i in 0..<rows {
            let location = ["runs/r\(i % 7)/s\(i).bam", "Ω dir/\(i) file.fq", "deep/a/b/c/\(i).cram"][i % 3]
            let name = rng.next() % 3 == 0 ? "" : "n\(i)-" + words[Int(rng.next() % 3)] + ".bam"
            let folder = folders[Int(rng.next() % UInt64(folders.count))]
            let sample = rng.next() % 4 == 0 ? "" : words[Int(rng.next() % UInt64(words.count))]
            let notes = rng.next() % 3 == 0 ? "" : words[Int(rng.next() % UInt64(words.count))] + words[Int(rng.next() % UInt64(words.count))]
            let reads = rng.next() % 5 == 0 ? "" : String(rng.next() % 100_000)
            tsv += [location, name, folder, sample, notes, reads].map(tsvField).joined(separator: "\t") + "\n"
            yaml += "      - location: \(yamlString(location))\n"
            if !name.isEmpty { yaml += "        name: \(yamlString(name))\n" }
            if !folder.isEmpty { yaml += "        folder: \(yamlString(folder))\n" }
            var metadata: [String] = []
            if groupKeys {
                yaml += "        project: alice/p2\n        conflict: overwrite\n        tags: [g, t]\n"
                metadata.append("batch: \"2\"")
                if sample.isEmpty { metadata.append("Sample Id: group") }
            }
            if !sample.isEmpty { metadata.append("Sample Id: \(yamlString(sample))") }
            if !notes.isEmpty { metadata.append("notes: \(yamlString(notes))") }
            if !reads.isEmpty { metadata.append("Reads: \(reads)") }
            if !metadata.isEmpty { yaml += "        metadata: {\(metadata.joined(separator: ", "))}\n" }
        }
        return (tsv, yaml)
    }

    static let volumeTableManifest = """
        version: 1
        project: alice/p1
        defaults: {tags: [t], metadata: {origin: table}}
        volumes:
          - volume: alice/input
            folder: raw
            files_from: objects.tsv
            columns:
              rename: {Notes: notes}
              types: {Reads: integer}
        """

    @Test(arguments: [11, 12, 13, 14])
    func aVolumeTableAndTheSameFilesInYAMLAreOneDesiredStateAndOnePlan(seed: Int) async throws {
        let rows = seed == 14 ? 10_000 : 80
        let (tsv, yaml) = Self.generatedVolumeRows(seed: UInt64(seed), rows: rows)
        try await Self.expectSame(table: (tsv, "objects.tsv"), manifest: Self.volumeTableManifest, yaml: yaml, files: rows)
    }

    /// `volumeTableManifest` with the group's own project, policy, tags and metadata.
    static let groupKeysManifest = volumeTableManifest.replacingOccurrences(of: "    folder: raw\n", with: """
            folder: raw
            project: alice/p2
            conflict: overwrite
            tags: [g, t]
            metadata: {batch: "2", Sample Id: group}

        """)

    /// A volume group's own keys reach each row of its table as each file's own keys would.
    @Test(arguments: [15, 16])
    func aVolumeGroupsKeysReachItsTableRowsAsEachFilesOwnWould(seed: Int) async throws {
        let (tsv, yaml) = Self.generatedVolumeRows(seed: UInt64(seed), rows: 120, groupKeys: true)
        try await Self.expectSame(table: (tsv, "objects.tsv"), manifest: Self.groupKeysManifest, yaml: yaml, files: 120)
    }

    /// In an included manifest, a group's own `project` wins over the included file's, for its
    /// YAML files and its table's rows alike; the file's `project` is the default of the rest.
    @Test func anIncludedGroupsProjectWinsOverItsFilesProject() async throws {
        try await Self.inFolderAsync { folder in
            _ = try Self.write("""
                version: 1
                project: inc/top
                volumes:
                  - volume: o/v
                    project: inc/group
                    files:
                      - location: a.fq
                      - {location: own.fq, project: inc/own}
                    files_from: rows.csv
                    prefixes: [{prefix: listed/}]
                  - volume: o/w
                    files: [{location: c.fq}]
                """, "part.yaml", in: folder)
            _ = try Self.write("location\nb.fq\n", "rows.csv", in: folder)
            let path = try Self.write("version: 1\nproject: root/p\ninclude: [part.yaml]\n", "main.yaml", in: folder)
            let loaded = PlanPipeline.load(path)
            #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
            let (manifest, desired) = try #require(loaded.valid)
            let projects = Dictionary(uniqueKeysWithValues: desired.files.map { ($0.address.path, $0.address.project) })
            #expect(projects == ["a.fq": "inc/group", "b.fq": "inc/group", "own.fq": "inc/own", "c.fq": "inc/top"])
            // The prefix left unexpanded is named in the file it is written in.
            let state = folder.appendingPathComponent("none.state").path
            let plan = try await PlanPipeline.plan(manifest, desired, prefixes: .unexpanded(reason: "offline"), statePath: state).plan
            #expect(plan.notes.first?.contains("/part.yaml:10:16: volume prefix 'listed/'") == true, "\(plan.notes)")
        }
    }

    static func inFolderAsync(_ body: (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sbsync-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".git"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
    }

    @Test func editingOneRowsMetadataIsExactlyOneUpdate() async throws {
        var (csv, _, rows) = Self.generated(seed: 9, rows: 50)
        try await Self.inFolderAsync { folder in
            _ = try Self.write(csv, "rows.csv", in: folder)
            let manifestPath = try Self.write(Self.tableManifest, "table.yaml", in: folder)
            let (manifest, desired) = try #require(PlanPipeline.load(manifestPath).valid)
            let statePath = folder.appendingPathComponent("s.state").path
            let store = try StateStore.open(at: statePath, create: true)
            try store.withLock(operation: "test") {
                try store.record(desired.files.map { f in
                    RecordedFile(address: f.address, source: f.source, metadata: f.metadata, tags: f.tags,
                                 specDigest: SpecDigest.compute(source: f.source, metadata: f.metadata, tags: f.tags),
                                 fileID: nil, actualName: f.address.name, jobID: nil, createdAt: 1, updatedAt: 1)
                })
            }
            let before = try await PlanPipeline.plan(manifest, desired, prefixes: .unexpanded(reason: "t"), statePath: statePath).plan
            #expect(before.counts.changes == 0)

            // Row 7's Notes cell changes.
            rows[7][3] = "edited, \"quoted\""
            csv = "drs_uri,name,Sample Id,Notes,Size\r\n" + rows.map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
            _ = try Self.write(csv, "rows.csv", in: folder)
            let (m2, d2) = try #require(PlanPipeline.load(manifestPath).valid)
            let after = try await PlanPipeline.plan(m2, d2, prefixes: .unexpanded(reason: "t"), statePath: statePath).plan
            #expect(after.counts.updates == 1)
            #expect(after.counts.changes == 1)
        }
    }

    @Test func aChangedTableMakesASavedPlanStaleNamingIt() throws {
        try Self.inFolder { folder in
            _ = try Self.write("drs_uri,name\ndrs://a.org/1,x.bam\n", "t/rows.csv", in: folder)
            let path = try Self.write("version: 1\nproject: a/b\ndrs:\n  - from: t/rows.csv\n", "m.yaml", in: folder)
            let loaded = PlanPipeline.load(path, fingerprint: true)
            #expect(loaded.sources.count == 1)
            let saved = SavedPlan(plan: Plan(projects: []), manifest: .init(path: path, sha256: loaded.sha256 ?? "", sources: loaded.sources),
                                  state: .init(path: "s", lineage: nil, serial: 0))
            #expect(saved.staleness(manifestSHA256: loaded.sha256 ?? "", sources: loaded.sources, lineage: nil, serial: 0).isEmpty)
            _ = try Self.write("drs_uri,name\ndrs://a.org/1,y.bam\n", "t/rows.csv", in: folder)
            let now = PlanPipeline.load(path, fingerprint: true)
            let reasons = saved.staleness(manifestSHA256: now.sha256 ?? "", sources: now.sources, lineage: nil, serial: 0)
            #expect(reasons == ["the table or included file '\(folder.path)/t/rows.csv' changed since the plan was made"])
        }
    }

    @Test func pathsMayNotLeaveTheRepositoryUnlessAllowed() throws {
        try Self.inFolder { folder in
            let inner = folder.appendingPathComponent("repo")
            try FileManager.default.createDirectory(at: inner.appendingPathComponent(".git"), withIntermediateDirectories: true)
            _ = try Self.write("drs_uri,name\ndrs://a.org/1,x.bam\n", "outside.csv", in: folder)
            let refused = try Self.write("version: 1\nproject: a/b\ndrs:\n  - from: ../outside.csv\n", "repo/m.yaml", in: folder)
            #expect(ManifestLoader.check(path: refused, displayName: "m.yaml").diagnostics.map(\.description) == [
                "m.yaml:4:11: error: '../outside.csv' leaves the manifest's repository; keep tables beside the manifest, or set 'allow_outside: true'",
            ])
            let allowed = try Self.write("version: 1\nproject: a/b\ndrs:\n  - from: ../outside.csv\n    allow_outside: true\n",
                                         "repo/n.yaml", in: folder)
            let check = ManifestLoader.check(path: allowed, displayName: "n.yaml")
            #expect(check.diagnostics.isEmpty)
            #expect(check.state?.count == 1)
        }
    }

    @Test func everyDRSURIFormOfRealExportsIsKeptByteForByte() throws {
        let uris = [
            "drs://nci-crdc.datacommons.io/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://nci-crdc.datacommons.io/dg.4DFC/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4DFC:1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4DFC/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4DFC:dg.4DFC/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4503:1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4503/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://data.kidsfirstdrc.org/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://repo-prod.prod.sagebase.org/syn123.1",
            "drs://caninedc.org/1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4dfc:1805d249-bc24-4eed-b191-86d333d7563f",
            "drs://dg.4dfc/1805d249-bc24-4eed-b191-86d333d7563f",
        ]
        try Self.inFolder { folder in
            let csv = "drs_uri,name\n" + uris.enumerated().map { "\($1),f\($0).bam" }.joined(separator: "\n") + "\n"
            _ = try Self.write(csv, "rows.csv", in: folder)
            let path = try Self.write("version: 1\nproject: a/b\ndrs:\n  - from: rows.csv\n", "m.yaml", in: folder)
            let check = ManifestLoader.check(path: path)
            #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
            let got = check.state?.files.map { f -> [UInt8] in
                if case .drs(let uri) = f.source { return Array(uri.utf8) }
                return []
            }
            #expect(got == uris.map { Array($0.utf8) })
        }
    }
}

/// Reproducible picks for generated inputs: a multiplicative hash of the position and the seed.
struct Seeded {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 29
    }
}
