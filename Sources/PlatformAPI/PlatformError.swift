/// A request as errors and logs name it: method and URL path with query. Never headers.
public struct RequestSummary: Sendable, Hashable, CustomStringConvertible {
    public var method: HTTPMethod
    /// The path and query below the endpoint, e.g. `/bulk/storage/imports/create`.
    public var path: String

    public init(method: HTTPMethod, path: String) {
        self.method = method
        self.path = path
    }

    public var description: String { "\(method.rawValue) \(path)" }
}

/// The error body of the platform, `{status, code, message, more_info}` (§5.1). Also the
/// `error` of a failed import job and of a failed bulk item.
public struct PlatformErrorBody: Codable, Sendable, Hashable, CustomStringConvertible {
    public var status: Int?
    public var code: Int?
    public var message: String?
    public var moreInfo: String?

    public init(status: Int? = nil, code: Int? = nil, message: String? = nil, moreInfo: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.moreInfo = moreInfo
    }

    enum CodingKeys: String, CodingKey {
        case status, code, message
        case moreInfo = "more_info"
    }

    public var description: String {
        var parts: [String] = []
        if let status { parts.append("HTTP \(status)") }
        if let code { parts.append("code \(code)") }
        return (message ?? "no message") + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")
    }
}

/// Everything a platform call can throw besides `CancellationError`.
public enum PlatformError: Error, Sendable, CustomStringConvertible {
    /// The platform answered with an error status. `code` is the platform's code (§5.3), e.g.
    /// 5002 file not found, 1000 rate limit.
    case api(status: Int, code: Int?, message: String, moreInfo: String?, requestID: String?, request: RequestSummary)
    /// A create (import, bulk import, folder) may or may not have been carried out: the
    /// connection dropped or timed out after sending, or the server answered a 5xx other than
    /// 503. It was not resent. Reconcile (list the destination) before submitting again.
    case outcomeUnknown(request: RequestSummary, reason: String)
    /// No response after all retries (connection refused, dropped, timed out), for a request
    /// that is safe to repeat or that never left this machine.
    case unreachable(request: RequestSummary, attempts: Int, reason: String)
    /// Nothing answered at the endpoint: the connection was refused or the host name does not
    /// resolve, after a few quick attempts. The endpoint is wrong or the service is down.
    case cannotConnect(endpoint: String, cause: String, attempts: Int)
    /// The platform answered 2xx with a body this client cannot read.
    case invalidResponse(request: RequestSummary, status: Int, reason: String)
    /// The call was refused before sending: too many bulk items, a bad limit, a pagination link
    /// to another host.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .api(let status, let code, let message, _, let requestID, let request):
            var text = "\(request): the platform answered \(status)"
            if let code { text += " (code \(code))" }
            text += ": \(message)"
            if let requestID { text += " [request id \(requestID)]" }
            return text
        case .outcomeUnknown(let request, let reason):
            return "\(request): outcome unknown (\(reason)); the request was not resent and must be reconciled"
        case .unreachable(let request, let attempts, let reason):
            return "\(request): no answer from the platform after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case .cannotConnect(let endpoint, let cause, let attempts):
            return "cannot reach the platform at \(endpoint): \(cause) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
        case .invalidResponse(let request, let status, let reason):
            return "\(request): unreadable answer (HTTP \(status)): \(reason)"
        case .invalidRequest(let reason):
            return reason
        }
    }

    /// The HTTP status of an `.api` error.
    public var status: Int? {
        if case .api(let status, _, _, _, _, _) = self { return status }
        return nil
    }

    /// The platform code of an `.api` error.
    public var code: Int? {
        if case .api(_, let code, _, _, _, _) = self { return code }
        return nil
    }

    /// What the user can do about it, when that is clear from the status and code.
    public var hint: String? {
        switch self {
        case .api(401, _, _, _, _, _):
            return "the platform refused the token; check SB_AUTH_TOKEN or the profile's auth_token, and that it belongs to this platform"
        case .api(403, _, _, _, _, _):
            return "the token's user has no permission for this project, folder or volume"
        case .api(429, _, _, _, _, _):
            return "the rate limit (1000 requests per 5 minutes) stayed exhausted; try again later"
        case .api(let status, _, _, _, _, _) where status >= 500:
            return "the platform is having trouble; try again later"
        case .unreachable:
            return "check the endpoint and your network connection"
        case .cannotConnect(_, let cause, _) where cause.hasPrefix("unknown host"):
            return "check the host name in SB_API_ENDPOINT (or the profile's api_endpoint), and your DNS and network connection"
        case .cannotConnect:
            return "check SB_API_ENDPOINT (or the profile's api_endpoint): nothing accepts connections at that address and port"
        case .outcomeUnknown:
            return "run apply again: it checks the destination before submitting anything twice"
        default:
            return nil
        }
    }

    /// Whether nothing answered at the endpoint (refused, unknown host): the run cannot go on,
    /// and every further request would fail the same way.
    public var isCannotConnect: Bool {
        if case .cannotConnect = self { return true }
        return false
    }

    /// Whether this is a create whose outcome is unknown.
    public var isOutcomeUnknown: Bool {
        if case .outcomeUnknown = self { return true }
        return false
    }
}
