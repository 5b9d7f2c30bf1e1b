import Foundation
import SyncCore
import Testing
import TestSupport

/// The schema's patterns and the decoder's rules agree on the same values (checked by Python's
/// jsonschema against each property's subschema).
@Suite struct SchemaPatternTests {
    static let samples: [String] = [
        "", "a", "a/b", "rfranklin/my-project", "rfranklin/my_volume", "rfranklin/my-volume", "/x", "x/", "a//b",
        "a/b/c", "-a/b", "a/-b", "raw", "raw/s1", "raw/../s1", "./raw", "..", ".", "...", ".hidden", "raw/sample 1",
        "données", "s1_R1.fastq.gz", "name with spaces.txt", String(repeating: "n", count: 255),
        String(repeating: "n", count: 256), String(repeating: "é", count: 255), "d1/" + String(repeating: "v", count: 32),
        "d1/" + String(repeating: "v", count: 33),
        "drs://nci-crdc.datacommons.io/1805d249-bc24-4eed-b191-86d333d7563f", "drs://example.org:8443/abc",
        "drs://dg.4503:0b1c2d3e", "drs://provider/dg.ABCD:0b1c/2d", "drs://example.org/", "drs://-bad-/abc",
        "drs://example..org/x", "drs://example.org/a b", "drs://dg.4503:", "drs://", "DRS://example.org/abc",
        "https://example.org/abc", "drs://example.org:80a/abc", "drs://dg-4503:abc", "drs://h/x%2Fy",
    ]

    /// Generated values from the pieces the rules look at (seeded): the byte-level checks are
    /// compared with the schema's patterns far beyond the hand-picked samples.
    static let generated: [String] = {
        var rng = SeededRandom(seed: 4242)
        let pieces = ["drs://", "a", "Z", "9", "0", ".", "-", "_", "~", "%", ":", "/", "é", " ", "dg.4DFC", "dg.4dfc:",
                      "nci-crdc.datacommons.io", "..", "syn123.1", "8443", "\u{7F}", "\u{85}", "\u{1}", "x"]
        return (0..<2000).map { _ in
            (0..<(1 + Int(rng.next() % 9))).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
        }
    }()

    /// (schema path to the property, the decoder's rule).
    static let rules: [(String, @Sendable (String) -> Bool)] = [
        ("properties/project", { ManifestValidation.projectID($0) == nil }),
        ("$defs/volumeGroup/properties/volume", { ManifestValidation.volumeID($0) == nil }),
        ("$defs/volumeGroup/properties/folder", { ManifestValidation.folder($0) == nil }),
        ("$defs/volumeFile/properties/name", { ManifestValidation.name($0) == nil }),
        ("$defs/volumeFile/properties/location", { ManifestValidation.location($0) == nil }),
        ("$defs/volumePrefix/properties/prefix", { ManifestValidation.prefix($0) == nil }),
        ("$defs/drsEntry/properties/uri", { ManifestValidation.drsURI($0) == nil }),
    ]

    @Test func schemaPatternsAgreeWithTheDecoder() throws {
        let scratch = TemporaryDirectory()
        let directory = scratch.url
        let input = directory.appendingPathComponent("samples.json")
        try JSONSerialization.data(withJSONObject: ["paths": Self.rules.map(\.0), "samples": Self.samples + Self.generated]).write(to: input)
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            job = json.load(open(sys.argv[2]))
            out = {}
            for path in job["paths"]:
                node = schema
                for part in path.split("/"):
                    node = node[part]
                validator = Draft202012Validator(node)
                out[path] = [validator.is_valid(s) for s in job["samples"]]
            print(json.dumps(out))
            """
        let result = try run(try python(), ["-c", script, repositoryRoot.appendingPathComponent("schemas/manifest.schema.json").path, input.path])
        #expect(result.status == 0, "\(result.stderr)")
        let verdicts = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [Bool]])
        for (path, rule) in Self.rules {
            let schema = try #require(verdicts[path], "no verdicts for \(path)")
            for (sample, schemaSays) in zip(Self.samples + Self.generated, schema) {
                #expect(rule(sample) == schemaSays, "\(path): '\(sample)' is \(rule(sample) ? "valid" : "invalid") for sbsync but \(schemaSays ? "valid" : "invalid") for the schema")
            }
        }
    }
}
