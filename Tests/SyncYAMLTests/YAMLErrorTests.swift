import Foundation
import SyncYAML
import Testing
import TestSupport

/// Every error the YAML layer raises, with its whole message.
@Suite struct YAMLErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var yaml: String
        var kind: YAMLError.Kind
        var message: String
        var note: String? = nil
        var testDescription: String { kind.rawValue + ": " + message }
    }

    static let cases: [Case] = [
        Case(yaml: "a: 1\nb: 2\na: 3\n", kind: .duplicateKey,
             message: "t.yaml:3:1: error: duplicate key 'a'", note: "first defined at 1:1"),
        Case(yaml: "m: {x: 1, 'x': 2}\n", kind: .duplicateKey,
             message: "t.yaml:1:11: error: duplicate key 'x'", note: "first defined at 1:5"),
        Case(yaml: "m: {1: a, 0x1: b}\n", kind: .duplicateKey,
             message: "t.yaml:1:11: error: duplicate key '0x1'", note: "first defined at 1:5"),
        Case(yaml: "m:\n  <<: {a: 1}\n  <<: {b: 1}\n", kind: .duplicateKey,
             message: "t.yaml:3:3: error: duplicate key '<<'", note: "first defined at 2:3"),
        Case(yaml: "a: 1\n---\nb: 2\n", kind: .multipleDocuments,
             message: "t.yaml:2:1: error: a second YAML document starts here; this file must hold exactly one document",
             note: "the first document starts at 1:1"),
        Case(yaml: "a: !foo x\n", kind: .unknownTag,
             message: "t.yaml:1:4: error: unknown tag '!foo'; only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are allowed"),
        Case(yaml: "a: !!binary aGVsbG8=\n", kind: .unknownTag,
             message: "t.yaml:1:4: error: unknown tag '!!binary'; only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are allowed"),
        Case(yaml: "a: !!int abc\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: 'abc' is not a valid !!int value"),
        Case(yaml: "a: !!bool yes\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: 'yes' is not a valid !!bool value"),
        Case(yaml: "a: !!null 0\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: '0' is not a valid !!null value"),
        Case(yaml: "a: !!float x1\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: 'x1' is not a valid !!float value"),
        Case(yaml: "a: !!map [1]\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: tag '!!map' cannot be used on a sequence"),
        Case(yaml: "a: !!str {b: 1}\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: tag '!!str' cannot be used on a mapping"),
        Case(yaml: "a: !!seq x\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: tag '!!seq' cannot be used on a scalar"),
        Case(yaml: "n: 99999999999999999999\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: integer '99999999999999999999' does not fit in 64 bits; quote it to keep it as a string"),
        Case(yaml: "n: !!int 0x1FFFFFFFFFFFFFFFF\n", kind: .invalidValue,
             message: "t.yaml:1:4: error: integer '0x1FFFFFFFFFFFFFFFF' does not fit in 64 bits; quote it to keep it as a string"),
        Case(yaml: "a: *nowhere\n", kind: .badAlias,
             message: "t.yaml:1:4: error: alias '*nowhere' names no anchor defined before it"),
        Case(yaml: "a: &x [1, *x]\n", kind: .badAlias,
             message: "t.yaml:1:11: error: alias '*x' refers to a node that contains it (a cycle)"),
        Case(yaml: "a:\n  <<: 1\n", kind: .badMerge,
             message: "t.yaml:2:7: error: the value of a merge key '<<' must be a mapping or a list of mappings"),
        Case(yaml: "a:\n  <<: [{x: 1}, [2]]\n", kind: .badMerge,
             message: "t.yaml:2:16: error: the value of a merge key '<<' must be a mapping or a list of mappings"),
        Case(yaml: "a: [1, 2\n", kind: .syntax,
             message: "t.yaml:2:1: error: invalid YAML: did not find expected ',' or ']'",
             note: "while parsing a flow sequence that starts at 1:4"),
        Case(yaml: "a: b: c\n", kind: .syntax,
             message: "t.yaml:1:5: error: invalid YAML: mapping values are not allowed in this context"),
        Case(yaml: "a:\n\t- 1\n", kind: .syntax,
             message: "t.yaml:2:1: error: invalid YAML: found character that cannot start any token",
             note: "while scanning for the next token that starts at 2:1"),
    ]

    @Test(arguments: cases)
    func rejectsWithAMarkedMessage(_ c: Case) throws {
        let error = try #require(expectError(c.yaml))
        #expect(error.kind == c.kind)
        #expect(error.diagnostic.description == c.message)
        #expect(error.diagnostic.note == c.note)
        #expect(error.diagnostic.severity == .error)
    }

    @Test func invalidUTF8IsNamedWithItsPosition() throws {
        let error = try #require(expectError(bytes: Array("a: ok\nb: x".utf8) + [0xFF] + Array("\n".utf8)))
        #expect(error.kind == .invalidEncoding)
        #expect(error.diagnostic.description
            == "t.yaml:2:5: error: input is not valid UTF-8 text: invalid leading UTF-8 octet (byte 0xFF); save the file as UTF-8")
    }

    @Test func truncatedUTF8Sequence() throws {
        let error = try #require(expectError(bytes: Array("a: ".utf8) + [0xC3]))
        #expect(error.kind == .invalidEncoding)
        #expect(error.diagnostic.description
            == "t.yaml:1:4: error: input is not valid UTF-8 text: incomplete UTF-8 octet sequence; save the file as UTF-8")
    }

    @Test func controlCharacterIsNamed() throws {
        let error = try #require(expectError(bytes: Array("a: x".utf8) + [0x01]))
        #expect(error.kind == .invalidEncoding)
        #expect(error.diagnostic.description
            == "t.yaml:1:5: error: input contains a character YAML does not allow: control characters are not allowed (U+0001)")
    }

    @Test func missingFile() throws {
        let error = #expect(throws: YAMLError.self) {
            try YAMLParser.parse(contentsOf: "/nonexistent/m.yaml", displayName: "m.yaml")
        }
        #expect(error?.kind == .unreadable)
        #expect(error?.diagnostic.description == "m.yaml: error: cannot read the file: no such file or directory")
    }

    @Test func directoryIsNotAFile() throws {
        let error = #expect(throws: YAMLError.self) {
            try YAMLParser.parse(contentsOf: FileManager.default.temporaryDirectory.path, displayName: "tmp")
        }
        #expect(error?.kind == .unreadable)
        #expect(error?.diagnostic.description
            == "tmp: error: cannot read the file: it is a directory or a device, not a regular file")
    }

    @Test func allowedDuplicatesKeepTheLastValue() throws {
        var options = YAMLParseOptions()
        options.allowsDuplicateKeys = true
        let root = try parse("a: 1\nb: 2\na: 3\n", options: options)
        #expect(root.pairs.map(\.key.text) == ["a", "b"])
        #expect(root["a"]?.value == .int(3))
    }

    @Test func allowedUnknownTagsAreKeptAsStrings() throws {
        var options = YAMLParseOptions()
        options.allowsUnknownTags = true
        let root = try parse("a: !foo 12\nb: !!binary aGk=\n", options: options)
        #expect(root["a"]?.tag == "!foo")
        #expect(root["a"]?.value == .string("12"))
        #expect(root["b"]?.tag == "tag:yaml.org,2002:binary")
    }
}

