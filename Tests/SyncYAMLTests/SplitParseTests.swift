import Foundation
@testable import SyncYAML
import Testing
import TestSupport

/// The split parse (`SplitParse`) must give exactly the ordinary parse's tree, marks included,
/// or fall back to it: these documents are small, so the tests force splits with a setting that
/// cuts anywhere.
@Suite struct SplitParseTests {
    static func forced(parts: Int = 2) -> YAMLParser.SplitSetting {
        YAMLParser.SplitSetting(parts: parts, minimumSize: 0, earliestCut: 0, minimumRegion: 1)
    }

    /// Every node in document order: kind, style, tag, text, mark; collections by their shape.
    static func dump(_ root: YAMLNode) -> [String] {
        var lines: [String] = []
        var stack: [(YAMLNode, Int)] = [(root, 0)]
        while let (node, depth) = stack.popLast() {
            let pad = String(repeating: " ", count: depth)
            switch node.kind {
            case .scalar:
                lines.append("\(pad)\(node.mark) scalar \(node.style) \(node.tag ?? "-") \(node.text.debugDescription)")
            case .sequence:
                lines.append("\(pad)\(node.mark) seq \(node.tag ?? "-") \(node.count)")
                for item in node.items.reversed() { stack.append((item, depth + 1)) }
            case .mapping:
                lines.append("\(pad)\(node.mark) map \(node.tag ?? "-") \(node.count)")
                for pair in node.pairs.reversed() {
                    stack.append((pair.value, depth + 2))
                    stack.append((pair.key, depth + 1))
                }
            }
        }
        return lines
    }

    enum Outcome: Equatable {
        case document([String])
        case error(YAMLError)
    }

