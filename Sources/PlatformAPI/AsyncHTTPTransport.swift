public import AsyncHTTPClient
internal import NIOCore
internal import NIOPosix
internal import Foundation
public import Logging

/// The network transport, on AsyncHTTPClient.
public struct AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient

    /// Uses an `HTTPClient` the caller owns (and shuts down).
    public init(client: HTTPClient) {
        self.client = client
    }

    /// Runs `body` with a transport on a fresh `HTTPClient`, shut down afterwards.
    /// - Parameter connectTimeout: how long to wait for a TCP connection.
    public static func withTransport<R: Sendable>(
        connectTimeout: Duration = .seconds(10),
        _ body: (AsyncHTTPTransport) async throws -> R
    ) async throws -> R {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .nanoseconds(Int64(connectTimeout.nanoseconds))
        // A refused connection or an unknown host fails the request at once; the client's own
        // retry policy decides what to do (a few quick attempts, each announced).
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .ratio(100))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<R, any Error>
        do { result = .success(try await body(AsyncHTTPTransport(client: client))) } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        return try result.get()
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: request.method.rawValue)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(body) }
        let timeout = TimeAmount.nanoseconds(Int64(request.timeout.nanoseconds))
        do {
            let response = try await client.execute(outgoing, timeout: timeout)
            var bytes = try await response.body.collect(upTo: 64 << 20)
            let body = bytes.readBytes(length: bytes.readableBytes) ?? []
            return TransportResponse(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: body)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Self.classify(error, secrets: request.secretHeaderValues)
        }
    }

    /// Sorts AsyncHTTPClient's errors by whether the request may have reached the server.
    /// Errors raised while waiting for a connection mean it never left; anything else, after a
    /// connection carried it, may have been acted on.
    ///
    /// The message never carries a header value: AsyncHTTPClient's errors are named by their
    /// `shortDescription`, which has no associated values (`invalidHeaderFieldValues` carries
    /// the offending values, the token among them), and any other error's text has `secrets`
    /// removed, raw and escaped.
    static func classify(_ error: any Error, secrets: [String] = []) -> TransportError {
        if let error = error as? TransportError { return error }
        if let error = error as? HTTPClientError {
            let name = error.shortDescription.lowercased()
            // Refused by AsyncHTTPClient's own checks before any connection was asked for.
            let refusedHeaders = [HTTPClientError.invalidHeaderFieldNames([]), .invalidHeaderFieldValues([])]
            if refusedHeaders.contains(where: { $0.shortDescription == error.shortDescription }) {
                return TransportError(phase: .notSent, kind: .other, message: "request not sent: \(name)")
            }
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout,
                .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
                return TransportError(phase: .notSent, kind: .connectFailed, message: "could not connect: \(name)")
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                return TransportError(phase: .notSent, kind: .other, message: "request not sent: \(name)")
            case .readTimeout, .deadlineExceeded, .writeTimeout:
                return TransportError(phase: .maybeSent, kind: .timedOut, message: "no response in time: \(name)")
            case .remoteConnectionClosed:
                return TransportError(phase: .maybeSent, kind: .connectionDropped, message: "connection closed by the server")
            default:
                return TransportError(phase: .maybeSent, kind: .other, message: name)
            }
        }
        func scrubbed(_ text: String) -> String {
            secrets.reduce(text) { AuthToken.redact($1, in: $0) }
        }
        if let cause = fastFailure(error) {
            return TransportError(phase: .notSent, kind: cause.kind, message: cause.message)
        }
        if error is NIOConnectionError {
            return TransportError(phase: .notSent, kind: .connectFailed, message: "could not connect: \(scrubbed("\(error)"))")
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return TransportError(phase: .notSent, kind: .connectFailed, message: "could not connect: \(scrubbed("\(error)"))")
        }
        if let error = error as? IOError {
            // Refused or unroutable: the connection was never made, so nothing was sent.
            if [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode) {
                return TransportError(phase: .notSent, kind: .connectFailed, message: "could not connect: \(scrubbed(error.description))")
            }
            return TransportError(phase: .maybeSent, kind: .connectionDropped, message: "connection failed: \(scrubbed(error.description))")
        }
        return TransportError(phase: .maybeSent, kind: .other, message: scrubbed(String(describing: error)))
    }
}

extension AsyncHTTPTransport {
    /// A refused connection or a host name that does not resolve, in a few plain words; `nil`
    /// for anything else. NIO reports them as `IOError` (errno ECONNREFUSED),
    /// `SocketAddressError.UnknownHost`, or a `NIOConnectionError` holding either.
    static func fastFailure(_ error: any Error) -> (kind: TransportError.Kind, message: String)? {
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return (.connectionRefused, "connection refused")
        }
        if let error = error as? SocketAddressError.UnknownHost {
            return (.unknownHost, "unknown host '\(error.host)'")
        }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.compactMap { fastFailure($0.error) }
            if !causes.isEmpty, causes.allSatisfy({ $0.kind == .connectionRefused }) {
                return (.connectionRefused, "connection refused")
            }
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return (.unknownHost, "unknown host '\(error.host)'")
            }
        }
        return nil
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
    /// The duration in seconds, fractions included.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

extension PlatformClient {
    /// Runs `body` with a client on the network (AsyncHTTPClient), shut down afterwards.
    /// - Parameters:
    ///   - config: endpoint and token (`PlatformConfig.resolve`).
    ///   - budget: the request budget; pass one to share it with other clients of the same token.
    ///   - options: timeouts and retry policy.
    ///   - logger: request log (`debug`: one line per request; `trace`: headers, token redacted).
    public static func withClient<R: Sendable>(
        config: PlatformConfig,
        budget: RequestBudget? = nil,
        options: PlatformClientOptions = PlatformClientOptions(),
        logger: Logger = Logger(label: "sbsync.platform"),
        _ body: (PlatformClient) async throws -> R
    ) async throws -> R {
        try await AsyncHTTPTransport.withTransport { transport in
            try await body(PlatformClient(config: config, transport: transport, budget: budget, options: options, logger: logger))
        }
    }
}
