public import SyncYAML

/// Every file the manifest wants, by address, defaults applied.
///
/// Order is deterministic: explicit entries in manifest order (volume groups' `files`, then
/// `drs`), then objects found under prefixes (in prefix order, locations sorted). Use
/// `sortedByAddress` when output should follow addresses instead.
public struct DesiredState: Sendable {
    /// The files, in the order above.
    public private(set) var files: [DesiredFile]
    /// Prefixes that were not expanded because no listing was given for them (offline runs).
    public private(set) var unexpandedPrefixes: [PrefixReference]
    private var index: [Address: Int]

    init(files: [DesiredFile], index: [Address: Int], unexpandedPrefixes: [PrefixReference]) {
        self.files = files
        self.index = index
        self.unexpandedPrefixes = unexpandedPrefixes
    }

    /// An empty state.
    public init() {
        self.init(files: [], index: [:], unexpandedPrefixes: [])
    }

    public var count: Int { files.count }
    public var isEmpty: Bool { files.isEmpty }

    /// The desired file at `address`, if any.
    public subscript(address: Address) -> DesiredFile? {
        index[address].map { files[$0] }
    }

    /// Whether every prefix was expanded, so the state is the manifest's whole wish.
    public var isComplete: Bool { unexpandedPrefixes.isEmpty }

    /// The files sorted by address.
    public var sortedByAddress: [DesiredFile] {
        files.sorted { $0.address < $1.address }
    }

    /// Counts for a one-line summary.
    public var summary: Summary {
        var summary = Summary()
        var projects = Set<String>()
        var lastProject: String?
        for file in files {
            switch file.source.kind {
            case .volume: summary.volumeFiles += 1
            case .drs: summary.drsFiles += 1
            }
            if file.address.project != lastProject {
                projects.insert(file.address.project)
                lastProject = file.address.project
            }
        }
        summary.projects = projects.count
        summary.unexpandedPrefixes = unexpandedPrefixes.count
        return summary
    }

    public struct Summary: Sendable, Hashable {
        public var volumeFiles = 0
        public var drsFiles = 0
        public var projects = 0
        public var unexpandedPrefixes = 0
        public var files: Int { volumeFiles + drsFiles }

        public init(volumeFiles: Int = 0, drsFiles: Int = 0, projects: Int = 0, unexpandedPrefixes: Int = 0) {
            self.volumeFiles = volumeFiles
            self.drsFiles = drsFiles
            self.projects = projects
            self.unexpandedPrefixes = unexpandedPrefixes
        }
    }
}

/// What expansion gave: the desired state as far as it could be built, and every problem.
public struct ManifestExpansion: Sendable {
    public var state: DesiredState
    public var diagnostics: [Diagnostic]

    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
}

extension Manifest {
    /// Expands the manifest into the desired state: defaults applied, folders and names
    /// resolved, prefixes expanded from `listings`.
    ///
    /// Defaults: tags are `defaults.tags` then the entry's, de-duplicated; metadata is
    /// `defaults.metadata` with the entry's laid over it; the policy is the entry's, else the
    /// default's, else `skip`; the folder is the entry's, else its group's, else the root; the
    /// project is the entry's, else the manifest's (an error when neither is set).
    ///
    /// Objects under a prefix land in the prefix's folder (else the group's) plus their path
    /// below the prefix. An explicit `files` entry for the same object and address wins over
    /// the prefix; any other two entries on one address are an error naming both lines.
    ///
    /// - Parameter listings: the listed prefixes; a prefix missing here is left unexpanded and
    ///   reported in `DesiredState.unexpandedPrefixes` (pass `nil` offline).
    /// - Returns: the state and every problem, in source order.
    public func expand(listings: PrefixListings? = nil) -> ManifestExpansion {
        var expander = Expander(manifest: self)
        expander.run(listings: listings)
        return expander.result()
    }

    /// Expands, and throws when anything is wrong.
    /// - Throws: `ManifestError` with every problem, in source order.
    public func desiredState(listings: PrefixListings? = nil) throws(ManifestError) -> DesiredState {
        let expansion = expand(listings: listings)
        guard expansion.isValid else { throw ManifestError(diagnostics: expansion.diagnostics) }
        return expansion.state
    }
}

private struct Expander {
    let manifest: Manifest
    var files: [DesiredFile] = []
    /// Where each file's entry is declared (the prefix's mark for listed objects).
    var origins: [SourceMark] = []
    var index: [Address: Int] = [:]
    var unexpanded: [PrefixReference] = []
    var diagnostics: [Diagnostic] = []
    let defaultPolicy: ConflictPolicy

    init(manifest: Manifest) {
        self.manifest = manifest
        self.defaultPolicy = manifest.defaults.conflict ?? .skip
    }

