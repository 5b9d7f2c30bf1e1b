public import SyncYAML

/// A table of files named in the manifest: a `drs` item's `from:` or a volume group's
/// `files_from:`. The loader reads the file; `entries(from:…)` turns its rows into the same
/// entries the YAML would declare, so a row and its YAML twin give the same desired file.
public struct TableSource: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Rows become `drs` entries.
        case drs
        /// Rows become `files` of `Manifest.volumes[group]`.
        case volume(group: Int)
    }

    public enum Format: String, Sendable, Hashable, CaseIterable {
        case csv, tsv, gen3
    }

    public enum ColumnType: String, Sendable, Hashable, CaseIterable {
        case string, integer, float, boolean
    }

    /// A column named in the manifest, with where it is named.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var mark: SourceMark
        public init(name: String, mark: SourceMark) {
            self.name = name
            self.mark = mark
        }
    }

    public struct Rename: Sendable, Hashable {
        public var column: Column
        public var key: String
    }

    public struct Typed: Sendable, Hashable {
        public var column: Column
        public var type: ColumnType
    }

    /// The path as written, relative to the declaring manifest's folder.
    public var path: String
    public var pathMark: SourceMark
    /// `nil`: from the extension (`.csv`, `.tsv`/`.txt`, `.json`).
    public var format: Format?
    public var kind: Kind
    public var folder: String?
    public var project: String?
    public var conflict: ConflictPolicy?
    public var tags: [String] = []
    /// Laid under each row's own metadata.
    public var metadata = Metadata()
    public var uriColumn: Column?
    public var nameColumn: Column?
    public var locationColumn: Column?
    public var folderColumn: Column?
    /// Only these columns become metadata (`nil`: every column not otherwise used).
    public var metadataColumns: [Column]?
    public var excludeColumns: [Column] = []
    public var rename: [Rename] = []
    public var types: [Typed] = []
    public var uriTemplate: String?
    public var uriTemplateMark: SourceMark?
    /// Blank cells become empty-string metadata instead of being left out.
    public var keepEmpty = false
    /// The path may leave the manifest's repository.
    public var allowOutside = false
    public var mark: SourceMark
    /// Index into `Manifest.sourceFiles` of the file that declares it.
    public var origin = 0

    public init(path: String, pathMark: SourceMark, kind: Kind, mark: SourceMark) {
        self.path = path
        self.pathMark = pathMark
        self.kind = kind
        self.mark = mark
    }

    /// The format: the one set, else the path's extension's; `nil` when neither tells.
    public var effectiveFormat: Format? {
        if let format { return format }
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") { return .tsv }
        if lower.hasSuffix(".json") { return .gen3 }
        return nil
    }

    /// A URI template's pieces: literal text and column names, in order; `nil` when malformed.
    public static func templateParts(_ template: String) -> [(literal: Bool, text: String)]? {
        var parts: [(Bool, String)] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { parts.append((true, String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else { return nil }
            let name = rest[rest.index(after: open)..<close]
            if name.isEmpty || name.contains("{") { return nil }
            parts.append((false, String(name)))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append((true, String(rest))) }
        return parts.map { (literal: $0.0, text: $0.1) }
    }
}

/// A table's cells, whatever the format.
public protocol TableRows {
    /// Column names; "" for a column without one.
    var headers: [String] { get }
    var rowCount: Int { get }
    /// Where the header (its first cell) is.
    var headerMark: SourceMark { get }
    func headerMark(_ column: Int) -> SourceMark
    func isBlank(_ row: Int, _ column: Int) -> Bool
    func cell(_ row: Int, _ column: Int) -> TableCell
    /// Whether `cell` would give text or a value (not `.invalidUTF8` or `.notScalar`), found
    /// without building it where the format allows.
    func isReadable(_ row: Int, _ column: Int) -> Bool
    /// `body` with the cell's text as UTF-8, in place where the format allows; `nil` when the
    /// cell gives no text (`cell` says why).
    func withUTF8<R>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R?
    func mark(_ row: Int, _ column: Int) -> SourceMark
    func rowMark(_ row: Int) -> SourceMark
}

public enum TableCell {
    case text(String)
    /// A typed JSON value (its text kept for messages and templates).
    case value(MetadataValue, text: String)
    case invalidUTF8
    case notScalar
}

/// A scanned CSV/TSV file's rows. Valid only while `bytes` is.
public struct DelimitedRows: TableRows {
    public let scan: TableScan
    public let bytes: UnsafeRawBufferPointer
    public let headers: [String]
    /// Header cells that are not UTF-8.
    public let invalidHeaders: [Int]

    public init(scan: TableScan, bytes: UnsafeRawBufferPointer) {
        self.scan = scan
        self.bytes = bytes
        var headers: [String] = [], invalid: [Int] = []
        for c in 0..<scan.columnCount {
            if let text = scan.text(row: -1, column: c, in: bytes) {
                headers.append(text)
            } else {
                headers.append("")
                invalid.append(c)
            }
        }
        self.headers = headers
        self.invalidHeaders = invalid
    }

    public var rowCount: Int { scan.rowCount }
    public var headerMark: SourceMark { SourceMark(line: Int(scan.headerLine), column: 1) }
    public func headerMark(_ column: Int) -> SourceMark { scan.mark(row: -1, column: column, in: bytes) }
    public func isBlank(_ row: Int, _ column: Int) -> Bool { scan.isEmpty(row: row, column: column) }
    public func cell(_ row: Int, _ column: Int) -> TableCell {
        scan.text(row: row, column: column, in: bytes).map(TableCell.text) ?? .invalidUTF8
    }
    public func isReadable(_ row: Int, _ column: Int) -> Bool { scan.isUTF8(row: row, column: column, in: bytes) }
    public func withUTF8<R>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        scan.withUTF8(row: row, column: column, in: bytes, body)
    }
    public func mark(_ row: Int, _ column: Int) -> SourceMark { scan.mark(row: row, column: column, in: bytes) }
    public func rowMark(_ row: Int) -> SourceMark { scan.rowMark(row) }

    /// The structural problems of the scan as diagnostics in `file`.
    public func diagnostics(file: String) -> [Diagnostic] {
        var result: [Diagnostic] = []
        for problem in scan.problems {
            var mark: SourceMark? = TableScan.mark(offset: problem.offset, in: bytes)
            if case .fileTooLarge = problem.kind { mark = nil }
            result.append(ManifestProblem.source(.structure(problem.kind)).diagnostic(file: file, mark: mark))
        }
        for c in invalidHeaders {
            result.append(ManifestProblem.source(.notUTF8Header).diagnostic(file: file, mark: headerMark(c)))
        }
        return result
    }
}

