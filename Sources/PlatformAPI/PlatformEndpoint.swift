internal import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The base URL of a platform's API, e.g. `https://cgc-api.sbgenomics.com/v2`, checked:
/// `https`, or plain `http` only to a loopback host. No trailing slash.
public struct PlatformEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The base URL as used to build request URLs, without a trailing `/`.
    public let baseURL: String
    /// `https` or `http`.
    public let scheme: String
    /// The host, lower-cased, without brackets for IPv6.
    public let host: String
    /// The explicit port, if the URL has one.
    public let port: Int?

    /// The platforms with a short name, as the `--endpoint` flag and the manifest accept them.
    public static let knownPlatforms: [(name: String, url: String)] = [
        ("cgc", "https://cgc-api.sbgenomics.com/v2"),
        ("cavatica", "https://cavatica-api.sbgenomics.com/v2"),
        ("bdc", "https://api.sb.biodatacatalyst.nhlbi.nih.gov/v2"),
        ("sbg-us", "https://api.sbgenomics.com/v2"),
        ("sbg-eu", "https://eu-api.sbgenomics.com/v2"),
    ]

    /// Parses an endpoint given as a short name (`cgc`, `cavatica`, `bdc`, `sbg-us`, `sbg-eu`) or
    /// as a URL.
    /// - Parameter text: the short name or URL, as the user wrote it.
    /// - Throws: `PlatformConfigError.invalidEndpoint` for anything that is not a usable URL,
    ///   `PlatformConfigError.insecureEndpoint` for `http://` to a host that is not loopback.
    public init(parsing text: String) throws(PlatformConfigError) {
        let trimmed = text.trimmingWhitespace()
        let lowered = trimmed.lowercased()
        let urlText = Self.knownPlatforms.first { $0.name == lowered }?.url ?? trimmed
        guard let components = URLComponents(string: urlText),
            let scheme = components.scheme?.lowercased(),
            let rawHost = components.host, !rawHost.isEmpty
        else {
            throw .invalidEndpoint(text, reason: Self.shortNameHint)
        }
        guard scheme == "https" || scheme == "http" else {
            throw .invalidEndpoint(text, reason: "the scheme must be https")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidEndpoint(text, reason: "an endpoint must not carry a user name or password")
        }
        guard components.query == nil, components.fragment == nil else {
            throw .invalidEndpoint(text, reason: "an endpoint must not carry a query or fragment")
        }
        var host = rawHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if scheme == "http", !Self.isLoopback(host) {
            throw .insecureEndpoint(text)
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        var base = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)"
        if let port = components.port { base += ":\(port)" }
        self.baseURL = base + path
        self.scheme = scheme
        self.host = host
        self.port = components.port
    }

    public var description: String { baseURL }

    /// Whether the base path ends in `/v2`, as every platform endpoint does (§0).
    public var endsInV2: Bool { baseURL.hasSuffix("/v2") }

    /// The full URL for a path below the base, e.g. `/files` → `https://…/v2/files`.
    func url(path: String, query: [(String, String)] = []) -> String {
        var url = baseURL + path
        if !query.isEmpty { url += "?" + FormEncoding.encode(query) }
        return url
    }

    /// Whether `url` points at this endpoint: same scheme, host and port, and below the base path.
    /// Pagination links are followed only when this holds, so the token never goes elsewhere.
    func contains(_ url: String) -> Bool {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(),
            var host = c.host?.lowercased()
        else { return false }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard scheme == self.scheme, host == self.host, c.port == self.port, c.user == nil else {
            return false
        }
        let basePath = URLComponents(string: baseURL)?.percentEncodedPath ?? ""
        return c.percentEncodedPath == basePath || c.percentEncodedPath.hasPrefix(basePath + "/")
    }

    /// Whether plain http may go to `host`: only names that never reach a resolver's network
    /// side. That is `localhost` itself and literal loopback addresses: `127.0.0.0/8` in plain
    /// dotted decimal (no leading zeros, which a resolver might read as octal or as a name) and
    /// `::1` in any IPv6 spelling. A name under `.localhost` is not loopback: resolvers may send
    /// it to DNS.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        if host.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { return false }
            return withUnsafeBytes(of: &address) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || part.first != "0", let n = Int(part)
            else { return false }
            return n <= 255
        }
    }

    static var shortNameHint: String {
        "expected a URL such as https://cgc-api.sbgenomics.com/v2 or one of the short names "
            + knownPlatforms.map(\.name).joined(separator: ", ")
    }
}

/// `application/x-www-form-urlencoded` query encoding as the platform's clients use it:
/// `project=u%2Fp`, repeated keys for lists.
enum FormEncoding {
    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// The value of `name` in the query of `url`, percent-decoded (`+` as space).
    static func queryValue(_ name: String, in url: String) -> String? {
        guard let q = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.first.map(String.init) == name else { continue }
            let raw = kv.count > 1 ? String(kv[1]) : ""
            return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
        }
        return nil
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
