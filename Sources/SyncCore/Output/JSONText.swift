/// JSON text written by hand, for the outputs that stream a million entries (`validate --json`,
/// `state export`), where building the whole document with JSONEncoder would hold it in memory.
public enum JSONText {
    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func quote(_ s: String) -> String {
        var plain = true
        for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A metadata value keeping its type; a non-finite float (JSON has none) becomes a string.
    public static func value(_ value: MetadataValue) -> String {
        switch value {
        case .string(let s): quote(s)
        case .int(let i): String(i)
        case .float(let d): d.isFinite ? String(d) : quote(String(d))
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }
}
