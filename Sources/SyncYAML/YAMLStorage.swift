/// Internal storage of one document: flat arrays, immutable once built, hence Sendable.
///
/// A node is 16 bytes (`RawNode`). Collections list their children in `children` (mappings
/// as key, value, key, value … with `<<` merges already applied); scalars point into `bytes`,
/// one arena holding every scalar's unescaped UTF-8. Tags are rare, so the full tag text lives
/// in a side table; the node itself only keeps the tag's class (what resolution needs).
@usableFromInline
final class YAMLStorage: Sendable {
    /// What an explicit tag means for scalar resolution.
    enum TagClass: UInt32, Sendable {
        /// No tag written: the core schema decides (plain) or it is a string (quoted).
        case none = 0
        case str, int, float, bool, null
        /// `!` or a tag kept under `allowsUnknownTags`: a string.
        case other
        /// `!!map` / `!!seq` (collections only).
        case collection
    }

    @usableFromInline
    struct RawNode: Sendable {
        /// Bits 0-1 kind, 2-4 style, 5-7 tag class, 8-31 column (saturated; see `wideColumns`).
        @usableFromInline var info: UInt32
        @usableFromInline var line: UInt32
        /// Scalars: byte offset into `bytes`; collections: offset into `children`.
        @usableFromInline var start: UInt32
        /// Scalars: byte length; sequences: item count; mappings: 2 × pair count.
        @usableFromInline var count: UInt32

        static let columnSaturated: UInt32 = 0xFF_FFFF

        init(kind: YAMLNode.Kind, style: ScalarStyle, tagClass: TagClass, line: Int, column: Int, start: UInt32, count: UInt32) {
            let kindBits: UInt32 = kind == .scalar ? 0 : (kind == .sequence ? 1 : 2)
            let columnBits = UInt32(truncatingIfNeeded: Swift.min(column, Int(Self.columnSaturated)))
            info = kindBits | UInt32(style.rawValue) << 2 | tagClass.rawValue << 5 | columnBits << 8
            self.line = UInt32(truncatingIfNeeded: Swift.min(line, Int(UInt32.max)))
            self.start = start
            self.count = count
        }

        @inlinable var kind: YAMLNode.Kind {
            switch info & 3 {
            case 0: .scalar
            case 1: .sequence
            default: .mapping
            }
        }
        var style: ScalarStyle { ScalarStyle(rawValue: UInt8((info >> 2) & 7)) ?? .plain }
        var tagClass: TagClass { TagClass(rawValue: (info >> 5) & 7) ?? .other }
        var column: UInt32 { info >> 8 }
    }

    @usableFromInline let nodes: [RawNode]
    @usableFromInline let children: [Int32]
    let bytes: [UInt8]
    /// Full tag text of tagged nodes (`tag:yaml.org,2002:str`, `!local`, `!`).
    let tags: [Int32: String]
    /// Columns too large for a node's 24 bits (lines longer than 16 M characters).
    let wideColumns: [Int32: Int]

    init(nodes: [RawNode], children: [Int32], bytes: [UInt8], tags: [Int32: String], wideColumns: [Int32: Int]) {
        self.nodes = nodes
        self.children = children
        self.bytes = bytes
        self.tags = tags
        self.wideColumns = wideColumns
    }

    /// Another storage object over the same arrays (shared, not copied).
    func sharingArrays() -> YAMLStorage {
        YAMLStorage(nodes: nodes, children: children, bytes: bytes, tags: tags, wideColumns: wideColumns)
    }

    func tag(ofNode index: Int32) -> String? { tags.isEmpty ? nil : tags[index] }

    func mark(ofNode index: Int32) -> SourceMark {
        let raw = nodes[Int(index)]
        var column = Int(raw.column)
        if raw.column == RawNode.columnSaturated, let wide = wideColumns[index] { column = wide }
        return SourceMark(line: Int(raw.line), column: column)
    }

    func withScalarBytes<R>(of raw: RawNode, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { all in
            let start = Int(raw.start)
            return body(UnsafeBufferPointer(rebasing: all[start..<(start + Int(raw.count))]))
        }
    }

    func text(of raw: RawNode) -> String {
        guard raw.kind == .scalar else { return "" }
        return withScalarBytes(of: raw) { String(decoding: $0, as: UTF8.self) }
    }

    func text(of raw: RawNode, equals string: String) -> Bool {
        guard raw.kind == .scalar else { return false }
        var string = string
        return string.withUTF8 { wanted in
            withScalarBytes(of: raw) { have in
                have.count == wanted.count && (have.isEmpty || memcmp(have.baseAddress!, wanted.baseAddress!, have.count) == 0)
            }
        }
    }

    /// The scalar's value under the YAML 1.2 core schema, resolved now (lazily, at access).
    func value(of raw: RawNode) -> YAMLValue? {
        guard raw.kind == .scalar else { return nil }
        return withScalarBytes(of: raw) { text in
            CoreSchema.resolve(text, plain: raw.style == .plain, tagClass: raw.tagClass)
                ?? .string(String(decoding: text, as: UTF8.self))
        }
    }
}

private func memcmp(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return 0
}
