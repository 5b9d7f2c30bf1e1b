/// A JSON pull parser over bytes, for the saved plan: Foundation's `JSONDecoder` took 50 s and
/// 3.5 GB to read a plan of a million actions, nearly all of it in building and walking its
/// generic containers. It takes what `JSONDecoder` takes (RFC 8259, plus a leading byte order
/// mark, a trailing comma before `}` or `]`, and a whole number written `1.0` or `1e2` where an
/// integer is expected) and refuses the rest: comments, leading zeros, control characters or
/// invalid UTF-8 in strings, unpaired surrogate escapes.
///
/// The reader of a document asks for what it expects next (`nextMember`, `string`, `int64`…),
/// naming it for a message (an autoclosure: a name made per value costs nothing unless it fails);
/// a member it does not know is skipped whole (`skipValue`), as synthesized `Decodable` does.
struct JSONPull {
    /// Why the bytes could not be read: not JSON at all (`syntax`), or JSON of another shape.
    struct Failure: Error {
        var message: String
        /// Byte offset of the problem.
        var offset: Int
        var syntax: Bool
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    /// Containers open inside a skipped value, at most; deeper input is refused, not recursed into.
    static let maxSkipDepth = 512

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        // A UTF-8 byte order mark, as an editor on Windows may leave.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { offset = 3 }
    }

    // MARK: Structure

