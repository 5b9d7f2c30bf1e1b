// Public surface of the YAML layer. The tree is an immutable arena (one storage object per
// document) so a 1,000,000-entry manifest costs a few flat arrays, not ten million objects.
// `YAMLNode` is a cheap cursor (storage + index) into it.

/// How a scalar was written.
public enum ScalarStyle: UInt8, Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar's value under the YAML 1.2 core schema (after an explicit standard tag, if any).
/// Quoted scalars are always strings; `yes`/`no`/`on`/`off` are strings.
public enum YAMLValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

/// One node of a parsed document, with the mark where it starts.
/// Aliases are resolved: an alias is the anchored node itself (same `id`).
public struct YAMLNode: Sendable {
    public enum Kind: Sendable, Hashable {
        case scalar, sequence, mapping
    }

    // Inlinable hot accessors (kind, count, items, pairs): a decoder walks millions of nodes
    // from another module, and a call plus retain/release per access would dominate its time.
    @usableFromInline let storage: YAMLStorage
    @usableFromInline let index: Int32

    @usableFromInline
    init(storage: YAMLStorage, index: Int32) {
        self.storage = storage
        self.index = index
    }

    @inlinable
    var raw: YAMLStorage.RawNode { storage.nodes[Int(index)] }

    /// Identity within its document; an alias and its anchor share it.
    @inlinable public var id: Int { Int(index) }
    @inlinable public var kind: Kind { raw.kind }
    /// Where the node starts (for an alias use: where the anchored node starts).
    public var mark: SourceMark { storage.mark(ofNode: index) }
    /// The explicit tag in full form (`tag:yaml.org,2002:str`), or `nil` when none was written.
    public var tag: String? { storage.tag(ofNode: index) }
    /// A scalar's text as written after unescaping; empty for collections.
    public var text: String { storage.text(of: raw) }
    /// A scalar's style; `.plain` for collections.
    public var style: ScalarStyle { raw.style }
    /// A scalar's resolved value; `nil` for collections.
    public var value: YAMLValue? { storage.value(of: raw) }
    /// Whether this is a scalar whose text is exactly `string` (no String is built).
    public func hasText(_ string: String) -> Bool { storage.text(of: raw, equals: string) }
    /// Number of items (sequence) or pairs (mapping, after merges); 0 for scalars.
    @inlinable public var count: Int { raw.kind == .scalar ? 0 : (raw.kind == .mapping ? Int(raw.count) / 2 : Int(raw.count)) }
    /// A sequence's items; empty for other kinds.
    @inlinable public var items: Items { Items(node: self) }
    /// A mapping's pairs in document order, `<<` merges applied (explicit keys win); empty otherwise.
    @inlinable public var pairs: Pairs { Pairs(node: self) }

    /// The value for a plain string key of a mapping, if present.
    public subscript(key: String) -> YAMLNode? {
        for pair in pairs where pair.key.hasText(key) { return pair.value }
        return nil
    }

    /// The same node through a storage object of its own; the document's arrays are shared,
    /// not copied. For walking part of a document on one core while other cores walk other
    /// parts: every cursor counts a reference on its storage object, and one object counted
    /// from several cores at once passes its cache line between them on every count (measured:
    /// about a tenth of decoding a 1,000,000-entry manifest on two cores).
    public func onOwnStorage() -> YAMLNode {
        YAMLNode(storage: storage.sharingArrays(), index: index)
    }

    public struct Items: RandomAccessCollection, Sendable {
        @usableFromInline let node: YAMLNode
        @inlinable init(node: YAMLNode) { self.node = node }
        /// These items through a storage object of their own (see `YAMLNode.onOwnStorage()`).
        public func onOwnStorage() -> Items { Items(node: node.onOwnStorage()) }
        @inlinable public var startIndex: Int { 0 }
        @inlinable public var endIndex: Int { node.raw.kind == .sequence ? Int(node.raw.count) : 0 }
        @inlinable public subscript(position: Int) -> YAMLNode {
            let child = node.storage.children[Int(node.raw.start) + position]
            return YAMLNode(storage: node.storage, index: child)
        }
    }

    public struct Pairs: RandomAccessCollection, Sendable {
        @usableFromInline let node: YAMLNode
        @inlinable init(node: YAMLNode) { self.node = node }
        @inlinable public var startIndex: Int { 0 }
        @inlinable public var endIndex: Int { node.raw.kind == .mapping ? Int(node.raw.count) / 2 : 0 }
        @inlinable public subscript(position: Int) -> (key: YAMLNode, value: YAMLNode) {
            let base = Int(node.raw.start) + 2 * position
            return (YAMLNode(storage: node.storage, index: node.storage.children[base]),
                    YAMLNode(storage: node.storage, index: node.storage.children[base + 1]))
        }
    }
}

/// A parsed YAML document.
public struct YAMLDocument: Sendable {
    /// The file name used in diagnostics.
    public let file: String
    public let root: YAMLNode

    init(file: String, root: YAMLNode) {
        self.file = file
        self.root = root
    }
}

/// Limits that stop hostile input fast. Each has a clear message when exceeded.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes (a 1,000,000-entry manifest is about 180 MB).
    public var maxInputBytes: Int = 1 << 30
    /// Deepest nesting of collections.
    public var maxDepth: Int = 256
    /// Total nodes that alias uses may add to the document (each use counts its anchor's subtree).
    public var maxAliasExpansion: Int = 10_000_000
    /// Longest single scalar, in bytes.
    public var maxScalarBytes: Int = 1 << 20

    public init() {}
    public static let `default` = YAMLLimits()
}

/// What a parse accepts beyond a manifest's needs (the conformance suite uses these).
public struct YAMLParseOptions: Sendable, Hashable {
    public var limits: YAMLLimits = .default
    /// Accept tags other than the YAML 1.2 core schema's standard ones (kept, not interpreted).
    public var allowsUnknownTags: Bool = false
    /// Accept duplicate mapping keys (the last one wins).
    public var allowsDuplicateKeys: Bool = false

    public init() {}
    public static let manifest = YAMLParseOptions()
}

