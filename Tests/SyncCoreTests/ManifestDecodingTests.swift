import SyncCore
import SyncYAML
import Testing

@Suite struct ManifestDecodingTests {
    @Test func decodesEveryKey() throws {
        let decoding = try decode("""
            version: 1
            project: rfranklin/my-project
            defaults:
              conflict: rename
              tags: [ICDC, ICDC, raw]
              metadata: {study: ICDC, cohort: 4}
            volumes:
              - volume: rfranklin/input
                folder: raw
                files:
                  - location: fastq/s1_R1.fastq.gz
                    name: s1.fq.gz
                    folder: raw/s1
                    project: rfranklin/other
                    metadata: {sample_id: S1, n: 2, ratio: 0.5, ok: true, none: null, answer: "42", word: yes}
                    tags: [r1]
                    conflict: overwrite
                prefixes:
                  - prefix: fastq/batch2/
                    include: ["*.fastq.gz"]
                    folder: b2
            drs:
              - uri: drs://example.org/abc
                name: a.bam
                folder: drs
                project: rfranklin/third
                metadata: {k: v}
                tags: [t]
                conflict: skip
            """)
        #expect(decoding.diagnostics.isEmpty, "\(decoding.diagnostics)")
        let m = decoding.manifest
        #expect(m.version == 1)
        #expect(m.project == "rfranklin/my-project")
        #expect(m.defaults.conflict == .rename)
        #expect(m.defaults.tags == ["ICDC", "raw"])
        #expect(m.defaults.metadata["cohort"] == .int(4))
        let group = try #require(m.volumes.first)
        #expect(group.volume == "rfranklin/input")
        #expect(group.folder == "raw")
        #expect(group.mark == SourceMark(line: 8, column: 5))
        let file = try #require(group.files.first)
        #expect(file.location == "fastq/s1_R1.fastq.gz")
        #expect(file.name == "s1.fq.gz")
        #expect(file.folder == "raw/s1")
        #expect(file.project == "rfranklin/other")
        #expect(file.tags == ["r1"])
        #expect(file.conflict == .overwrite)
        #expect(file.mark == SourceMark(line: 11, column: 9))
        #expect(file.metadata["sample_id"] == .string("S1"))
        #expect(file.metadata["n"] == .int(2))
        #expect(file.metadata["ratio"] == .float(0.5))
        #expect(file.metadata["ok"] == .bool(true))
        #expect(file.metadata["none"] == .null)
        #expect(file.metadata["answer"] == .string("42"))
        #expect(file.metadata["word"] == .string("yes"))
        let prefix = try #require(group.prefixes.first)
        #expect(prefix.prefix == "fastq/batch2/")
        #expect(prefix.include.map(\.pattern) == ["*.fastq.gz"])
        #expect(prefix.folder == "b2")
        let drs = try #require(m.drs.first)
        #expect(drs.uri == "drs://example.org/abc")
        #expect(drs.name == "a.bam")
        #expect(drs.folder == "drs")
        #expect(drs.project == "rfranklin/third")
        #expect(drs.metadata["k"] == .string("v"))
        #expect(drs.tags == ["t"])
        #expect(drs.conflict == .skip)
    }

    @Test func numbersInNameFieldsKeepTheirText() throws {
        let m = try decode("""
            version: 1
            project: rfranklin/p
            drs:
              - uri: drs://example.org/abc
                name: 007
                folder: 2024
            """).manifest
        #expect(m.drs.first?.name == "007")
        #expect(m.drs.first?.folder == "2024")
    }

    @Test func nullListsAreEmpty() throws {
        let decoding = try decode("""
            version: 1
            project: rfranklin/p
            volumes:
              - volume: rfranklin/v
                files:
                prefixes:
            drs:
            """)
        #expect(decoding.diagnostics.isEmpty)
        #expect(decoding.manifest.volumes.first?.files.isEmpty == true)
    }

    @Test func extensionKeysHoldAnchors() throws {
        let m = try decode("""
            version: 1
            project: rfranklin/p
            x-tumour: &t {sample_type: Primary Tumor}
            drs:
              - uri: drs://example.org/abc
                name: a.bam
                metadata: {<<: *t, sample_id: S1}
            """)
        #expect(m.diagnostics.isEmpty, "\(m.diagnostics)")
        #expect(m.manifest.drs.first?.metadata["sample_type"] == .string("Primary Tumor"))
        #expect(m.manifest.drs.first?.metadata["sample_id"] == .string("S1"))
    }