/// Each limit: which one fired, and its message.
@Suite struct YAMLLimitTests {
    @Test func nestingDepth() throws {
        var options = YAMLParseOptions()
        options.limits.maxDepth = 3
        #expect(throws: Never.self) { try parse("[[[1]]]", options: options) }
        let error = try #require(expectError("a:\n  b:\n    - [x]\n", options: options))
        #expect(error.kind == .nestingTooDeep)
        #expect(error.diagnostic.description
            == "t.yaml:3:7: error: collections nested deeper than 3 levels; a manifest never needs this much nesting")
    }

    @Test func hundredThousandOpenBracketsFailFast() throws {
        let error = try #require(expectError(String(repeating: "[", count: 100_000)))
        #expect(error.kind == .nestingTooDeep)
        #expect(error.diagnostic.description
            == "t.yaml:1:257: error: collections nested deeper than 256 levels; a manifest never needs this much nesting")
    }

    @Test func billionLaughsIsStopped() throws {
        let error = try #require(expectError(aliasBomb()))
        #expect(error.kind == .aliasExpansionTooLarge)
        #expect(error.diagnostic.message
            == "aliases expand to more than 10000000 nodes (an alias bomb?); use fewer or smaller aliased nodes")
    }

    @Test func aliasBudgetCountsTheWholeSubtree() throws {
        var options = YAMLParseOptions()
        options.limits.maxAliasExpansion = 8
        // *a stands for 4 nodes (the list and its 3 items): two uses fit, a third does not.
        let text = "a: &a [1, 2, 3]\nb: [*a, *a]\nc: *a\n"
        let error = try #require(expectError(text, options: options))
        #expect(error.kind == .aliasExpansionTooLarge)
        #expect(error.diagnostic.description
            == "t.yaml:3:4: error: aliases expand to more than 8 nodes (an alias bomb?); use fewer or smaller aliased nodes")
        options.limits.maxAliasExpansion = 12
        #expect(try parse(text, options: options)["c"]?.count == 3)
    }

    @Test func scalarLength() throws {
        var options = YAMLParseOptions()
        options.limits.maxScalarBytes = 10
        #expect(try parse("a: '0123456789'", options: options)["a"]?.text == "0123456789")
        let error = try #require(expectError("a: ok\nb: '01234567890'\n", options: options))
        #expect(error.kind == .scalarTooLong)
        #expect(error.diagnostic.description == "t.yaml:2:4: error: scalar of 11 bytes is longer than the limit of 10 bytes")
    }

    @Test func inputSizeOfText() throws {
        var options = YAMLParseOptions()
        options.limits.maxInputBytes = 10
        let error = try #require(expectError("a: 0123456789\n", options: options))
        #expect(error.kind == .inputTooLarge)
        #expect(error.diagnostic.description
            == "t.yaml: error: input is 14 bytes, over the limit of 10 bytes")
    }

    @Test func twoGigabyteFileIsRejectedBeforeReading() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("huge.yaml").path
            try Data().write(to: URL(fileURLWithPath: path))
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 2 << 30)  // sparse: no disk used
            try handle.close()
            let error = #expect(throws: YAMLError.self) { try YAMLParser.parse(contentsOf: path, displayName: "huge.yaml") }
            #expect(error?.kind == .inputTooLarge)
            #expect(error?.diagnostic.description
                == "huge.yaml: error: input is 2048 MiB (2147483648 bytes), over the limit of 1024 MiB (1073741824 bytes)")
        }
    }

    @Test func defaultsFitAMillionEntryManifest() {
        let limits = YAMLLimits.default
        #expect(limits.maxInputBytes >= 180 * 1_048_576 * 4)
        #expect(limits.maxDepth == 256)
        #expect(limits.maxAliasExpansion == 10_000_000)
        #expect(limits.maxScalarBytes == 1 << 20)
    }
}
