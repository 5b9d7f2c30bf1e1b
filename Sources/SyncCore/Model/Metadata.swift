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
        entries = []
        entries.reserveCapacity(pairs.underestimatedCount)
        for (key, value) in pairs { self[key] = value }
    }

    /// `entries` in written order; later entries win over earlier ones with the same key.
    /// Sorted in place: no second array (a manifest builds a million of these).
    public init(entries: [Entry]) {
        var entries = entries
        var i = 1
        while i < entries.count {
            // Insertion sort (metadata has a handful of keys), then drop the earlier twin.
            var j = i
            while j > 0, entries[j - 1].key > entries[j].key {
                entries.swapAt(j - 1, j)
                j -= 1
            }
            if j > 0, entries[j - 1].key == entries[j].key {
                // The later value under the earlier key's spelling, as the setter does.
                entries[j - 1].value = entries[j].value
                entries.remove(at: j)
                continue
            }
            i += 1
        }
        self.entries = entries
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

    /// `self` with `other`'s keys laid over it.
    public func merging(_ other: Metadata) -> Metadata {
        if other.isEmpty { return self }
        if isEmpty { return other }
        var result = self
        result.entries.reserveCapacity(entries.count + other.entries.count)
        for entry in other.entries { result[entry.key] = entry.value }
        return result
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
