public import SyncYAML

/// A decoded, validated manifest (version 1): the typed form of `sbsync.yaml`.
///
/// Built by `ManifestDecoder` from a YAML node tree; every field that names a place in the
/// source keeps its `SourceMark` so later stages (expansion, plan) can point at the line.
/// Optional fields are `nil` when the manifest left them out, so defaults are applied in one
/// place: `Manifest.expand(listings:)`.
public struct Manifest: Sendable, Hashable {
    /// The manifest file as the user named it (for diagnostics).
    public var file: String
    /// The manifest language version; always 1 today.
    public var version: Int
    /// The default destination project (`owner/slug`).
    public var project: String?
    public var defaults: Defaults
    public var volumes: [VolumeGroup]
    public var drs: [DRSEntry]
    /// Tables of files (`from:`, `files_from:`), in manifest order; their rows are added to
    /// `drs` and the groups' `files` by the loader (`adding(_:)`), which reads the files.
    public var tables: [TableSource] = []
    /// `include:` items, as written, not yet read.
    public var includes: [Include] = []
    /// The files entries come from, by `origin`: the manifest itself first, then included
    /// manifests and tables as the loader reads them (names for diagnostics).
    public var sourceFiles: [String]

    /// One item of `include:`.
    public struct Include: Sendable, Hashable {
        public var path: String
        public var mark: SourceMark
        public var origin: Int

        public init(path: String, mark: SourceMark, origin: Int = 0) {
            self.path = path
            self.mark = mark
            self.origin = origin
        }
    }

    public init(file: String, version: Int = 1, project: String? = nil, defaults: Defaults = Defaults(),
                volumes: [VolumeGroup] = [], drs: [DRSEntry] = []) {
        self.file = file
        self.version = version
        self.project = project
        self.defaults = defaults
        self.volumes = volumes
        self.drs = drs
        self.sourceFiles = [file]
    }

    /// `defaults:`: applied to every entry that does not set its own value.
    public struct Defaults: Sendable, Hashable {
        /// The conflict policy; `nil` means `skip`.
        public var conflict: ConflictPolicy?
        /// Tags put before every entry's own tags.
        public var tags: [String]
        /// Metadata every entry's own metadata is laid over.
        public var metadata: Metadata

        public init(conflict: ConflictPolicy? = nil, tags: [String] = [], metadata: Metadata = Metadata()) {
            self.conflict = conflict
            self.tags = tags
            self.metadata = metadata
        }
    }

    /// One item of `volumes:`: files and prefixes of one cloud-storage volume.
    public struct VolumeGroup: Sendable, Hashable {
        /// Volume id, `owner/name`.
        public var volume: String
        /// Destination folder for the group's files and prefixes ("" = project root); `nil` = root.
        public var folder: String?
        /// Destination project of the group's files and listed objects; `nil` = the manifest's.
        public var project: String?
        /// Conflict policy of the group's files and listed objects; `nil` = `defaults.conflict`.
        public var conflict: ConflictPolicy?
        /// Tags of every file of the group, after `defaults.tags` and before each file's own.
        public var tags: [String] = []
        /// Metadata of every file of the group, over `defaults.metadata` and under each file's own.
        public var metadata = Metadata()
        public var files: [VolumeFile]
        public var prefixes: [VolumePrefix]
        public var mark: SourceMark
        /// Index into `Manifest.sourceFiles` of the file `mark` is in.
        public var origin = 0

        public init(volume: String, folder: String? = nil, project: String? = nil, conflict: ConflictPolicy? = nil,
                    tags: [String] = [], metadata: Metadata = Metadata(),
                    files: [VolumeFile] = [], prefixes: [VolumePrefix] = [], mark: SourceMark) {
            self.volume = volume
            self.folder = folder
            self.project = project
            self.conflict = conflict
            self.tags = tags
            self.metadata = metadata
            self.files = files
            self.prefixes = prefixes
            self.mark = mark
        }
    }

    /// One item of a group's `files:`: one object of the volume.
    public struct VolumeFile: Sendable, Hashable {
        /// The object's location (key) in the volume.
        public var location: String
        /// The destination file name; `nil` = the last segment of `location`.
        public var name: String?
        /// Destination folder; `nil` = the group's folder.
        public var folder: String?
        /// Destination project; `nil` = the manifest's `project`.
        public var project: String?
        public var metadata: Metadata
        public var tags: [String]
        public var conflict: ConflictPolicy?
        /// Where the entry starts.
        public var mark: SourceMark
        /// Index into `Manifest.sourceFiles` of the file `mark` is in.
        public var origin = 0

        public init(location: String, name: String? = nil, folder: String? = nil, project: String? = nil,
                    metadata: Metadata = Metadata(), tags: [String] = [], conflict: ConflictPolicy? = nil,
                    mark: SourceMark) {
            self.location = location
            self.name = name
            self.folder = folder
            self.project = project
            self.metadata = metadata
            self.tags = tags
            self.conflict = conflict
            self.mark = mark
        }

