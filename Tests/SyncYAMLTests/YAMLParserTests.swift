import Foundation
import SyncYAML
import Testing
import TestSupport

@Suite struct TreeTests {
    @Test func everyNodeHasItsOneBasedMark() throws {
        let root = try parse("""
            # a comment
            name: sample
            list:
              - a
              - {k: 1}
            """)
        #expect(root.kind == .mapping)
        #expect(root.mark == SourceMark(line: 2, column: 1))
        #expect(root.pairs[0].key.mark == SourceMark(line: 2, column: 1))
        #expect(root["name"]?.mark == SourceMark(line: 2, column: 7))
        let list = try #require(root["list"])
        #expect(list.kind == .sequence)
        #expect(list.mark == SourceMark(line: 4, column: 3))
        #expect(list.items.map(\.mark) == [SourceMark(line: 4, column: 5), SourceMark(line: 5, column: 5)])
        #expect(list.items[1]["k"]?.mark == SourceMark(line: 5, column: 9))
        #expect(list.items[1].pairs[0].key.mark == SourceMark(line: 5, column: 6))
    }

    @Test func scalarsKeepTextAndStyle() throws {
        let root = try parse("""
            plain: a b
            single: 'it''s'
            double: "tab\\there"
            literal: |
              line 1
              line 2
            folded: >
              one
              two
            """)
        #expect(root["plain"]?.text == "a b")
        #expect(root["plain"]?.style == .plain)
        #expect(root["single"]?.text == "it's")
        #expect(root["single"]?.style == .singleQuoted)
        #expect(root["double"]?.text == "tab\there")
        #expect(root["double"]?.style == .doubleQuoted)
        #expect(root["literal"]?.text == "line 1\nline 2\n")
        #expect(root["literal"]?.style == .literal)
        #expect(root["folded"]?.text == "one two")  // the input ends without a line break
        #expect(root["folded"]?.style == .folded)
        #expect(root.count == 5)
        #expect(root.pairs.map(\.key.text) == ["plain", "single", "double", "literal", "folded"])
        #expect(root["missing"] == nil)
        #expect(root.text == "")
        #expect(root.value == nil)
    }

    @Test func repeatedKeysReadBackExactly() throws {
        // Short keys are interned in the arena; each must still read back as written.
        let root = try parse("- {name: a, names: b}\n- {name: c, 'name ': d}\n- {nam: e, name: f}\n")
        #expect(root.items.map { $0.pairs.map(\.key.text) } == [["name", "names"], ["name", "name "], ["nam", "name"]])
        #expect(root.items.map { $0["name"]?.text } == ["a", "c", "f"])
    }

    @Test func unicodeIsKeptAndColumnsCountCharacters() throws {
        let root = try parse("é: ünïcødé ✓\nnext: 1\n")
        #expect(root.pairs[0].key.text == "é")
        #expect(root["é"]?.text == "ünïcødé ✓")
        #expect(root["é"]?.mark == SourceMark(line: 1, column: 4))
    }

    @Test func emptyInputIsANullDocument() throws {
        let root = try parse("# only a comment\n")
        #expect(root.kind == .scalar)
        #expect(root.value == .null)
        #expect(root.mark == SourceMark(line: 1, column: 1))
    }

    @Test func parsesAFileWithItsDisplayName() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("m.yaml").path
            try Data("a: [1, 2]\n".utf8).write(to: URL(fileURLWithPath: path))
            let document = try YAMLParser.parse(contentsOf: path, displayName: "manifest.yaml")
            #expect(document.file == "manifest.yaml")
            #expect(document.root["a"]?.items.map(\.value) == [.int(1), .int(2)])
        }
    }

    @Test func tagsAreKeptInFullForm() throws {
        let root = try parse("a: !!str 1\nb: 2\nc: !!seq [x]\n")
        #expect(root["a"]?.tag == "tag:yaml.org,2002:str")
        #expect(root["b"]?.tag == nil)
        #expect(root["c"]?.tag == "tag:yaml.org,2002:seq")
    }
}

