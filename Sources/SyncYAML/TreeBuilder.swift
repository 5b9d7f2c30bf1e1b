internal import CYAML
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Turns one document's libyaml events into a `YAMLStorage`, enforcing the limits, tags,
/// anchors, merges and key uniqueness as it goes. Iterative (an explicit frame stack), so no
/// input can overflow the call stack.
struct TreeBuilder {
    typealias RawNode = YAMLStorage.RawNode

    private struct Frame {
        var node: Int32
        var isMapping: Bool
        /// A block (not flow) collection.
        var isBlock: Bool
        /// Where this collection's children start in `pending`.
        var pendingBase: Int
        /// `nodes.count` and `aliasExpansion` at the start, to size the subtree at the end.
        var nodeBase: Int
        var aliasBase: Int
        /// Index into `openAnchors`, or -1.
        var anchorSlot: Int32
    }

    private struct Anchor {
        var node: Int32
        /// Nodes the anchored subtree stands for (aliases inside it expanded); -1 while open.
        var size: Int
    }

    let file: String
    let options: YAMLParseOptions
    private let limits: YAMLLimits

    private var nodes: [RawNode] = []
    private var children: [Int32] = []
    private var bytes: [UInt8] = []
    private var tags: [Int32: String] = [:]
    private var wideColumns: [Int32: Int] = [:]

    /// Children of the open collections, innermost last.
    private var pending: [Int32] = []
    private var frames: [Frame] = []
    private var anchors: [String: Anchor] = [:]
    private var openAnchors: [String] = []
    /// Nodes added by alias uses so far.
    private var aliasExpansion = 0
    /// Recently stored short keys: (offset << 32 | length) by hash; 0 = empty.
    private var keyCache = [UInt64](repeating: 0, count: keyCacheSize)
    private static let keyCacheSize = 4096

    private(set) var root: Int32?
    /// Deepest nesting reached.
    private(set) var maxDepth = 0
    /// Whether any node had an anchor.
    private(set) var sawAnchor = false
    /// Added to every line from libyaml (a split parse's main parser, past the cut).
    var lineShift = 0

    init(file: String, options: YAMLParseOptions, inputSize: Int) {
        self.file = file
        self.options = options
        self.limits = options.limits
        // Reserve from the input size so the big arrays never grow by copying (a copy would
        // briefly double them). Untouched pages cost no memory, yet a reservation far beyond
        // need could fail under strict overcommit, so the estimates are a manifest's ratios
        // plus headroom: about one node per 15 bytes of input, scalar bytes about half of it.
        if inputSize > 0 {
            nodes.reserveCapacity(inputSize / 12 + 16)
            children.reserveCapacity(inputSize / 12 + 16)
            bytes.reserveCapacity(inputSize * 3 / 4 + 16)
        }
        pending.reserveCapacity(1024)
        frames.reserveCapacity(64)
    }

    func finish() -> YAMLStorage {
        YAMLStorage(nodes: nodes, children: children, bytes: bytes, tags: tags, wideColumns: wideColumns)
    }

    // MARK: - Events

    /// Adds what a node event (scalar, alias, collection start or end) contributes; other
    /// events (stream and document boundaries) contribute nothing.
    @inline(__always)
    mutating func add(_ event: UnsafeMutablePointer<yaml_event_t>) throws(YAMLError) {
        switch event.pointee.type {
        case YAML_SCALAR_EVENT: try scalar(event)
        case YAML_MAPPING_START_EVENT: try startCollection(event, kind: .mapping)
        case YAML_SEQUENCE_START_EVENT: try startCollection(event, kind: .sequence)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT: try endCollection()
        case YAML_ALIAS_EVENT: try alias(event)
        default: break
        }
    }

