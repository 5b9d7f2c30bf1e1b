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
    private var index: AddressIndex
    /// Each file's spec digest, when `withSpecDigests()` worked them out ahead.
    private(set) var specDigests: SpecDigests?

    init(files: [DesiredFile], index: AddressIndex, unexpandedPrefixes: [PrefixReference]) {
        self.files = files
        self.index = index
        self.unexpandedPrefixes = unexpandedPrefixes
    }

    /// An empty state.
    public init() {
        self.init(files: [], index: AddressIndex(), unexpandedPrefixes: [])
    }

    public var count: Int { files.count }
    public var isEmpty: Bool { files.isEmpty }

    /// A state of `files`, each at its own address (a later file on an address already
    /// taken is left out of the index, as expansion reports it).
    init(files: [DesiredFile], unexpandedPrefixes: [PrefixReference] = []) {
        var index = AddressIndex()
        for (position, file) in files.enumerated() {
            _ = index.insert(AddressHash.of(file.address), at: position) { files[$0].address == file.address }
        }
        self.init(files: files, index: index, unexpandedPrefixes: unexpandedPrefixes)
    }

    /// The desired file at `address`, if any.
    public subscript(address: Address) -> DesiredFile? {
        position(of: address).map { files[$0] }
    }

    /// The position in `files` of the desired file at `address`, if any.
    public func position(of address: Address) -> Int? {
        index.find(AddressHash.of(address)) { files[$0].address == address }
    }

    /// The position in `files` of the desired file at the address spelled by `project` and
    /// `path` (UTF-8, e.g. a state row's columns), found without making a `String`.
    /// For many rows, look up through `withLookup` instead.
    public func position(project: UnsafeBufferPointer<UInt8>, path: UnsafeBufferPointer<UInt8>) -> Int? {
        withLookup { $0.position(project: project, path: path) }
    }

    /// `body` with a `Lookup` of this state: for comparing many recorded rows with it (a state
    /// scan). The lookup holds the state's storage by pointer, so a row costs no reference
    /// counting of the shared arrays, which two cores doing it at once make slow (each count
    /// moves a cache line between them).
    public func withLookup<R, E: Error>(_ body: (Lookup) throws(E) -> R) throws(E) -> R {
        try withLookup(indexed: true, body)
    }

    /// `indexed: false` leaves the address index out (no `position`), for a single comparison.
    func withLookup<R, E: Error>(indexed: Bool, _ body: (Lookup) throws(E) -> R) throws(E) -> R {
        try files.withUnsafeBufferPointer { (files) throws(E) -> R in
            func run(_ probe: AddressIndex.Probe?) throws(E) -> R {
                if let specDigests {
                    return try specDigests.withBytes { (digests) throws(E) -> R in
                        try body(Lookup(files: files, probe: probe, digests: digests))
                    }
                }
                return try body(Lookup(files: files, probe: probe, digests: nil))
            }
            return indexed ? try index.withProbe { (probe) throws(E) -> R in try run(probe) } : try run(nil)
        }
    }

    /// A desired state borrowed for lookups; valid only inside `withLookup`.
    public struct Lookup {
        /// The state's files, by position.
        public let files: UnsafeBufferPointer<DesiredFile>
        /// `nil` in a lookup made without the index.
        let probe: AddressIndex.Probe?
        /// 32 bytes per file, when `withSpecDigests()` worked them out.
        let digests: UnsafeBufferPointer<UInt8>?

        /// The position of the desired file at the address spelled by `project` and `path`
        /// (UTF-8, e.g. a state row's columns), found without making a `String`.
        public func position(project: UnsafeBufferPointer<UInt8>, path: UnsafeBufferPointer<UInt8>) -> Int? {
            guard let probe else { preconditionFailure("a lookup made without the address index") }
            return probe.find(AddressHash.of(project: project, path: path)) {
                AddressHash.equal(files[$0].address, project: project, path: path)
            }
        }
    }

    /// The same state with every file's spec digest worked out ahead, on every core: for
    /// comparing it with many recorded files (`Diff.digestShowsUnchanged(_:at:…)`).
    public func withSpecDigests() -> DesiredState {
        var state = self
        state.specDigests = SpecDigests(files)
        return state
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
        // Read in place: a copy of each file would count a reference on every string it holds.
        files.withUnsafeBufferPointer { files in
            for i in files.indices {
                let file = files.baseAddress! + i
                switch file.pointee.source {
                case .volume: summary.volumeFiles += 1
                case .drs: summary.drsFiles += 1
                }
                if file.pointee.address.project != lastProject {
                    projects.insert(file.pointee.address.project)
                    lastProject = file.pointee.address.project
                }
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
    /// Defaults: tags are `defaults.tags`, then the volume group's, then the entry's,
    /// de-duplicated; metadata is `defaults.metadata` with the group's and then the entry's laid
    /// over it; the policy, folder and project are the entry's, else its group's, else the
    /// default's (`skip`, the root, the manifest's `project`: an error when none is set).
    ///
    /// Objects under a prefix land in the prefix's folder (else the group's) plus their path
    /// below the prefix. An explicit `files` entry for the same object and address wins over
    /// the prefix; any other two entries on one address are an error naming both lines.
    ///
    /// - Parameters:
    ///   - listings: the listed prefixes; a prefix missing here is left unexpanded and
    ///     reported in `DesiredState.unexpandedPrefixes` (pass `nil` offline).
    ///   - detail: `.addresses` leaves every file's metadata and tags empty (see `ExpansionDetail`).
    /// - Returns: the state and every problem, in source order.
    public func expand(listings: PrefixListings? = nil, detail: ExpansionDetail = .full) -> ManifestExpansion {
        expand(listings: listings, detail: detail, minChunk: Expander.parallelChunk)
    }

    /// Expands, building files of long lists in chunks of at least `minChunk` on every core.
    func expand(listings: PrefixListings?, detail: ExpansionDetail = .full, minChunk: Int) -> ManifestExpansion {
        var expander = Expander(manifest: self, detail: detail, minChunk: minChunk)
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

/// How much of each desired file expansion builds.
public enum ExpansionDetail: Sendable, Hashable {
    /// Everything: defaults merged into metadata and tags.
    case full
    /// Addresses, sources, policies and marks, with metadata and tags left empty: enough for
    /// every problem (none comes from merging metadata or tags), counts and lookups, at less
    /// cost per file. A table's DRS URIs are checked in place and left empty too (a source's
    /// kind is kept). For `validate`, which prints problems and a summary.
    case addresses
}

struct Expander {
    let manifest: Manifest
    let detail: ExpansionDetail
    let minChunk: Int
    var files: [DesiredFile] = []
    /// Where each file's entry is declared (the prefix's mark for listed objects).
    var origins: [SourceMark] = []
    var index = AddressIndex()
    var unexpanded: [PrefixReference] = []
    var diagnostics: [Diagnostic] = []
    let defaultPolicy: ConflictPolicy

    init(manifest: Manifest, detail: ExpansionDetail, minChunk: Int) {
        self.manifest = manifest
        self.detail = detail
        self.minChunk = minChunk
        self.defaultPolicy = manifest.defaults.conflict ?? .skip
    }

    mutating func run(listings: PrefixListings?) {
        addExplicitEntries()
        for reference in manifest.prefixes {
            let group = manifest.volumes[reference.group]
            let prefix = group.prefixes[reference.index]
            guard let project = project(group.project, at: prefix.mark, origin: group.origin) else { continue }
            guard let locations = listings?[reference] else {
                unexpanded.append(reference)
                continue
            }
            let base = prefix.folder ?? group.folder ?? ""
            let (metadata, tags, policy) = Self.groupKeys(group, manifest: manifest, full: detail == .full, policy: defaultPolicy)
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
                                                    reason: ManifestProblem.unplaceableReason(problem)), at: prefix.mark, origin: group.origin)
                    continue
                }
                let address = Address(project: project, path: Self.path(folder, name))
                add(DesiredFile(address: address, source: .volume(volume: group.volume, location: location),
                                metadata: metadata, tags: tags, policy: policy, mark: nil),
                    origin: prefix.mark, file: group.origin, fromListing: true)
            }
        }
    }

    func result() -> ManifestExpansion {
        ManifestExpansion(state: DesiredState(files: files, index: index, unexpandedPrefixes: unexpanded),
                          diagnostics: Diagnostic.inSourceOrder(diagnostics))
    }

    /// The smallest chunk of entries worth a core of its own.
    static let parallelChunk = 8192

    /// Adds the explicit entries (every group's `files`, then `drs`), in the order and with the
    /// problems of adding them one by one, on every core:
    /// 1. each entry's file (path, metadata, tags) is built and its address hashed, in chunks,
    ///    straight into its final place (entries without a project take none);
    /// 2. each shard of the address index is filled in entry order, shards side by side, which
    ///    finds the same duplicates (the first entry wins: a duplicate's twin comes earlier);
    /// 3. problems are reported walking the entries in order, and duplicates taken out.
    private mutating func addExplicitEntries() {
        let manifest = self.manifest, defaultPolicy = self.defaultPolicy, full = detail == .full
        let drsSegment = manifest.volumes.count
        func entryCount(_ segment: Int) -> Int {
            segment == drsSegment ? manifest.drs.count : manifest.volumes[segment].files.count
        }
        func entry(_ segment: Int, _ i: Int) -> (project: String?, mark: SourceMark, origin: Int) {
            if segment == drsSegment { return (manifest.drs[i].project, manifest.drs[i].mark, manifest.drs[i].origin) }
            let group = manifest.volumes[segment], file = group.files[i]
            return (file.project ?? group.project, file.mark, file.origin)
        }

        // 1. Chunks of every segment, each with where its first file goes.
        var jobs: [(segment: Int, range: Range<Int>, offset: Int)] = []
        var total = 0
        for segment in 0...drsSegment {
            for range in Parallel.chunks(count: entryCount(segment), minChunk: minChunk) where !range.isEmpty {
                jobs.append((segment, range, total))
                if manifest.project != nil {
                    total += range.count
                } else {
                    for i in range where entry(segment, i).project != nil { total += 1 }
                }
            }
        }
        var hashes = [UInt64](repeating: 0, count: total)
        // The file each entry is declared in (tables, included manifests), for messages.
        var originOf = [Int32](repeating: 0, count: manifest.sourceFiles.count > 1 ? total : 0)
        let built = originOf.withUnsafeMutableBufferPointer { originOf in hashes.withUnsafeMutableBufferPointer { hashes in
            [DesiredFile](unsafeUninitializedCapacity: total) { buffer, initialized in
                guard let base = buffer.baseAddress else { return }
                Parallel.forEach(jobs.count) { j in
                    let job = jobs[j]
                    var out = job.offset
                    var own = LocalCopies()
                    if job.segment == drsSegment {
                        // Entries read in place: a copy of each would count a reference on
                        // every string it holds, used or not.
                        manifest.drs.withUnsafeBufferPointer { drs in
                            for i in job.range {
                                let entry = drs.baseAddress! + i
                                guard let project = entry.pointee.project ?? manifest.project else { continue }
                                let address = Address(project: own.string(project), path: Self.path(entry.pointee.folder, entry.pointee.name))
                                hashes[out] = AddressHash.of(address)
                                if !originOf.isEmpty { originOf[out] = Int32(truncatingIfNeeded: entry.pointee.origin) }
                                (base + out).initialize(to: DesiredFile(
                                    address: address, source: .drs(uri: entry.pointee.uri),
                                    metadata: full ? manifest.defaults.metadata.merging(entry.pointee.metadata) : Metadata(),
                                    tags: full ? own.tags(Self.tags(entry.pointee.tags, defaults: manifest.defaults.tags)) : [],
                                    policy: entry.pointee.conflict ?? defaultPolicy, mark: entry.pointee.mark))
                                out += 1
                            }
                        }
                    } else {
                        let group = manifest.volumes[job.segment]
                        let volume = LocalCopies.copy(group.volume)
                        // The group's keys, laid over the defaults once; each file's own over them.
                        let (groupMetadata, groupTags, groupPolicy) = Self.groupKeys(group, manifest: manifest, full: full,
                                                                                     policy: defaultPolicy)
                        group.files.withUnsafeBufferPointer { files in
                            for i in job.range {
                                let file = files.baseAddress! + i
                                guard let project = file.pointee.project ?? group.project ?? manifest.project else { continue }
                                let name = file.pointee.name.map { $0[...] } ?? Manifest.lastSegmentSlice(of: file.pointee.location)
                                let address = Address(project: own.string(project), path: Self.path(file.pointee.folder ?? group.folder, name))
                                hashes[out] = AddressHash.of(address)
                                if !originOf.isEmpty { originOf[out] = Int32(truncatingIfNeeded: file.pointee.origin) }
                                (base + out).initialize(to: DesiredFile(
                                    address: address, source: .volume(volume: volume, location: file.pointee.location),
                                    metadata: full ? groupMetadata.merging(file.pointee.metadata) : Metadata(),
                                    tags: full ? own.tags(Self.tags(file.pointee.tags, defaults: groupTags)) : [],
                                    policy: file.pointee.conflict ?? groupPolicy, mark: file.pointee.mark))
                                out += 1
                            }
                        }
                    }
                }
                initialized = total
            }
        } }

        // 2. The index, shard by shard; `twins` maps each duplicate to the file it repeats.
        let shardCount = AddressIndex.shardCount
        var members = [[Int32]](repeating: [], count: shardCount)
        for shard in members.indices { members[shard].reserveCapacity(total / shardCount + total / 32 + 16) }
        for (g, hash) in hashes.enumerated() { members[AddressIndex.shard(of: hash)].append(Int32(truncatingIfNeeded: g)) }
        var shards = [AddressIndex.Shard](repeating: AddressIndex.Shard(capacity: 0), count: shardCount)
        var shardTwins = [[(duplicate: Int, first: Int)]](repeating: [], count: shardCount)
        built.withUnsafeBufferPointer { built in
            shards.withUnsafeMutableBufferPointer { shards in
                shardTwins.withUnsafeMutableBufferPointer { shardTwins in
                    Parallel.forEach(shardCount) { shard in
                        var index = AddressIndex.Shard(capacity: members[shard].count)
                        var twins: [(duplicate: Int, first: Int)] = []
                        for member in members[shard] {
                            let g = Int(member)
                            if let first = index.insert(hashes[g], at: g, { built[$0].address == built[g].address }) {
                                twins.append((g, first))
                            }
                        }
                        shards[shard] = index
                        shardTwins[shard] = twins
                    }
                }
            }
        }
        members = []
        var twinOf: [Int: Int] = [:]
        for twins in shardTwins { for twin in twins { twinOf[twin.duplicate] = twin.first } }

        // 3. Problems in entry order (none to find when every entry has a project and none is a
        // duplicate); files without their duplicates.
        let problemsPossible = !twinOf.isEmpty || manifest.project == nil
        var g = 0
        for segment in 0...drsSegment where problemsPossible {
            for i in 0..<entryCount(segment) {
                let (own, mark, origin) = entry(segment, i)
                guard project(own, at: mark, origin: origin) != nil else { continue }
                if let first = twinOf[g], let firstMark = built[first].mark {
                    let firstOrigin = originOf.isEmpty ? 0 : Int(originOf[first])
                    if firstOrigin != origin {
                        report(.source(.duplicateAcrossFiles(built[g].address, firstFile: manifest.sourceFiles[firstOrigin], first: firstMark)),
                               at: mark, origin: origin)
                    } else {
                        report(.duplicateAddress(built[g].address, first: firstMark, sameEntry: firstMark == mark), at: mark, origin: origin)
                    }
                }
                g += 1
            }
        }
        if twinOf.isEmpty {
            files = built
            index = AddressIndex(shards: shards)
        } else {
            var position = [Int](repeating: -1, count: total)
            files.reserveCapacity(total - twinOf.count)
            for (g, file) in built.enumerated() where twinOf[g] == nil {
                position[g] = files.count
                files.append(file)
            }
            index = AddressIndex(shards: shards).mapPositions { position[$0] }
        }
        let chunks = Parallel.chunks(count: files.count, minChunk: minChunk)
        origins = files.withUnsafeBufferPointer { files in
            Parallel.concatenate(chunks.count, count: { chunks[$0].count }) { k, into in
                for (i, f) in chunks[k].enumerated() { into[i] = files[f].mark ?? SourceMark(line: 0, column: 0) }
            }
        }
    }

    /// - Parameters:
    ///   - origin: where the entry is declared; `sourceFile`: the file that is in.
    private mutating func add(_ file: DesiredFile, origin: SourceMark, file sourceFile: Int = 0, fromListing: Bool) {
        let position = files.count
        let hash = AddressHash.of(file.address)
        if let existing = files.withUnsafeBufferPointer({ files in
            index.insert(hash, at: position) { files[$0].address == file.address }
        }) {
            let first = files[existing]
            // The same object reached twice (an explicit entry and a prefix, or two prefixes):
            // the first wins, and that is not a conflict.
            if fromListing && first.source == file.source { return }
            report(.duplicateAddress(file.address, first: origins[existing], sameEntry: origins[existing] == origin), at: origin,
                   origin: sourceFile)
            return
        }
        files.append(file)
        origins.append(origin)
    }

    private mutating func project(_ own: String?, at mark: SourceMark, origin: Int = 0) -> String? {
        if let project = own ?? manifest.project { return project }
        report(.missingProject, at: mark, origin: origin)
        return nil
    }

    /// A volume group's metadata, tags and policy laid over the defaults: what its files start
    /// from (a listed object keeps them as they are). Metadata and tags only when `full`.
    private static func groupKeys(_ group: Manifest.VolumeGroup, manifest: Manifest, full: Bool, policy: ConflictPolicy)
        -> (metadata: Metadata, tags: [String], policy: ConflictPolicy) {
        (full ? manifest.defaults.metadata.merging(group.metadata) : Metadata(),
         full ? tags(group.tags, defaults: manifest.defaults.tags) : [],
         group.conflict ?? policy)
    }

    private static func tags(_ own: [String], defaults: [String]) -> [String] {
        if own.isEmpty { return defaults }
        if defaults.isEmpty && own.count == 1 { return own }
        return ManifestDecoder.unique(defaults + own)
    }

    private mutating func report(_ problem: ManifestProblem, at mark: SourceMark, origin: Int = 0) {
        diagnostics.append(problem.diagnostic(file: manifest.sourceFiles[origin], mark: mark))
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
