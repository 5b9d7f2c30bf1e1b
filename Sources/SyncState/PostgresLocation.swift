public import Foundation

/// A PostgreSQL state location: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?workspace=NAME`
/// (also `postgresql://`; optional `sslmode=disable|prefer|require|verify-full`, default
/// `prefer`).
///
/// The password is never printed: `redacted` (what every message shows) leaves it out. It comes
/// from the URL, else `PGPASSWORD`, else the password file (`PGPASSFILE`, default `~/.pgpass`,
/// the libpq format), else there is none (trust or peer authentication).
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable { case disable, prefer, require, verifyFull = "verify-full" }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var workspace: String
    public var tls: TLSMode = .prefer

    /// Whether `text` names a PostgreSQL state (rather than a state file's path).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`. A missing `workspace` is an error here: the CLI fills in the default
    /// (`withDefaultWorkspace`) before a store is opened.
    /// - Throws: `StateError.invalidLocation` naming what is wrong (never the password).
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StateError) -> PostgresLocation {
        let shown = redacted(text)
        func invalid(_ why: String) -> StateError { .invalidValue("the state location '\(shown)': \(why)") }
        guard isPostgres(text), let url = URLComponents(string: text) else {
            throw invalid("not a URL of the form postgres://USER@HOST:PORT/DATABASE?workspace=NAME")
        }
        guard let host = url.host, !host.isEmpty else { throw invalid("no host") }
        let user = url.user ?? environment["PGUSER"] ?? ""  // URLComponents decodes user, password and path
        guard !user.isEmpty else { throw invalid("no user (write postgres://USER@HOST/DATABASE)") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database (write postgres://USER@HOST/DATABASE)") }
        var workspace = "", tls = TLSMode.prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "workspace": workspace = item.value ?? ""
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid("sslmode '\(item.value ?? "")' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            default: throw invalid("unknown parameter '\(item.name)' (known: workspace, sslmode)")
            }
        }
        guard !workspace.isEmpty else { throw invalid("no workspace (add ?workspace=NAME)") }
        let port = url.port ?? 5432
        var location = PostgresLocation(user: user, password: url.password,
                                        host: host, port: port, database: database, workspace: workspace, tls: tls)
        if location.password == nil {
            location.password = environment["PGPASSWORD"] ?? passwordFile(location, environment: environment)
        }
        return location
    }

    /// `text` with `workspace` added when it names none (the CLI's default: the manifest's
    /// path in its repository). Paths and URLs with a workspace come back unchanged.
    public static func withDefaultWorkspace(_ text: String, workspace: String) -> String {
        guard isPostgres(text), var url = URLComponents(string: text) else { return text }
        var items = url.queryItems ?? []
        if items.contains(where: { $0.name == "workspace" && !($0.value ?? "").isEmpty }) { return text }
        items.removeAll { $0.name == "workspace" }
        items.append(URLQueryItem(name: "workspace", value: workspace))
        url.queryItems = items
        return url.string ?? text
    }

    /// `text` fit to print: a PostgreSQL URL without its password; anything else unchanged.
    public static func redacted(_ text: String) -> String {
        guard isPostgres(text), let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return text }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<scheme.upperBound]) + String(userInfo[..<colon]) + String(rest[at...])
    }

    /// How this location is shown: the URL without password.
    public var display: String {
        var url = URLComponents()
        url.scheme = "postgres"
        url.user = user
        url.host = host
        url.port = port
        url.path = "/" + database
        url.queryItems = [URLQueryItem(name: "workspace", value: workspace)]
        if tls != .prefer { url.queryItems?.append(URLQueryItem(name: "sslmode", value: tls.rawValue)) }
        return url.string ?? "postgres://\(user)@\(host):\(port)/\(database)?workspace=\(workspace)"
    }

    /// The password for `location` from the password file, libpq's rules: lines
    /// `host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`;
    /// the file is ignored unless only its owner can read it.
    static func passwordFile(_ location: PostgresLocation, environment: [String: String]) -> String? {
        let file = environment["PGPASSFILE"] ?? environment["HOME"].map { $0 + "/.pgpass" }
        guard let file, let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0,
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [], current = "", escaped = false
            for character in line {
                if escaped { current.append(character); escaped = false }
                else if character == "\\" { escaped = true }
                else if character == ":", fields.count < 4 { fields.append(current); current = "" }
                else { current.append(character) }
            }
            fields.append(current)
            guard fields.count == 5 else { continue }
            let wanted = [location.host, String(location.port), location.database, location.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The 64-bit key of this workspace's advisory lock: FNV-1a of the database and workspace
    /// names, so two workspaces never share a lock (and no other program's constant key collides
    /// but by chance).
    public var lockKey: Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "sbsync\u{0}\(database)\u{0}\(workspace)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
