import Foundation
import SyncCore
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    /// The document as text, compact unless told.
    func text(_ value: some Encodable, _ style: JSONStyle = .compact) throws -> String {
        String(decoding: try JSONWriter.encode(value, style: style), as: UTF8.self)
    }

    struct Point: Codable, Equatable {
        var x: Int
        var y: Int
    }

    struct Shape: Codable, Equatable {
        var formatVersion = 1
        var name: String
        var points: [Point]
        var grid: [[Int]]
        var label: String?
        var tags: [String: Int]?
        var empty: [Point] = []
        var nothing = Empty()

        enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version", name, points, grid, label, tags, empty, nothing
        }
    }

    struct Empty: Codable, Equatable {}

    static let shape = Shape(name: "tri", points: [Point(x: 0, y: 0), Point(x: 3, y: -4)], grid: [[1, 2], [], [3]])

    @Test("strings: quote, backslash and control characters escaped, '/' and Unicode as they are")
    func escaping() throws {
        #expect(try text("plain") == "\"plain\"\n")
        #expect(try text("a\"b\\c/d") == #""a\"b\\c/d""# + "\n")
        #expect(try text("\n\r\t\u{8}\u{c}\u{0}\u{1}\u{1f}\u{7f}") == #""\n\r\t\b\f\u0000\u0001\u001f"# + "\u{7f}\"\n")
        let unicode = "é 日本 😀 \u{2028} e\u{301} \u{FEFF}"
        let bytes = try JSONWriter.encode(unicode, style: .compact)
        #expect(bytes == Array("\"\(unicode)\"\n".utf8))
        #expect(String(validating: bytes, as: UTF8.self) != nil)
        #expect(try JSONDecoder().decode(String.self, from: Data(bytes)) == unicode)
        // Keys are escaped the same way.
        #expect(try text(["a/\"b\n": 1]) == #"{"a/\"b\n":1}"# + "\n")
    }

    @Test("keys in the order encode(to:) writes them, containers nested, empty ones closed at once")
    func compactLayout() throws {
        #expect(try text(Self.shape) == #"{"format_version":1,"name":"tri","points":[{"x":0,"y":0},{"x":3,"y":-4}],"grid":[[1,2],[],[3]],"label":null,"tags":null,"empty":[],"nothing":{}}"# + "\n")
        #expect(try JSONDecoder().decode(Shape.self, from: Data(JSONWriter.encode(Self.shape, style: .compact))) == Self.shape)
    }

    @Test("pretty: two spaces a level, \"key\": value, empty containers on one line")
    func prettyLayout() throws {
        #expect(try text(Self.shape, .pretty) == """
            {
              "format_version": 1,
              "name": "tri",
              "points": [
                {
                  "x": 0,
                  "y": 0
                },
                {
                  "x": 3,
                  "y": -4
                }
              ],
              "grid": [
                [
                  1,
                  2
                ],
                [],
                [
                  3
                ]
              ],
              "label": null,
              "tags": null,
              "empty": [],
              "nothing": {}
            }

            """)
    }

    @Test("one entry a line: the top object and its lists indented, their entries on one line")
    func oneEntryPerLineLayout() throws {
        #expect(try text(Self.shape, .oneEntryPerLine) == """
            {
              "format_version": 1,
              "name": "tri",
              "points": [
                {"x":0,"y":0},
                {"x":3,"y":-4}
              ],
              "grid": [
                [1,2],
                [],
                [3]
              ],
              "label": null,
              "tags": null,
              "empty": [],
              "nothing": {}
            }

            """)
    }

    struct Optionals: Encodable {
        var a: Int?
        var b: String?
        var c: Point?
        var d: [Int?]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: DocumentKey.self)
            try c.encodeIfPresent(a, forKey: DocumentKey("a"))
            try c.encodeIfPresent(b, forKey: DocumentKey("b"))
            try c.encode(self.c, forKey: DocumentKey("c"))
            try c.encode(d, forKey: DocumentKey("d"))
        }
    }

    @Test("nil is null, whether encoded or encoded if present: every key is always there")
    func optionals() throws {
        #expect(try text(Optionals(a: nil, b: nil, c: nil, d: [nil, 1])) == #"{"a":null,"b":null,"c":null,"d":[null,1]}"# + "\n")
        #expect(try text(Optionals(a: 1, b: "x", c: Point(x: 1, y: 2), d: [])) == #"{"a":1,"b":"x","c":{"x":1,"y":2},"d":[]}"# + "\n")
        #expect(try text(Int?.none) == "null\n")
    }

    struct Integers: Codable, Equatable {
        var int64Min = Int64.min
        var int64Max = Int64.max
        var uint64Max = UInt64.max
        var intMin = Int.min
        var int8Min = Int8.min
        var uint8Max = UInt8.max
        var int32Min = Int32.min
        var uint16 = UInt16(0)
        var int128Min = Int128.min
        var uint128Max = UInt128.max
    }

    @Test("integers as integers, extremes included")
    func integers() throws {
        #expect(try text(Integers()) == """
            {"int64Min":-9223372036854775808,"int64Max":9223372036854775807,"uint64Max":18446744073709551615,\
            "intMin":-9223372036854775808,"int8Min":-128,"uint8Max":255,"int32Min":-2147483648,"uint16":0,\
            "int128Min":-170141183460469231731687303715884105728,"uint128Max":340282366920938463463374607431768211455}

            """)
        #expect(try text([0, 9, 10, -1, -10, 1_000_000]) == "[0,9,10,-1,-10,1000000]\n")
        let decoded = try JSONDecoder().decode([Int64].self, from: Data(JSONWriter.encode([Int64.min, Int64.max], style: .compact)))
        #expect(decoded == [Int64.min, Int64.max])
        let unsigned = try JSONDecoder().decode([UInt64].self, from: Data(JSONWriter.encode([UInt64.max], style: .compact)))
        #expect(unsigned == [UInt64.max])
    }

    static let doubles: [Double] = [
        0, -0.0, 1, 1.5, -2.25, 0.1, 1.0 / 3, 1e21, 1e-7, 123456789.123456789, 2.0.squareRoot(),
        Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude, Double.leastNonzeroMagnitude,
        Double.leastNormalMagnitude, 9007199254740994, 1e300, -1e-300,
    ]

    @Test("floats read back as the same value; a whole float keeps its fraction; -0.0 keeps its sign")
    func floats() throws {
        #expect(try text([1.0, -0.0, 0.5, 1e300]) == "[1.0,-0.0,0.5,1e+300]\n")
        let bytes = try JSONWriter.encode(Self.doubles, style: .compact)
        let read = try JSONDecoder().decode([Double].self, from: Data(bytes))
        #expect(read.map(\.bitPattern) == Self.doubles.map(\.bitPattern))
        let viaSerialization = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [NSNumber])
        #expect(viaSerialization.map(\.doubleValue) == Self.doubles)
        let floats: [Float] = [0.1, -0.0, Float.greatestFiniteMagnitude, 3]
        let readFloats = try JSONDecoder().decode([Float].self, from: Data(JSONWriter.encode(floats, style: .compact)))
        #expect(readFloats.map(\.bitPattern) == floats.map(\.bitPattern))
    }

    struct Reading: Encodable {
        var sample: String
        var values: [String: Double]
    }

    @Test("NaN and infinity cannot be written: an EncodingError naming where", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(value: Double) throws {
        let error = #expect(throws: EncodingError.self) {
            try JSONWriter.encode([Reading(sample: "s1", values: ["ratio": value])], style: .compact)
        }
        let message = JSONWriter.describe(try #require(error))
        #expect(message.hasPrefix("[0].values.ratio: "), "\(message)")
        #expect(message.contains("NaN and infinity have no JSON form"))
        #expect(throws: EncodingError.self) { try JSONWriter.encode(Float.nan, style: .compact) }
        #expect(throws: EncodingError.self) { try JSONWriter.encode(value, style: .compact) }
    }

    @Test("streamed: pieces of about the chunk size, each whole UTF-8, together the document")
    func streamed() throws {
        let names = (0..<500).map { "file-\($0)-é日😀\u{1}" }
        let whole = try JSONWriter.encode(names, style: .oneEntryPerLine)
        var pieces: [[UInt8]] = []
        try JSONWriter.encode(names, style: .oneEntryPerLine, chunkSize: 64) { pieces.append($0) }
        #expect(pieces.count > 100)
        #expect(Array(pieces.joined()) == whole)
        for piece in pieces.dropLast() {
            #expect(piece.count >= 64 && piece.count < 64 + 40)
            #expect(String(validating: piece, as: UTF8.self) != nil)
        }
    }

    /// A type that writes its own fields, then hands the same encoder to a part (flattening).
    struct Flattened: Encodable {
        var kind: String
        var point: Point

        enum Keys: String, CodingKey { case kind }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(kind, forKey: .kind)
            try point.encode(to: encoder)
        }
    }

    @Test("a keyed container asked for twice is the same object")
    func flattening() throws {
        #expect(try text([Flattened(kind: "p", point: Point(x: 1, y: 2))]) == #"[{"kind":"p","x":1,"y":2}]"# + "\n")
    }

    @Test("a value that writes nothing is an empty object; a top-level scalar is a document")
    func edges() throws {
        #expect(try text(Empty()) == "{}\n")
        #expect(try text([Empty(), Empty()]) == "[{},{}]\n")
        #expect(try text("x") == "\"x\"\n")
        #expect(try text(true) == "true\n")
        #expect(try text([String]()) == "[]\n")
        #expect(try text([String: Int](), .pretty) == "{}\n")
    }

    /// Any JSON value, for generated documents.
    indirect enum Value: Codable, Equatable {
        case string(String), int(Int), double(Double), bool(Bool), null
        case array([Value]), object([String: Value])

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
            case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
            case .double(let d): var c = encoder.singleValueContainer(); try c.encode(d)
            case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
            case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
            case .array(let a):
                var c = encoder.unkeyedContainer()
                for v in a { try c.encode(v) }
            case .object(let o):
                var c = encoder.container(keyedBy: DocumentKey.self)
                for (k, v) in o.sorted(by: { $0.key < $1.key }) { try c.encode(v, forKey: DocumentKey(k)) }
            }
        }

        init(from decoder: any Decoder) throws {
            if let o = try? [String: Value](from: decoder) { self = .object(o); return }
            if let a = try? [Value](from: decoder) { self = .array(a); return }
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let i = try? c.decode(Int.self) { self = .int(i) }
            else { self = .double(try c.decode(Double.self)) }
        }

        /// Integral doubles read back as ints (JSON does not tell them apart).
        var normalized: Value {
            switch self {
            case .double(let d) where d == d.rounded() && abs(d) < 0x1p53: .int(Int(d))
            case .array(let a): .array(a.map(\.normalized))
            case .object(let o): .object(o.mapValues(\.normalized))
            default: self
            }
        }
    }

    static func generate(_ rng: inout some RandomNumberGenerator, depth: Int = 0) -> Value {
        let pieces = ["a", "/", "\"", "\\", "\n", "\u{1}", "é", "日", "😀", " ", "z", "\u{7f}"]
        func string() -> String { (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .string(string())
        case 1: return .int(Int.random(in: Int.min...Int.max, using: &rng))
        case 2:
            var magnitude = Double(bitPattern: UInt64.random(in: 0...Double.greatestFiniteMagnitude.bitPattern, using: &rng))
            // JSONDecoder reads `6.776089615352705e+16` asked as an Int inexactly; such whole numbers
            // are not what this test is about (`floats()` reads them back as doubles).
            if magnitude >= 0x1p53 && magnitude < 0x1p64 { magnitude = 0.5 }
            return .double(Bool.random(using: &rng) ? magnitude : -magnitude)
        case 3: return .bool(Bool.random(using: &rng))
        case 4: return .null
        case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in generate(&rng, depth: depth + 1) })
        default:
            var o: [String: Value] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { o[string()] = generate(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    @Test("generated documents read back with JSONDecoder as written, in every layout")
    func generated() throws {
        var rng = SeededGenerator(state: 20261205)
        for _ in 0..<300 {
            let value = Self.generate(&rng)
            for style in [JSONStyle.compact, .pretty, .oneEntryPerLine] {
                let bytes = try JSONWriter.encode(value, style: style)
                let read = try JSONDecoder().decode(Value.self, from: Data(bytes))
                #expect(read.normalized == value.normalized, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}

/// A seeded generator (Knuth's MMIX LCG, upper bits), so a failing case repeats.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
