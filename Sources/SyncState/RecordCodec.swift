import SyncCore

/// The compact encoding of metadata and tags in the `files` and `batches` tables.
///
/// Both are stored as BLOBs (NULL when empty) so that loading a million rows decodes them with
/// no parsing beyond reading lengths:
/// - string list (tags): repeated `varint length, UTF-8 bytes`;
/// - metadata: `varint entry count`, then repeated `varint key length, key bytes, type byte,
///   value`, keys in sorted order,
///   where the type byte is `s` (varint length + UTF-8), `i` (8 bytes, little-endian Int64),
///   `f` (8 bytes, little-endian IEEE 754 bit pattern), `t`/`F` (true/false), `n` (null).
enum RecordCodec {
    struct DecodingError: Error {}

    // MARK: Encoding

    static func encode(tags: [String]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(tags.reduce(0) { $0 + $1.utf8.count + 1 })
        append(tags: tags, to: &out)
        return out.isEmpty ? nil : out
    }

    static func encode(metadata: Metadata) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(metadata.count * 24 + 1)
        append(metadata: metadata, to: &out)
        return out.isEmpty ? nil : out
    }

    /// Appends the encoding of `tags` to `out`; appends nothing when there are none (any
    /// non-empty list appends at least one byte).
    static func append(tags: [String], to out: inout [UInt8]) {
        for tag in tags { appendString(tag, to: &out) }
    }

    /// Appends the encoding of `metadata` to `out`; appends nothing when it is empty (any
    /// other metadata appends at least one byte).
    static func append(metadata: Metadata, to out: inout [UInt8]) {
        if metadata.isEmpty { return }
        appendVarint(UInt64(metadata.count), to: &out)
        for entry in metadata {
            appendString(entry.key, to: &out)
            switch entry.value {
            case .string(let s):
                out.append(UInt8(ascii: "s"))
                appendString(s, to: &out)
            case .int(let i):
                out.append(UInt8(ascii: "i"))
                appendUInt64(UInt64(bitPattern: Int64(i)), to: &out)
            case .float(let d):
                out.append(UInt8(ascii: "f"))
                appendUInt64(d.bitPattern, to: &out)
            case .bool(let b):
                out.append(UInt8(ascii: b ? "t" : "F"))
            case .null:
                out.append(UInt8(ascii: "n"))
            }
        }
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        appendVarint(UInt64(s.utf8.count), to: &out)
        appendUTF8(s, to: &out)
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func appendUInt64(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    // MARK: Decoding

    /// Reads from a borrowed buffer; every read is bounds-checked and throws on damage.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var isAtEnd: Bool { offset >= bytes.count }

        mutating func byte() throws(DecodingError) -> UInt8 {
            guard offset < bytes.count else { throw DecodingError() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(DecodingError) -> Int {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = try byte()
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
                guard shift < 63 else { throw DecodingError() }
            }
            guard result <= UInt64(bytes.count) else { throw DecodingError() }
            return Int(result)
        }

        mutating func uint64() throws(DecodingError) -> UInt64 {
            guard bytes.count - offset >= 8 else { throw DecodingError() }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
            offset += 8
            return v
        }

        mutating func string() throws(DecodingError) -> String {
            let count = try varint()
            guard bytes.count - offset >= count else { throw DecodingError() }
            defer { offset += count }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]), as: UTF8.self)
        }
    }

    static func decodeTags(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> [String] {
        if bytes.isEmpty { return [] }
        var reader = Reader(bytes)
        var tags: [String] = []
        while !reader.isAtEnd { tags.append(try reader.string()) }
        return tags
    }

    static func decodeMetadata(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> Metadata {
        if bytes.isEmpty { return Metadata() }
        // Check the structure first (lengths and type bytes only), so a damaged blob is an
        // error rather than half the metadata.
        guard let count = wellFormedMetadataCount(bytes) else { throw DecodingError() }
        var reader = Reader(bytes)
        _ = try reader.varint()
        return Metadata(MetadataSequence(reader: reader, count: count))
    }

    /// Yields the entries of an encoded metadata blob without an intermediate array.
    struct MetadataSequence: Sequence, IteratorProtocol {
        var reader: Reader
        /// The entry count, so `Metadata` allocates its storage once.
        let count: Int
        var failed = false

        var underestimatedCount: Int { count }

        mutating func next() -> (String, MetadataValue)? {
            guard !reader.isAtEnd, !failed else { return nil }
            do {
                let key = try reader.string()
                let value: MetadataValue
                switch try reader.byte() {
                case UInt8(ascii: "s"): value = .string(try reader.string())
                case UInt8(ascii: "i"): value = .int(Int(Int64(bitPattern: try reader.uint64())))
                case UInt8(ascii: "f"): value = .float(Double(bitPattern: try reader.uint64()))
                case UInt8(ascii: "t"): value = .bool(true)
                case UInt8(ascii: "F"): value = .bool(false)
                case UInt8(ascii: "n"): value = .null
                default: throw DecodingError()
                }
                return (key, value)
            } catch {
                failed = true
                return nil
            }
        }

    }

    /// Walks the blob's structure (lengths and type bytes only) to check it is whole.
    /// - Returns: the entry count, or `nil` when the blob is damaged.
    static func wellFormedMetadataCount(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var r = Reader(bytes)
        do {
            let count = try r.varint()
            for _ in 0..<count {
                let keyCount = try r.varint()
                guard bytes.count - r.offset >= keyCount else { return nil }
                r.offset += keyCount
                switch try r.byte() {
                case UInt8(ascii: "s"):
                    let n = try r.varint()
                    guard bytes.count - r.offset >= n else { return nil }
                    r.offset += n
                case UInt8(ascii: "i"), UInt8(ascii: "f"):
                    guard bytes.count - r.offset >= 8 else { return nil }
                    r.offset += 8
                case UInt8(ascii: "t"), UInt8(ascii: "F"), UInt8(ascii: "n"): break
                default: return nil
                }
            }
            return r.isAtEnd ? count : nil
        } catch {
            return nil
        }
    }
}
