/// Where a desired file lands: `PROJECT:PATH`, e.g. `rfranklin/my-project:raw/s1/s1_R1.fastq.gz`.
/// The plan, the state and every message use it as the file's identity.
public struct Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// `owner/slug`.
    public var project: String
    /// Folder segments and the file name joined by `/`; never starts or ends with `/`.
    public var path: String

    public init(project: String, path: String) {
        self.project = project
        self.path = path
    }

    /// Parses `owner/slug:path`; `nil` when there is no `:` or either side is empty.
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let project = String(text[..<colon]), path = String(text[text.index(after: colon)...])
        guard !project.isEmpty, !path.isEmpty else { return nil }
        self.init(project: project, path: path)
    }

    /// The folder path ("" for the project root).
    public var folder: String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// The last path segment: the file name the manifest asked for.
    public var name: String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public var description: String { project + ":" + path }

    public static func < (a: Address, b: Address) -> Bool {
        a.project != b.project ? a.project < b.project : a.path < b.path
    }
}

/// What to do when the destination name is taken by a file sbsync does not manage.
public enum ConflictPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    case skip, overwrite, rename
}

/// Where a file's content comes from.
public enum FileSource: Hashable, Sendable, Codable, CustomStringConvertible {
    /// An object of a cloud-storage volume: volume id `owner/name` and the object's location.
    case volume(volume: String, location: String)
    /// A GA4GH DRS URI, as written in the manifest.
    case drs(uri: String)

    public var kind: Kind {
        switch self {
        case .volume: .volume
        case .drs: .drs
        }
    }

    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case volume, drs
    }

    /// `volume rfranklin/input:fastq/s1.fq` or the DRS URI itself.
    public var description: String {
        switch self {
        case .volume(let volume, let location): "volume \(volume):\(location)"
        case .drs(let uri): uri
        }
    }
}
