import Foundation
@testable import SyncYAML
import Testing
import TestSupport

/// The split parse against its slow twin, the single parser, over every place it could cut:
/// each document is written to a file and parsed once with one parser, then again with a cut
/// forced at every line that looks like a block-sequence item (`<spaces>- `, what the chooser
/// looks for, so lookalikes inside scalars and flow collections too), with a stretch of one
/// item line to the next, to the last at that column, and in three regions. Tree, marks and
/// errors must be the single parser's every time, whether the split held or fell back.
@Suite struct SplitParseEveryCutTests {
    /// What one document gave over all its cuts.
    struct Tally {
        var documents = 0, cuts = 0, spliced = 0
        var differences: [String] = []

        mutating func add(_ other: Tally) {
            documents += other.documents
            cuts += other.cuts
            spliced += other.spliced
            differences += other.differences
        }
    }

    /// Offsets and indents of the lines `<I spaces>- ` (I ≤ 64, as `SplitParse.Chooser`).
    static func itemLines(_ bytes: [UInt8]) -> [(offset: Int, indent: Int)] {
        var lines: [(Int, Int)] = []
        var start = 0
        while start < bytes.count {
            var i = start
            while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
            if i - start <= SplitParse.Chooser.maxIndent, i + 1 < bytes.count,
               bytes[i] == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: " ") {
                lines.append((start, i - start))
            }
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            start = newline + 1
        }
        return lines
    }

    /// The cut sets tried for a document: from each item line, to the next at its column, to
    /// the last at its column, and through the next two (three regions).
    static func cutSets(_ bytes: [UInt8]) -> [SplitParse.Cuts] {
        let lines = itemLines(bytes)
        var sets: [SplitParse.Cuts] = []
        for (k, line) in lines.enumerated() {
            let later = lines[(k + 1)...].filter { $0.indent == line.indent }.map(\.offset)
            guard let next = later.first else { continue }
            sets.append(.init(indent: line.indent, offsets: [line.offset, next]))
            if later.count > 1 {
                sets.append(.init(indent: line.indent, offsets: [line.offset, later.last!]))
            }
            if later.count > 2 {
                sets.append(.init(indent: line.indent, offsets: [line.offset, later[0], later[1]]))
            }
        }
        return sets
    }

    static func outcome(_ path: String, options: YAMLParseOptions,
                        split: YAMLParser.SplitSetting) -> (SplitParseTests.Outcome, Bool) {
        do throws(YAMLError) {
            let result = try YAMLParser.parseReportingSplit(contentsOf: path, displayName: "m.yaml", options: options, split: split)
            return (.document(SplitParseTests.dump(result.document.root)), result.wasSplit)
        } catch {
            return (.error(error), false)
        }
    }

    /// Parses `bytes` with one parser and with every cut; returns what happened.
    static func check(_ bytes: [UInt8], name: String, options: YAMLParseOptions = .manifest, in directory: URL) throws -> Tally {
        let path = directory.appendingPathComponent("doc.yaml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (single, _) = outcome(path, options: options, split: .init(parts: 1))
        var tally = Tally(documents: 1)
        for cuts in cutSets(bytes) {
            var setting = SplitParseTests.forced()
            setting.forcedCuts = cuts
            let (split, wasSplit) = outcome(path, options: options, split: setting)
            tally.cuts += 1
            if wasSplit { tally.spliced += 1 }
            if split != single {
                tally.differences.append("\(name), cut at \(cuts.offsets) (column \(cuts.indent)): \(describe(split, single))")
            }
        }
        return tally
    }

    /// The first differing line of two outcomes.
    static func describe(_ split: SplitParseTests.Outcome, _ single: SplitParseTests.Outcome) -> String {
        switch (split, single) {
        case (.document(let a), .document(let b)):
            let i = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            return "split gives \(i < a.count ? a[i] : "<end>") where the single parser gives \(i < b.count ? b[i] : "<end>")"
        default:
            return "split gives \(split) where the single parser gives \(single)"
        }
    }

    static func expectNoDifferences(_ tally: Tally, sourceLocation: SourceLocation = #_sourceLocation) {
        let differing = tally.differences.count
        let listed = tally.differences.prefix(20).joined(separator: "\n")
        #expect(differing == 0, "\(differing) of \(tally.cuts) cuts differ:\n\(listed)", sourceLocation: sourceLocation)
    }

    // MARK: - The YAML test suite

    @Test func everyCaseOfTheYAMLTestSuite() throws {
        let directory = ConformanceTests.suiteDirectory
        let ids = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("\($0)/in.yaml").path)
        }.sorted()
        #expect(ids.count == 402)
        var tally = Tally(), accepted = 0
        try withTemporaryDirectory { scratch in
            for id in ids {
                let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent("\(id)/in.yaml")))
                for options in [ConformanceTests.options, .manifest] {
                    let one = try Self.check(bytes, name: id, options: options, in: scratch)
                    tally.add(one)
                    if options == .manifest, one.cuts > 0,
                       case (.document, _) = Self.outcome(scratch.appendingPathComponent("doc.yaml").path, options: options, split: .init(parts: 1)) {
                        accepted += 1
                    }
                }
            }
        }
        print("split parse, yaml-test-suite: \(tally.cuts) cuts, \(tally.spliced) spliced, \(accepted) cases with cuts accepted as manifests")
        Self.expectNoDifferences(tally)
        #expect(tally.cuts > 400 && tally.spliced > 100)
    }

    // MARK: - The repository's manifests

    @Test func everyManifestInTheRepository() throws {
        let root = repositoryRoot.appendingPathComponent("manifests")
        let paths = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(paths.count >= 20)
        var tally = Tally()
        try withTemporaryDirectory { scratch in
            for path in paths {
                let bytes = [UInt8](try Data(contentsOf: root.appendingPathComponent(path)))
                tally.add(try Self.check(bytes, name: path, in: scratch))
                // The same file with Windows line ends and a byte order mark.
                let crlf: [UInt8] = [0xEF, 0xBB, 0xBF] + bytes.flatMap { $0 == UInt8(ascii: "\n") ? [13, 10] as [UInt8] : [$0] }
                tally.add(try Self.check(crlf, name: path + " (BOM, CRLF)", in: scratch))
            }
        }
        print("split parse, manifests/: \(tally.documents) documents, \(tally.cuts) cuts, \(tally.spliced) spliced")
        Self.expectNoDifferences(tally)
        #expect(tally.spliced > 50)
    }

    // MARK: - Generated documents

    @Test(arguments: 0..<4)
    func generatedDocuments(batch: Int) throws {
        var generator = TrickyDocuments(seed: UInt64(batch) &+ 0x5EED)
        var tally = Tally()
        try withTemporaryDirectory { scratch in
            for n in 0..<60 {
                let text = generator.document()
                let one = try Self.check(Array(text.utf8), name: "batch \(batch) document \(n)", in: scratch)
                if !one.differences.isEmpty, tally.differences.isEmpty {
                    print("split parse, generated batch \(batch) document \(n), the first that differs:\n\(text)")
                }
                tally.add(one)
            }
        }
        print("split parse, generated batch \(batch): \(tally.documents) documents, \(tally.cuts) cuts, \(tally.spliced) spliced")
        Self.expectNoDifferences(tally)
        #expect(tally.cuts >= 60 * 50 && tally.spliced > 300)
    }
}

