public import Foundation
import Testing

/// Runs `body` with a new, empty directory under the temporary directory (`$TMPDIR`), and
/// removes the directory and everything in it when `body` returns or throws.
/// - Returns: what `body` returns.
public func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let directory = TemporaryDirectory()
    return try withExtendedLifetime(directory) { try body(directory.url) }
}

/// `withTemporaryDirectory(_:)` for async work.
public func withTemporaryDirectory<R>(isolation: isolated (any Actor)? = #isolation,
                                      _ body: (URL) async throws -> R) async throws -> R {
    let directory = TemporaryDirectory()
    defer { withExtendedLifetime(directory) {} }
    return try await body(directory.url)
}

/// A new, empty directory under the temporary directory, removed with everything in it when
/// the last reference goes (ARC: at a known point, when the test or fixture holding it ends).
/// For a fixture or suite that keeps one directory for a whole test; elsewhere prefer
/// `withTemporaryDirectory`.
public final class TemporaryDirectory: Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() {
        // Named after the test that made it, so anything left behind says where it came from.
        let test = String((Test.current?.name ?? "").map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(40))
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sbsync-test-\(test)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            fatalError("cannot create a temporary directory at \(url.path): \(error)")
        }
    }

    /// The path of `name` (which may hold `/`) inside the directory.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        // A process the test started may still be closing files in it: try again if a file
        // appeared while the folder was being emptied.
        for _ in 0..<3 {
            do {
                try FileManager.default.removeItem(at: url)
                return
            } catch {
                if !FileManager.default.fileExists(atPath: url.path) { return }
            }
        }
    }
}
