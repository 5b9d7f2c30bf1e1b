import SyncCore
import SyncYAML
import Testing

@Suite struct ManifestExpansionTests {
    static let header = """
        version: 1
        project: rfranklin/p
        defaults:
          conflict: rename
          tags: [ICDC, shared]
          metadata: {study: ICDC, cohort: 4}

        """

    @Test func defaultsAreApplied() throws {
        let s = try state(Self.header + """
            volumes:
              - volume: o/v
                folder: raw
                files:
                  - location: fastq/s1.fq
                  - location: fastq/s2.fq
                    folder: raw/s2
                    name: two.fq
                    metadata: {cohort: 5, sample: S2}
                    tags: [shared, mine, ICDC, mine]
                    conflict: overwrite
                    project: o/other
            drs:
              - uri: drs://example.org/abc
                name: a.bam
            """)
        #expect(s.files.map(\.address.description) == ["rfranklin/p:raw/s1.fq", "o/other:raw/s2/two.fq", "rfranklin/p:a.bam"])
        let first = s.files[0], second = s.files[1], drs = s.files[2]
        #expect(first.source == .volume(volume: "o/v", location: "fastq/s1.fq"))
        #expect(first.tags == ["ICDC", "shared"])
        #expect(first.metadata == Metadata([("study", .string("ICDC")), ("cohort", .int(4))]))
        #expect(first.policy == .rename)
        #expect(first.mark == SourceMark(line: 11, column: 9))
        #expect(second.tags == ["ICDC", "shared", "mine"])
        #expect(second.metadata == Metadata([("study", .string("ICDC")), ("cohort", .int(5)), ("sample", .string("S2"))]))
        #expect(second.policy == .overwrite)
        #expect(drs.source == .drs(uri: "drs://example.org/abc"))
        #expect(drs.address.folder == "")
        #expect(s[Address(project: "o/other", path: "raw/s2/two.fq")]?.source == second.source)
        #expect(s[Address(project: "o/other", path: "nope")] == nil)
        #expect(s.summary == DesiredState.Summary(volumeFiles: 2, drsFiles: 1, projects: 2, unexpandedPrefixes: 0))
    }

    /// A volume group's `project`, `conflict`, `tags` and `metadata` reach every file of the
    /// group (its `files` and the objects its prefixes list), over the defaults and under each
    /// file's own; another group keeps the defaults.
    @Test func aVolumeGroupsKeysLieBetweenTheDefaultsAndEachFilesOwn() async throws {
        let manifest = try decode(Self.header + """
            volumes:
              - volume: o/v
                project: o/grouped
                conflict: overwrite
                tags: [raw, shared]
                metadata: {cohort: 7, batch: "2"}
                files:
                  - location: a.fq
                  - location: b.fq
                    project: o/own
                    conflict: skip
                    tags: [mine]
                    metadata: {batch: "3"}
                prefixes: [{prefix: listed/}]
              - volume: o/w
                files: [{location: c.fq}]
            """).manifest
        let listings = try await PrefixListings.list(manifest, using: StaticVolumeListing(["o/v": ["listed/x.fq"]]))
        let expansion = manifest.expand(listings: listings)
        #expect(expansion.diagnostics.isEmpty, "\(expansion.diagnostics)")
        let byPath = Dictionary(uniqueKeysWithValues: expansion.state.files.map { ($0.address.path, $0) })
        let a = try #require(byPath["a.fq"]), b = try #require(byPath["b.fq"])
        let listed = try #require(byPath["x.fq"]), other = try #require(byPath["c.fq"])
        let grouped = Metadata([("study", .string("ICDC")), ("cohort", .int(7)), ("batch", .string("2"))])
        for file in [a, listed] {
            #expect(file.address.project == "o/grouped")
            #expect(file.policy == .overwrite)
            #expect(file.tags == ["ICDC", "shared", "raw"])
            #expect(file.metadata == grouped)
        }
        #expect(b.address.project == "o/own")
        #expect(b.policy == .skip)
        #expect(b.tags == ["ICDC", "shared", "raw", "mine"])
        #expect(b.metadata == Metadata([("study", .string("ICDC")), ("cohort", .int(7)), ("batch", .string("3"))]))
        #expect(other.address.project == "rfranklin/p")
        #expect(other.policy == .rename)
        #expect(other.tags == ["ICDC", "shared"])
        #expect(other.metadata == Metadata([("study", .string("ICDC")), ("cohort", .int(4))]))
    }

