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
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