    mutating func scalar(_ event: UnsafeMutablePointer<yaml_event_t>) throws(YAMLError) {
        let data = event.pointee.data.scalar
        let line = event.pointee.start_mark.line + 1 + lineShift
        let column = event.pointee.start_mark.column + 1
        let length = data.length
        // libyaml's styles are ours plus one (0 is "any", never produced by the parser).
        let style: ScalarStyle = switch data.style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
        var tagClass = YAMLStorage.TagClass.none
        var tagText: String?
        if let tag = data.tag {
            let text = String(cString: tag)
            tagClass = try classify(tag: text, mark: event.pointee.start_mark.sourceMark)
            if tagClass == .collection {
                throw YAMLError(.invalidValue, diagnostic(at: event.pointee.start_mark.sourceMark,
                    YAMLMessage.tagOnWrongKind(text, kind: "scalar")))
            }
            tagText = text
        }
        if length > limits.maxScalarBytes {
            throw YAMLError(.scalarTooLong, diagnostic(at: event.pointee.start_mark.sourceMark,
                YAMLMessage.scalarTooLong(length: length, limit: limits.maxScalarBytes)))
        }
        let value = UnsafeBufferPointer(start: data.value, count: length)
        if tagClass != .none || (length >= 19 && style == .plain) {
            if let problem = CoreSchema.problem(value, plain: style == .plain, tagClass: tagClass) {
                let text = String(decoding: value, as: UTF8.self)
                let mark = event.pointee.start_mark.sourceMark
                switch problem {
                case .integerOutOfRange:
                    throw YAMLError(.invalidValue, diagnostic(at: mark, YAMLMessage.integerOutOfRange(text)))
                case .mismatch:
                    throw YAMLError(.invalidValue, diagnostic(at: mark, YAMLMessage.valueDoesNotFitTag(text, tag: tagText ?? "")))
                }
            }
        }
        let index = Int32(truncatingIfNeeded: nodes.count)
        let start = length > 0 ? storeBytes(value, isKey: isNextKey) : 0
        nodes.append(RawNode(kind: .scalar, style: style, tagClass: tagClass, line: line, column: column,
                             start: start, count: UInt32(truncatingIfNeeded: length)))
        if column >= Int(RawNode.columnSaturated) { wideColumns[index] = column }
        if let tagText { tags[index] = tagText }
        if let anchor = data.anchor {
            sawAnchor = true
            anchors[String(cString: anchor)] = Anchor(node: index, size: 1)
        }
        addChild(index)
    }

