/// Where a file comes from, the same in every document:
/// `{"kind": "volume", "volume": "owner/name", "location": "…"}` or `{"kind": "drs", "uri": "drs://…"}`.
public struct SourceDocument: Codable, Hashable, Sendable {
    public var source: FileSource

    public init(_ source: FileSource) {
        self.source = source
    }

    enum CodingKeys: String, CodingKey { case kind, volume, location, uri }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source.kind, forKey: .kind)
        switch source {
        case .volume(let volume, let location):
            try c.encode(volume, forKey: .volume)
            try c.encode(location, forKey: .location)
        case .drs(let uri):
            try c.encode(uri, forKey: .uri)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(FileSource.Kind.self, forKey: .kind) {
        case .volume: source = .volume(volume: try c.decode(String.self, forKey: .volume), location: try c.decode(String.self, forKey: .location))
        case .drs: source = .drs(uri: try c.decode(String.self, forKey: .uri))
        }
    }
}

/// Metadata as a JSON object whose values keep their type: `{"sample_id": "S1", "lane": 1, "qc": 0.5}`.
/// NaN and infinity cannot be written (the encoder throws); validation rejects them first.
public struct MetadataDocument: Codable, Hashable, Sendable {
    public var metadata: Metadata

    public init(_ metadata: Metadata) {
        self.metadata = metadata
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: DocumentKey.self)
        for entry in metadata {
            let key = DocumentKey(entry.key)
            switch entry.value {
            case .string(let s): try c.encode(s, forKey: key)
            case .int(let i): try c.encode(i, forKey: key)
            case .float(let d): try c.encode(d, forKey: key)
            case .bool(let b): try c.encode(b, forKey: key)
            case .null: try c.encodeNil(forKey: key)
            }
        }
    }

    /// A whole number reads back as an int, any other number as a float (JSON does not tell `1`
    /// from `1.0`: documents are written for reading, not for reading back).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: DocumentKey.self)
        var pairs: [(String, MetadataValue)] = []
        for key in c.allKeys {
            let value: MetadataValue
            if try c.decodeNil(forKey: key) {
                value = .null
            } else if let b = try? c.decode(Bool.self, forKey: key) {
                value = .bool(b)
            } else if let s = try? c.decode(String.self, forKey: key) {
                value = .string(s)
            } else if let i = try? c.decode(Int.self, forKey: key) {
                value = .int(i)
            } else {
                value = .float(try c.decode(Double.self, forKey: key))
            }
            pairs.append((key.stringValue, value))
        }
        metadata = Metadata(pairs)
    }
}

/// A JSON array written element by element while the document is encoded, from a sequence it
/// never copies: how a document of a million entries streams in flat memory. Decoding reads it
/// into an array.
public struct StreamedList<Element: Codable>: Codable {
    private let forEach: ((Element) throws -> Void) throws -> Void

    /// The elements of `base`, each turned into a document entry by `transform` as it is written.
    public init<S: Sequence>(_ base: S, _ transform: @escaping (S.Element) -> Element) {
        forEach = { body in
            for item in base { try body(transform(item)) }
        }
    }

    public init(_ elements: [Element]) {
        self.init(elements) { $0 }
    }

    /// Every element, gathered into an array.
    public var elements: [Element] {
        var all: [Element] = []
        try? forEach { all.append($0) }
        return all
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try forEach { try c.encode($0) }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [Element](from: decoder))
    }
}

extension StreamedList: Equatable where Element: Equatable {
    public static func == (a: StreamedList, b: StreamedList) -> Bool { a.elements == b.elements }
}

/// Any string as a key: metadata keys, project names.
public struct DocumentKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }

    public init(_ stringValue: String) { self.stringValue = stringValue }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
