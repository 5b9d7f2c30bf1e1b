public import SyncYAML

/// What decoding a document gave: the manifest as far as it could be read, and every problem.
///
/// Entries with a problem are left out of `manifest`, so expansion can still run on the rest and
/// report its own problems (duplicates, missing projects) in the same run.
public struct ManifestDecoding: Sendable {
    public var manifest: Manifest
    public var diagnostics: [Diagnostic]

    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
}

/// The problems that stopped a stage, in source order.
public struct ManifestError: Error, Sendable, Hashable {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }
}

extension Manifest {
    /// Decodes and validates a parsed manifest.
    ///
    /// - Parameter document: the parsed YAML document.
    /// - Throws: `ManifestError` with every problem found, in source order.
    public init(decoding document: YAMLDocument) throws(ManifestError) {
        let decoding = ManifestDecoder.decode(document)
        guard decoding.isValid else { throw ManifestError(diagnostics: decoding.diagnostics) }
        self = decoding.manifest
    }
}

/// Decodes the node tree into a `Manifest`, collecting every problem instead of stopping at the first.
///
/// Made for a million entries: one pass over each mapping's pairs, keys matched by enum, no
/// dictionaries per entry.
public struct ManifestDecoder {
    private let file: String
    private var diagnostics: [Diagnostic] = []
    /// Suggestions already worked out, by section and key: a generated manifest repeats its typos.
    private var suggestions: [String: String?] = [:]
    /// Lists shorter than twice this are decoded on the calling thread (tests lower it).
    private let minChunk: Int
    /// The `files_from` table of the volume group being decoded.
    var pendingTable: TableSource?
    /// Decoding an included manifest: `version` may be left out, `defaults` may not be set.
    var included = false

    private init(file: String, minChunk: Int) {
        self.file = file
        self.minChunk = minChunk
    }

    /// Decodes `document`, collecting every problem.
    public static func decode(_ document: YAMLDocument) -> ManifestDecoding {
        decode(document, minChunk: parallelChunk)
    }

    /// Decodes a manifest named in another's `include:`, collecting every problem.
    public static func decodeIncluded(_ document: YAMLDocument) -> ManifestDecoding {
        decode(document, minChunk: parallelChunk, included: true)
    }

    /// Decodes `document`, long lists in chunks of at least `minChunk` items on every core.
    static func decode(_ document: YAMLDocument, minChunk: Int, included: Bool = false) -> ManifestDecoding {
        var decoder = ManifestDecoder(file: document.file, minChunk: minChunk)
        decoder.included = included
        let manifest = decoder.decodeRoot(document.root)
        return ManifestDecoding(manifest: manifest, diagnostics: Diagnostic.inSourceOrder(decoder.diagnostics))
    }

    // MARK: - Keys

    enum RootKey: String, CaseIterable { case version, project, defaults, volumes, drs, include }
    enum DefaultsKey: String, CaseIterable { case conflict, tags, metadata }
    enum GroupKey: String, CaseIterable {
        case volume, folder, project, conflict, tags, metadata, files, prefixes
        // A table of files (issue 12).
        case filesFrom = "files_from", format, columns, keepEmpty = "keep_empty", allowOutside = "allow_outside"
    }
    enum FileKey: String, CaseIterable { case location, name, folder, project, metadata, tags, conflict }
    enum PrefixKey: String, CaseIterable { case prefix, include, folder }
    enum DRSKey: String, CaseIterable {
        case uri, name, folder, project, metadata, tags, conflict
        // A table of files (issue 12).
        case from, format, columns, uriTemplate = "uri_template", keepEmpty = "keep_empty", allowOutside = "allow_outside"
    }
    enum ColumnsKey: String, CaseIterable { case uri, name, location, folder, metadata, exclude, rename, types }

    // MARK: - Sections

