internal import Crypto

/// The digest of a file's spec: its source, metadata and tags. The state records the digest
/// of what was applied; equal specs give equal digests on every machine and every run.
///
/// SHA-256, lower-case hex, over a canonical byte encoding: a version prefix, then each field
/// as a type byte and length-prefixed UTF-8; metadata in key order (as `Metadata` keeps it)
/// with typed values; tags in their given order.
public enum SpecDigest {
    /// The digest of `source`, `metadata` and `tags`.
    public static func compute(source: FileSource, metadata: Metadata, tags: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        bytes.append(contentsOf: "sbsync-spec-1".utf8)
        switch source {
        case .volume(let volume, let location):
            bytes.append(UInt8(ascii: "V"))
            append(volume, to: &bytes)
            append(location, to: &bytes)
        case .drs(let uri):
            bytes.append(UInt8(ascii: "D"))
            append(uri, to: &bytes)
        }
        bytes.append(UInt8(ascii: "M"))
        append(UInt64(metadata.count), to: &bytes)
        for entry in metadata {
            append(entry.key, to: &bytes)
            switch entry.value {
            case .string(let s):
                bytes.append(UInt8(ascii: "s"))
                append(s, to: &bytes)
            case .int(let i):
                bytes.append(UInt8(ascii: "i"))
                append(UInt64(bitPattern: Int64(i)), to: &bytes)
            case .float(let d):
                bytes.append(UInt8(ascii: "f"))
                // -0.0 and 0.0 are the same value to a person.
                append((d == 0 ? 0.0 : d).bitPattern, to: &bytes)
            case .bool(let b):
                bytes.append(UInt8(ascii: b ? "t" : "F"))
            case .null:
                bytes.append(UInt8(ascii: "n"))
            }
        }
        bytes.append(UInt8(ascii: "T"))
        append(UInt64(tags.count), to: &bytes)
        for tag in tags { append(tag, to: &bytes) }

        let digest = SHA256.hash(data: bytes)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ s: String, to bytes: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &bytes)
        bytes.append(contentsOf: s.utf8)
    }

    private static func append(_ v: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }
}

extension DesiredFile {
    /// The digest of this file's spec; compare with `RecordedFile.specDigest`.
    public var specDigest: String { SpecDigest.compute(source: source, metadata: metadata, tags: tags) }
}

extension RecordedFile {
    /// The digest of the spec this record holds (source, metadata, tags).
    public var computedSpecDigest: String { SpecDigest.compute(source: source, metadata: metadata, tags: tags) }
}