/// A Gen3 JSON manifest's rows: a list of objects, keys as columns (in first-seen order).
public struct JSONRows: TableRows {
    public let headers: [String]
    private let cells: [[YAMLNode?]]
    private let rowNodes: [YAMLNode]
    public let headerMark: SourceMark
    /// Problems of shape (not a list, an item not an object).
    public let problems: [(SourceProblem, SourceMark)]

    public init(document: YAMLDocument) {
        var headers: [String] = [], columnOf: [String: Int] = [:]
        var cells: [[YAMLNode?]] = [], rows: [YAMLNode] = []
        var problems: [(SourceProblem, SourceMark)] = []
        let root = document.root
        headerMark = root.mark
        if root.kind != .sequence {
            problems.append((.notAListOfObjects, root.mark))
        } else {
            for item in root.items {
                guard item.kind == .mapping else {
                    problems.append((.rowNotObject, item.mark))
                    continue
                }
                var row = [YAMLNode?](repeating: nil, count: headers.count)
                for (key, value) in item.pairs {
                    let name = key.text
                    let column: Int
                    if let known = columnOf[name] {
                        column = known
                    } else {
                        column = headers.count
                        headers.append(name)
                        columnOf[name] = column
                        for r in cells.indices { cells[r].append(nil) }
                        row.append(nil)
                    }
                    row[column] = value
                }
                cells.append(row)
                rows.append(item)
            }
        }
        self.headers = headers
        self.cells = cells
        self.rowNodes = rows
        self.problems = problems
    }

