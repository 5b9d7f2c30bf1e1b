import Foundation
import SyncCLI
import SyncCore
import SyncYAML
import Testing
import TestSupport

/// Files under `directory` of the repository ending in `.yaml`, as repository-relative paths, sorted.
func manifests(in directory: String) -> [String] {
    let url = repositoryRoot.appendingPathComponent(directory)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory + "/" + $0 }
}

/// Output captured from a command run in process.
final class Captured: @unchecked Sendable {
    // @unchecked: written only from the synchronous command under test, read after it returns.
    var stdout = ""
    var stderr = ""

    var io: CommandIO {
        CommandIO(stdout: { [self] in stdout += $0 }, stderr: { [self] in stderr += $0 })
    }
}

/// The Python that has jsonschema: `$SBSYNC_PYTHON`, else `.venv/bin/python` of the repository.
func python() throws -> String {
    if let python = ProcessInfo.processInfo.environment["SBSYNC_PYTHON"], !python.isEmpty { return python }
    let venv = repositoryRoot.appendingPathComponent(".venv/bin/python").path
    if FileManager.default.isExecutableFile(atPath: venv) { return venv }
    Issue.record("no Python with jsonschema: set SBSYNC_PYTHON or run `make python-deps`")
    throw CancellationError()
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` in the repository root and collects its output.
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while the process runs, so a full pipe cannot block it.
    nonisolated(unsafe) var errData = Data()
    let errReaderDone = DispatchSemaphore(value: 0)
    Thread { errData = err.fileHandleForReading.readDataToEndOfFile(); errReaderDone.signal() }.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    errReaderDone.wait()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// The built `sbsync` binary: next to the test bundle, else in `.build/debug`.
func sbsyncBinary() throws -> String {
    var candidates: [URL] = []
    if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    candidates.append(repositoryRoot.appendingPathComponent(".build/debug"))
    for directory in candidates {
        let path = directory.appendingPathComponent("sbsync").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    Issue.record("sbsync binary not found next to the tests; build it first (`swift build`)")
    throw CancellationError()
}

/// A YAML node as the JSON value a YAML 1.2 loader would give (for the schema checks).
func jsonValue(_ node: YAMLNode) -> Any {
    switch node.kind {
    case .sequence: return node.items.map(jsonValue)
    case .mapping:
        var object: [String: Any] = [:]
        for (key, value) in node.pairs { object[key.text] = jsonValue(value) }
        return object
    case .scalar:
        switch node.value {
        case .null, nil: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .float(let d): return d.isFinite ? d : "\(d)"  // JSON has no NaN or infinity
        case .string(let s): return s
        }
    }
}