    private mutating func decodeRoot(_ root: YAMLNode) -> Manifest {
        var manifest = Manifest(file: file)
        guard root.kind == .mapping else {
            report(root.kind == .scalar && root.value == .null ? .emptyManifest : .rootNotMapping, at: root)
            return manifest
        }
        var sawVersion = false
        for (keyNode, value) in root.pairs {
            // `x-…` keys are extension fields, a place for anchors (as in Compose files).
            if keyNode.kind == .scalar, keyNode.text.hasPrefix(ManifestKeys.extensionPrefix) { continue }
            guard let key: RootKey = self.key(keyNode, section: Section.root) else { continue }
            switch key {
            case .version:
                sawVersion = true
                decodeVersion(value)
            case .defaults where included:
                report(.source(.defaultsInInclude), at: keyNode)
            case .project:
                if let id = string(value, key: "project") { manifest.project = check(id, ManifestValidation.projectID, at: value) }
            case .defaults:
                manifest.defaults = decodeDefaults(value)
            case .volumes:
                for item in list(value, key: "volumes") {
                    pendingTable = nil
                    if let group = decodeGroup(item) {
                        if var table = pendingTable {
                            table.kind = .volume(group: manifest.volumes.count)
                            manifest.tables.append(table)
                        }
                        manifest.volumes.append(group)
                    }
                }
            case .include:
                manifest.includes += decodeIncludes(value)
            case .drs:
                let items = list(value, key: "drs")
                for item in items where Self.isTable(item) {
                    if let table = decodeTable(item, kind: .drs) { manifest.tables.append(table) }
                }
                let entries = decodeChunked(items) { $0.decodeDRS($1) }
                if manifest.drs.isEmpty { manifest.drs = entries } else { manifest.drs += entries }
            }
        }
        if !sawVersion && !included {
            report(.missingKey(key: "version", section: Section.root, hint: "add 'version: 1' at the top of the manifest"),
                   at: root)
        }
        return manifest
    }

    private mutating func decodeVersion(_ value: YAMLNode) {
        guard value.kind == .scalar else { return report(.expectedScalar(key: "version"), at: value) }
        switch value.value {
        case .int(1): break
        case .int: report(.unsupportedVersion(text: value.text), at: value)
        default: report(.versionNotInteger(text: value.text), at: value)
        }
    }

    private mutating func decodeDefaults(_ node: YAMLNode) -> Manifest.Defaults {
        var defaults = Manifest.Defaults()
        guard mapping(node, what: "'defaults'") else { return defaults }
        for (keyNode, value) in node.pairs {
            guard let key: DefaultsKey = self.key(keyNode, section: Section.defaults) else { continue }
            switch key {
            case .conflict: defaults.conflict = conflict(value)
            case .tags: defaults.tags = Self.unique(tags(value))
            case .metadata: defaults.metadata = metadata(value)
            }
        }
        return defaults
    }

    private mutating func decodeGroup(_ node: YAMLNode) -> Manifest.VolumeGroup? {
        guard mapping(node, what: Section.volumeGroup) else { return nil }
        var volume: String?, volumeValid = true
        var folder: String?
        var project: String?, conflict: ConflictPolicy?, tags: [String] = [], metadata = Metadata()
        var files: [Manifest.VolumeFile] = []
        var prefixes: [Manifest.VolumePrefix] = []
        for (keyNode, value) in node.pairs {
            guard let key: GroupKey = self.key(keyNode, section: Section.volumeGroup) else { continue }
            switch key {
            case .volume:
                volume = string(value, key: "volume")
                if let id = volume, check(id, ManifestValidation.volumeID, at: value) == nil { volumeValid = false }
            case .folder:
                folder = self.folder(value)
            case .project:
                // An invalid project drops the group, as an invalid volume does: its files would
                // otherwise each be reported without a project.
                if let id = string(value, key: "project"), check(id, ManifestValidation.projectID, at: value) != nil {
                    project = id
                } else { volumeValid = false }
            case .conflict: conflict = self.conflict(value)
            case .tags: tags = Self.unique(self.tags(value))
            case .metadata: metadata = self.metadata(value)
            case .files:
                files = decodeFiles(list(value, key: "files"))
            case .prefixes:
                for item in list(value, key: "prefixes") {
                    if let prefix = decodePrefix(item) { prefixes.append(prefix) }
                }
            case .filesFrom, .format, .columns, .keepEmpty, .allowOutside:
                break
            }
        }
        pendingTable = decodeGroupTable(node)
        guard let volume else {
            report(.missingKey(key: "volume", section: Section.volumeGroup, hint: "name the volume, e.g. 'volume: rfranklin/my_volume'"),
                   at: node)
            return nil
        }
        guard volumeValid else { return nil }
        return Manifest.VolumeGroup(volume: volume, folder: folder, project: project, conflict: conflict, tags: tags,
                                    metadata: metadata, files: files, prefixes: prefixes, mark: node.mark)
    }

