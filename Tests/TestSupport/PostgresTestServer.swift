import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests: made by `initdb` in a temporary directory, on a
/// free loopback port, trusting local connections, and removed at the end.
///
/// When the PostgreSQL binaries are missing it installs Debian's `postgresql` package
/// (`apt-get`, through `sudo` when not root). Run as root, the cluster runs as the `postgres`
/// user (initdb refuses root). `shared()` is one cluster for the whole test process (each test
/// uses a workspace of its own), stopped when the process exits; `withPostgresServer` is one of
/// a test's own, for tests that stop and restart it.
public final class PostgresTestServer: Sendable {
    public let port: Int
    public let dataDirectory: String
    private let directory: TemporaryDirectory
    private let binaries: String
    private let runAs: String?

    /// A URL of workspace `workspace` on this cluster (database `postgres`, user `sbsync`, no TLS).
    public func url(workspace: String) -> String {
        "postgres://sbsync@127.0.0.1:\(port)/postgres?workspace=\(workspace)&sslmode=disable"
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private init() throws {
        directory = TemporaryDirectory()
        binaries = try Self.binaries(log: directory.file("install.log"))
        runAs = geteuid() == 0 ? "postgres" : nil
        dataDirectory = directory.file("data")
        if runAs != nil {
            // The server's user must reach its folder; the folder itself stays private to it.
            chmod(directory.path, 0o755)
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: false)
            try Self.run("/bin/chown", ["postgres:postgres", dataDirectory], log: directory.file("tool.log"))
            do {
                try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "/usr/bin/test", "-w", dataDirectory], log: directory.file("tool.log"))
            } catch {
                throw Failure(description: "the postgres user cannot write '\(dataDirectory)': a folder above it is closed to others; "
                    + "run the tests from a folder others may enter, or point TMPDIR at one")
            }
        }
        port = try Self.freePort()
        try run("initdb", ["-D", dataDirectory, "-U", "sbsync", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        try start()
    }

    /// Starts the server (again), waiting until it accepts connections: TCP on loopback only (no
    /// Unix socket: a temporary directory's path can be longer than a socket's may be).
    public func start() throws {
        try run("pg_ctl", ["-D", dataDirectory, "-l", dataDirectory + "/server.log", "-w", "-t", "60", "-o",
                           "-p \(port) -k '' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", "start"])
    }

    /// Stops the server at once (`immediate`: like a crash, sessions cut).
    public func stop() throws {
        try run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Stops and starts the server: every session is cut.
    public func restart() throws {
        try stop()
        try start()
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let log = directory.file("tool.log")
        if let runAs {
            try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", "\(binaries)/\(tool)"] + arguments, log: log)
        } else {
            try Self.run("\(binaries)/\(tool)", arguments, log: log)
        }
    }

    /// Runs `executable` to its end, its output into `log` (shown when it fails). posix_spawn and
    /// waitpid, not Foundation's Process: its `waitUntilExit` was seen to hang here after
    /// `pg_ctl start` (whose server lives on) had exited.
    static func run(_ executable: String, _ arguments: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(description: "cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
        }
    }

    /// The folder of `initdb` and `pg_ctl`, installing PostgreSQL when it is missing.
    static func binaries(log: String) throws -> String {
        func find() -> String? {
            let root = "/usr/lib/postgresql"
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
                .compactMap(Int.init).sorted(by: >)
            return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
        }
        if let found = find() { return found }
        let sudo = geteuid() == 0 ? [] : ["sudo"]
        let install = sudo + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "postgresql"]
        try run("/usr/bin/env", sudo + ["apt-get", "update", "-qq"], log: log)
        try run("/usr/bin/env", install, log: log)
        guard let found = find() else { throw Failure(description: "PostgreSQL was installed but no initdb was found under /usr/lib/postgresql") }
        return found
    }

    /// A loopback port nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Lifetimes

    private static let sharedServer = Mutex<Result<PostgresTestServer, Failure>?>(nil)

    /// The test process's one cluster, started on first use and stopped when the process exits.
    public static func shared() throws -> PostgresTestServer {
        try sharedServer.withLock { server in
            if server == nil {
                do {
                    server = .success(try PostgresTestServer())
                    atexit { PostgresTestServer.stopShared() }
                } catch let error as Failure {
                    server = .failure(error)
                } catch {
                    server = .failure(Failure(description: "\(error)"))
                }
            }
            return try server!.get()
        }
    }

    private static func stopShared() {
        sharedServer.withLock { server in
            if case .success(let running)? = server {
                try? running.stop()
                try? FileManager.default.removeItem(atPath: running.directory.path)
            }
            server = nil
        }
    }
}

/// Runs `body` with a PostgreSQL cluster of its own, stopped and removed when `body` ends.
public func withPostgresServer<R>(isolation: isolated (any Actor)? = #isolation,
                                  _ body: (PostgresTestServer) async throws -> R) async throws -> R {
    let server = try PostgresTestServer.makeOwn()
    defer { try? server.stop() }
    return try await body(server)
}

extension PostgresTestServer {
    /// A new cluster (not the shared one).
    static func makeOwn() throws -> PostgresTestServer { try PostgresTestServer() }
}
