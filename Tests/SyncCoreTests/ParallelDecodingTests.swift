@testable import SyncCore
import SyncYAML
import Testing

/// Long lists are decoded and expanded in chunks on every core; the outcome must be exactly what
/// one pass in order gives: the same manifest, the same files in the same order, the same
/// problems in the same order (duplicates across chunk boundaries included).
@Suite struct ParallelDecodingTests {
    /// A manifest of `count` file entries and `count / 4` DRS entries, with problems of every
    /// kind sprinkled so that many chunks hold some: bad names, typo'd keys, missing locations,
    /// missing projects, duplicate addresses (near and far apart), bad DRS URIs.
    static func manifest(count: Int) -> String {
        var yaml = """
            version: 1
            defaults:
              tags: [cohort]
              metadata: {study: PANCAN, site: 7}
            volumes:

            """
        for group in 0..<2 {
            yaml += "  - volume: rfranklin/bucket_\(group)\n    folder: raw/g\(group)\n    files:\n"
            for i in 0..<count {
                let n = group * count + i
                // Most entries name their project; every 37th relies on the (absent) root project.
                let project = n % 37 == 5 ? "" : "        project: rfranklin/p\(n % 3)\n"
                switch n % 101 {
                case 7:
                    yaml += "      - location: s/\(n).fq\n        name: bad/name\n" + project
                case 13:
                    yaml += "      - locaton: s/\(n).fq\n" + project
                case 29:
                    yaml += "      - name: only_\(n).fq\n" + project
                case 41:
                    // The address of entry n - 39 (39 is a multiple of 3: the same project).
                    yaml += "      - location: s/\(n - 39).fq\n" + project
                default:
                    yaml += "      - location: s/\(n).fq\n" + project
                    yaml += n % 5 == 0 ? "        metadata: {sample: S\(n), site: \(n % 9)}\n" : ""
                    yaml += n % 7 == 0 ? "        tags: [t\(n % 4), cohort]\n" : ""
                    yaml += n % 11 == 0 ? "        conflict: overwrite\n" : ""
                    yaml += n % 13 == 0 ? "        folder: other\n" : ""
                }
            }
        }
        // One address far from its twin: the first entry of group 0 (in 'other', as n % 13 == 0), again at the end.
        yaml += "  - volume: rfranklin/bucket_0\n    folder: raw/g0\n    files:\n"
        yaml += "      - location: s/0.fq\n        project: rfranklin/p0\n        folder: other\n"
        yaml += "drs:\n"
        for i in 0..<(count / 4) {
            let uri = i % 53 == 3 ? "http://not-drs/\(i)" : "drs://example.org/obj\(i)"
            yaml += "  - uri: \(uri)\n    name: d\(i % 997).bam\n    project: rfranklin/p\(i % 2)\n"
        }
        return yaml
    }

    @Test(arguments: [1, 7, 50, 333])
    func chunkedMatchesOnePass(minChunk: Int) throws {
        let document = try YAMLParser.parse(Self.manifest(count: 2000), file: "big.yaml", options: .manifest)
        let serial = ManifestDecoder.decode(document, minChunk: .max)
        let chunked = ManifestDecoder.decode(document, minChunk: minChunk)
        #expect(chunked.manifest == serial.manifest)
        #expect(chunked.diagnostics == serial.diagnostics)
        // The fixture must exercise what it claims to.
        #expect(serial.diagnostics.count > 100)
        #expect(serial.manifest.volumes.map(\.files.count).reduce(0, +) > 3000)

        let serialState = serial.manifest.expand(listings: nil, minChunk: .max)
        let chunkedState = serial.manifest.expand(listings: nil, minChunk: minChunk)
        #expect(chunkedState.diagnostics == serialState.diagnostics)
        #expect(chunkedState.state.files == serialState.state.files)
        #expect(serialState.diagnostics.contains { $0.message.contains("two entries land on") })
        #expect(serialState.diagnostics.contains { $0.message.contains("no destination project") })
        #expect(serialState.diagnostics.contains { $0.message == "two entries land on 'rfranklin/p0:other/0.fq'; the other one is at line 9" })
        // Every decoded entry became a file, or a duplicate, or lacked a project; addresses unique.
        let entries = serial.manifest.volumes.map(\.files.count).reduce(0, +) + serial.manifest.drs.count
        let duplicates = serialState.diagnostics.filter { $0.message.contains("two entries land on") }.count
        let projectless = serialState.diagnostics.filter { $0.message.contains("no destination project") }.count
        #expect(serialState.state.files.count + duplicates + projectless == entries)
        #expect(Set(serialState.state.files.map(\.address)).count == serialState.state.files.count)
        for file in serialState.state.files {
            #expect(chunkedState.state[file.address] == serialState.state[file.address])
        }
    }

    @Test func addressesDetailKeepsEveryProblemAndCount() throws {
        let document = try YAMLParser.parse(Self.manifest(count: 1000), file: "big.yaml", options: .manifest)
        let manifest = ManifestDecoder.decode(document).manifest
        let full = manifest.expand()
        let lean = manifest.expand(detail: .addresses)
        #expect(lean.diagnostics == full.diagnostics)
        #expect(lean.state.summary == full.state.summary)
        #expect(lean.state.files.map(\.address) == full.state.files.map(\.address))
        #expect(lean.state.files.map(\.source) == full.state.files.map(\.source))
        #expect(lean.state.files.map(\.policy) == full.state.files.map(\.policy))
        #expect(lean.state.files.map(\.mark) == full.state.files.map(\.mark))
        #expect(lean.state.files.allSatisfy { $0.metadata.isEmpty && $0.tags.isEmpty })
        #expect(full.state.files.allSatisfy { !$0.metadata.isEmpty && !$0.tags.isEmpty })
    }
}
