public import Foundation
import SyncCore
import SyncYAML

/// Reading a file the user named, never past a limit: `-f /dev/zero` or an endless pipe must
/// not grow without end (the YAML parser stops them the same way).
public enum BoundedFile {
    /// The largest manifest or saved plan read: the YAML layer's input limit.
    public static let limit = YAMLLimits.default.maxInputBytes

    /// Why a file could not be read.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case unreadable(path: String)
        case tooLarge(path: String, limit: Int)

        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read '\(path)'"
            case .tooLarge(let path, let limit): "'\(path)' goes on past the limit of \(limit) bytes"
            }
        }
    }

    /// Feeds the file's bytes to `body` in chunks; stops past `limit`.
    static func forEachChunk(of path: String, limit: Int = limit, _ body: (Data) -> Void) throws(Failure) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path: path) }
        defer { try? handle.close() }
        var total = 0
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw .unreadable(path: path)
            }
            if chunk.isEmpty { return }
            total += chunk.count
            if total > limit { throw .tooLarge(path: path, limit: limit) }
            body(chunk)
        }
    }

    /// The whole file, when it is within `limit`.
    public static func contents(of path: String, limit: Int = limit) throws(Failure) -> Data {
        var data = Data()
        try forEachChunk(of: path, limit: limit) { data.append($0) }
        return data
    }

    /// A saved plan's bytes. A regular file is read whole whatever its size (a plan of a
    /// million actions passes the manifest's limit of 1 GiB, and its size is known); anything
    /// else (a pipe, a device) stops at `limit`, as a manifest does.
    public static func planContents(of path: String, limit: Int = limit) throws(Failure) -> Data {
        var status = stat()
        let size = stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : nil
        var data = Data(capacity: size ?? 0)
        // Growing while read is allowed a little; a file that keeps growing is not a plan.
        try forEachChunk(of: path, limit: size.map { max(limit, $0 + (1 << 20)) } ?? limit) { data.append($0) }
        return data
    }

    /// The file's SHA-256 (lower-case hex), read in chunks, when it is within `limit`.
    public static func sha256(of path: String, limit: Int = limit) throws(Failure) -> String {
        var fingerprint = SavedPlan.Fingerprint()
        try forEachChunk(of: path, limit: limit) { fingerprint.update($0) }
        return fingerprint.hex
    }
}
