/// An HTTP method the client uses.
public enum HTTPMethod: String, Sendable, Hashable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
}

/// One HTTP request as the transport sends it. It holds the auth header, so it prints and
/// reflects with secret header values redacted.
public struct TransportRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var method: HTTPMethod
    /// The absolute URL.
    public var url: String
    /// Header fields in order; names as written.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// How long the whole exchange may take, from sending to the last byte of the response.
    public var timeout: Duration

    public init(
        method: HTTPMethod, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

extension TransportRequest {
    public var description: String { "\(method.rawValue) \(url) [\(RequestEngine.redacted(headers))]" }
    public var debugDescription: String { description }
    /// The values of the secret headers (the token), to remove from any text that might quote them.
    var secretHeaderValues: [String] {
        headers.filter { RequestEngine.secretHeaders.contains($0.name.lowercased()) }.map(\.value)
    }
    public var customMirror: Mirror {
        Mirror(self, children: ["method": method, "url": url, "headers": RequestEngine.redacted(headers), "timeout": timeout])
    }
}

/// One HTTP response, fully read.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }
}

/// A request that got no HTTP response.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// How far the request got: this decides whether a create may be resent.
    public enum Phase: Sendable, Hashable {
        /// The request never left this machine (connection refused, DNS, connect or TLS timeout):
        /// the server cannot have acted on it. Any request may be resent.
        case notSent
        /// The request was, or may have been, sent (timeout waiting for the response, connection
        /// dropped): the server may have acted on it.
        case maybeSent
    }

    public enum Kind: Sendable, Hashable {
        case connectFailed, timedOut, connectionDropped, other
        /// Nothing listens at the endpoint's address: no amount of waiting helps, so the client
        /// gives up after a few quick attempts (`RetryPolicy.quickAttempts`).
        case connectionRefused
        /// The endpoint's host name does not resolve: given up on as quickly as a refused connection.
        case unknownHost

        /// Whether this failure is retried only a few times, quickly: it says the endpoint is
        /// wrong or down, not that the platform is busy.
        public var failsFast: Bool { self == .connectionRefused || self == .unknownHost }
    }

    public var phase: Phase
    public var kind: Kind
    /// A short description of the cause (never a header value).
    public var message: String

    public init(phase: Phase, kind: Kind, message: String) {
        self.phase = phase
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Sends HTTP requests. `AsyncHTTPTransport` talks to the network; `ClosureTransport` lets
/// tests answer requests in process.
public protocol HTTPTransport: Sendable {
    /// Sends a request and reads the whole response.
    /// - Throws: `TransportError` when no response arrived; `CancellationError` when the task
    ///   was cancelled.
    func send(_ request: TransportRequest) async throws -> TransportResponse
}

/// A transport that calls a closure: for unit tests and fault injection.
public struct ClosureTransport: HTTPTransport {
    private let handler: @Sendable (TransportRequest) async throws -> TransportResponse

    public init(_ handler: @escaping @Sendable (TransportRequest) async throws -> TransportResponse) {
        self.handler = handler
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        try await handler(request)
    }
}
