public import Foundation

/// Opens a state by its location: a `postgres://` URL (`PostgresStateStore`) or a file path
/// (`StateStore`). The one place that knows which backends exist.
public enum StateBackends {
    /// Opens the state at `location`, creating it when missing and `create` is true.
    /// - Returns: the store, and whether this call created it.
    /// - Throws: `StateError` (never showing a password).
    public static func open(_ location: String, create: Bool,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(StateError) -> (store: any StateBackend, created: Bool) {
        if PostgresLocation.isPostgres(location) {
            let parsed = try PostgresLocation.parse(location, environment: environment)
            if create {
                do {
                    return (try PostgresStateStore.open(parsed, create: false), false)
                } catch .notFound {
                    return (try PostgresStateStore.open(parsed, create: true), true)
                }
            }
            return (try PostgresStateStore.open(parsed, create: false), false)
        }
        let existed = FileManager.default.fileExists(atPath: location)
        return (try StateStore.open(at: location, create: create), !existed)
    }

    /// Opens the existing state at `location`.
    public static func open(_ location: String) throws(StateError) -> any StateBackend {
        try open(location, create: false).store
    }

    /// `location` fit to print (a URL's password left out).
    public static func display(_ location: String) -> String {
        PostgresLocation.redacted(location)
    }
}