    /// The next byte that is not white space, not consumed; `nil` at the end of the input.
    mutating func peek() -> UInt8? {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            case let byte: return byte
            }
        }
        return nil
    }

    /// Consumes `byte` (after white space) or fails, naming `what` was expected.
    mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard peek() == byte else { throw unexpected(expecting: what) }
        offset += 1
    }

    /// The key of the object's next member, the `:` after it consumed; `nil` once the object is
    /// closed. Call `beginObject` first, with `first` true, and read each member's value before
    /// asking again.
    mutating func nextMember(_ first: inout Bool) throws(Failure) -> String? {
        if !first, peek() == UInt8(ascii: ",") { offset += 1 } else if !first, peek() != UInt8(ascii: "}") {
            throw unexpected(expecting: "',' or '}'")
        }
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return nil
        }
        first = false
        guard peek() == UInt8(ascii: "\"") else { throw unexpected(expecting: "a key in quotes") }
        let key = try string()
        try expect(UInt8(ascii: ":"), "':' after a key")
        return key
    }

    /// Whether the array has another element (its `,` consumed); `false` once it is closed.
    mutating func nextElement(_ first: inout Bool) throws(Failure) -> Bool {
        if !first, peek() == UInt8(ascii: ",") { offset += 1 } else if !first, peek() != UInt8(ascii: "]") {
            throw unexpected(expecting: "',' or ']'")
        }
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return false
        }
        first = false
        return true
    }

    mutating func beginObject(_ what: @autoclosure () -> String) throws(Failure) {
        guard peek() == UInt8(ascii: "{") else { throw mismatch(expecting: "an object for \(what())") }
        offset += 1
    }

    mutating func beginArray(_ what: @autoclosure () -> String) throws(Failure) {
        guard peek() == UInt8(ascii: "[") else { throw mismatch(expecting: "a list for \(what())") }
        offset += 1
    }

    /// Consumes a `null` if one comes next.
    mutating func null() throws(Failure) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Only white space is left.
    mutating func end() throws(Failure) {
        guard peek() == nil else { throw unexpected(expecting: "the end of the document") }
    }

    // MARK: Values

    mutating func string(_ what: @autoclosure () -> String = "a value") throws(Failure) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw mismatch(expecting: "a string for \(what())") }
        offset += 1
        let start = offset
        var plain = true, ascii = true
        while true {
            guard offset < bytes.count else { throw Failure(message: "the input ends inside a string", offset: offset, syntax: true) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                plain = false
                offset += 2
                continue
            }
            if byte < 0x20 { throw Failure(message: "a control character inside a string", offset: offset, syntax: true) }
            if byte >= 0x80 { ascii = false }
            offset += 1
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
        offset += 1
        if plain {
            if ascii { return String(decoding: body, as: UTF8.self) }
            guard let text = String(validating: body, as: UTF8.self) else {
                throw Failure(message: "a string that is not UTF-8", offset: start, syntax: true)
            }
            return text
        }
        return try unescape(body, at: start)
    }

    private func unescape(_ body: UnsafeRawBufferPointer, at start: Int) throws(Failure) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = 0
        func fail(_ message: String) -> Failure { Failure(message: message, offset: start + i, syntax: true) }
        func hex4() throws(Failure) -> UInt32 {
            guard i + 4 <= body.count else { throw fail("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard i < body.count, let digit = Self.hexValue(body[i]) else { throw fail("a \\u escape needs four hex digits") }
                value = value << 4 | digit
                i += 1
            }
            return value
        }
        while i < body.count {
            let byte = body[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            i += 1
            guard i < body.count else { throw fail("a string ends with '\\'") }
            let kind = body[i]
            i += 1
            switch kind {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < body.count, body[i] == UInt8(ascii: "\\"), body[i + 1] == UInt8(ascii: "u") else {
                        throw fail("a \\u escape of a high surrogate without its low surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("a \\u escape of a high surrogate without its low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("a \\u escape of a lone low surrogate")
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default:
                throw fail("an unknown escape '\\\(Character(Unicode.Scalar(kind)))'")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw Failure(message: "a string that is not UTF-8", offset: start, syntax: true)
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// A number's text, checked against the JSON grammar; whether it has a fraction or exponent.
    private mutating func number(_ what: @autoclosure () -> String) throws(Failure) -> (text: String, integral: Bool) {
        guard let first = peek(), first == UInt8(ascii: "-") || Self.isDigit(first) else {
            throw mismatch(expecting: "a number for \(what())")
        }
        let start = offset
        func digits() -> Int {
            let from = offset
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
            return offset - from
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let leading = offset
        let whole = digits()
        guard whole > 0 else { throw Failure(message: "a number without digits", offset: offset, syntax: true) }
        guard whole == 1 || bytes[leading] != UInt8(ascii: "0") else {
            throw Failure(message: "a number with a leading zero", offset: leading, syntax: true)
        }
        var integral = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            integral = false
            guard digits() > 0 else { throw Failure(message: "a number without digits after '.'", offset: offset, syntax: true) }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            integral = false
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw Failure(message: "a number without digits in its exponent", offset: offset, syntax: true) }
        }
        return (String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self), integral)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// A string naming a case of `T`; refused, at the string, when it names none.
    mutating func named<T: RawRepresentable<String>>(_ type: T.Type, _ what: @autoclosure () -> String) throws(Failure) -> T {
        _ = peek()
        let start = offset
        let name = try string(what())
        guard let value = T(rawValue: name) else { throw Failure(message: "'\(name)' is not \(what())", offset: start, syntax: false) }
        return value
    }

    /// A whole number that fits in 64 bits.
    mutating func int64(_ what: @autoclosure () -> String) throws(Failure) -> Int64 {
        _ = peek()
        let start = offset
        let (text, integral) = try number(what())
        // `1.0` and `1e2` are whole numbers too; 2^63 as a Double has no Int64.
        guard let value = integral ? Int64(text) : Double(text).flatMap({ Int64(exactly: $0) }) else {
            throw Failure(message: "expected a whole number for \(what()), found \(text)", offset: start, syntax: false)
        }
        return value
    }

    mutating func int(_ what: @autoclosure () -> String) throws(Failure) -> Int {
        let start = offset
        let value = try int64(what())
        guard let narrowed = Int(exactly: value) else {
            throw Failure(message: "\(value) is too large for \(what())", offset: start, syntax: false)
        }
        return narrowed
    }

    mutating func double(_ what: @autoclosure () -> String) throws(Failure) -> Double {
        _ = peek()
        let start = offset
        let (text, _) = try number(what())
        // Past Double's range either way: `1e400` is infinite, `1e-400` would read as 0.
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        guard let value = Double(text), value.isFinite, value != 0 || !mantissa.contains(where: { "123456789".contains($0) }) else {
            throw Failure(message: "\(text) is out of range for \(what())", offset: start, syntax: false)
        }
        return value
    }

    mutating func bool(_ what: @autoclosure () -> String) throws(Failure) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw mismatch(expecting: "true or false for \(what())")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw unexpected(expecting: "a value") }
        for i in 0..<count where bytes[offset + i] != word.utf8Start[i] { throw unexpected(expecting: "a value") }
        offset += count
    }

    /// Consumes one value of any kind, checking its grammar.
    mutating func skipValue(depth: Int = 0) throws(Failure) {
        guard depth < Self.maxSkipDepth else {
            throw Failure(message: "values nested more than \(Self.maxSkipDepth) deep", offset: offset, syntax: true)
        }
        switch peek() {
        case UInt8(ascii: "{"):
            offset += 1
            var first = true
            while try nextMember(&first) != nil { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            offset += 1
            var first = true
            while try nextElement(&first) { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool("a value")
        case UInt8(ascii: "n"): _ = try null()
        default: _ = try number("a value")
        }
    }

    // MARK: Failures

    /// Not JSON here: what came instead of `what`.
    func unexpected(expecting what: String) -> Failure {
        guard offset < bytes.count else { return Failure(message: "the input ends where \(what) was expected", offset: offset, syntax: true) }
        return Failure(message: "expected \(what), found \(Self.shown(bytes[offset]))", offset: offset, syntax: true)
    }

    /// JSON, but not what this member holds: a syntax failure when the byte cannot begin any value.
    func mismatch(expecting what: String) -> Failure {
        guard offset < bytes.count else { return Failure(message: "the input ends where \(what) was expected", offset: offset, syntax: true) }
        let byte = bytes[offset]
        let startsValue = "{[\"-0123456789tfn".utf8.contains(byte)
        return Failure(message: "expected \(what), found \(Self.shown(byte))", offset: offset, syntax: !startsValue)
    }

    private static func shown(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    /// `line L, column C` (1-based, columns in bytes) of `offset`.
    func position(of offset: Int) -> String {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return "line \(line), column \(offset - lineStart + 1)"
    }
}
