import Foundation
import SyncCLI
import SyncCore
import SyncEngine
import SyncYAML
import Testing
import TestSupport

/// The example and invalid manifests under manifests/, through the whole pipeline.
@Suite struct ManifestFilesTests {
    @Test(arguments: manifests(in: "manifests/examples"))
    func examplesAreValid(_ path: String) throws {
        let check = ManifestLoader.check(path: repositoryRoot.appendingPathComponent(path).path, displayName: path)
        #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
        #expect(check.state?.isEmpty == false)
    }

    /// What `sbsync validate -f PATH --color never` prints on stderr, computed in process.
    static func diagnosticsText(_ path: String) -> String {
        let absolute = repositoryRoot.appendingPathComponent(path).path
        let check = ManifestLoader.check(path: absolute, displayName: path)
        // Tables and included files are named relative to the repository, as the manifest is.
        let paths = check.pathsByName
        return DiagnosticPrinter(useColor: false).render(check.diagnostics, linesByFile: DiagnosticPrinter.linesByFile(for: check.diagnostics) {
            $0 == path ? absolute : paths[$0] ?? repositoryRoot.appendingPathComponent($0).path
        })
    }

    @Test(arguments: manifests(in: "manifests/invalid"))
    func invalidManifestsGiveExactlyTheExpectedText(_ path: String) throws {
        let text = Self.diagnosticsText(path)
        #expect(text.hasSuffix("error\n") || text.hasSuffix("errors\n"), "\(path) produced no error")
        try expectGolden(text, path: String(path.dropLast(".yaml".count)) + ".expected")
    }

    @Test func everyInvalidManifestHasItsExpectedFile() {
        let directory = repositoryRoot.appendingPathComponent("manifests/invalid").path
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        for yaml in names where yaml.hasSuffix(".yaml") {
            #expect(names.contains(String(yaml.dropLast(5)) + ".expected"), "\(yaml) has no .expected")
        }
        for expected in names where expected.hasSuffix(".expected") {
            #expect(names.contains(String(expected.dropLast(9)) + ".yaml"), "\(expected) has no .yaml")
        }
    }

    /// Manifests as JSON (through our YAML 1.2 reader), checked by Python's jsonschema against
    /// schemas/manifest.schema.json. Prints one line per file: `ok PATH` or `invalid PATH`.
    static func schemaVerdicts(_ paths: [String]) throws -> [String: String] {
        let scratch = TemporaryDirectory()
        let directory = scratch.url
        var jsonPaths: [String] = []
        for (i, path) in paths.enumerated() {
            let document = try YAMLParser.parse(contentsOf: repositoryRoot.appendingPathComponent(path).path,
                                                displayName: path, options: .manifest)
            let data = try JSONSerialization.data(withJSONObject: jsonValue(document.root), options: [.fragmentsAllowed])
            let jsonPath = directory.appendingPathComponent("\(i).json").path
            try data.write(to: URL(fileURLWithPath: jsonPath))
            jsonPaths.append(jsonPath)
        }
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            validator = Draft202012Validator(schema)
            for path in sys.argv[2:]:
                errors = list(validator.iter_errors(json.load(open(path))))
                print(("ok" if not errors else "invalid") + " " + path)
            """
        let result = try run(try python(), ["-c", script, repositoryRoot.appendingPathComponent("schemas/manifest.schema.json").path] + jsonPaths)
        #expect(result.status == 0, "python failed: \(result.stderr)")
        var verdicts: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let index = jsonPaths.firstIndex(of: String(parts[1])) {
                verdicts[paths[index]] = String(parts[0])
            }
        }
        return verdicts
    }

    @Test func examplesPassTheJSONSchema() throws {
        let examples = manifests(in: "manifests/examples")
        #expect(!examples.isEmpty)
        let verdicts = try Self.schemaVerdicts(examples)
        for path in examples { #expect(verdicts[path] == "ok", "\(path): \(verdicts[path] ?? "no verdict")") }
    }

    /// Invalid manifests whose problem the schema can express fail the schema too (the schema
    /// cannot see duplicates across entries or a missing project, and YAML errors never get there;
    /// nor the contents of included files).
    @Test func invalidManifestsFailTheJSONSchema() throws {
        let schemaBlind: Set<String> = ["duplicate-addresses", "missing-project", "bad-includes"]
        let candidates = manifests(in: "manifests/invalid").filter { path in
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            return !name.hasPrefix("yaml-") && !schemaBlind.contains(name)
        }
        let verdicts = try Self.schemaVerdicts(candidates)
        for path in candidates { #expect(verdicts[path] == "invalid", "\(path): \(verdicts[path] ?? "no verdict")") }
    }
}