    private mutating func decodeFiles(_ items: YAMLNode.Items) -> [Manifest.VolumeFile] {
        decodeChunked(items) { $0.decodeFile($1) }
    }

    /// The smallest chunk of a list worth a core of its own.
    static let parallelChunk = 8192

    /// Decodes a long list's items with `decodeItem` in chunks on every core, each chunk with a
    /// decoder of its own; values and problems are joined in item order, so the outcome is the
    /// same as decoding the items one after another. The tree is immutable, so sharing it is safe.
    private mutating func decodeChunked<T>(_ items: YAMLNode.Items,
                                           _ decodeItem: (inout ManifestDecoder, YAMLNode) -> T?) -> [T] {
        let file = self.file, minChunk = self.minChunk
        let count = items.count
        var chunkDiagnostics: [[Diagnostic]] = []
        // Each chunk writes its values at the start of its own range of one buffer; the values
        // are then moved (not copied) together, so a million entries are never retained twice.
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            let parts = Parallel.mapChunks(count: count, minChunk: minChunk) { range -> (range: Range<Int>, kept: Int, diagnostics: [Diagnostic]) in
                var decoder = ManifestDecoder(file: file, minChunk: minChunk)
                var kept = 0
                // The chunk's own storage object: the cores decoding other chunks count no
                // references on it.
                let items = items.onOwnStorage()
                for i in range {
                    if let value = decodeItem(&decoder, items[i]) {
                        (base + range.lowerBound + kept).initialize(to: value)
                        kept += 1
                    }
                }
                return (range, kept, decoder.diagnostics)
            }
            var end = 0
            for part in parts {
                if part.range.lowerBound != end, part.kept > 0 {
                    (base + end).moveInitialize(from: base + part.range.lowerBound, count: part.kept)
                }
                end += part.kept
                chunkDiagnostics.append(part.diagnostics)
            }
            initialized = end
        }
        for part in chunkDiagnostics { diagnostics += part }
        return values
    }

    private mutating func decodeFile(_ node: YAMLNode) -> Manifest.VolumeFile? {
        guard mapping(node, what: Section.volumeFile) else { return nil }
        var file = Manifest.VolumeFile(location: "", mark: node.mark)
        var locationNode: YAMLNode?, valid = true
        for (keyNode, value) in node.pairs {
            guard let key: FileKey = self.key(keyNode, section: Section.volumeFile) else { continue }
            switch key {
            case .location:
                locationNode = value
                if let location = string(value, key: "location"), check(location, ManifestValidation.location, at: value) != nil {
                    file.location = location
                } else { valid = false }
            case .name:
                if let name = string(value, key: "name"), check(name, ManifestValidation.name, at: value) != nil {
                    file.name = name
                } else { valid = false }
            case .folder:
                if let folder = folder(value) { file.folder = folder } else { valid = false }
            case .project:
                if let id = string(value, key: "project"), check(id, ManifestValidation.projectID, at: value) != nil {
                    file.project = id
                } else { valid = false }
            case .metadata: file.metadata = metadata(value)
            case .tags: file.tags = tags(value)
            case .conflict: file.conflict = conflict(value)
            }
        }
        guard let locationNode else {
            report(.missingKey(key: "location", section: Section.volumeFile, hint: "give the object's path in the volume, e.g. 'location: fastq/s1_R1.fastq.gz'"),
                   at: node)
            return nil
        }
        // A name derived from the location must be a valid name too.
        if valid, file.name == nil, !ManifestValidation.isPlainLastSegment(of: file.location),
           let problem = ManifestValidation.name(file.effectiveName) {
            report(problem, at: locationNode)
            valid = false
        }
        return valid ? file : nil
    }

    private mutating func decodePrefix(_ node: YAMLNode) -> Manifest.VolumePrefix? {
        guard mapping(node, what: Section.volumePrefix) else { return nil }
        var prefix: String?, valid = true
        var include: [Glob] = []
        var folder: String?
        for (keyNode, value) in node.pairs {
            guard let key: PrefixKey = self.key(keyNode, section: Section.volumePrefix) else { continue }
            switch key {
            case .prefix:
                prefix = string(value, key: "prefix")
                if let p = prefix, check(p, ManifestValidation.prefix, at: value) == nil { valid = false }
            case .include:
                let items = list(value, key: "include")
                if value.kind == .sequence && items.isEmpty { report(.emptyInclude, at: value); valid = false }
                for item in items {
                    guard let pattern = string(item, key: "include") else { valid = false; continue }
                    do throws(Glob.SyntaxError) {
                        include.append(try Glob(pattern))
                    } catch {
                        report(.invalidGlob(pattern, error), at: item)
                        valid = false
                    }
                }
            case .folder:
                if let f = self.folder(value) { folder = f } else { valid = false }
            }
        }
        guard let prefix else {
            report(.missingKey(key: "prefix", section: Section.volumePrefix, hint: "give a folder of the volume ending with '/', or \"\" for the whole volume"),
                   at: node)
            return nil
        }
        return valid ? Manifest.VolumePrefix(prefix: prefix, include: include, folder: folder, mark: node.mark) : nil
    }

    private mutating func decodeDRS(_ node: YAMLNode) -> Manifest.DRSEntry? {
        guard mapping(node, what: Section.drsEntry) else { return nil }
        var entry = Manifest.DRSEntry(uri: "", name: "", mark: node.mark)
        var sawURI = false, sawName = false, valid = true
        for (keyNode, value) in node.pairs {
            guard let key: DRSKey = self.key(keyNode, section: Section.drsEntry) else { continue }
            switch key {
            case .uri:
                sawURI = true
                if let uri = string(value, key: "uri"), check(uri, ManifestValidation.drsURI, at: value) != nil {
                    entry.uri = uri
                } else { valid = false }
            case .name:
                sawName = true
                if let name = string(value, key: "name"), check(name, ManifestValidation.name, at: value) != nil {
                    entry.name = name
                } else { valid = false }
            case .folder:
                if let folder = folder(value) { entry.folder = folder } else { valid = false }
            case .project:
                if let id = string(value, key: "project"), check(id, ManifestValidation.projectID, at: value) != nil {
                    entry.project = id
                } else { valid = false }
            case .metadata: entry.metadata = metadata(value)
            case .tags: entry.tags = tags(value)
            case .conflict: entry.conflict = conflict(value)
            case .from:
                return nil // a table: decoded by `decodeTable`
            case .format, .columns, .uriTemplate, .keepEmpty, .allowOutside:
                report(.source(.tableKeyWithoutSource(key: keyNode.text)), at: keyNode)
                valid = false
            }
        }
        if !sawURI {
            report(.missingKey(key: "uri", section: Section.drsEntry, hint: "give the DRS URI, e.g. 'uri: drs://example.org/0b1c2d3e'"), at: node)
            valid = false
        }
        if !sawName {
            report(.missingKey(key: "name", section: Section.drsEntry,
                               hint: "the platform would name the file from the DRS object, which sbsync cannot see offline; give the file name"),
                   at: node)
            valid = false
        }
        return valid ? entry : nil
    }

    // MARK: - Values

    /// The key as one of `K`'s cases, or `nil` after reporting it as unknown (with a suggestion).
    mutating func key<K: RawRepresentable & CaseIterable>(_ node: YAMLNode, section: String) -> K? where K.RawValue == String {
        guard node.kind == .scalar else {
            report(.expectedPlainKey, at: node)
            return nil
        }
        // Compare bytes in place: no String for the common case of a known key.
        for key in K.allCases where node.hasText(key.rawValue) { return key }
        let text = node.text
        let expected = K.allCases.map(\.rawValue)
        // `types:` beside `from:`: a key only `columns` has, one level too high.
        if expected.contains("columns"), [ColumnsKey.exclude, .rename, .types].contains(where: { $0.rawValue == text }) {
            report(.belongsUnderColumns(key: text), at: node)
            return nil
        }
        let cacheKey = section + "\u{0}" + text
        let suggestion: String?
        if let known = suggestions[cacheKey] {
            suggestion = known
        } else {
            suggestion = Suggestion.closest(to: text, in: expected)
            suggestions[cacheKey] = suggestion
        }
        report(.unknownKey(key: text, section: section, suggestion: suggestion, expected: expected), at: node)
        return nil
    }

    mutating func mapping(_ node: YAMLNode, what: String) -> Bool {
        guard node.kind == .mapping else {
            report(.expectedMapping(what: what), at: node)
            return false
        }
        return true
    }

    /// A sequence's items; a null value is an empty list (everything commented out).
    mutating func list(_ node: YAMLNode, key: String) -> YAMLNode.Items {
        switch node.kind {
        case .sequence: return node.items
        case .scalar where node.value == .null: return node.items
        default:
            report(.expectedList(key: key), at: node)
            return node.items
        }
    }

    /// A scalar's text as written (numbers stay as written, e.g. `007`); `nil` after reporting
    /// a collection or a null.
    mutating func string(_ node: YAMLNode, key: String) -> String? {
        guard node.kind == .scalar else {
            report(.expectedScalar(key: key), at: node)
            return nil
        }
        let text = node.text
        // Only a plain scalar spelt like null can be null; resolve the value just for those.
        if node.style == .plain, text.utf8.count <= 4, node.value == .null {
            report(.noValue(key: key), at: node)
            return nil
        }
        return text
    }

    mutating func folder(_ node: YAMLNode) -> String? {
        guard let folder = string(node, key: "folder") else { return nil }
        return check(folder, ManifestValidation.folder, at: node)
    }

    mutating func conflict(_ node: YAMLNode) -> ConflictPolicy? {
        guard let text = string(node, key: "conflict") else { return nil }
        switch ManifestValidation.conflict(text) {
        case .success(let policy): return policy
        case .failure(let problem):
            report(problem, at: node)
            return nil
        }
    }

    mutating func tags(_ node: YAMLNode) -> [String] {
        if node.kind == .scalar, node.value != .null {
            // `tags: raw` is almost certainly meant as `tags: [raw]`.
            report(.expectedList(key: "tags"), at: node)
            return []
        }
        let items = list(node, key: "tags")
        var tags: [String] = []
        tags.reserveCapacity(items.count)
        for item in items {
            if let tag = string(item, key: "tags"), check(tag, ManifestValidation.tag, at: item) != nil {
                tags.append(tag)
            }
        }
        return tags
    }

    mutating func metadata(_ node: YAMLNode) -> Metadata {
        if node.kind == .scalar, node.value == .null { return Metadata() }
        guard mapping(node, what: "'metadata'") else { return Metadata() }
        var entries: [Metadata.Entry] = []
        entries.reserveCapacity(node.count)
        for (keyNode, value) in node.pairs {
            guard keyNode.kind == .scalar else {
                report(.expectedPlainKey, at: keyNode)
                continue
            }
            let key = keyNode.text
            guard !key.isEmpty else {
                report(.emptyMetadataKey, at: keyNode)
                continue
            }
            guard value.kind == .scalar, let scalar = value.value else {
                report(.metadataValueNotScalar(key: key), at: value)
                continue
            }
            let converted: MetadataValue
            switch scalar {
            case .null: converted = .null
            case .bool(let b): converted = .bool(b)
            case .int(let i): converted = .int(i)
            case .float(let d):
                guard d.isFinite else {
                    report(.metadataValueNotFinite(key: key, text: value.text), at: value)
                    continue
                }
                converted = .float(d)
            case .string(let s): converted = .string(s)
            }
            entries.append(Metadata.Entry(key: key, value: converted))
        }
        return Metadata(entries: entries)
    }

    /// `value` when `rule` finds no problem; otherwise reports it and returns `nil`.
    mutating func check(_ value: String, _ rule: (String) -> ManifestProblem?, at node: YAMLNode) -> String? {
        if let problem = rule(value) {
            report(problem, at: node)
            return nil
        }
        return value
    }

    mutating func report(_ problem: ManifestProblem, at node: YAMLNode) {
        diagnostics.append(problem.diagnostic(file: file, mark: node.mark))
    }

    static func unique(_ tags: [String]) -> [String] {
        var seen: [String] = []
        seen.reserveCapacity(tags.count)
        for tag in tags where !seen.contains(tag) { seen.append(tag) }
        return seen
    }
}