/// Documents built to trip a cut: anchors and aliases near item lines, comments, flow
/// collections and quoted scalars over several lines, plain and block scalars holding `- `
/// lines, nested and indentless sequences, CRLF and lone CR, tabs, a byte order mark, Unicode
/// line separators, directives and document markers, and errors before, inside and after the
/// stretch a cut would take.
struct TrickyDocuments {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        // SplitMix64: the same documents on every run.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    private mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func document() -> String {
        var text = ""
        let risky = chance(30)
        if chance(8) { text += "\u{FEFF}" }
        if chance(6) { text += "%YAML 1.1\n---\n" } else if chance(6) { text += "--- # start\n" }
        if chance(30) { text += "# a comment at the top\n" }
        text += "version: 1\n"
        if chance(90) { text += "base: &base {k: v, n: 1}\n" }
        let lists = 1 + below(3)
        for l in 0..<lists {
            let indent = [0, 2, 4][below(3)]
            text += "list\(l):\n"
            if indent == 4 { text += "  - group: g\(l)\n    items:\n" }
            let pad = String(repeating: " ", count: indent == 4 ? 6 : indent)
            for i in 0..<(12 + below(20)) {
                // Most documents are valid (so most cuts splice); some hold items libyaml or
                // the builder rejects, or reads as more lines than the chooser sees.
                text += risky && chance(8) ? riskyItem(i, pad: pad) : item(i, pad: pad)
            }
            if indent == 4, chance(50) { text += "  - group: tail\n    items: []\n" }
        }
        if chance(30) { text += "after: *base\n" }
        if chance(15) { text += error() }
        text += "end: true\n"
        if chance(10) { text += "...\n" }
        if chance(5) { text += "--- second\n" }
        if chance(15) { text = text.replacingOccurrences(of: "\n", with: "\r\n") }
        if chance(4) { text = text.replacingOccurrences(of: "\n", with: "\r") }
        return text
    }

    private mutating func error() -> String {
        [
            "dup: 1\ndup: 2\n",
            "bad: [unclosed\n",
            "tag: !foo x\n",
            "alias: *nowhere\n",
            "  wrong: indentation\n",
            "key: \"unterminated\n",
            "n: 99999999999999999999\n",
            "deep: " + String(repeating: "[", count: 300) + "\n",
        ][below(8)]
    }

    /// One item of a block sequence whose `-` is at `pad`, valid YAML in a manifest.
    private mutating func item(_ i: Int, pad p: String) -> String {
        switch below(28) {
        case 0: return "\(p)- plain \(i)\n"
        case 1: return "\(p)- a: \(i)\n\(p)  b: x\(i)\n"
        case 2: return "\(p)- text: |\n\(p)    - not an item\n\(p)    line two\n"
        case 3: return "\(p)- folded: >-\n\(p)    é - \(i)\n\n\(p)    more\n"
        case 4: return "\(p)- keep: |+\n\(p)    kept\n\n\n"
        case 5: return "\(p)- indicated: |2\n\(p)     two extra\n\(p)    - lookalike\n"
        case 6: return "\(p)- 'quoted - \(i)\n\(p)  - continued'\n"
        case 7: return "\(p)- \"double\n\(p)- looks like an item\n\(p)  \\t end\"\n"
        case 8: return "\(p)- first part\n\(p)  - continued plain\n"
        case 9: return "\(p)- {flow: map,\n\(p)  n: \(i)}\n"
        case 10: return "\(p)- [a, b,\n\(p)- c]\n"
        case 11: return "\(p)# a comment\n\n\(p)- after: comment # trailing\n"
        case 12: return "# at column zero\n\(p)- n: \(i)\n"
        case 13: return "\(p)- &a\(i) {anchored: \(i)}\n"
        case 14: return "\(p)- *base\n"
        case 15: return "\(p)- {<<: *base, n: \(i)}\n"
        case 16: return "\(p)- - nested \(i)\n\(p)  - nested too\n"
        case 17: return "\(p)-\n\(p)  - under an empty line\n"
        case 18: return "\(p)- key:\n\(p)  - indentless \(i)\n\(p)  - indentless\n"
        case 19: return "\(p)- ? complex\n\(p)  : key\n"
        case 20: return "\(p)- tab:\tafter\n"
        case 21: return "\(p)- ünïcödé ✓ \(i) \u{1F600}\n"
        case 22: return "\(p)- \n"
        case 23: return "\(p)- # only a comment\n"
        case 24: return "\(p)- !!str 12\n\(p)- !!int \"7\"\n"
        case 25: return "\(p)- ...\n\(p)- ---\n"
        case 26: return "\(p)- &base {redefined: \(i)}\n"
        default: return "\(p)- m:\n\(p)    deep: [\(i), {q: \"\(i)\"}]\n\(p)    l:\n\(p)    - a\n\(p)    - b\n"
        }
    }

    /// An item that is an error, or that libyaml reads differently from how it looks.
    private mutating func riskyItem(_ i: Int, pad p: String) -> String {
        switch below(8) {
        case 0: return "\(p)-\tafter a tab\n"
        case 1: return "\(p)- line\u{2028}separator\n"
        case 2: return "\(p)- next\u{85}line\n"
        case 3: return "\(p)- lone\rcarriage\n"
        case 4: return "\(p)- {a: 1, a: 2}\n"
        case 5: return "\(p)- x: |\n\(p)   ragged\n\(p)  - back\n"
        case 6: return "\(p)- %percent\n"
        default: return "\(p)- {1: x, '1': y}\n"
        }
    }
}
