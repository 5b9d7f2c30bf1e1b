import Foundation
@testable import SyncState
import Testing
import TestSupport

@Suite("Private files: written whole, 0600, never over a device")
struct PrivateFileTests {
    @Test("a regular file is replaced whole with mode 0600; a failing producer leaves the old file and no new one")
    func regular() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("p.plan").path
            try Data("old".utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o644)
            try PrivateFile.write(to: path) { sink in for piece in ["a", "b", "c"] { Array(piece.utf8).withUnsafeBytes(sink) } }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "abc")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
            struct Stop: Error {}
            #expect(throws: Stop.self) { try PrivateFile.write(to: path) { sink in Array("x".utf8).withUnsafeBytes(sink); throw Stop() } }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "abc")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["p.plan"])
        }
    }

    @Test("a symbolic link is written through (the link stays); a device is written into, not replaced; a folder is refused")
    func notRegular() throws {
        try withTemporaryDirectory { dir in
            let target = dir.appendingPathComponent("real.plan").path, link = dir.appendingPathComponent("link.plan").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            try PrivateFile.write(Data("through".utf8), to: link)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "through")
            try PrivateFile.write(Data("again".utf8), to: link)  // the target exists now
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "again")

            // /dev/null itself: run as root, replacing it with a file would break the machine.
            try PrivateFile.write(Data("gone".utf8), to: "/dev/null")
            var status = stat()
            #expect(stat("/dev/null", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)
            let full = #expect(throws: PrivateFileError.self) { try PrivateFile.write(Data("x".utf8), to: "/dev/full") }
            #expect(full?.reason.contains("space") == true, "\(String(describing: full))")
            #expect(stat("/dev/full", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)

            let folder = #expect(throws: PrivateFileError.self) { try PrivateFile.write(Data("x".utf8), to: dir.path) }
            #expect(folder?.reason == "it is a folder")
        }
    }
}