@Suite struct CoreSchemaTests {
    static let table: [(String, YAMLValue)] = [
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null),
        ("nULL", .string("nULL")), ("none", .string("none")),
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)),
        ("false", .bool(false)), ("False", .bool(false)), ("FALSE", .bool(false)),
        ("yes", .string("yes")), ("no", .string("no")), ("on", .string("on")), ("off", .string("off")),
        ("y", .string("y")), ("tRUE", .string("tRUE")),
        ("0", .int(0)), ("12", .int(12)), ("-12", .int(-12)), ("+12", .int(12)), ("012", .int(12)),
        ("0o17", .int(15)), ("0x1F", .int(31)), ("0xff", .int(255)),
        ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
        ("0o8", .string("0o8")), ("-0x1", .string("-0x1")), ("0x", .string("0x")), ("1_000", .string("1_000")),
        ("1.5", .float(1.5)), ("1.", .float(1)), (".5", .float(0.5)), ("-.5", .float(-0.5)), ("+1.5", .float(1.5)),
        ("1e3", .float(1000)), ("1.5E-2", .float(0.015)), ("2.e+1", .float(20)),
        (".inf", .float(.infinity)), ("-.Inf", .float(-.infinity)), ("+.INF", .float(.infinity)),
        ("1.2.3", .string("1.2.3")), ("1e", .string("1e")), ("e5", .string("e5")), (".", .string(".")),
        ("+", .string("+")), ("-.", .string("-.")), (".infinity", .string(".infinity")),
        ("'1'", .string("1")), ("\"true\"", .string("true")), ("'null'", .string("null")), ("''", .string("")),
        ("!!str 1", .string("1")), ("!!str", .string("")), ("!!int \"12\"", .int(12)), ("!!int 0x10", .int(16)),
        ("!!float 1", .float(1)), ("!!float '2.5'", .float(2.5)), ("!!bool \"true\"", .bool(true)),
        ("!!null ''", .null), ("!!null ~", .null), ("! 12", .string("12")), ("! true", .string("true")),
        ("sample-1", .string("sample-1")), ("a: b", .string("a: b")),
    ]

    @Test(arguments: table)
    func resolvesPlainAndTaggedScalars(_ written: String, _ expected: YAMLValue) throws {
        let yaml = written == "a: b" ? "v: 'a: b'" : "v: \(written)\n"
        let value = try #require(try parse(yaml)["v"]).value
        #expect(value == expected, "'\(written)'")
    }

    @Test(arguments: [".nan", ".NaN", ".NAN", "!!float .nan"])
    func notANumber(_ written: String) throws {
        guard case .float(let d)? = try parse("v: \(written)")["v"]?.value else {
            Issue.record("'\(written)' is not a float")
            return
        }
        #expect(d.isNaN)
    }

    @Test func blockScalarsAreStrings() throws {
        let root = try parse("a: |\n  12\nb: >-\n  true\n")
        #expect(root["a"]?.value == .string("12\n"))
        #expect(root["b"]?.value == .string("true"))
    }
}

@Suite struct AnchorAndMergeTests {
    static let text = """
        base: &b {a: 1, b: 2}
        other: *b
        merged:
          <<: *b
          b: 3
          c: 4
        multi:
          <<: [*b, {a: 9, d: 5}]
        early:
          x: 0
          <<: *b
        scalar: &s hello
        again: *s
        """

    @Test func aliasesAreTheAnchoredNode() throws {
        let root = try parse(Self.text)
        let base = try #require(root["base"]), other = try #require(root["other"])
        #expect(other.id == base.id)
        #expect(other.mark == base.mark)
        #expect(other["a"]?.value == .int(1))
        #expect(root["again"]?.text == "hello")
        #expect(root["again"]?.id == root["scalar"]?.id)
    }

    @Test func explicitKeysWinOverMergedOnes() throws {
        let merged = try #require(try parse(Self.text)["merged"])
        #expect(merged.pairs.map(\.key.text) == ["a", "b", "c"])
        #expect(merged.pairs.map(\.value.value) == [.int(1), .int(3), .int(4)])
        #expect(merged.count == 3)
    }

    @Test func earlierMergedMappingsWin() throws {
        let multi = try #require(try parse(Self.text)["multi"])
        #expect(multi.pairs.map(\.key.text) == ["a", "b", "d"])
        #expect(multi.pairs.map(\.value.value) == [.int(1), .int(2), .int(5)])
    }

    @Test func mergedPairsTakeThePlaceOfTheMergeKey() throws {
        let early = try #require(try parse(Self.text)["early"])
        #expect(early.pairs.map(\.key.text) == ["x", "a", "b"])
    }

    @Test func mergedKeysAreNotDuplicates() throws {
        let root = try parse("d: &d {name: x}\ne:\n  <<: *d\n  name: y\n")
        #expect(root["e"]?["name"]?.text == "y")
    }
}

@Suite struct MultipleDocumentTests {
    @Test func parseRejectsASecondDocument() throws {
        let error = try #require(expectError("a: 1\n---\nb: 2\n"))
        #expect(error.kind == .multipleDocuments)
        #expect(error.diagnostic.description
            == "t.yaml:2:1: error: a second YAML document starts here; this file must hold exactly one document")
        #expect(error.diagnostic.note == "the first document starts at 1:1")
    }

    @Test func parseStreamReturnsEveryDocument() throws {
        let documents = try YAMLParser.parseStream("a: 1\n---\n- x\n--- text\n", file: "s.yaml")
        #expect(documents.count == 3)
        #expect(documents[0].root["a"]?.value == .int(1))
        #expect(documents[1].root.items.first?.text == "x")
        #expect(documents[2].root.text == "text")
        #expect(documents[2].root.mark == SourceMark(line: 4, column: 5))
        #expect(try YAMLParser.parseStream("", file: "s.yaml").isEmpty)
    }

    @Test func anchorsDoNotCrossDocuments() throws {
        let error = #expect(throws: YAMLError.self) {
            try YAMLParser.parseStream("a: &x 1\n---\nb: *x\n", file: "s.yaml")
        }
        #expect(error?.kind == .badAlias)
    }
}
