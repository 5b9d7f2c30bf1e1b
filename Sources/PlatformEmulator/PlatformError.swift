/// An error as the platform reports it: `{status, code, message, more_info}` (platform-api.md §5).
struct PlatformError: Error, Sendable, Equatable {
    let status: Int
    let code: Int
    let message: String

    var json: JSONValue {
        [
            "status": .int(status), "code": .int(code), "message": .string(message),
            "more_info": "https://docs.sevenbridges.com/reference#api-status-codes",
        ]
    }

    static func badRequest(_ message: String, code: Int = 9011) -> PlatformError {
        PlatformError(status: 400, code: code, message: message)
    }
    static let unauthorized = PlatformError(status: 401, code: 90001, message: "Unauthorized: missing or unknown auth token.")
    static func notFound(_ message: String, code: Int = 90003) -> PlatformError {
        PlatformError(status: 404, code: code, message: message)
    }
    static func rateLimited() -> PlatformError {
        PlatformError(status: 429, code: 1000, message: "Rate limit exceeded! Please check response headers for rate limit information.")
    }
    static let methodNotAllowed = PlatformError(status: 405, code: 90006, message: "Method not allowed.")
    static func projectNotFound(_ id: String) -> PlatformError {
        PlatformError(status: 404, code: 3002, message: "Project '\(id)' does not exist.")
    }
    static func fileNotFound(_ id: String) -> PlatformError {
        PlatformError(status: 404, code: 5002, message: "Requested file '\(id)' does not exist.")
    }
    static func volumeNotFound(_ id: String) -> PlatformError {
        PlatformError(status: 404, code: 9007, message: "Volume '\(id)' does not exist.")
    }
    static func locationNotFound(_ location: String) -> PlatformError {
        PlatformError(status: 404, code: 9105, message: "Location '\(location)' on volume not found.")
    }
    static func jobNotFound(_ id: String) -> PlatformError {
        PlatformError(status: 404, code: 9008, message: "Import job '\(id)' does not exist.")
    }
    static let injectedUnavailable = PlatformError(status: 503, code: 90005, message: "Service unavailable (injected fault).")
    static let injectedServerError = PlatformError(status: 500, code: 90004, message: "Unexpected server error (injected fault).")
    static let injectedItemFailure = PlatformError(status: 503, code: 9000, message: "Error communicating with the storage service (injected item fault).")
}
