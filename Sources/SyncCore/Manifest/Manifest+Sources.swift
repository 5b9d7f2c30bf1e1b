import SyncYAML

extension Manifest {
    /// Adds a table's rows: `drs` entries after the others, volume files to their group.
    public mutating func add(_ entries: TableEntries, of table: TableSource) {
        switch table.kind {
        case .drs:
            if drs.isEmpty { drs = entries.drs } else { drs += entries.drs }
        case .volume(let group):
            if volumes[group].files.isEmpty { volumes[group].files = entries.files } else { volumes[group].files += entries.files }
        }
    }

    /// Adds a file's name to `sourceFiles`; returns its `origin`.
    public mutating func addSourceFile(_ name: String) -> Int {
        sourceFiles.append(name)
        return sourceFiles.count - 1
    }

    /// Adds what an included manifest declares: its entries, tables and includes, with
    /// `origin` naming its file; its `project` is the default of its own entries only.
    public mutating func include(_ other: Manifest, origin: Int) {
        let groupOffset = volumes.count
        for var group in other.volumes {
            // The included file's project is its groups' default: their own `project`, then
            // its files' (and listed objects'), win over it.
            group.origin = origin
            if group.project == nil { group.project = other.project }
            for i in group.files.indices { group.files[i].origin = origin }
            volumes.append(group)
        }
        var added = other.drs
        for i in added.indices {
            added[i].origin = origin
            if added[i].project == nil { added[i].project = other.project }
        }
        drs += added
        for var table in other.tables {
            table.origin = origin
            if case .volume(let g) = table.kind {
                table.kind = .volume(group: g + groupOffset)  // its rows take their group's project
            } else if table.project == nil {
                table.project = other.project
            }
            tables.append(table)
        }
        for var item in other.includes {
            item.origin = origin
            includes.append(item)
        }
    }
}

/// Paths of tables and included manifests: relative to the declaring manifest's folder, and
/// inside the repository unless allowed. Pure string work; the loader resolves links.
public enum SourcePath {
    /// `path` joined to `folder` ("" = the working directory), `.` and `..` segments resolved.
    public static func join(_ folder: String, _ path: String) -> String {
        let combined = path.hasPrefix("/") ? path : (folder.isEmpty ? path : folder + "/" + path)
        let absolute = combined.hasPrefix("/")
        var segments: [Substring] = []
        var ups = 0
        for segment in combined.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if segments.isEmpty { ups += 1 } else { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        let body = (Array(repeating: Substring(".."), count: absolute ? 0 : ups) + segments).joined(separator: "/")
        return absolute ? "/" + body : (body.isEmpty ? "." : body)
    }

    /// The folder part of a path ("" when it has none).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether `path` (absolute, resolved) is `root` or under it.
    public static func isInside(_ path: String, root: String) -> Bool {
        if root == "/" { return true }
        return path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}
