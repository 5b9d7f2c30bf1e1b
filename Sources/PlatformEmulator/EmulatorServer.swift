public import Foundation
import Hummingbird
import Logging
import HTTPTypes
import NIOCore

/// Request context that keeps the channel, so a drop fault can close the connection.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// A running emulator, handed to the body of ``withRunningEmulator(_:_:)``.
public struct RunningEmulator: Sendable {
    /// `http://127.0.0.1:PORT/v2`.
    public let baseURL: URL
    public let port: Int
    /// The emulator, for inspection (`snapshot()`, `counters()`) and control (`setFaults(_:)`).
    public let emulator: Emulator
}

/// Starts an emulator on `configuration.host:configuration.port` (port 0 picks a free port), runs
/// `body` with it, then shuts the server down, also when `body` throws.
/// - Returns: what `body` returns.
/// - Throws: ``EmulatorSetupError`` for a bad configuration, a bind error, or what `body` throws.
public func withRunningEmulator<Result: Sendable>(
    _ configuration: EmulatorConfiguration,
    _ body: (RunningEmulator) async throws -> Result
) async throws -> Result {
    let emulator = try Emulator(configuration: configuration)
    return try await emulator.serve(body)
}

extension Emulator {
    /// Serves this emulator over HTTP while `body` runs.
    public func serve<Result: Sendable>(_ body: (RunningEmulator) async throws -> Result) async throws -> Result {
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Finishing the stream on every exit lets a bind error surface instead of hanging.
                defer { readyContinuation.finish() }
                try await self.run(onReady: { port in readyContinuation.yield(port) })
            }
            var iterator = ready.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The server ended before it was ready: surface its error.
                try await group.next()
                throw EmulatorSetupError("the emulator stopped before it was listening")
            }
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            let running = RunningEmulator(baseURL: URL(string: "http://\(host):\(port)/v2")!, port: port, emulator: self)
            do {
                let result = try await body(running)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Runs the HTTP server until the task is cancelled. `onReady` gets the bound port.
    public func run(onReady: @escaping @Sendable (Int) async -> Void) async throws {
        var logger = Logger(label: "sbsync-emulator")
        logger.logLevel = .critical
        let responder = CallbackResponder<EmulatorRequestContext> { [self] request, context in
            try await self.serve(request, context: context)
        }
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }

    static func isLoopback(_ address: String?) -> Bool {
        guard let address else { return false }
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    private func serve(_ request: Request, context: EmulatorRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        // HTTPTypes moves Host into the :authority pseudo-header; hrefs are built from it.
        if let authority = request.head.authority {
            headers["host"] = authority
        } else if let port = context.channel.localAddress?.port {
            headers["host"] = "\(configuration.host):\(port)"
        }
        let emulatorRequest = EmulatorRequest(
            method: request.method.rawValue, target: request.uri.description, headers: headers,
            body: Data(buffer.readableBytesView), fromLoopback: Self.isLoopback(context.channel.remoteAddress?.ipAddress))
        let answer = await respond(to: emulatorRequest)
        if answer.dropConnection {
            // Close without a response: the write of whatever we return then fails and
            // Hummingbird drops the connection.
            try? await context.channel.close()
            throw CancellationError()
        }
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(
            status: .init(code: answer.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

extension Emulator {
    /// Runs the HTTP server until SIGINT or SIGTERM, then shuts it down cleanly.
    /// `onReady` gets the bound port once the server listens.
    public func runUntilSignalled(onReady: @escaping @Sendable (Int) async -> Void) async throws {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run(onReady: onReady) }
            group.addTask {
                for await _ in signals { return }
            }
            // Whichever ends first (the server failing, or a signal) ends both.
            try await group.next()
            group.cancelAll()
        }
    }
}

extension EmulatorConfiguration {
    /// Parses `owner/name=PATH` (the `--volume`/`--volume-listing` flag value).
    /// - Throws: ``EmulatorSetupError`` naming the value when it is malformed.
    public static func parseVolumeAssignment(_ text: String) throws -> (volume: String, path: String) {
        guard let equals = text.firstIndex(of: "=") else {
            throw EmulatorSetupError("volume '\(text)' must be of the form owner/name=PATH")
        }
        let volume = String(text[..<equals])
        let path = String(text[text.index(after: equals)...])
        let parts = volume.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }), !path.isEmpty else {
            throw EmulatorSetupError("volume '\(text)' must be of the form owner/name=PATH")
        }
        return (volume, path)
    }
}
