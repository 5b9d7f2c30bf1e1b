import Foundation
import PlatformEmulator
import Testing

@Suite struct JSONValueTests {
    @Test(arguments: [
        ("null", JSONValue.null), (" true ", .bool(true)), ("false", .bool(false)), ("12", .int(12)), ("-3", .int(-3)),
        ("1.5", .double(1.5)), ("2e3", .double(2000)), (#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#, .string("a\"b\\c/d\né😀")),
        (#"[1, "x", [], {}]"#, .array([.int(1), .string("x"), .array([]), .object([:])])),
        (#"{"k": {"n": null}, "l": [true]}"#, .object(["k": .object(["n": .null]), "l": .array([.bool(true)])])),
    ])
    func parses(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(Data(text.utf8)) == expected)
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1,}", "-", "\"\u{01}\""])
    func rejects(text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test func emptyBodyIsNull() throws {
        #expect(try JSONValue.parse(Data()) == .null)
        #expect(try JSONValue.parse(Data(" \n".utf8)) == .null)
    }

    @Test func serialisesCompactSortedAndRoundTrips() throws {
        let value: JSONValue = ["b": [1, .double(2.5), "x/y\t\"q\"\u{1}"], "a": nil, "c": true]
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #"{"a":null,"b":[1,2.5,"x/y\t\"q\"\u0001"],"c":true}"#)
        #expect(try JSONValue.parse(value.serialized()) == value)
        // Foundation agrees with the text.
        #expect(try JSONSerialization.jsonObject(with: value.serialized()) is [String: Any])
    }
}
