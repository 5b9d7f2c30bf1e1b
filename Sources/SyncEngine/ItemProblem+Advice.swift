/// Whether running apply again can fix an item's problem, and what to do when it cannot: the
/// one rule the apply summary follows. It reads the HTTP status the platform's
/// message carries (`(HTTP 404, code 5026)`, `the platform answered 403`).
public enum RetryAdvice: String, Sendable, Hashable, CaseIterable, Codable {
    /// A platform error (5xx), a timeout, a failed job, a lost answer, metadata not set: the
    /// next apply tries again.
    case retry
    /// The source or the destination folder does not exist (404): a missing volume, location or
    /// DRS object fails again until the manifest or the platform changes.
    case notFound = "not_found"
    /// 401/403: the token's user may not read the source or write the project.
    case permission
    /// The platform refused the request as invalid (400, 409, 422).
    case invalid
    /// The name is taken by a file sbsync does not manage and the entry's conflict policy is `skip`.
    case skippedByPolicy = "skipped_by_policy"

    /// Whether `sbsync apply` again can fix it.
    public var fixedByRetry: Bool { self == .retry }

    /// What the problem is, for a summary line (`3 source not found`).
    public var label: String {
        switch self {
        case .retry: "failed for a reason a retry can fix (platform errors, timeouts, failed jobs)"
        case .notFound: "not found (HTTP 404)"
        case .permission: "refused for lack of permission (HTTP 401/403)"
        case .invalid: "refused as invalid by the platform"
        case .skippedByPolicy: "skipped by policy (conflict: skip; the name is taken by a file sbsync does not manage)"
        }
    }

    /// What to do instead of (or before) running apply again.
    public var action: String {
        switch self {
        case .retry: "run 'sbsync apply' again to retry them"
        case .notFound:
            "a retry will not help: check the volume, location or DRS URI in the manifest (and that the volume is attached on the platform), fix it or remove the entry, then apply"
        case .permission:
            "a retry will not help: give the token's user access to the volume and the project (or use another profile), then apply"
        case .invalid: "a retry will not help: correct the manifest entries named in the failures file, then apply"
        case .skippedByPolicy:
            "a retry will not help: rename or remove the platform file, or set the entry's conflict to 'overwrite' or 'rename', then apply"
        }
    }
}

extension ItemProblem {
    /// Whether a retry can fix this problem; see `RetryAdvice`.
    public var retryAdvice: RetryAdvice {
        if outcome == .skipped { return .skippedByPolicy }
        // Recorded without its metadata or tags: the next apply sets them.
        if recorded { return .retry }
        switch Self.httpStatus(in: message) {
        case 401, 403: return .permission
        case 404: return .notFound
        case 400, 409, 422: return .invalid
        default: return .retry
        }
    }

    /// The first HTTP status in `message`, written `HTTP 404` or `answered 404`.
    static func httpStatus(in message: String) -> Int? {
        for marker in ["HTTP ", "answered "] {
            var rest = Substring(message)
            while let range = rest.range(of: marker) {
                let digits = rest[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
                if digits.count == 3, let status = Int(digits) { return status }
                rest = rest[range.upperBound...]
            }
        }
        return nil
    }
}
