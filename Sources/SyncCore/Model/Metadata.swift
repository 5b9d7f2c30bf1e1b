/// A metadata value keeps the type the manifest gave it.
public enum MetadataValue: Hashable, Sendable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case null

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .float(let d): String(d)
        case .bool(let b): String(b)
        case .null: "null"
        }
    }
}

/// A file's metadata: keys unique, kept sorted by key so equal metadata compares equal
/// and every output is deterministic. A flat array costs far less than a dictionary per file.
public struct Metadata: Hashable, Sendable, RandomAccessCollection, Codable {
    public struct Entry: Hashable, Sendable, Codable {
        public var key: String
        public var value: MetadataValue

        public init(key: String, value: MetadataValue) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    /// Later entries win over earlier ones with the same key.
    public init(_ pairs: some Sequence<(String, MetadataValue)>) {
        self.init(entries: pairs.map { Entry(key: $0.0, value: $0.1) })
    }

    /// `entries` in written order; later entries win over earlier ones with the same key (the
    /// value moves, the earlier key's spelling stays, as the setter does).
    ///
    /// O(n log n): a handful of keys is sorted in place (no second array; a manifest builds a
    /// million of these), more with a stable sort, so no input of many keys costs n².
    public init(entries: [Entry]) {
        var entries = entries
        if entries.count <= Self.insertionSortLimit {
            Self.insertionSortKeepingLast(&entries)
        } else {
            Self.sortKeepingLast(&entries)
        }
        self.entries = entries
    }

    /// Up to this many entries, an insertion sort beats allocating for a sort.
    static let insertionSortLimit = 16

    private static func insertionSortKeepingLast(_ entries: inout [Entry]) {
        var i = 1
        while i < entries.count {
            var j = i
            while j > 0, entries[j - 1].key > entries[j].key {
                entries.swapAt(j - 1, j)
                j -= 1
            }
            if j > 0, entries[j - 1].key == entries[j].key {
                entries[j - 1].value = entries[j].value
                entries.remove(at: j)
                continue
            }
            i += 1
        }
    }

    private static func sortKeepingLast(_ entries: inout [Entry]) {
        // Ties broken by written position, so equal keys stay in written order whatever the sort.
        let order = entries.indices.sorted { a, b in
            let ka = entries[a].key, kb = entries[b].key
            return ka < kb || (ka == kb && a < b)
        }
        var sorted: [Entry] = []
        sorted.reserveCapacity(entries.count)
        for i in order {
            if let last = sorted.last, last.key == entries[i].key {
                sorted[sorted.count - 1].value = entries[i].value
            } else {
                sorted.append(entries[i])
            }
        }
        entries = sorted
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> Entry { entries[position] }

    public subscript(key: String) -> MetadataValue? {
        get {
            let i = insertionIndex(of: key)
            return i < entries.count && entries[i].key == key ? entries[i].value : nil
        }
        set {
            let i = insertionIndex(of: key)
            let present = i < entries.count && entries[i].key == key
            switch (newValue, present) {
            case (let value?, true): entries[i].value = value
            case (let value?, false): entries.insert(Entry(key: key, value: value), at: i)
            case (nil, true): entries.remove(at: i)
            case (nil, false): break
            }
        }
    }

    /// `self` with `other`'s keys laid over it (a merge of two sorted lists: linear).
    public func merging(_ other: Metadata) -> Metadata {
        if other.isEmpty { return self }
        if isEmpty { return other }
        var result: [Entry] = []
        result.reserveCapacity(entries.count + other.entries.count)
        var i = 0, j = 0
        while i < entries.count || j < other.entries.count {
            if j == other.entries.count || (i < entries.count && entries[i].key < other.entries[j].key) {
                result.append(entries[i])
                i += 1
            } else if i == entries.count || other.entries[j].key < entries[i].key {
                result.append(other.entries[j])
                j += 1
            } else {
                // The same key: `other`'s value under this key's spelling, as the setter does.
                result.append(Entry(key: entries[i].key, value: other.entries[j].value))
                i += 1
                j += 1
            }
        }
        var merged = self
        merged.entries = result
        return merged
    }

    private func insertionIndex(of key: String) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].key < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [Entry](from: decoder).map { ($0.key, $0.value) })
    }

    public func encode(to encoder: any Encoder) throws {
        try entries.encode(to: encoder)
    }
}
