import SyncYAML
import Testing

/// Keys that read as the same text are one key: a manifest turns every key into text (metadata
/// keys are strings), so `1` and `'1'`, or `é` precomposed and decomposed, would otherwise
/// silently lose one value. They are a "duplicate key" error naming both places, in a small
/// mapping (pairwise check), a large one (hashed) and in merges.
@Suite struct KeyIdentityTests {
    /// (first spelling, second spelling, what the error names).
    static let twins: [(String, String, String)] = [
        ("1", "'1'", "'1'"),
        ("'1'", "1", "1"),
        ("true", "\"true\"", "\"true\""),
        ("~", "null", "null"),
        ("caf\u{E9}", "cafe\u{301}", "cafe\u{301}"),
        ("\"caf\u{E9}\"", "cafe\u{301}", "cafe\u{301}"),
        ("K", "\u{212A}", "\u{212A}"),  // KELVIN SIGN is canonically the letter K
        ("\u{C5}", "A\u{30A}", "A\u{30A}"),
    ]

    static func text(of spelling: String) -> String {
        spelling.hasPrefix("'") || spelling.hasPrefix("\"") ? String(spelling.dropFirst().dropLast()) : spelling
    }

    @Test(arguments: 0..<twins.count)
    func smallMapping(_ i: Int) throws {
        let (first, second, _) = Self.twins[i]
        let error = try #require(expectError("m:\n  x: 0\n  \(first): a\n  y: 1\n  \(second): b\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.diagnostic.description == "t.yaml:5:3: error: duplicate key '\(Self.text(of: second))'")
        #expect(error.diagnostic.note == "first defined at 3:3")
    }

    @Test(arguments: 0..<twins.count)
    func largeMapping(_ i: Int) throws {
        let (first, second, _) = Self.twins[i]
        let filler = (0..<20).map { "k\($0): \($0)\n" }.joined()
        let error = try #require(expectError(filler + "\(first): a\n" + filler.replacingOccurrences(of: "k", with: "j") + "\(second): b\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.diagnostic.description == "t.yaml:42:1: error: duplicate key '\(Self.text(of: second))'")
        #expect(error.diagnostic.note == "first defined at 21:1")
    }

    @Test func flowMappingOfTheIssue() throws {
        let error = try #require(expectError("{1: x, '1': y}\n"))
        #expect(error.diagnostic.description == "t.yaml:1:8: error: duplicate key '1'")
        #expect(error.diagnostic.note == "first defined at 1:2")
    }

    @Test func differentTextsAndValuesStayDistinct() throws {
        let root = try parse("{1: a, 1.0: b, '01': c, e: e, E: f, caf\u{E9}: g, cafe: h, '': i, ' ': j}\n")
        #expect(root.count == 9)
    }

    @Test func explicitKeyWinsOverAMergedTwin() throws {
        for (first, second, _) in Self.twins {
            let root = try parse("base: &b {\(first): merged, other: 1}\nm:\n  <<: *b\n  \(second): explicit\n")
            let m = try #require(root["m"])
            #expect(m.count == 2)
            #expect(m.pairs.contains { $0.value.text == "explicit" })
            #expect(!m.pairs.contains { $0.value.text == "merged" })
        }
    }

    @Test func allowedDuplicatesMergeTwinsLastWins() throws {
        var options = YAMLParseOptions()
        options.allowsDuplicateKeys = true
        for (first, second, _) in Self.twins {
            let root = try parse("\(first): a\nz: 0\n\(second): b\n", options: options)
            #expect(root.count == 2)
            #expect(root.pairs[0].value.text == "b")
        }
    }
}