    /// Parses `text` both ways; expects the same outcome, and reports whether the split held.
    static func compare(_ text: String, parts: Int = 2, sourceLocation: SourceLocation = #_sourceLocation) throws -> (split: Bool, outcome: Outcome) {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("m.yaml").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let plain: Outcome
            do throws(YAMLError) {
                plain = .document(dump(try YAMLParser.parse(contentsOf: path, displayName: "m.yaml", options: .manifest,
                                                            split: .init(parts: 1)).root))
            } catch { plain = .error(error) }
            let split: Outcome
            var wasSplit = false
            do throws(YAMLError) {
                let result = try YAMLParser.parseReportingSplit(contentsOf: path, displayName: "m.yaml", options: .manifest,
                                                                split: forced(parts: parts))
                wasSplit = result.wasSplit
                split = .document(dump(result.document.root))
            } catch { split = .error(error) }
            #expect(split == plain, sourceLocation: sourceLocation)
            return (wasSplit, plain)
        }
    }

    static func items(_ count: Int, indent: Int = 2, _ body: (Int) -> String) -> String {
        (0..<count).map { body($0) }.joined().replacingOccurrences(of: "@", with: String(repeating: " ", count: indent))
    }

    @Test func topLevelSequence() throws {
        let text = Self.items(60, indent: 0) { "@- a: \($0)\n@  b: x\($0)\n" }
        #expect(try Self.compare(text).split)
    }

    @Test func byteOrderMark() throws {
        let text = "\u{FEFF}list:\n" + Self.items(60) { "@- a: \($0)\n" }
        #expect(try Self.compare(text).split)
    }

    @Test func windowsLineEnds() throws {
        let text = "list:\r\n" + Self.items(60) { "@- a: \($0)\r\n@  b: 'x\r\n@    y'\r\n" } + "end: 1\r\n"
        #expect(try Self.compare(text).split)
    }

    @Test func listInsideAMappingWithMoreAfterIt() throws {
        let text = "version: 1\ndrs:\n" + Self.items(80) { "@- uri: drs://h.org/\($0)\n@  name: f\($0).bam\n@  metadata: {k: \($0)}\n" }
            + "volumes:\n  - volume: a/b\n    files: []\n"
        #expect(try Self.compare(text).split)
    }

    @Test func indentlessSequence() throws {
        let text = "drs:\n" + Self.items(80, indent: 0) { "@- uri: u\($0)\n@  name: n\($0)\n" } + "other: 1\n"
        #expect(try Self.compare(text).split)
    }

    @Test func nestedListOfAVolumeGroup() throws {
        let text = "volumes:\n  - volume: a/b\n    files:\n" + Self.items(90, indent: 6) { "@- location: p/\($0)\n@  tags: [t\($0)]\n" }
            + "  - volume: c/d\n    files: []\n"
        #expect(try Self.compare(text).split)
    }

    @Test func itemsWithAwkwardScalarsCommentsAndUnicode() throws {
        let text = "title: \"ünïcödé ✓\"\nlist:\n" + Self.items(70) { i in
            switch i % 5 {
            case 0: "@- text: |\n@    - not an item\n@    line two\n"
            case 1: "@# a comment\n\n@- plain: first part\n@    - continued plain\n"
            case 2: "@- {flow: map, n: \(i)}\n"
            case 3: "@- 'quoted - \(i)'\n"
            default: "@- folded: >\n@    é - \(i)\n@  k: \"multi\n@    - line\"\n"
            }
        } + "end: true\n"
        #expect(try Self.compare(text).split)
    }

    @Test func threeParts() throws {
        let text = "head: 1\nlist:\n" + Self.items(300) { "@- n: \($0)\n@  s: [\($0), x]\n" } + "tail: 2\n"
        #expect(try Self.compare(text, parts: 3).split)
    }

    // MARK: - Falling back

    @Test func anchorsAndAliasesInsideTheCutFallBack() throws {
        let text = "list:\n" + Self.items(60) { $0 == 40 ? "@- &x {a: 1}\n" : "@- b: \($0)\n" } + "copy: *x\n"
        #expect(try !Self.compare(text).split)
    }

    @Test func aliasToAnAnchorBeforeTheCutFallsBack() throws {
        let text = "base: &b {k: v}\nlist:\n" + Self.items(60) { $0 == 45 ? "@- *b\n" : "@- {<<: *b, n: \($0)}\n" }
        #expect(try !Self.compare(text).split)
    }

    @Test func itemLookalikesInsideABlockScalarFallBack() throws {
        let text = "text: |\n" + Self.items(80) { "@- looks like item \($0)\n" } + "after: 1\n"
        let result = try Self.compare(text)
        #expect(!result.split)
        guard case .document(let lines) = result.outcome else { Issue.record("expected a document"); return }
        #expect(lines.count == 5)
    }

    @Test func itemLookalikesInsideAQuotedScalarFallBack() throws {
        let text = "text: \"start\n" + Self.items(80) { "@- looks like item \($0)\n" } + "  end\"\nafter: 1\n"
        #expect(try !Self.compare(text).split)
    }

    @Test func itemLookalikesInsideAFlowSequenceFallBack() throws {
        let quoted = "[ \"x\n" + Self.items(80, indent: 0) { "@- \($0)\n" } + "- 3\", y ]\n"
        let plain = "[ a, q\n" + Self.items(80, indent: 0) { "@- \($0)\n" } + "- 3, y ]\n"
        for text in [quoted, plain] {
            let result = try Self.compare(text)
            #expect(!result.split)
            guard case .document(let lines) = result.outcome else { Issue.record("expected a document"); continue }
            #expect(lines.count == 1 + (text == quoted ? 2 : 3))
        }
    }

    @Test func aDocumentEndAfterALoneCarriageReturnFallsBack() throws {
        let text = "list:\n" + Self.items(60) { "@- a\($0)\n" } + "  - y\r...\n  - z\n"
        guard case .error = try Self.compare(text).outcome else { Issue.record("expected an error"); return }
    }

    @Test func tagDirectivesAreNotSplit() throws {
        let text = "%TAG !! tag:example.com,2000:\n---\nlist:\n" + Self.items(60) { $0 == 30 ? "@- !!int 5\n" : "@- a\($0)\n" }
        let result = try Self.compare(text)
        #expect(!result.split)
        guard case .error(let error) = result.outcome else { Issue.record("expected an error"); return }
        #expect(error.kind == .unknownTag)
    }

    @Test func errorsInsideTheCutAreTheOrdinaryErrors() throws {
        let duplicate = "list:\n" + Self.items(60) { $0 == 50 ? "@- {a: 1, a: 2}\n" : "@- a: \($0)\n" }
        let syntax = "list:\n" + Self.items(60) { $0 == 50 ? "@- a: [unclosed\n" : "@- a: \($0)\n" }
        let deep = "list:\n" + Self.items(60) { $0 == 50 ? "@- " + String(repeating: "[", count: 300) + "\n" : "@- a: \($0)\n" }
        let second = "list:\n" + Self.items(60) { $0 == 50 ? "---\n" : "@- a: \($0)\n" }
        for text in [duplicate, syntax, deep, second] {
            let result = try Self.compare(text)
            #expect(!result.split)
            guard case .error = result.outcome else { Issue.record("expected an error"); continue }
        }
    }

    @Test func errorsBeforeAndAfterTheCutAreTheOrdinaryErrors() throws {
        let before = "a: 1\na: 2\nlist:\n" + Self.items(60) { "@- a: \($0)\n" }
        let after = "list:\n" + Self.items(60) { "@- a: \($0)\n" } + "b: 1\nb: 2\n"
        for text in [before, after] {
            guard case .error(let error) = try Self.compare(text).outcome else { Issue.record("expected an error"); continue }
            #expect(error.kind == .duplicateKey)
        }
    }

    @Test func noRunOfItemsMeansOneParser() throws {
        let text = (0..<200).map { "key\($0): value \($0)\n" }.joined()
        #expect(try !Self.compare(text).split)
    }

    @Test func aManifestLikeTheBenchmarksSplitsAndKeepsEveryMark() throws {
        var text = "version: 1\nproject: a/b\nvolumes:\n"
        for v in 0..<3 {
            text += "  - volume: a/v\(v)\n    folder: raw\n    files:\n"
            text += Self.items(100, indent: 6) { "@- location: c/P\(v)_\($0).fq.gz\n@  metadata:\n@    sample_id: S\($0)\n" }
        }
        text += "drs:\n" + Self.items(400) { "@- uri: drs://dg.4503/\($0)\n@  name: f\($0).cram\n@  metadata: {sample_id: S\($0), n: \($0)}\n" }
        let result = try Self.compare(text)
        #expect(result.split)
        guard case .document(let lines) = result.outcome else { Issue.record("expected a document"); return }
        let lineCount = text.split(separator: "\n").count
        #expect(lines.last?.contains("\(SourceMark(line: lineCount, column: 36)) scalar plain - \"399\"") == true)
    }
}
