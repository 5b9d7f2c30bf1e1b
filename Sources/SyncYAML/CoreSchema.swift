/// Scalar resolution under the YAML 1.2 core schema, on raw UTF-8 bytes (no String is built
/// unless the value is a string).
///
/// - null: `~`, `null`, `Null`, `NULL`, empty plain scalar
/// - bool: `true|True|TRUE|false|False|FALSE` (`yes`, `no`, `on`, `off` are strings)
/// - int: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`
/// - float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.(inf|Inf|INF)`,
///   `\.(nan|NaN|NAN)`
/// - anything else: string. Quoted and block scalars are strings unless explicitly tagged.
///
/// Integers that do not fit in 64 bits are rejected when the document is parsed (see
/// `YAMLMessage.integerOutOfRange`): silently turning an identifier into a rounded float would
/// corrupt it, and the fix (quote it) is easy.
enum CoreSchema {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The resolved value, or `nil` when it is a string (the caller builds the String).
    static func resolve(_ text: Bytes, plain: Bool, tagClass: YAMLStorage.TagClass) -> YAMLValue? {
        switch tagClass {
        case .none:
            return plain ? resolvePlain(text) : nil
        case .str, .other, .collection:
            return nil
        case .null:
            return .null
        case .bool:
            return bool(text).map(YAMLValue.bool)
        case .int:
            if let int = integer(text) { return int.map(YAMLValue.int) ?? .float(double(text) ?? .nan) }
            return nil
        case .float:
            if let float = float(text) { return .float(float) }
            if let int = integer(text) { return .float(int.map(Double.init) ?? double(text) ?? .nan) }
            return nil
        }
    }

    /// A plain, untagged scalar.
    static func resolvePlain(_ text: Bytes) -> YAMLValue? {
        guard let first = text.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"):
            return isNull(text) ? .null : nil
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            return bool(text).map(YAMLValue.bool)
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            if let int = integer(text) {
                // Out-of-range integers are rejected at parse time; never reached for a parsed document.
                return int.map(YAMLValue.int) ?? .float(double(text) ?? .nan)
            }
            if let float = float(text) { return .float(float) }
            return nil
        default:
            return nil
        }
    }

    static func isNull(_ text: Bytes) -> Bool {
        text.isEmpty || equals(text, "~") || equals(text, "null") || equals(text, "Null") || equals(text, "NULL")
    }

    static func bool(_ text: Bytes) -> Bool? {
        if equals(text, "true") || equals(text, "True") || equals(text, "TRUE") { return true }
        if equals(text, "false") || equals(text, "False") || equals(text, "FALSE") { return false }
        return nil
    }

    /// `nil`: not an integer; `.some(nil)`: an integer that does not fit in `Int`.
    static func integer(_ text: Bytes) -> Int?? {
        let n = text.count
        guard n > 0 else { return nil }
        if n > 2, text[0] == UInt8(ascii: "0"), text[1] == UInt8(ascii: "o") || text[1] == UInt8(ascii: "x") {
            let radix = text[1] == UInt8(ascii: "o") ? 8 : 16
            var value = 0
            var overflow = false
            for byte in text[2...] {
                guard let digit = digitValue(byte), digit < radix else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: radix)
                let (a, o2) = m.addingReportingOverflow(digit)
                overflow = overflow || o1 || o2
                value = a
            }
            return .some(overflow ? nil : value)
        }
        var i = 0
        var negative = false
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") {
            negative = text[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < n else { return nil }
        var value = 0
        var overflow = false
        while i < n {
            let byte = text[i]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so that Int.min fits.
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int(byte - 48)) : m.addingReportingOverflow(Int(byte - 48))
            overflow = overflow || o1 || o2
            value = a
            i += 1
        }
        return .some(overflow ? nil : value)
    }

    /// A core-schema float (not an integer form).
    static func float(_ text: Bytes) -> Double? {
        let n = text.count
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") {
            negative = text[0] == UInt8(ascii: "-")
            i = 1
        }
        if i < n, text[i] == UInt8(ascii: ".") {
            let rest = UnsafeBufferPointer(rebasing: text[(i + 1)...])
            if equals(rest, "inf") || equals(rest, "Inf") || equals(rest, "INF") { return negative ? -.infinity : .infinity }
            if i == 0, equals(rest, "nan") || equals(rest, "NaN") || equals(rest, "NAN") { return .nan }
        }
        // [0-9]+(\.[0-9]*)? | \.[0-9]+
        let intStart = i
        while i < n, isDigit(text[i]) { i += 1 }
        let intDigits = i - intStart
        if i < n, text[i] == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < n, isDigit(text[i]) { i += 1 }
            if intDigits == 0 && i == fracStart { return nil }
        } else if intDigits == 0 {
            return nil
        }
        if i < n, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") { i += 1 }
            let expStart = i
            while i < n, isDigit(text[i]) { i += 1 }
            if i == expStart { return nil }
        }
        guard i == n else { return nil }
        return double(text)
    }

    static func double(_ text: Bytes) -> Double? {
        var s = String(decoding: text, as: UTF8.self)
        if s.hasSuffix(".") { s += "0" }
        if s.hasPrefix(".") || s.hasPrefix("-.") || s.hasPrefix("+.") {
            s = s.replacingFirst(".", with: "0.")
        }
        if let dot = s.firstIndex(of: "."), s[s.index(after: dot)...].first.map({ $0 == "e" || $0 == "E" }) ?? false {
            s.insert("0", at: s.index(after: dot))
        }
        return Double(s)
    }

    /// Why a tagged scalar does not fit its tag (or a plain integer overflows), or `nil`.
    static func problem(_ text: Bytes, plain: Bool, tagClass: YAMLStorage.TagClass) -> Problem? {
        switch tagClass {
        case .none:
            // Only long plain scalars can be integers that overflow.
            if plain, text.count >= 19, let int = integer(text), int == nil { return .integerOutOfRange }
            return nil
        case .str, .other:
            return nil
        case .collection:
            return .mismatch
        case .null:
            return isNull(text) ? nil : .mismatch
        case .bool:
            return bool(text) == nil ? .mismatch : nil
        case .int:
            guard let int = integer(text) else { return .mismatch }
            return int == nil ? .integerOutOfRange : nil
        case .float:
            return float(text) != nil || integer(text) != nil ? nil : .mismatch
        }
    }

    enum Problem {
        case mismatch
        case integerOutOfRange
    }

    @inline(__always)
    static func equals(_ text: Bytes, _ literal: StaticString) -> Bool {
        guard text.count == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for i in 0..<text.count where text[i] != p[i] { return false }
        return true
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let index = firstIndex(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: replacement)
        return copy
    }
}
