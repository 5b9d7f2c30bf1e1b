import Foundation

/// The Python that has sevenbridges-python and jsonschema: `$SBSYNC_PYTHON` (which `make test`
/// points at the repository's `.venv`), else `.venv/bin/python` of the repository; nil when neither.
public func sbsyncPython() -> String? {
    if let path = ProcessInfo.processInfo.environment["SBSYNC_PYTHON"], !path.isEmpty { return path }
    let venv = repositoryRoot.appendingPathComponent(".venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
}

/// Runs `executable arguments` to the end without blocking a thread; returns its exit status
/// and its standard output and error together (through a scratch file, so a long output cannot
/// fill a pipe).
public func runToEnd(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let scratch = TemporaryDirectory()
    defer { withExtendedLifetime(scratch) {} }
    let log = scratch.url.appendingPathComponent("output.log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = handle
    process.standardError = handle
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    try handle.close()
    return (status, try String(contentsOf: log, encoding: .utf8))
}