    public var rowCount: Int { cells.count }
    public func headerMark(_ column: Int) -> SourceMark { headerMark }
    public func isBlank(_ row: Int, _ column: Int) -> Bool {
        guard let node = cells[row][column] else { return true }
        return node.kind == .scalar && (node.value == .null || node.text.isEmpty)
    }
    public func cell(_ row: Int, _ column: Int) -> TableCell {
        guard let node = cells[row][column] else { return .text("") }
        guard node.kind == .scalar, let value = node.value else { return .notScalar }
        let text = node.text
        switch value {
        case .string(let s): return .text(s)
        case .int(let i): return .value(.int(i), text: text)
        case .float(let d): return d.isFinite ? .value(.float(d), text: text) : .text(text)
        case .bool(let b): return .value(.bool(b), text: text)
        case .null: return .text("")
        }
    }
    public func isReadable(_ row: Int, _ column: Int) -> Bool {
        if case .notScalar = cell(row, column) { return false }
        return true
    }
    public func withUTF8<R>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        switch cell(row, column) {
        case .text(let text), .value(_, let text): return UTF8Bytes.with(text, body)
        case .invalidUTF8, .notScalar: return nil
        }
    }
    public func mark(_ row: Int, _ column: Int) -> SourceMark { cells[row][column]?.mark ?? rowNodes[row].mark }
    public func rowMark(_ row: Int) -> SourceMark { rowNodes[row].mark }
}

/// What a table's rows gave.
public struct TableEntries: Sendable {
    public var drs: [Manifest.DRSEntry] = []
    public var files: [Manifest.VolumeFile] = []
    public var diagnostics: [Diagnostic] = []
}

