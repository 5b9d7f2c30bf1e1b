import Foundation
@testable import PlatformAPI
import Testing

/// Request bodies: what `JSONEncoder` (sorted keys, slashes unescaped) wrote before, byte for
/// byte, except that a whole-number float keeps its `.0`.
@Suite("Request bodies")
struct RequestBodyEncoderTests {
    static let reference: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    static func text(_ rng: inout Seeded) -> String {
        let pieces = ["a", "Z", "/", "\"", "\\", "\n", "\t", "\u{08}", "\u{0C}", "\r", "\u{01}", "\u{1F}", "\u{7F}", "é", "日", "😀", "\u{2028}", " "]
        return (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    /// A JSON value without floats, nested a little.
    static func value(_ rng: inout Seeded, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0...(depth < 2 ? 6 : 4), using: &rng) {
        case 0: .null
        case 1: .bool(Bool.random(using: &rng))
        case 2: .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3, 4: .string(text(&rng))
        case 5: .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in value(&rng, depth: depth + 1) })
        default: .object(Dictionary((0..<Int.random(in: 0...3, using: &rng)).map { _ in (text(&rng), value(&rng, depth: depth + 1)) },
                                    uniquingKeysWith: { a, _ in a }))
        }
    }

    @Test("the bodies sbsync sends, with generated names, tags and metadata: the bytes JSONEncoder wrote", arguments: 1...40)
    func sameAsJSONEncoder(seed: Int) throws {
        var rng = Seeded(state: UInt64(seed))
        let edits = (0..<Int.random(in: 0...4, using: &rng)).map { i in
            FileEdit(id: "f\(i)", name: Bool.random(using: &rng) ? Self.text(&rng) : nil,
                     tags: Bool.random(using: &rng) ? (0..<2).map { _ in Self.text(&rng) } : nil,
                     metadata: Bool.random(using: &rng) ? ["k/\(i)": Self.value(&rng), Self.text(&rng): Self.value(&rng)] : nil)
        }
        let loose = Self.value(&rng)
        #expect(try RequestBodyEncoder.encode(edits) == Array(try Self.reference.encode(edits)))
        #expect(try RequestBodyEncoder.encode(loose) == Array(try Self.reference.encode(loose)))
    }

    @Test("a whole-number float keeps its .0 (the platform reads JSON as Python does); other floats as JSONEncoder writes them")
    func floats() throws {
        func body(_ d: Double) throws -> String { String(decoding: try RequestBodyEncoder.encode(["x": JSONValue.double(d)]), as: UTF8.self) }
        #expect(try body(1.0) == #"{"x":1.0}"#)
        #expect(try body(30) == #"{"x":30.0}"#)
        #expect(try body(-0.0) == #"{"x":-0.0}"#)
        #expect(try body(2.5) == #"{"x":2.5}"#)
        #expect(try body(1e300) == #"{"x":1e+300}"#)
        for d in [2.5, 0.1, -123.25, 1e300, Double.leastNonzeroMagnitude, 1e16] {
            // The same number read back.
            let read = try JSONSerialization.jsonObject(with: Data(try RequestBodyEncoder.encode([d]))) as? [Double]
            #expect(read == [d], "\(d)")
        }
        #expect(throws: EncodingError.self) { _ = try RequestBodyEncoder.encode(["x": JSONValue.double(.nan)]) }
        #expect(throws: EncodingError.self) { _ = try RequestBodyEncoder.encode([Double.infinity]) }
    }
}
