/// A platform auth token. It never prints: `description`, `debugDescription`, `dump` and
/// string interpolation all show `<redacted>`, so a token cannot leak through a log line, an
/// error message or a test failure. Only the request layer reads the value, to set the header.
public struct AuthToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    let value: String

    /// Wraps a token as read from the environment or the credentials file.
    /// - Parameter value: the token; surrounding whitespace is removed.
    public init(_ value: String) {
        self.value = value.trimmingWhitespace()
    }

    /// Whether the token is empty (an empty `auth_token =` line, an empty `SB_AUTH_TOKEN`).
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "AuthToken(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Why a token cannot be sent as an HTTP header value. It names the rule and where the
    /// token breaks it, never the token: platform tokens are printable ASCII (32 hex digits),
    /// so any other character is a paste or encoding mistake.
    public enum Problem: Error, Sendable, Hashable {
        /// A line feed or carriage return inside the token (not at its ends, which are trimmed).
        case lineBreak(position: Int)
        /// Another control character: NUL, ESC, DEL, a tab, a C1 control.
        case controlCharacter(Unicode.Scalar, position: Int)
        /// A space inside the token.
        case space(position: Int)
        /// A character outside ASCII: HTTP clients disagree on how to send one in a header
        /// (AsyncHTTPClient sends UTF-8, Python's requests Latin-1), so the platform could
        /// never have issued it.
        case nonASCII(position: Int)
    }

    /// The first rule the token breaks, or `nil` when it can be sent as a header value.
    public var problem: Problem? {
        for (offset, scalar) in value.unicodeScalars.enumerated() {
            let position = offset + 1
            switch scalar.value {
            case 0x0A, 0x0D: return .lineBreak(position: position)
            case 0x00...0x1F, 0x7F...0x9F: return .controlCharacter(scalar, position: position)
            case 0x20: return .space(position: position)
            case 0x21...0x7E: continue
            default: return .nonASCII(position: position)
            }
        }
        return nil
    }

    /// `text` with the token removed: as it is, and as Swift's `debugDescription` of a string
    /// holding it escapes it (which is how an array of header values prints).
    func redact(in text: String) -> String {
        Self.redact(value, in: text)
    }

    /// `text` with `secret` replaced by `<redacted>`, raw and in its escaped forms.
    ///
    /// A secret shorter than `wholeWordBelow` characters (no real token is; a typo'd or test
    /// token can be, e.g. `x`) is replaced only where it stands as a word of its own, not
    /// inside a longer run of letters and digits: redacting every `x` of a message would
    /// mangle it, and a run that merely contains the secret does not reveal it.
    static func redact(_ secret: String, in text: String) -> String {
        guard !secret.isEmpty else { return text }
        var text = text
        for form in Set([secret, String(String(reflecting: secret).dropFirst().dropLast())]) where !form.isEmpty {
            text = form.count >= wholeWordBelow
                ? text.replacingOccurrences(of: form, with: "<redacted>")
                : replacingWholeWords(form, in: text)
        }
        return text
    }

    /// Secrets shorter than this are redacted as whole words only.
    static let wholeWordBelow = 8

    private static func replacingWholeWords(_ word: String, in text: String) -> String {
        func isWordCharacter(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber } ?? false }
        var out = "", rest = text[...]
        while let range = rest.range(of: word) {
            let before = range.lowerBound > text.startIndex ? text[text.index(before: range.lowerBound)] : nil
            let after = range.upperBound < text.endIndex ? text[range.upperBound] : nil
            out += rest[..<range.lowerBound]
            let standsAlone = !(isWordCharacter(before) && isWordCharacter(word.first))
                && !(isWordCharacter(after) && isWordCharacter(word.last))
            out += standsAlone ? "<redacted>" : text[range]
            rest = text[range.upperBound...]
        }
        return out + rest
    }
}

extension AuthToken.Problem: CustomStringConvertible {
    /// The rule broken and where, e.g. `contains a control character (U+007F) at character 16`.
    public var description: String {
        switch self {
        case .lineBreak(let position):
            "contains a line break at character \(position)"
        case .controlCharacter(let scalar, let position):
            "contains a control character (U+\(Self.hex(scalar))) at character \(position)"
        case .space(let position):
            "contains a space at character \(position)"
        case .nonASCII(let position):
            "contains a non-ASCII character at character \(position)"
        }
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