    /// A group's project stands in for the manifest's; a bad one is one error, not one per file.
    @Test func aVolumeGroupsProjectIsEnoughAndABadOneIsOneError() throws {
        #expect(try problems("""
            version: 1
            volumes:
              - volume: o/v
                project: o/p
                files: [{location: a.fq}]
                prefixes: [{prefix: x/}]
              - volume: o/w
                project: not a project
                conflict: sometimes
                files: [{location: b.fq}, {location: c.fq}]
            """) == [
                "8:14: invalid project id 'not a project'; expected 'owner/slug', e.g. 'rfranklin/my-project'",
                "9:15: unknown conflict policy 'sometimes'; expected 'skip', 'overwrite' or 'rename'",
            ])
    }

    @Test func policyFallsBackToSkip() throws {
        let s = try state("""
            version: 1
            project: rfranklin/p
            drs: [{uri: 'drs://h/1', name: a}]
            """)
        #expect(s.files.first?.policy == .skip)
        #expect(s.files.first?.tags == [])
        #expect(s.files.first?.metadata.isEmpty == true)
    }

    @Test func missingProjectIsReportedPerEntry() throws {
        #expect(try problems("""
            version: 1
            drs: [{uri: 'drs://h/1', name: a}, {uri: 'drs://h/2', name: b, project: o/p}]
            volumes: [{volume: o/v, prefixes: [{prefix: x/}]}]
            """) == [
                "2:7: no destination project for this entry; set 'project' on it or at the top of the manifest",
                "3:36: no destination project for this entry; set 'project' on it or at the top of the manifest",
            ])
    }

    @Test func duplicatesNameBothLines() throws {
        let decoding = try decode("""
            version: 1
            project: rfranklin/p
            volumes:
              - volume: o/v
                folder: raw
                files:
                  - location: a/x.fq
                  - location: b/x.fq
            """)
        let expansion = decoding.manifest.expand()
        #expect(expansion.diagnostics.map(\.description) == ["test.yaml:8:9: error: two entries land on 'rfranklin/p:raw/x.fq'; the other one is at line 7"])
        #expect(expansion.diagnostics.first?.note == "first declared at 7:9; give one of them another 'name' or 'folder'")
        #expect(expansion.state.count == 1)
    }

    @Test func anAliasedListUsedTwiceInOneFolderIsADuplicateOfItself() throws {
        let decoding = try decode("""
            version: 1
            project: rfranklin/p
            volumes:
              - {volume: o/v, files: &f [{location: a.fq}]}
              - {volume: o/v, files: *f}
            """)
        let d = try #require(decoding.manifest.expand().diagnostics.first)
        #expect(d.message == "the entry lands on 'rfranklin/p:a.fq' twice, because an alias uses it twice in one folder")
        #expect(d.mark == SourceMark(line: 4, column: 30))
        #expect(d.note == "give the groups that use the alias different folders")
    }

    static let prefixManifest = """
        version: 1
        project: rfranklin/p
        volumes:
          - volume: o/v
            folder: raw
            files:
              - location: fastq/b2/s1.fq.gz
                metadata: {sample: S1}
            prefixes:
              - prefix: fastq/b2/
                include: ["*.fq.gz", "**/*.bam"]
              - prefix: qc/
                folder: reports
        """

    @Test func offlinePrefixesAreReportedUnexpanded() throws {
        let s = try state(Self.prefixManifest)
        #expect(s.count == 1)
        #expect(!s.isComplete)
        #expect(s.unexpandedPrefixes.map(\.prefix) == ["fastq/b2/", "qc/"])
        #expect(s.unexpandedPrefixes.map(\.volume) == ["o/v", "o/v"])
        #expect(s.summary.unexpandedPrefixes == 2)
    }

    @Test func prefixesExpandFromAListing() async throws {
        let manifest = try decode(Self.prefixManifest).manifest
        let listing = StaticVolumeListing(["o/v": [
            "fastq/b2/s2.fq.gz", "fastq/b2/s1.fq.gz", "fastq/b2/notes.txt", "fastq/b2/lane1/x.bam",
            "fastq/b2/lane1/y.fq.gz", "fastq/b2/", "qc/a.html", "qc/deep/b.html", "other/z.fq.gz",
        ]])
        let listings = try await PrefixListings.list(manifest, using: listing)
        let expansion = manifest.expand(listings: listings)
        #expect(expansion.diagnostics.isEmpty, "\(expansion.diagnostics)")
        let s = expansion.state
        #expect(s.isComplete)
        #expect(s.files.map(\.address.path) == [
            "raw/s1.fq.gz", "raw/lane1/x.bam", "raw/s2.fq.gz", "reports/a.html", "reports/deep/b.html",
        ])
        // The explicit entry wins over the prefix for the same object.
        #expect(s.files[0].metadata["sample"] == .string("S1"))
        #expect(s.files[0].mark != nil)
        #expect(s.files[1].mark == nil)
        #expect(s.files[1].source == .volume(volume: "o/v", location: "fastq/b2/lane1/x.bam"))
    }

    @Test func aListedObjectOnAnotherEntrysAddressIsAnError() throws {
        let manifest = try decode("""
            version: 1
            project: rfranklin/p
            volumes:
              - volume: o/v
                files: [{location: elsewhere/a.fq}]
                prefixes: [{prefix: in/}]
            """).manifest
        var listings = PrefixListings()
        listings[manifest.prefixes[0]] = ["in/a.fq", "in/bad name/b.fq", "in/" + String(repeating: "n", count: 256)]
        let messages = manifest.expand(listings: listings).diagnostics.map(\.message)
        #expect(messages == [
            "two entries land on 'rfranklin/p:a.fq'; the other one is at line 5",
            "object 'in/bad name/b.fq' under prefix 'in/' cannot be imported: its folder contains ' ' (allowed: letters, digits, '_', '-', '.')",
            "object 'in/\(String(repeating: "n", count: 256))' under prefix 'in/' cannot be imported: its name '\(String(repeating: "n", count: 40))…' is 256 characters long (limit 255)",
        ])
    }

    @Test func sortedByAddress() throws {
        let s = try state("""
            version: 1
            project: rfranklin/p
            drs: [{uri: 'drs://h/1', name: b}, {uri: 'drs://h/2', name: a}, {uri: 'drs://h/3', name: c, project: a/a}]
            """)
        #expect(s.sortedByAddress.map(\.address.description) == ["a/a:c", "rfranklin/p:a", "rfranklin/p:b"])
    }
}

@Suite struct DiagnosticOrderTests {
    @Test func sortedBySourceStableAndWithoutRepeats() {
        let a = Diagnostic(file: "m", mark: SourceMark(line: 3, column: 1), message: "a")
        let b = Diagnostic(file: "m", mark: SourceMark(line: 1, column: 9), message: "b")
        let c = Diagnostic(file: "m", mark: SourceMark(line: 3, column: 1), message: "c")
        let whole = Diagnostic(file: "m", mark: nil, message: "file")
        #expect(Diagnostic.inSourceOrder([a, b, c, a, whole, b]) == [whole, b, a, c])
    }
}
