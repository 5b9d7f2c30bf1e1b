public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Folders and files only their owner may read: the `.sbsync/` folder (0700), the state, saved
/// plans and the failures file (0600). They hold project names, paths and metadata. The modes
/// are exact whatever the umask; an existing folder is left as it is.
public enum PrivateFile {
    /// The mode of folders this creates.
    static let directoryMode: mode_t = 0o700
    /// The mode of files this writes.
    static let fileMode: mode_t = 0o600

    /// Creates the folder `path`, and any missing parent, with mode 0700.
    /// - Throws: `PrivateFileError` when a folder cannot be created.
    public static func createDirectory(atPath path: String) throws(PrivateFileError) {
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            guard mkdir(directory, directoryMode) == 0 || errno == EEXIST else {
                throw PrivateFileError(path: directory, action: .createDirectory, reason: String(cString: strerror(errno)))
            }
            // mkdir applies the umask, which may have narrowed the mode; make it exactly 0700.
            chmod(directory, directoryMode)
        }
    }

    /// Writes `data` to `path` with mode 0600, atomically: to a new file beside it, then
    /// renamed over it, so a reader sees the old file or the new one, and a file that was
    /// readable by others is replaced by one that is not.
    /// - Throws: `PrivateFileError` when the file cannot be written.
    public static func write(_ data: Data, to path: String) throws(PrivateFileError) {
        do {
            try write(to: path) { sink in data.withUnsafeBytes { sink($0) } }
        } catch let error as PrivateFileError {
            throw error
        } catch {
            throw PrivateFileError(path: path, action: .write, reason: "\(error)")  // unreachable: the body does not throw
        }
    }

    /// Writes what `produce` hands to its sink, piece by piece as it comes, to `path` with mode
    /// 0600, atomically as `write(_:to:)` does: a document of a million entries (a saved plan)
    /// goes to the disk in flat memory instead of being held whole first.
    /// - Throws: `PrivateFileError` when the file cannot be written; the error `produce` threw
    ///   (nothing is left behind then: the new file is removed and `path` is untouched).
    public static func write(to path: String, _ produce: (_ sink: (UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let template = (directory.isEmpty ? "" : directory + "/") + ".\((path as NSString).lastPathComponent).XXXXXX"
        var name = Array(template.utf8CString)
        // mkstemp creates the file with mode 0600.
        let fd = mkstemp(&name)
        guard fd >= 0 else { throw PrivateFileError(path: path, action: .write, reason: String(cString: strerror(errno))) }
        let temporary = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func discard() {
            close(fd)
            unlink(temporary)
        }
        fchmod(fd, fileMode)
        // The first write that fails ends the writing; its reason is reported once `produce` returns.
        var failure: String?
        do {
            try produce { bytes in
                var rest = bytes
                while failure == nil, !rest.isEmpty {
                    let written = posixWrite(fd, rest.baseAddress, rest.count)
                    if written < 0 {
                        if errno != EINTR { failure = String(cString: strerror(errno)) }
                    } else {
                        rest = UnsafeRawBufferPointer(rebasing: rest[written...])
                    }
                }
            }
        } catch {
            discard()
            throw error
        }
        if let failure {
            discard()
            throw PrivateFileError(path: path, action: .write, reason: failure)
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw PrivateFileError(path: path, action: .write, reason: reason)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PrivateFileError(path: path, action: .write, reason: reason)
        }
    }
}

/// `write(2)`, named apart from `PrivateFile.write`.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, bytes, count)
    #else
    Darwin.write(fd, bytes, count)
    #endif
}

/// A private folder or file that could not be made.
public struct PrivateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Action: Sendable, Equatable { case createDirectory, write }

    /// The folder or file.
    public var path: String
    public var action: Action
    /// The system's reason, e.g. `Permission denied`.
    public var reason: String

    public var description: String {
        switch action {
        case .createDirectory: "cannot create the folder '\(path)': \(reason)"
        case .write: "cannot write '\(path)': \(reason)"
        }
    }
}

