/// Text from outside (file names, folders, locations, metadata, tags, the platform's messages)
/// made safe to show on a terminal or in a plan: a control character in it could end a line
/// early, fake a plan line, or send the terminal an escape sequence.
///
/// Escaped are the control characters (U+0000–U+001F, U+007F–U+009F) and the invisible
/// characters that reorder or break what follows them (U+061C, U+200E, U+200F, U+2028, U+2029,
/// U+202A–U+202E, U+2066–U+2069). They are written `\n`, `\r`, `\t` or `\u{1B}`, as Swift
/// writes them; everything else, a backslash included, is shown as it is, so escaping twice
/// changes nothing.
public enum TerminalText {
    /// `text` with every control character escaped (see the type); `text` itself when it has none.
    public static func escaped(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where isEscaped(c): out += "\\u{" + String(c.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The first control character (U+0000–U+001F, U+007F–U+009F) of `text`, if any. The
    /// manifest rules refuse these in file names and folders: the platform cannot hold them usefully.
    public static func firstControlCharacter(in text: String) -> Unicode.Scalar? {
        UTF8Bytes.with(text) { firstControlCharacter(in: $0) }
    }

    /// `firstControlCharacter(in:)` on UTF-8 in place.
    static func firstControlCharacter(in utf8: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        var previous: UInt8 = 0
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F { return Unicode.Scalar(byte) }
            // U+0080–U+009F are 0xC2 0x80–0x9F in UTF-8; the second byte is the scalar's value.
            if previous == 0xC2, (0x80...0x9F).contains(byte) { return Unicode.Scalar(byte) }
            previous = byte
        }
        return nil
    }

    /// Whether `text` holds anything `escaped` would change: a byte scan, no allocation.
    static func needsEscaping(_ text: String) -> Bool {
        for byte in text.utf8 where byte < 0x20 || byte == 0x7F || byte >= 0xC2 {
            // Only bytes that can start or be part of an escaped scalar lead to the slow check.
            return text.unicodeScalars.contains(where: isEscaped)
        }
        return false
    }

    /// Whether `scalar` is shown escaped.
    static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}

extension String {
    /// This text as a terminal or a plan may show it (`TerminalText.escaped`).
    public var terminalEscaped: String { TerminalText.escaped(self) }
}

extension DefaultStringInterpolation {
    /// `"\(shown: error)"`: the value's description as a terminal may show it
    /// (`TerminalText.escaped`), for messages that quote names, metadata or the platform's words.
    public mutating func appendInterpolation(shown value: some Any) {
        appendLiteral(TerminalText.escaped(String(describing: value)))
    }
}
