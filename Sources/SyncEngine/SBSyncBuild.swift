import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This sbsync: the version `sbsync --version` prints, and the identity of the executable.
public enum SBSyncBuild {
    public static let version = "0.1.0"

    /// The version with the executable's stamp (size, times, inode): another build (a
    /// rebuild, an upgrade, a teammate's binary) has another, so what one build worked out
    /// (an `InSyncNote`) is never trusted by another. An executable that cannot be found gives
    /// an identity of this process alone.
    static let identity: String = {
        #if os(Linux)
        let path = "/proc/self/exe"
        #else
        let path = Bundle.main.executablePath ?? ""
        #endif
        guard let stamp = InSyncNote.Stamp(path) else { return "\(version) process \(UUID().uuidString)" }
        return "\(version) \(stamp.text)"
    }()
}