    /// One rule per case: a manifest fragment under a valid header, and the exact messages.
    @Test(arguments: [
        ("projcet: rfranklin/p", ["3:1: unknown key 'projcet'; did you mean 'project'?"]),
        ("defaults: {colour: red}", ["3:12: unknown key 'colour' in 'defaults'; expected 'conflict', 'tags' or 'metadata'"]),
        ("drs: [{uri: 'drs://example.org/a', name: a, tag: [x]}]",
         ["3:45: unknown key 'tag'; did you mean 'tags'?"]),
        ("drs: [{from: cohort.csv, types: {size: integer}}]",
         ["3:26: 'types' is a key of 'columns:' (how a table read with 'from:' maps its columns)"]),
        ("drs: [{uri: 'http://example.org/a', name: a}]",
         ["3:13: invalid DRS URI 'http://example.org/a'; it must start with 'drs://'"]),
        ("drs: [{uri: 'drs://example.org/a', name: 'a/b'}]",
         ["3:42: file name 'a/b' contains '/'; put folders in 'folder'"]),
        ("drs: [{uri: 'drs://example.org/a', name: a, folder: 'x//y'}]",
         ["3:53: folder 'x//y' has an empty segment ('//')"]),
        ("drs: [{uri: 'drs://example.org/a', name: a, metadata: {k: [1]}}]",
         ["3:59: metadata value of 'k' must be a string, number, boolean or null"]),
        ("drs: [{uri: 'drs://example.org/a', name: a, tags: ['a,b']}]",
         ["3:52: tag 'a,b' contains a comma; write separate tags instead"]),
        ("drs: [{uri: 'drs://example.org/a', name: a, conflict: overwite}]",
         ["3:55: unknown conflict policy 'overwite'; did you mean 'overwrite'?"]),
        ("drs: [{uri: 'drs://example.org/a', name: a, project: nope}]",
         ["3:54: invalid project id 'nope'; expected 'owner/slug', e.g. 'rfranklin/my-project'"]),
        ("volumes: [{volume: nope, files: [{location: a}]}]",
         ["3:20: invalid volume id 'nope'; expected 'owner/name' with a name of up to 32 letters, digits and '_', e.g. 'rfranklin/my_volume'"]),
        ("volumes: [{volume: o/v, files: [{location: 'a/'}]}]",
         ["3:44: location 'a/' ends with '/'; to take every object under it, use 'prefixes'"]),
        ("volumes: [{volume: o/v, prefixes: [{prefix: a}]}]",
         ["3:45: prefix 'a' must end with '/'; write 'a/'"]),
        ("volumes: [{volume: o/v, prefixes: [{prefix: a/, include: ['[x']}]}]",
         ["3:59: include pattern '[x' has a '[' without its ']'"]),
        ("drs: [{uri: 'drs://example.org/a'}]", ["3:7: missing key 'name' in a 'drs' entry"]),
        ("drs: [{uri: 'drs://example.org/a', name: a}, {uri: 'drs://example.org/b', name: a}]",
         ["3:46: two entries land on 'rfranklin/p:a'; the other one is at line 3"]),
    ])
    func rule(_ fragment: String, _ expected: [String]) throws {
        #expect(try problems("version: 1\nproject: rfranklin/p\n" + fragment) == expected)
    }

    @Test func everyProblemInOneRun() throws {
        let found = try problems("""
            version: 1
            project: rfranklin/p
            volumes:
              - volume: bad
                fodler: x
              - volume: o/v
                files:
                  - {location: a, conflict: never}
            drs:
              - {uri: 'drs://x/1', name: ''}
            """)
        #expect(found.count == 4)
        #expect(found.map { $0.prefix(5) } == ["4:13:", "5:5: ", "8:33:", "10:30"])
    }

    @Test func missingVersionAndWrongRoot() throws {
        #expect(try problems("project: rfranklin/p") == ["1:1: missing key 'version' in the manifest"])
        #expect(try problems("version: 3") == ["1:10: unsupported manifest version '3'; this sbsync reads version 1"])
        #expect(try problems("# nothing yet\n") == ["1:1: the manifest is empty; start it with 'version: 1'"])
        #expect(try problems("- a") == ["1:1: expected a mapping at the top of the manifest, with 'version: 1' and 'volumes' or 'drs'"])
    }

    @Test func theDecoderAcceptsExactlyTheListedKeys() throws {
        // Every listed key decodes without an "unknown key" problem.
        let all = try problems("""
            version: 1
            project: rfranklin/p
            defaults: {conflict: skip, tags: [], metadata: {}}
            volumes:
              - volume: o/v
                folder: f
                files: [{location: a, name: b, folder: c, project: o/p, metadata: {}, tags: [], conflict: skip}]
                prefixes: [{prefix: p/, include: ['*'], folder: d}]
            drs: [{uri: 'drs://h/i', name: n, folder: e, project: o/p, metadata: {}, tags: [], conflict: skip}]
            """)
        #expect(all.isEmpty, "\(all)")
        #expect(ManifestKeys.root == ["version", "project", "defaults", "volumes", "drs", "include"])
        #expect(ManifestKeys.volumeFile == ["location", "name", "folder", "project", "metadata", "tags", "conflict"])
        #expect(ManifestKeys.drsEntry == ["uri", "name", "folder", "project", "metadata", "tags", "conflict",
                                          "from", "format", "columns", "uri_template", "keep_empty", "allow_outside"])
    }
}
