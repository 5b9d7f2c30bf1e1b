import SyncYAML

/// Decoding of table sources (`from:`, `files_from:`, `columns:`) and `include:`.
extension ManifestDecoder {
    /// Whether a `drs` item is a table (`from:`) rather than one file.
    static func isTable(_ item: YAMLNode) -> Bool {
        guard item.kind == .mapping else { return false }
        for (key, _) in item.pairs where key.kind == .scalar && key.hasText(DRSKey.from.rawValue) { return true }
        return false
    }

    /// A `drs` item with `from:`.
    mutating func decodeTable(_ node: YAMLNode, kind: TableSource.Kind) -> TableSource? {
        var table: TableSource?
        var valid = true
        var settings: [(DRSKey, YAMLNode, YAMLNode)] = []
        for (keyNode, value) in node.pairs {
            guard let key: DRSKey = self.key(keyNode, section: Section.drsEntry) else { continue }
            if key == .from {
                if let path = string(value, key: "from") {
                    table = TableSource(path: path, pathMark: value.mark, kind: kind, mark: node.mark)
                } else { valid = false }
            } else {
                settings.append((key, keyNode, value))
            }
        }
        guard var table else { return nil }
        for (key, keyNode, value) in settings {
            switch key {
            case .from: break
            case .uri: report(.source(.uriWithTable), at: keyNode); valid = false
            case .name: report(.source(.nameWithTable), at: keyNode); valid = false
            case .folder:
                if let folder = folder(value) { table.folder = folder } else { valid = false }
            case .project:
                if let id = string(value, key: "project"), check(id, ManifestValidation.projectID, at: value) != nil {
                    table.project = id
                } else { valid = false }
            case .metadata: table.metadata = metadata(value)
            case .tags: table.tags = tags(value)
            case .conflict: table.conflict = conflict(value)
            case .format: if !decodeFormat(value, into: &table) { valid = false }
            case .columns:
                // Its problems are reported; the table is still read, for its own problems.
                _ = decodeColumns(value, into: &table)
            case .uriTemplate:
                guard let template = string(value, key: "uri_template") else { valid = false; continue }
                if TableSource.templateParts(template) == nil {
                    report(.source(.badTemplate(template)), at: value)
                    valid = false
                }
                table.uriTemplate = template
                table.uriTemplateMark = value.mark
            case .keepEmpty: if let b = boolean(value, key: "keep_empty") { table.keepEmpty = b } else { valid = false }
            case .allowOutside: if let b = boolean(value, key: "allow_outside") { table.allowOutside = b } else { valid = false }
            }
        }
        if valid, table.effectiveFormat == nil {
            report(.source(.unknownFormat(table.path)), at: node[DRSKey.from.rawValue] ?? node)
            valid = false
        }
        return valid ? table : nil
    }

    /// A volume group's `files_from:` and its settings, when it has one.
    mutating func decodeGroupTable(_ node: YAMLNode) -> TableSource? {
        var table: TableSource?
        var valid = true
        var settings: [(GroupKey, YAMLNode, YAMLNode)] = []
        for (keyNode, value) in node.pairs {
            guard keyNode.kind == .scalar else { continue }
            guard let key = GroupKey.allCases.first(where: { keyNode.hasText($0.rawValue) }) else { continue }
            switch key {
            case .filesFrom:
                if let path = string(value, key: "files_from") {
                    table = TableSource(path: path, pathMark: value.mark, kind: .volume(group: -1), mark: node.mark)
                } else { valid = false }
            case .format, .columns, .keepEmpty, .allowOutside: settings.append((key, keyNode, value))
            case .volume, .folder, .project, .conflict, .tags, .metadata, .files, .prefixes: break
            }
        }
        guard var table else {
            for (_, keyNode, _) in settings { report(.source(.tableKeyWithoutSource(key: keyNode.text)), at: keyNode) }
            return nil
        }
        for (key, _, value) in settings {
            switch key {
            case .format: if !decodeFormat(value, into: &table) { valid = false }
            case .columns: _ = decodeColumns(value, into: &table)
            case .keepEmpty: if let b = boolean(value, key: "keep_empty") { table.keepEmpty = b } else { valid = false }
            case .allowOutside: if let b = boolean(value, key: "allow_outside") { table.allowOutside = b } else { valid = false }
            default: break
            }
        }
        if valid, table.effectiveFormat == nil {
            report(.source(.unknownFormat(table.path)), at: node[GroupKey.filesFrom.rawValue] ?? node)
            valid = false
        }
        return valid ? table : nil
    }

