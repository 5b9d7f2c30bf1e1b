public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

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
    ///
    /// A symbolic link is written through (its target is replaced, the link stays). A device or
    /// a pipe (`--out /dev/stdout`, `/dev/null`) is written into as it is, never replaced by a
    /// file: run as root, replacing `/dev/null` would break the machine. A folder is refused.
    /// If SIGINT, SIGTERM or SIGHUP ends the process while the new file is written (a plan of a
    /// million actions takes seconds), the new file is removed first.
    /// - Throws: `PrivateFileError` when the file cannot be written; the error `produce` threw
    ///   (nothing is left behind then: the new file is removed and `path` is untouched).
    public static func write(to path: String, _ produce: (_ sink: (UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        var target = path
        var status = stat()
        if lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK {
            if let resolved = realpath(path, nil) {
                target = String(cString: resolved)
                free(resolved)
            } else if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                // A link to a file not made yet: made where the link points.
                target = destination.hasPrefix("/") ? destination
                    : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
            }
        }
        if stat(target, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw PrivateFileError(path: path, action: .write, reason: "it is a folder")
            default: return try writeInPlace(target, shownAs: path, produce)
            }
        }
        let directory = (target as NSString).deletingLastPathComponent
        let template = (directory.isEmpty ? "" : directory + "/") + ".\((target as NSString).lastPathComponent).XXXXXX"
        var name = Array(template.utf8CString)
        // mkstemp creates the file with mode 0600.
        let fd = mkstemp(&name)
        guard fd >= 0 else { throw PrivateFileError(path: path, action: .write, reason: String(cString: strerror(errno))) }
        let temporary = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let removal = TemporaryRemoval(temporary)
        defer { removal.end() }
        func discard() {
            close(fd)
            unlink(temporary)
        }
        fchmod(fd, fileMode)
        let failure: String?
        do {
            failure = try drain(produce, into: fd)
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
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PrivateFileError(path: path, action: .write, reason: reason)
        }
    }

    /// Into a device or a pipe, as a shell's `>` would: opened for writing, nothing created or replaced.
    private static func writeInPlace(_ target: String, shownAs path: String,
                                     _ produce: (_ sink: (UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        let fd = open(target, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PrivateFileError(path: path, action: .write, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        if let failure = try drain(produce, into: fd) { throw PrivateFileError(path: path, action: .write, reason: failure) }
    }

    /// Hands `produce` a sink writing to `fd`. The first write that fails ends the writing; its
    /// reason is returned once `produce` has returned (`nil`: all written).
    private static func drain(_ produce: (_ sink: (UnsafeRawBufferPointer) -> Void) throws -> Void, into fd: Int32) throws -> String? {
        var failure: String?
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
        return failure
    }
}

/// The new file `PrivateFile.write(to:)` is writing, removed if SIGINT, SIGTERM or SIGHUP ends
/// the process meanwhile. Only signals left at their default action (ending the process) are
/// taken over, for the time of the write: `apply`'s own SIGINT handling stays as it is.
private final class TemporaryRemoval {
    #if canImport(Glibc)
    private var taken: [(Int32, sigaction)] = []
    #endif

    init(_ path: String) {
        #if canImport(Glibc)
        temporaryBeingWritten.store(UInt(bitPattern: strdup(path)), ordering: .sequentiallyConsistent)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var old = sigaction()
            guard sigaction(signal, nil, &old) == 0, old.__sigaction_handler.sa_handler == nil else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = removeTemporaryAndDie
            sigemptyset(&action.sa_mask)
            if sigaction(signal, &action, nil) == 0 { taken.append((signal, old)) }
        }
        #endif
    }

    func end() {
        #if canImport(Glibc)
        for (signal, old) in taken {
            var old = old
            sigaction(signal, &old, nil)
        }
        free(UnsafeMutablePointer<CChar>(bitPattern: temporaryBeingWritten.exchange(0, ordering: .sequentiallyConsistent)))
        #endif
    }
}

#if canImport(Glibc)
/// The path's address (0: none), read by the signal handler: an atomic, not a lock, which a
/// handler must not take.
private let temporaryBeingWritten = Atomic<UInt>(0)

/// Removes the file being written, then ends the process by the signal, as its default action would.
private func removeTemporaryAndDie(_ signal: Int32) {
    if let path = UnsafeMutablePointer<CChar>(bitPattern: temporaryBeingWritten.load(ordering: .sequentiallyConsistent)) { unlink(path) }
    Glibc.signal(signal, SIG_DFL)
    raise(signal)
}
#endif

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