    mutating func run(listings: PrefixListings?) {
        let count = manifest.volumes.reduce(0) { $0 + $1.files.count } + manifest.drs.count
        files.reserveCapacity(count)
        origins.reserveCapacity(count)
        index.reserveCapacity(count)

        for group in manifest.volumes {
            for file in group.files {
                guard let project = project(file.project, at: file.mark) else { continue }
                let name = file.name.map { $0[...] } ?? Manifest.lastSegmentSlice(of: file.location)
                let address = Address(project: project, path: Self.path(file.folder ?? group.folder, name))
                add(DesiredFile(address: address, source: .volume(volume: group.volume, location: file.location),
                                metadata: manifest.defaults.metadata.merging(file.metadata),
                                tags: tags(file.tags), policy: file.conflict ?? defaultPolicy, mark: file.mark),
                    origin: file.mark, fromListing: false)
            }
        }
        for entry in manifest.drs {
            guard let project = project(entry.project, at: entry.mark) else { continue }
            let address = Address(project: project, path: Self.path(entry.folder, entry.name))
            add(DesiredFile(address: address, source: .drs(uri: entry.uri),
                            metadata: manifest.defaults.metadata.merging(entry.metadata),
                            tags: tags(entry.tags), policy: entry.conflict ?? defaultPolicy, mark: entry.mark),
                origin: entry.mark, fromListing: false)
        }
        for reference in manifest.prefixes {
            let group = manifest.volumes[reference.group]
            let prefix = group.prefixes[reference.index]
            guard let project = project(nil, at: prefix.mark) else { continue }
            guard let locations = listings?[reference] else {
                unexpanded.append(reference)
                continue
            }
            let base = prefix.folder ?? group.folder ?? ""
            for location in locations.sorted() where prefix.includes(location: location) {
                // Keys ending in '/' are folder placeholders some storage consoles create.
                if location.utf8.last == UInt8(ascii: "/") { continue }
                let relative = String(location.utf8.dropFirst(prefix.prefix.utf8.count))!
                let name = Manifest.lastSegment(of: relative)
                var folder = base
                if let slash = relative.utf8.lastIndex(of: UInt8(ascii: "/")) {
                    let below = String(relative[..<slash])
                    folder = folder.isEmpty ? below : folder + "/" + below
                }
                if let problem = ManifestValidation.name(name) ?? ManifestValidation.folder(folder) {
                    report(.listedObjectUnplaceable(location: location, prefix: prefix.prefix,
                                                    reason: ManifestProblem.unplaceableReason(problem)), at: prefix.mark)
                    continue
                }
                let address = Address(project: project, path: Self.path(folder, name))
                add(DesiredFile(address: address, source: .volume(volume: group.volume, location: location),
                                metadata: manifest.defaults.metadata, tags: manifest.defaults.tags,
                                policy: defaultPolicy, mark: nil),
                    origin: prefix.mark, fromListing: true)
            }
        }
    }

    func result() -> ManifestExpansion {
        ManifestExpansion(state: DesiredState(files: files, index: index, unexpandedPrefixes: unexpanded),
                          diagnostics: Diagnostic.inSourceOrder(diagnostics))
    }

    private mutating func add(_ file: DesiredFile, origin: SourceMark, fromListing: Bool) {
        let position = files.count
        if let existing = index.updateValue(position, forKey: file.address) {
            index[file.address] = existing
            let first = files[existing]
            // The same object reached twice (an explicit entry and a prefix, or two prefixes):
            // the first wins, and that is not a conflict.
            if fromListing && first.source == file.source { return }
            report(.duplicateAddress(file.address, first: origins[existing], sameEntry: origins[existing] == origin), at: origin)
            return
        }
        files.append(file)
        origins.append(origin)
    }

    private mutating func project(_ own: String?, at mark: SourceMark) -> String? {
        if let project = own ?? manifest.project { return project }
        report(.missingProject, at: mark)
        return nil
    }

    private func tags(_ own: [String]) -> [String] {
        let defaults = manifest.defaults.tags
        if own.isEmpty { return defaults }
        if defaults.isEmpty && own.count == 1 { return own }
        return ManifestDecoder.unique(defaults + own)
    }

    private mutating func report(_ problem: ManifestProblem, at mark: SourceMark) {
        diagnostics.append(problem.diagnostic(file: manifest.file, mark: mark))
    }

    /// `folder/name` in one allocation.
    static func path(_ folder: String?, _ name: some StringProtocol) -> String {
        guard let folder, !folder.isEmpty else { return String(name) }
        var path = ""
        path.reserveCapacity(folder.utf8.count + 1 + name.utf8.count)
        path += folder
        path += "/"
        path += name
        return path
    }
}