    /// `include: [part.yaml, …]`.
    mutating func decodeIncludes(_ node: YAMLNode) -> [Manifest.Include] {
        if node.kind == .scalar, node.value != .null {
            report(.expectedList(key: "include"), at: node)
            return []
        }
        var includes: [Manifest.Include] = []
        for item in list(node, key: "include") {
            if let path = string(item, key: "include") { includes.append(Manifest.Include(path: path, mark: item.mark)) }
        }
        return includes
    }

    private mutating func decodeFormat(_ value: YAMLNode, into table: inout TableSource) -> Bool {
        guard let text = string(value, key: "format") else { return false }
        guard let format = TableSource.Format(rawValue: text) else {
            report(.unknownKey(key: text, section: "'format'", suggestion: Suggestion.closest(to: text, in: TableSource.Format.allCases.map(\.rawValue)),
                               expected: TableSource.Format.allCases.map(\.rawValue)), at: value)
            return false
        }
        table.format = format
        return true
    }

    private mutating func boolean(_ node: YAMLNode, key: String) -> Bool? {
        guard node.kind == .scalar, case .bool(let b) = node.value else {
            report(.source(.expectedBoolean(key: key)), at: node)
            return nil
        }
        return b
    }

    /// A column named in `columns:`.
    private mutating func column(_ value: YAMLNode, key: String) -> TableSource.Column? {
        guard let name = string(value, key: key) else { return nil }
        return TableSource.Column(name: name, mark: value.mark)
    }

    /// `columns: {uri, name, location, folder, metadata, exclude, rename, types}`.
    private mutating func decodeColumns(_ node: YAMLNode, into table: inout TableSource) -> Bool {
        guard mapping(node, what: "'columns'") else { return false }
        var valid = true
        for (keyNode, value) in node.pairs {
            guard let key: ColumnsKey = self.key(keyNode, section: "'columns'") else { valid = false; continue }
            switch key {
            case .uri: table.uriColumn = column(value, key: "uri")
            case .name: table.nameColumn = column(value, key: "name")
            case .location: table.locationColumn = column(value, key: "location")
            case .folder: table.folderColumn = column(value, key: "folder")
            case .metadata:
                var columns: [TableSource.Column] = []
                for item in list(value, key: "metadata") { if let c = column(item, key: "metadata") { columns.append(c) } }
                table.metadataColumns = columns
            case .exclude:
                for item in list(value, key: "exclude") { if let c = column(item, key: "exclude") { table.excludeColumns.append(c) } }
            case .rename, .types:
                if value.kind == .scalar, value.value == .null { continue }
                guard mapping(value, what: "'\(key.rawValue)'") else { valid = false; continue }
                for (k, v) in value.pairs {
                    guard k.kind == .scalar else { report(.expectedPlainKey, at: k); valid = false; continue }
                    let col = TableSource.Column(name: k.text, mark: k.mark)
                    guard let text = string(v, key: k.text) else { valid = false; continue }
                    if key == .rename {
                        if text.isEmpty { report(.emptyMetadataKey, at: v); valid = false; continue }
                        table.rename.append(TableSource.Rename(column: col, key: text))
                    } else if let type = TableSource.ColumnType(rawValue: text) {
                        table.types.append(TableSource.Typed(column: col, type: type))
                    } else {
                        report(.source(.unknownColumnType(text, suggestion: Suggestion.closest(
                            to: text, in: TableSource.ColumnType.allCases.map(\.rawValue)))), at: v)
                        valid = false
                    }
                }
            }
        }
        if table.metadataColumns != nil, !table.excludeColumns.isEmpty {
            // Both are allowed: `exclude` then takes columns out of the `metadata` list.
            let excluded = Set(table.excludeColumns.map(\.name))
            table.metadataColumns = table.metadataColumns?.filter { !excluded.contains($0.name) }
        }
        return valid
    }
}
