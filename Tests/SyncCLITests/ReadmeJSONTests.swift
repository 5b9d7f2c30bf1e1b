import Foundation
@testable import SyncCLI
import SyncCore
import SyncEngine
import SyncState
import Testing
import TestSupport

/// The JSON examples of README.md: each `<!-- json: NAME -->` line names the ```json block after it.
struct ReadmeExamples {
    static let url = repositoryRoot.appendingPathComponent("README.md")
    var lines: [Substring]

    init() throws {
        lines = try String(contentsOf: Self.url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The names of the examples, in README order.
    var names: [String] {
        lines.compactMap { line in
            guard line.hasPrefix("<!-- json: "), line.hasSuffix(" -->") else { return nil }
            return String(line.dropFirst("<!-- json: ".count).dropLast(" -->".count))
        }
    }

    /// How many ```json blocks the README has, named or not.
    var jsonBlocks: Int { lines.filter { $0 == "```json" }.count }

    /// The lines of the named block, between its fences.
    private func range(_ name: String) -> Range<Int>? {
        guard let marker = lines.firstIndex(of: "<!-- json: \(name) -->"[...]), marker + 1 < lines.count,
              lines[marker + 1] == "```json",
              let end = lines[(marker + 2)...].firstIndex(of: "```") else { return nil }
        return (marker + 2)..<end
    }

    /// The named block's text, ending with a newline.
    func block(_ name: String) -> String? {
        range(name).map { lines[$0].joined(separator: "\n") + "\n" }
    }

    /// Replaces the named block's text (`RECORD_SNAPSHOTS=1`).
    mutating func replace(_ name: String, with text: String) throws {
        guard let range = range(name) else { return }
        lines.replaceSubrange(range, with: text.split(separator: "\n", omittingEmptySubsequences: true))
        try Data(lines.joined(separator: "\n").utf8).write(to: Self.url)
    }
}

/// Every JSON format the README documents is shown by an example that is exactly what sbsync
/// writes: each example is read back into its document type and written again byte for byte
/// (so a renamed, missing, extra or reordered key fails), and the examples that a fixture can
/// produce are produced and compared whole. `RECORD_SNAPSHOTS=1` rewrites the examples instead
/// (and fails, so a recording run is never green).
@Suite("README JSON examples", .serialized)
struct ReadmeJSONTests {
    static let names = ["validate", "validate-invalid", "plan", "saved-plan", "apply-events", "failures", "state-export"]

    @Test("every ```json block of the README is a named example, and every format has one")
    func everyBlockIsNamed() throws {
        let readme = try ReadmeExamples()
        #expect(readme.names == Self.names)
        #expect(readme.jsonBlocks == Self.names.count)
    }

    /// The example written again by its document type.
    static func rewritten(_ name: String, _ text: String) throws -> String {
        let decoder = JSONDecoder()
        func again<D: JSONDocument & Decodable>(_ type: D.Type) throws -> (D, String) {
            let document = try decoder.decode(D.self, from: Data(text.utf8))
            return (document, try document.jsonText())
        }
        switch name {
        case "validate":
            let (document, text) = try again(DesiredStateDocument.self)
            #expect(document.formatVersion == DesiredState.jsonFormatVersion)
            return text
        case "validate-invalid":
            let (document, text) = try again(DiagnosticsDocument.self)
            #expect(document.formatVersion == DesiredState.jsonFormatVersion)
            return text
        case "plan":
            let (document, text) = try again(PlanDocument.self)
            #expect(document.formatVersion == Plan.jsonFormatVersion)
            return text
        case "saved-plan":
            let plan = try SavedPlan.decode(Data(text.utf8))
            return String(decoding: try plan.encoded(), as: UTF8.self)
        case "apply-events":
            return try text.split(separator: "\n").map { line in
                try decoder.decode(ApplyEventDocument.self, from: Data(line.utf8)).jsonText()
            }.joined()
        case "failures":
            let (document, text) = try again(FailuresDocument.self)
            #expect(document.formatVersion == FailuresDocument.currentFormatVersion)
            return text
        case "state-export":
            let (document, text) = try again(StateExportDocument.self)
            #expect(document.formatVersion == StateExportDocument.currentFormatVersion)
            #expect(document.stateFormatVersion == StateStore.formatVersion)
            return text
        default:
            Issue.record("no document type for the example '\(name)'")
            return text
        }
    }

    @Test("each example is its document, written exactly as sbsync writes it", arguments: names)
    func exampleIsItsDocument(name: String) throws {
        var readme = try ReadmeExamples()
        let example = try #require(readme.block(name), "README.md has no example '<!-- json: \(name) -->'")
        let again = try Self.rewritten(name, example)
        try Self.check(again, against: example, name: name, in: &readme)
    }

    @Test("validate --json of manifests/examples/small.yaml")
    func validateExample() throws {
        let path = "manifests/examples/small.yaml"
        let check = ManifestLoader.check(path: repositoryRoot.appendingPathComponent(path).path, displayName: path)
        let state = try #require(check.state)
        var output = ""
        JSONOutput.desiredState(state, manifest: path) { output += $0 }
        var readme = try ReadmeExamples()
        try Self.check(output, against: readme.block("validate"), name: "validate", in: &readme)
    }

    @Test("validate --json of manifests/invalid/yaml-duplicate-key.yaml")
    func invalidExample() throws {
        let path = "manifests/invalid/yaml-duplicate-key.yaml"
        let check = ManifestLoader.check(path: repositoryRoot.appendingPathComponent(path).path, displayName: path)
        #expect(!check.isValid)
        let output = JSONOutput.diagnostics(check.diagnostics, manifest: path)
        var readme = try ReadmeExamples()
        try Self.check(output, against: readme.block("validate-invalid"), name: "validate-invalid", in: &readme)
    }

    @Test("plan --json and plan --out of small.yaml against a state where one file drifted")
    func planExamples() async throws {
        let sandbox = try PlanSandbox()
        var files = try sandbox.appliedFiles()
        files[0].metadata = Metadata([("sample_id", .string("S0")), ("lane", .int(2)), ("qc", .float(0.82))])
        files[0].tags = ["old"]
        files[0].specDigest = files[0].computedSpecDigest  // as every apply writes it
        try sandbox.writeState(files)
        let plan = try await sandbox.run(["--json", "--color", "never"])
        #expect(plan.code == 0 && plan.stderr.isEmpty, "\(plan.stderr)")
        var readme = try ReadmeExamples()
        try Self.check(plan.stdout, against: readme.block("plan"), name: "plan", in: &readme)

        let out = sandbox.directory.appendingPathComponent("small.plan").path
        #expect(try await sandbox.run(["--out", out]).code == 0)
        // Paths as the user typed them (relative), and the README's lineage for the state's random one.
        var saved = try SavedPlan.decode(try Data(contentsOf: URL(fileURLWithPath: out)))
        let example = readme.block("saved-plan")
        let directory = sandbox.directory.path + "/"
        saved.manifest.path = saved.manifest.path.replacingOccurrences(of: directory, with: "")
        saved.state.path = saved.state.path.replacingOccurrences(of: directory, with: "")
        if let shown = try? SavedPlan.decode(Data((example ?? "").utf8)) { saved.state.lineage = shown.state.lineage }
        try Self.check(String(decoding: try saved.encoded(), as: UTF8.self), against: example, name: "saved-plan", in: &readme)
    }

    /// `actual` must be the example; with `RECORD_SNAPSHOTS=1` it becomes the example.
    static func check(_ actual: String, against example: String?, name: String, in readme: inout ReadmeExamples,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            if actual != example {
                try readme.replace(name, with: actual)
                Issue.record("recorded the README example '\(name)'; run again without RECORD_SNAPSHOTS to check it",
                             sourceLocation: sourceLocation)
            }
            return
        }
        #expect(actual == example, "README.md's example '\(name)' is not what sbsync writes", sourceLocation: sourceLocation)
    }
}
