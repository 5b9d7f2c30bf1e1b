public import Foundation

/// One HTTP request as the emulator sees it, independent of the HTTP server. Tests and in-process
/// clients can call ``Emulator/respond(to:)`` with it directly.
public struct EmulatorRequest: Sendable {
    public var method: String
    /// The request target: path and optional query string, e.g. `/v2/files?project=u%2Fp&name=a`.
    public var target: String
    /// Header fields; names are matched case-insensitively.
    public var headers: [String: String]
    public var body: Data
    /// Whether the peer is on the loopback interface; admin calls from elsewhere are refused.
    public var fromLoopback: Bool

    public init(method: String, target: String, headers: [String: String] = [:], body: Data = Data(), fromLoopback: Bool = true) {
        self.fromLoopback = fromLoopback
        self.method = method.uppercased()
        self.target = target
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        self.headers = lowered
        self.body = body
    }

    /// The path split into percent-decoded segments, without empty ones.
    var pathSegments: [String] {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// The raw query string (after `?`), or "".
    var rawQuery: String {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    /// Query pairs in order, form-decoded (`+` is a space, `%2F` is `/`); repeated keys kept.
    var queryItems: [(name: String, value: String)] {
        rawQuery.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = parts.first, !rawName.isEmpty else { return nil }
            return (formDecode(String(rawName)), parts.count > 1 ? formDecode(String(parts[1])) : "")
        }
    }

    func queryValues(_ name: String) -> [String] { queryItems.filter { $0.name == name }.map(\.value) }
    func queryValue(_ name: String) -> String? { queryValues(name).first }
}

/// The emulator's answer: a response, or "close the connection without answering".
public struct EmulatorResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// When true the HTTP layer closes the connection and sends nothing.
    public var dropConnection: Bool

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data(), dropConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dropConnection = dropConnection
    }

    /// The body parsed as JSON (`.null` when it is not JSON).
    public var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    static func json(_ status: Int, _ value: JSONValue) -> EmulatorResponse {
        EmulatorResponse(status: status, headers: [("Content-Type", "application/json")], body: value.serialized())
    }

    static let dropped = EmulatorResponse(status: 0, dropConnection: true)
}

func formDecode(_ text: String) -> String {
    let spaced = text.replacingOccurrences(of: "+", with: " ")
    return spaced.removingPercentEncoding ?? spaced
}

/// Form-encodes a query value: only unreserved characters stay literal (so `/` becomes `%2F`).
func formEncode(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// Builds a query string from pairs, form-encoding names and values.
func queryString(_ items: [(name: String, value: String)]) -> String {
    items.map { "\(formEncode($0.name))=\(formEncode($0.value))" }.joined(separator: "&")
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the only timestamp shape SBP parses reliably (platform-api.md §3.3).
func timestamp(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
}