        /// The file name it lands under: `name`, else the last segment of `location`.
        public var effectiveName: String {
            if let name { return name }
            return Manifest.lastSegment(of: location)
        }
    }

    /// One item of a group's `prefixes:`: every object under a prefix, found by listing the volume.
    public struct VolumePrefix: Sendable, Hashable {
        /// "" (the whole volume) or a path ending with `/`.
        public var prefix: String
        /// Globs matched against the part of each location after the prefix; empty = everything.
        public var include: [Glob]
        /// Destination folder; `nil` = the group's folder. Sub-folders under the prefix are kept.
        public var folder: String?
        public var mark: SourceMark

        public init(prefix: String, include: [Glob] = [], folder: String? = nil, mark: SourceMark) {
            self.prefix = prefix
            self.include = include
            self.folder = folder
            self.mark = mark
        }

        /// Whether an object at `location` (under `prefix`) is taken.
        public func includes(location: String) -> Bool {
            guard location.hasPrefix(prefix) else { return false }
            if include.isEmpty { return true }
            let relative = location.utf8.dropFirst(prefix.utf8.count)
            return include.contains { $0.matches(relative) }
        }
    }

    /// One item of `drs:`: a GA4GH DRS object.
    public struct DRSEntry: Sendable, Hashable {
        /// `drs://host/id` or `drs://[provider/]namespace:accession`.
        public var uri: String
        /// The destination file name. Required: an offline tool cannot know the DRS object's name.
        public var name: String
        public var folder: String?
        public var project: String?
        public var metadata: Metadata
        public var tags: [String]
        public var conflict: ConflictPolicy?
        public var mark: SourceMark
        /// Index into `Manifest.sourceFiles` of the file `mark` is in.
        public var origin = 0

        public init(uri: String, name: String, folder: String? = nil, project: String? = nil,
                    metadata: Metadata = Metadata(), tags: [String] = [], conflict: ConflictPolicy? = nil,
                    mark: SourceMark) {
            self.uri = uri
            self.name = name
            self.folder = folder
            self.project = project
            self.metadata = metadata
            self.tags = tags
            self.conflict = conflict
            self.mark = mark
        }
    }

    /// Every prefix of the manifest with the volume it belongs to, in manifest order.
    public var prefixes: [PrefixReference] {
        var result: [PrefixReference] = []
        for (g, group) in volumes.enumerated() {
            for (p, prefix) in group.prefixes.enumerated() {
                result.append(PrefixReference(group: g, index: p, volume: group.volume, prefix: prefix.prefix, mark: prefix.mark))
            }
        }
        return result
    }

    static func lastSegment(of location: String) -> String {
        guard let slash = location.utf8.lastIndex(of: UInt8(ascii: "/")) else { return location }
        return String(location[location.utf8.index(after: slash)...])
    }

    static func lastSegmentSlice(of location: String) -> Substring {
        guard let slash = location.utf8.lastIndex(of: UInt8(ascii: "/")) else { return location[...] }
        return location[location.utf8.index(after: slash)...]
    }
}

/// A `prefixes:` item, by position, with what a listing needs.
public struct PrefixReference: Sendable, Hashable {
    /// Index into `Manifest.volumes`.
    public var group: Int
    /// Index into that group's `prefixes`.
    public var index: Int
    public var volume: String
    public var prefix: String
    public var mark: SourceMark
}

/// The keys each section of the manifest accepts: the decoder's vocabulary, as data, so a test
/// can hold it against `schemas/manifest.schema.json` and suggestions come from one list.
public enum ManifestKeys {
    /// Top-level keys starting with this are extension fields, ignored: a place to define anchors.
    public static let extensionPrefix = "x-"

    public static let root = ManifestDecoder.RootKey.allCases.map(\.rawValue)
    public static let defaults = ManifestDecoder.DefaultsKey.allCases.map(\.rawValue)
    public static let volumeGroup = ManifestDecoder.GroupKey.allCases.map(\.rawValue)
    public static let volumeFile = ManifestDecoder.FileKey.allCases.map(\.rawValue)
    public static let volumePrefix = ManifestDecoder.PrefixKey.allCases.map(\.rawValue)
    public static let drsEntry = ManifestDecoder.DRSKey.allCases.map(\.rawValue)
    public static let columns = ManifestDecoder.ColumnsKey.allCases.map(\.rawValue)

    /// Section name (as the schema's `$defs` calls it) → accepted keys.
    public static let bySection: [(section: String, keys: [String])] = [
        ("root", root), ("defaults", defaults), ("volumeGroup", volumeGroup),
        ("volumeFile", volumeFile), ("volumePrefix", volumePrefix), ("drsEntry", drsEntry),
        ("columns", columns),
    ]
}