    mutating func startCollection(_ event: UnsafeMutablePointer<yaml_event_t>, kind: YAMLNode.Kind) throws(YAMLError) {
        let isMapping = kind == .mapping
        let anchor = isMapping ? event.pointee.data.mapping_start.anchor : event.pointee.data.sequence_start.anchor
        let tag = isMapping ? event.pointee.data.mapping_start.tag : event.pointee.data.sequence_start.tag
        let line = event.pointee.start_mark.line + 1 + lineShift
        let column = event.pointee.start_mark.column + 1
        if frames.count >= limits.maxDepth {
            throw YAMLError(.nestingTooDeep, diagnostic(at: event.pointee.start_mark.sourceMark,
                YAMLMessage.nestingTooDeep(limit: limits.maxDepth)))
        }
        let index = Int32(truncatingIfNeeded: nodes.count)
        var tagClass = YAMLStorage.TagClass.none
        if let tag {
            let text = String(cString: tag)
            tagClass = try classify(tag: text, mark: event.pointee.start_mark.sourceMark)
            let fits = tagClass == .other
                || text == (isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq")
            if !fits {
                throw YAMLError(.invalidValue, diagnostic(at: event.pointee.start_mark.sourceMark,
                    YAMLMessage.tagOnWrongKind(text, kind: isMapping ? "mapping" : "sequence")))
            }
            tags[index] = text
        }
        nodes.append(RawNode(kind: kind, style: .plain, tagClass: tagClass, line: line, column: column, start: 0, count: 0))
        if column >= Int(RawNode.columnSaturated) { wideColumns[index] = column }
        var slot: Int32 = -1
        if let anchor {
            sawAnchor = true
            let name = String(cString: anchor)
            anchors[name] = Anchor(node: index, size: -1)
            slot = Int32(openAnchors.count)
            openAnchors.append(name)
        }
        let isBlock = isMapping ? event.pointee.data.mapping_start.style == YAML_BLOCK_MAPPING_STYLE
            : event.pointee.data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE
        frames.append(Frame(node: index, isMapping: isMapping, isBlock: isBlock, pendingBase: pending.count,
                            nodeBase: nodes.count - 1, aliasBase: aliasExpansion, anchorSlot: slot))
        if frames.count > maxDepth { maxDepth = frames.count }
    }

    mutating func endCollection() throws(YAMLError) {
        let frame = frames.removeLast()
        let count = pending.count - frame.pendingBase
        let start = children.count
        if frame.isMapping {
            try finishMapping(frame)
        } else {
            pending.withUnsafeBufferPointer { children.append(contentsOf: UnsafeBufferPointer(rebasing: $0[frame.pendingBase...])) }
        }
        pending.removeLast(count)
        nodes[Int(frame.node)].start = UInt32(truncatingIfNeeded: start)
        nodes[Int(frame.node)].count = UInt32(truncatingIfNeeded: frame.isMapping ? children.count - start : count)
        if frame.anchorSlot >= 0 {
            let name = openAnchors.removeLast()
            let size = (nodes.count - frame.nodeBase) + (aliasExpansion - frame.aliasBase)
            // A later anchor of the same name inside this node may have replaced it: keep the latest.
            if anchors[name]?.node == frame.node { anchors[name]?.size = size }
        }
        addChild(frame.node)
    }

    mutating func alias(_ event: UnsafeMutablePointer<yaml_event_t>) throws(YAMLError) {
        let name = String(cString: event.pointee.data.alias.anchor)
        let mark = event.pointee.start_mark.sourceMark
        guard let anchor = anchors[name] else {
            throw YAMLError(.badAlias, diagnostic(at: mark, YAMLMessage.unknownAlias(name)))
        }
        guard anchor.size >= 0 else {
            throw YAMLError(.badAlias, diagnostic(at: mark, YAMLMessage.recursiveAlias(name)))
        }
        aliasExpansion += anchor.size
        if aliasExpansion > limits.maxAliasExpansion {
            throw YAMLError(.aliasExpansionTooLarge, diagnostic(at: mark, YAMLMessage.aliasExpansion(limit: limits.maxAliasExpansion)))
        }
        addChild(anchor.node)
    }

    /// Whether the next node is a mapping key.
    private var isNextKey: Bool {
        guard let frame = frames.last else { return false }
        return frame.isMapping && (pending.count - frame.pendingBase) & 1 == 0
    }

    /// Copies a scalar's bytes into the arena; returns their offset. Short keys are interned: a
    /// manifest repeats `location`, `metadata`, `sample_id` a million times, and one copy
    /// suffices (the arena is immutable, so nodes may share bytes).
    @inline(__always)
    private mutating func storeBytes(_ value: UnsafeBufferPointer<UInt8>, isKey: Bool) -> UInt32 {
        if isKey && value.count <= 32 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in value { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & (Self.keyCacheSize - 1)
            let cached = keyCache[slot]
            let cachedStart = Int(truncatingIfNeeded: cached >> 32), cachedCount = Int(truncatingIfNeeded: cached & 0xFFFF_FFFF)
            if cachedCount == value.count {
                let same = bytes.withUnsafeBufferPointer { arena in
                    memcmp(arena.baseAddress! + cachedStart, value.baseAddress!, cachedCount) == 0
                }
                if same { return UInt32(truncatingIfNeeded: cachedStart) }
            }
            let start = bytes.count
            bytes.append(contentsOf: value)
            keyCache[slot] = UInt64(start) << 32 | UInt64(value.count)
            return UInt32(truncatingIfNeeded: start)
        }
        let start = bytes.count
        bytes.append(contentsOf: value)
        return UInt32(truncatingIfNeeded: start)
    }

    @inline(__always)
    private mutating func addChild(_ index: Int32) {
        if frames.isEmpty { root = index } else { pending.append(index) }
    }

    // MARK: - Splicing (see `SplitParse`)

    /// Open collections.
    var depth: Int { frames.count }

    /// The innermost open collection when it is a block sequence: its column and its items so far.
    var innermostBlockSequence: (column: Int, items: Int)? {
        guard let frame = frames.last, !frame.isMapping, frame.isBlock else { return nil }
        return (Int(nodes[Int(frame.node)].column), pending.count - frame.pendingBase)
    }

    /// Appends the nodes of `part` (a document parsed on its own whose root is a sequence) and
    /// adds the root's items to the innermost open sequence, as if they had been read here.
    /// - Parameter lineOffset: added to every line of `part`.
    mutating func spliceItems(of part: YAMLStorage, root: Int32, lineOffset: Int) {
        let nodeBase = Int32(truncatingIfNeeded: nodes.count)
        let childBase = UInt32(truncatingIfNeeded: children.count)
        let byteBase = UInt32(truncatingIfNeeded: bytes.count)
        let shift = UInt32(truncatingIfNeeded: lineOffset)
        nodes.reserveCapacity(nodes.count + part.nodes.count)
        for var raw in part.nodes {
            raw.line &+= shift
            raw.start &+= raw.kind == .scalar ? byteBase : childBase
            nodes.append(raw)
        }
        children.reserveCapacity(children.count + part.children.count)
        for child in part.children { children.append(child &+ nodeBase) }
        bytes.append(contentsOf: part.bytes)
        for (node, tag) in part.tags { tags[node &+ nodeBase] = tag }
        for (node, column) in part.wideColumns { wideColumns[node &+ nodeBase] = column }
        let rootRaw = part.nodes[Int(root)]
        for i in 0..<Int(rootRaw.count) { pending.append(part.children[Int(rootRaw.start) + i] &+ nodeBase) }
    }

    // MARK: - Tags

    private func classify(tag: String, mark: SourceMark) throws(YAMLError) -> YAMLStorage.TagClass {
        switch tag {
        case "tag:yaml.org,2002:str": return .str
        case "tag:yaml.org,2002:int": return .int
        case "tag:yaml.org,2002:float": return .float
        case "tag:yaml.org,2002:bool": return .bool
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq": return .collection
        case "!": return .other
        default:
            if options.allowsUnknownTags { return .other }
            throw YAMLError(.unknownTag, diagnostic(at: mark, YAMLMessage.unknownTag(tag)))
        }
    }

    // MARK: - Mappings: merges and duplicate keys

    /// Writes the mapping's pairs (merges applied) to `children`, checking key uniqueness.
    private mutating func finishMapping(_ frame: Frame) throws(YAMLError) {
        let base = frame.pendingBase
        let pairCount = (pending.count - base) / 2
        var hasMerge = false
        for i in 0..<pairCount where isMergeKey(pending[base + 2 * i]) {
            hasMerge = true
            break
        }
        if !hasMerge {
            if !options.allowsDuplicateKeys {
                try checkUnique(base: base, pairCount: pairCount)
                pending.withUnsafeBufferPointer { children.append(contentsOf: UnsafeBufferPointer(rebasing: $0[base...])) }
            } else {
                appendLastWins(Array(pending[base...]))
            }
            return
        }
        // Explicit pairs, then the merged ones in place of the first `<<`.
        var explicit: [Int32] = []
        var mergePosition = -1
        var sources: [Int32] = []
        for i in 0..<pairCount {
            let key = pending[base + 2 * i], value = pending[base + 2 * i + 1]
            if isMergeKey(key) {
                if mergePosition >= 0 && !options.allowsDuplicateKeys {
                    let first = pending[base + 2 * firstMergeIndex(base: base, pairCount: pairCount)]
                    throw duplicateKeyError(key: key, first: first)
                }
                if mergePosition < 0 { mergePosition = explicit.count }
                try collectMergeSources(value, into: &sources)
            } else {
                explicit.append(key)
                explicit.append(value)
            }
        }
        if !options.allowsDuplicateKeys {
            try checkUnique(explicit)
        }
        // A merged pair is dropped when its key is written explicitly or came from an earlier
        // source: one index of every key so far, so a merge of n keys costs O(n).
        var seen = KeyIndex()
        for i in 0..<explicit.count / 2 { _ = earlierKey(explicit[2 * i], slot: i, in: &seen) }
        var merged: [Int32] = []
        for source in sources {
            let raw = nodes[Int(source)]
            for j in 0..<Int(raw.count) / 2 {
                let key = children[Int(raw.start) + 2 * j], value = children[Int(raw.start) + 2 * j + 1]
                if earlierKey(key, slot: 0, in: &seen) != nil { continue }
                merged.append(key)
                merged.append(value)
            }
        }
        var result = Array(explicit[..<mergePosition])
        result.append(contentsOf: merged)
        result.append(contentsOf: explicit[mergePosition...])
        if options.allowsDuplicateKeys {
            appendLastWins(result)
        } else {
            children.append(contentsOf: result)
        }
    }

    private func firstMergeIndex(base: Int, pairCount: Int) -> Int {
        for i in 0..<pairCount where isMergeKey(pending[base + 2 * i]) { return i }
        return 0
    }

    private func isMergeKey(_ index: Int32) -> Bool {
        let raw = nodes[Int(index)]
        guard raw.kind == .scalar, raw.count == 2, raw.style == .plain, raw.tagClass == .none else { return false }
        return bytes[Int(raw.start)] == UInt8(ascii: "<") && bytes[Int(raw.start) + 1] == UInt8(ascii: "<")
    }

    private func collectMergeSources(_ value: Int32, into sources: inout [Int32]) throws(YAMLError) {
        let raw = nodes[Int(value)]
        switch raw.kind {
        case .mapping:
            sources.append(value)
        case .sequence:
            for i in 0..<Int(raw.count) {
                let item = children[Int(raw.start) + i]
                guard nodes[Int(item)].kind == .mapping else {
                    throw YAMLError(.badMerge, diagnostic(at: mark(of: item), YAMLMessage.badMerge()))
                }
                sources.append(item)
            }
        case .scalar:
            throw YAMLError(.badMerge, diagnostic(at: mark(of: value), YAMLMessage.badMerge()))
        }
    }

    /// Checks the keys of `pending[base...]` (key, value, …) for duplicates.
    ///
    /// Two keys are the same when they read as the same text (Unicode canonical equivalence:
    /// `é` precomposed or not; `1` and `'1'`, since every key becomes text downstream) or have
    /// the same non-string value (`1` and `0x1`).
    private mutating func checkUnique(base: Int, pairCount: Int) throws(YAMLError) {
        if pairCount < 2 { return }
        if pairCount <= 16 {
            // Quadratic but cheap: most keys differ in length or first bytes; keys are resolved
            // (compared by value) only when both may be non-strings, and read as Strings only
            // when one holds a non-ASCII byte.
            var wide: UInt32 = 0
            for i in 0..<pairCount where hasNonASCII(nodes[Int(pending[base + 2 * i])]) { wide |= 1 << i }
            for j in 1..<pairCount {
                let b = pending[base + 2 * j]
                let rb = nodes[Int(b)]
                for i in 0..<j {
                    let a = pending[base + 2 * i]
                    if a == b {
                        throw duplicateKeyError(key: b, first: a)
                    }
                    let ra = nodes[Int(a)]
                    guard ra.kind == .scalar, rb.kind == .scalar else { continue }
                    if (ra.count == rb.count && sameBytes(ra, rb))
                        || ((wide >> i | wide >> j) & 1 != 0 && text(ra) == text(rb))
                        || (mayBeNonString(ra) && mayBeNonString(rb) && sameValue(a, b)) {
                        throw duplicateKeyError(key: b, first: a)
                    }
                }
            }
            return
        }
        var seen = KeyIndex()
        for i in 0..<pairCount {
            let key = pending[base + 2 * i]
            if let first = earlierKey(key, slot: i, in: &seen) {
                throw duplicateKeyError(key: key, first: pending[base + 2 * first])
            }
        }
    }

    private mutating func checkUnique(_ pairs: [Int32]) throws(YAMLError) {
        let saved = pending.count
        pending.append(contentsOf: pairs)
        defer { pending.removeSubrange(saved...) }
        try checkUnique(base: saved, pairCount: pairs.count / 2)
    }

    /// With `allowsDuplicateKeys`: a later pair replaces an earlier one with the same key.
    private mutating func appendLastWins(_ pairs: [Int32]) {
        var kept: [Int32] = []
        var seen = KeyIndex()
        for i in 0..<pairs.count / 2 {
            if let at = earlierKey(pairs[2 * i], slot: kept.count, in: &seen) {
                kept[at + 1] = pairs[2 * i + 1]
            } else {
                kept.append(pairs[2 * i])
                kept.append(pairs[2 * i + 1])
            }
        }
        children.append(contentsOf: kept)
    }

    /// Keys seen so far, by each identity a key has (see `checkUnique`), to a slot of the caller's.
    private struct KeyIndex {
        var texts: [String: Int] = [:]
        var values: [YAMLValue: Int] = [:]
        var nodes: [Int32: Int] = [:]
    }

    /// The slot of an earlier key that is the same as `key`; else records `key` at `slot`, `nil`.
    private func earlierKey(_ key: Int32, slot: Int, in index: inout KeyIndex) -> Int? {
        let raw = nodes[Int(key)]
        guard raw.kind == .scalar else {
            if let at = index.nodes[key] { return at }
            index.nodes[key] = slot
            return nil
        }
        let text = text(raw)
        if let at = index.texts[text] { return at }
        if mayBeNonString(raw), let value = keyValue(key) {
            if let at = index.values[value] { return at }
            index.values[value] = slot
        }
        index.texts[text] = slot
        return nil
    }

    /// A scalar's text.
    private func text(_ raw: RawNode) -> String {
        bytes.withUnsafeBufferPointer { all in
            String(decoding: all[Int(raw.start)..<Int(raw.start + raw.count)], as: UTF8.self)
        }
    }

    /// A scalar key's non-string value, or `nil` for strings and collections.
    private func keyValue(_ index: Int32) -> YAMLValue? {
        let raw = nodes[Int(index)]
        guard raw.kind == .scalar else { return nil }
        return bytes.withUnsafeBufferPointer { all in
            CoreSchema.resolve(UnsafeBufferPointer(rebasing: all[Int(raw.start)..<Int(raw.start + raw.count)]),
                               plain: raw.style == .plain, tagClass: raw.tagClass)
        }
    }

    /// Whether two scalars have the same non-string value.
    private func sameValue(_ a: Int32, _ b: Int32) -> Bool {
        guard let x = keyValue(a), let y = keyValue(b) else { return false }
        return x == y
    }

    /// Whether a scalar could resolve to something other than a string.
    @inline(__always)
    private func mayBeNonString(_ raw: RawNode) -> Bool {
        switch raw.tagClass {
        case .str, .other, .collection: return false
        case .int, .float, .bool, .null: return true
        case .none:
            guard raw.style == .plain else { return false }
            guard raw.count > 0 else { return true }
            switch bytes[Int(raw.start)] {
            case UInt8(ascii: "~"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
                return raw.count <= 5
            default:
                return false
            }
        }
    }

    /// Whether a scalar holds a byte outside ASCII (its text may then equal another spelling's).
    @inline(__always)
    private func hasNonASCII(_ raw: RawNode) -> Bool {
        guard raw.kind == .scalar else { return false }
        let n = Int(raw.count), start = Int(raw.start)
        return bytes.withUnsafeBufferPointer { p in
            for i in 0..<n where p[start + i] & 0x80 != 0 { return true }
            return false
        }
    }

    @inline(__always)
    private func sameBytes(_ a: RawNode, _ b: RawNode) -> Bool {
        let n = Int(a.count), sa = Int(a.start), sb = Int(b.start)
        return bytes.withUnsafeBufferPointer { p in
            for i in 0..<n where p[sa + i] != p[sb + i] { return false }
            return true
        }
    }

    private func duplicateKeyError(key: Int32, first: Int32) -> YAMLError {
        let raw = nodes[Int(key)]
        let text = raw.kind == .scalar
            ? bytes.withUnsafeBufferPointer { String(decoding: $0[Int(raw.start)..<Int(raw.start + raw.count)], as: UTF8.self) }
            : (raw.kind == .mapping ? "{…}" : "[…]")
        return YAMLError(.duplicateKey, Diagnostic(file: file, mark: mark(of: key),
            message: YAMLMessage.duplicateKey(text), note: YAMLMessage.firstDefined(mark(of: first))))
    }

    private func mark(of index: Int32) -> SourceMark {
        let raw = nodes[Int(index)]
        return SourceMark(line: Int(raw.line), column: wideColumns[index] ?? Int(raw.column))
    }

    private func diagnostic(at mark: SourceMark, _ message: String) -> Diagnostic {
        Diagnostic(file: file, mark: mark, message: message)
    }
}

