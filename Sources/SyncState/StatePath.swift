import Foundation

/// Where a manifest's state file lives by default.
public enum StatePath {
    /// The directory, beside the manifest, that holds state files and their backups.
    public static let directoryName = ".sbsync"

    /// `DIR/cohort.yaml` → `DIR/.sbsync/cohort.state`: the manifest's name without its
    /// `.yaml`/`.yml` extension, in a `.sbsync` directory beside it. SQLite keeps its
    /// `-wal` and `-shm` files and migration backups (`.v0.bak`) in the same directory, so one
    /// `.gitignore` line (`.sbsync/`) covers them all.
    public static func defaultPath(forManifest manifest: String) -> String {
        let parent = (manifest as NSString).deletingLastPathComponent
        var name = (manifest as NSString).lastPathComponent
        for ext in [".yaml", ".yml", ".YAML", ".YML"] where name.hasSuffix(ext) && name.count > ext.count {
            name.removeLast(ext.count)
            break
        }
        let file = "\(directoryName)/\(name).state"
        return parent.isEmpty ? file : "\(parent)/\(file)"
    }

    /// The default PostgreSQL workspace of `manifest`: its path in its git repository (the
    /// folder holding `.git` above it), e.g. `cohorts/tcga.yaml`, so every clone of one repository
    /// shares one workspace per manifest; just its file name outside a repository.
    public static func workspaceName(forManifest manifest: String) -> String {
        let absolute = URL(fileURLWithPath: manifest).standardizedFileURL.path
        var directory = (absolute as NSString).deletingLastPathComponent
        while !directory.isEmpty, directory != "/" {
            if FileManager.default.fileExists(atPath: directory + "/.git") {
                return String(absolute.dropFirst(directory.count + 1))
            }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return (absolute as NSString).lastPathComponent
    }
}