extension TableSource {
    /// The entries `rows` declare, and every problem (in the table, or in the manifest's
    /// column settings).
    ///
    /// - Parameters:
    ///   - rows: the table's cells.
    ///   - file: the table's name for diagnostics.
    ///   - declaredIn: the declaring manifest's name for diagnostics.
    ///   - origin: index of the table in `Manifest.sourceFiles`, kept on each entry.
    ///   - detail: `.addresses` checks every metadata cell but keeps none (for `validate`).
    public func entries(from rows: some TableRows, file: String, declaredIn: String, origin tableOrigin: Int,
                        detail: ExpansionDetail = .full, minChunk: Int = 8192) -> TableEntries {
        let keepMetadata = detail == .full, keepSources = detail == .full
        var out = TableEntries()
        func manifestProblem(_ p: SourceProblem, _ mark: SourceMark) {
            out.diagnostics.append(ManifestProblem.source(p).diagnostic(file: declaredIn, mark: mark))
        }
        func tableProblem(_ p: SourceProblem, _ mark: SourceMark) {
            out.diagnostics.append(ManifestProblem.source(p).diagnostic(file: file, mark: mark))
        }
        let headers = rows.headers
        guard !headers.isEmpty else {
            tableProblem(.emptyTable, SourceMark(line: 1, column: 1))
            return out
        }
        // Columns by name; a repeated name is an error, its later columns unused.
        var columnOf: [String: Int] = [:]
        var unusable = Set<Int>()
        for (c, name) in headers.enumerated() {
            if name.isEmpty { unusable.insert(c); continue }
            if let first = columnOf[name] {
                tableProblem(.duplicateHeader(name, firstColumn: first + 1), rows.headerMark(c))
                unusable.insert(c)
            } else {
                columnOf[name] = c
            }
        }
        let named = headers.filter { !$0.isEmpty }
        func configured(_ column: Column?) -> Int? {
            guard let column else { return nil }
            if let c = columnOf[column.name] { return c }
            manifestProblem(.unknownConfiguredColumn(column: column.name, suggestion: Suggestion.closest(to: column.name, in: named)),
                            column.mark)
            return -1
        }
        func required(_ column: Column?, defaults: [String], role: String) -> Int? {
            if let c = configured(column) { return c < 0 ? nil : c }
            for name in defaults { if let c = columnOf[name] { return c } }
            let wanted = defaults[0]
            let suggestion = defaults.lazy.compactMap { Suggestion.closest(to: $0, in: named) }.first
                ?? named.first { $0.lowercased() == wanted.lowercased() }
            tableProblem(.missingColumn(role: role, column: wanted, suggestion: suggestion, headers: named), rows.headerMark)
            return nil
        }
        func optional(_ column: Column?, default name: String) -> Int? {
            if let c = configured(column) { return c < 0 ? nil : c }
            return columnOf[name]
        }

        // The columns each role takes.
        var uriColumn: Int?, nameColumn: Int?, locationColumn: Int?, folderColumn: Int?
        var template: [(literal: Bool, text: String, column: Int)]?
        var ok = true
        switch kind {
        case .drs:
            var templateText = uriTemplate
            if templateText == nil, uriColumn == nil, self.uriColumn == nil, effectiveFormat == .gen3,
               columnOf["drs_uri"] == nil, columnOf["DRS URI"] == nil {
                templateText = "drs://{object_id}"
            }
            if let templateText, self.uriColumn == nil {
                var parts: [(literal: Bool, text: String, column: Int)] = []
                for part in Self.templateParts(templateText) ?? [] {
                    if part.literal { parts.append((true, part.text, -1)); continue }
                    if let c = columnOf[part.text] {
                        parts.append((false, part.text, c))
                    } else if uriTemplate == nil {
                        tableProblem(.missingColumn(role: "Gen3 object id", column: part.text,
                                                    suggestion: Suggestion.closest(to: part.text, in: named), headers: named),
                                     rows.headerMark)
                        ok = false
                    } else {
                        manifestProblem(.unknownConfiguredColumn(column: part.text, suggestion: Suggestion.closest(to: part.text, in: named)),
                                        uriTemplateMark ?? mark)
                        ok = false
                    }
                }
                template = parts
            } else {
                uriColumn = required(self.uriColumn, defaults: ["drs_uri", "DRS URI"], role: "DRS URI")
                if uriColumn == nil { ok = false }
            }
            nameColumn = required(self.nameColumn, defaults: ["name", "file_name", "filename", "File Name"], role: "file name")
            if nameColumn == nil { ok = false }
        case .volume:
            locationColumn = required(self.locationColumn, defaults: ["location"], role: "object location")
            if locationColumn == nil { ok = false }
            nameColumn = optional(self.nameColumn, default: "name")
            folderColumn = optional(self.folderColumn, default: "folder")
        }
        var used = Set([uriColumn, nameColumn, locationColumn, folderColumn].compactMap { $0 })
        used.formUnion(unusable)
        for c in excludeColumns.compactMap(configured) where c >= 0 { used.insert(c) }
        var metadataColumns: [Int]
        if let listed = self.metadataColumns {
            metadataColumns = listed.compactMap(configured).filter { $0 >= 0 }
        } else {
            metadataColumns = headers.indices.filter { !used.contains($0) }
        }
        var keyOf: [Int: String] = [:], typeOf: [Int: ColumnType] = [:]
        for r in rename { if let c = configured(r.column), c >= 0 { keyOf[c] = r.key } }
        for t in types { if let c = configured(t.column), c >= 0 { typeOf[c] = t.type } }
        // Metadata columns sorted by key, so each row's entries need no sorting.
        let meta: [(column: Int, key: String, header: String, type: ColumnType)] = metadataColumns
            .map { (column: $0, key: keyOf[$0] ?? headers[$0], header: headers[$0], type: typeOf[$0] ?? .string) }
            .sorted { $0.key < $1.key }
        let metaColumns = meta.map(\.column), metaTypes = meta.map(\.type)
        // Columns without a name must be blank.
        let nameless = headers.indices.filter { headers[$0].isEmpty }
        for c in nameless {
            if let row = (0..<rows.rowCount).first(where: { !rows.isBlank($0, c) }) {
                tableProblem(.cellWithoutHeader(column: c + 1), rows.mark(row, c))
            }
        }
        guard ok else { return out }

        // The rows, in chunks on every core; results joined in row order.
        // Each row's entry goes to `emitDRS` or `emitFile`; the problems are returned.
        // Entries are handed over, not copied: a copy costs a reference count per string.
        func process(_ range: Range<Int>, emitDRS: (consuming Manifest.DRSEntry) -> Void,
                     emitFile: (consuming Manifest.VolumeFile) -> Void) -> [Diagnostic] {
            var part = TableEntries()
            func report(_ p: ManifestProblem, _ row: Int, _ column: Int) {
                part.diagnostics.append(p.diagnostic(file: file, mark: rows.mark(row, column)))
            }
            func text(_ row: Int, _ column: Int) -> String? {
                switch rows.cell(row, column) {
                case .text(let s): return s
                case .value(_, let text): return text
                case .invalidUTF8: report(.source(.invalidUTF8(column: headers[column])), row, column); return nil
                case .notScalar: report(.source(.cellNotScalar(column: headers[column])), row, column); return nil
                }
            }
            func nonEmpty(_ row: Int, _ column: Int) -> String? {
                if rows.isBlank(row, column) {
                    report(.source(.emptyCell(column: headers[column])), row, column)
                    return nil
                }
                return text(row, column)
            }
            /// An optional column's cell, checked by `rule`; `nil` when blank or wrong.
            func optional(_ row: Int, _ column: Int?, _ rule: (String) -> ManifestProblem?, _ valid: inout Bool) -> String? {
                guard let column, !rows.isBlank(row, column) else { return nil }
                guard let value = text(row, column) else { valid = false; return nil }
                if let problem = rule(value) {
                    report(problem, row, column)
                    valid = false
                }
                return value
            }
            // The chunk's own copies of what every row shares (see `LocalCopies`).
            let project = self.project.map(LocalCopies.copy), tags = self.tags.map(LocalCopies.copy)
            let base = self.folder.map(LocalCopies.copy)
            rowLoop: for row in range {
                var valid = true
                // Metadata first: every problem of the row is reported.
                var entries: [Metadata.Entry] = []
                if keepMetadata { entries.reserveCapacity(meta.count) }
                for i in metaColumns.indices {
                    // Column and type from plain arrays: a row costs no reference count of a
                    // key or header string unless it keeps or reports one.
                    let column = metaColumns[i], type = metaTypes[i]
                    if rows.isBlank(row, column) {
                        if keepEmpty && keepMetadata { entries.append(Metadata.Entry(key: meta[i].key, value: .string(""))) }
                        continue
                    }
                    if !keepMetadata && type == .string {
                        // Checked, not kept: no String per cell.
                        if !rows.isReadable(row, column) {
                            switch rows.cell(row, column) {
                            case .notScalar: report(.source(.cellNotScalar(column: meta[i].header)), row, column)
                            default: report(.source(.invalidUTF8(column: meta[i].header)), row, column)
                            }
                            valid = false
                        }
                        continue
                    }
                    let m = meta[i]
                    let value: MetadataValue
                    switch rows.cell(row, m.column) {
                    case .value(let v, _) where m.type == .string:
                        value = v
                    case .value(_, let s), .text(let s):
                        guard let typed = Self.typed(s, m.type) else {
                            report(.source(.valueNotOfType(column: m.header, text: s, type: m.type.rawValue)), row, m.column)
                            valid = false
                            continue
                        }
                        value = typed
                    case .invalidUTF8:
                        report(.source(.invalidUTF8(column: m.header)), row, m.column)
                        valid = false
                        continue
                    case .notScalar:
                        report(.source(.cellNotScalar(column: m.header)), row, m.column)
                        valid = false
                        continue
                    }
                    if keepMetadata { entries.append(Metadata.Entry(key: m.key, value: value)) }
                }
                var metadata = Metadata(entries: entries)
                if keepMetadata && !self.metadata.isEmpty { metadata = self.metadata.merging(metadata) }

                switch kind {
                case .drs:
                    var uri = ""
                    var uriAt = -1
                    var checked = false
                    if let uriColumn {
                        uriAt = uriColumn
                        if !keepSources, !rows.isBlank(row, uriColumn),
                           let problem = rows.withUTF8(row, uriColumn, ManifestValidation.drsURIProblem(utf8:)) {
                            // Checked in place, not kept (see `ExpansionDetail.addresses`); reported
                            // only for a row with no problem so far, as the full reading does.
                            checked = true
                            if valid, let problem { report(problem, row, uriColumn); valid = false }
                        } else if let u = nonEmpty(row, uriColumn) { uri = u } else { valid = false }
                    } else if let template {
                        for part in template {
                            if part.literal { uri += part.text; continue }
                            if uriAt < 0 { uriAt = part.column }
                            if rows.isBlank(row, part.column) {
                                report(.source(.templateCellEmpty(column: part.text)), row, part.column)
                                valid = false
                            } else if let t = text(row, part.column) { uri += t } else { valid = false }
                        }
                    }
                    if valid, !checked, let problem = ManifestValidation.drsURI(uri) {
                        report(problem, row, max(uriAt, 0))
                        valid = false
                    }
                    guard let nameColumn else { continue rowLoop }
                    guard !rows.isBlank(row, nameColumn), let (folder, name) = rows.withUTF8(row, nameColumn, { Self.split($0, under: base) })
                    else {
                        _ = nonEmpty(row, nameColumn)  // Blank or not text: reports which.
                        continue rowLoop
                    }
                    if let problem = ManifestValidation.name(name) ?? folder.flatMap({ f in
                        f == base ? nil : ManifestValidation.folder(f)
                    }) {
                        report(problem, row, nameColumn)
                        valid = false
                    }
                    guard valid else { continue rowLoop }
                    var entry = Manifest.DRSEntry(uri: uri, name: name, folder: folder, project: project, metadata: metadata,
                                                  tags: tags, conflict: conflict, mark: rows.rowMark(row))
                    entry.origin = tableOrigin
                    emitDRS(consume entry)
                case .volume:
                    guard let locationColumn, let location = nonEmpty(row, locationColumn) else { continue rowLoop }
                    if let problem = ManifestValidation.location(location) {
                        report(problem, row, locationColumn)
                        valid = false
                    }
                    let name = optional(row, nameColumn, ManifestValidation.name, &valid)
                    if nameColumn == nil || rows.isBlank(row, nameColumn!), valid, !ManifestValidation.isPlainLastSegment(of: location),
                              let problem = ManifestValidation.name(Manifest.lastSegment(of: location)) {
                        report(problem, row, locationColumn)
                        valid = false
                    }
                    let folder = optional(row, folderColumn, ManifestValidation.folder, &valid)
                    guard valid else { continue rowLoop }
                    var file = Manifest.VolumeFile(location: location, name: name, folder: folder, project: project,
                                                   metadata: metadata, tags: tags, conflict: conflict, mark: rows.rowMark(row))
                    file.origin = tableOrigin
                    emitFile(consume file)
                }
            }
            return part.diagnostics
        }
        // The rows in chunks on every core, each written straight into its place (no copy of a
        // million entries); problems joined in row order.
        let diagnostics: [Diagnostic]
        switch kind {
        case .drs:
            (out.drs, diagnostics) = Parallel.gather(count: rows.rowCount, minChunk: minChunk) { range, at in
                var kept = 0
                let found = process(range, emitDRS: { (at + kept).initialize(to: $0); kept += 1 }, emitFile: { _ in })
                return (kept, found)
            }
        case .volume:
            (out.files, diagnostics) = Parallel.gather(count: rows.rowCount, minChunk: minChunk) { range, at in
                var kept = 0
                let found = process(range, emitDRS: { _ in }, emitFile: { (at + kept).initialize(to: $0); kept += 1 })
                return (kept, found)
            }
        }
        out.diagnostics += diagnostics
        return out
    }

    /// A `name` cell that may hold folders (`a/b/file.cram`): the folder under `base`, and the name.
    static func split(_ path: UnsafeBufferPointer<UInt8>, under base: String?) -> (folder: String?, name: String) {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return (base, String(decoding: path, as: UTF8.self)) }
        let below = UnsafeBufferPointer(rebasing: path[..<slash])
        let name = String(decoding: UnsafeBufferPointer(rebasing: path[(slash + 1)...]), as: UTF8.self)
        // "/file": an absolute path, reported as a folder starting with '/'.
        if below.isEmpty { return ((base.map { $0.isEmpty ? "" : $0 + "/" } ?? "") + "/", name) }
        return (Expander.path(base, String(decoding: below, as: UTF8.self)), name)
    }

    /// A cell's text as `type`; `nil` when it is not one.
    static func typed(_ text: String, _ type: ColumnType) -> MetadataValue? {
        switch type {
        case .string: return .string(text)
        case .integer: return Int(text).map(MetadataValue.int)
        case .float:
            guard let d = Double(text), d.isFinite else { return nil }
            return .float(d)
        case .boolean:
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        }
    }
}
