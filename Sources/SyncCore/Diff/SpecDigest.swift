internal import Crypto

/// The digest of a file's spec: its source, metadata and tags. The state records the digest
/// of what was applied; equal specs give equal digests on every machine and every run.
///
/// SHA-256, lower-case hex, over a canonical byte encoding: a version prefix, then each field
/// as a type byte and length-prefixed UTF-8; metadata in key order (as `Metadata` keeps it)
/// with typed values; tags in their given order.
///
/// Equal digests mean equal specs, byte for byte. Different digests do not mean different
/// values: another Unicode normal form of a name, or tags in another order, spell the same
/// value with other bytes. `Diff.isUnchanged` is the one place that draws the conclusion.
public enum SpecDigest {
    /// The digest of `source`, `metadata` and `tags`.
    public static func compute(source: FileSource, metadata: Metadata, tags: [String]) -> String {
        var scratch: [UInt8] = []
        scratch.reserveCapacity(128)
        return withHex(source: source, metadata: metadata, tags: tags, scratch: &scratch) { hex in
            String(decoding: hex, as: UTF8.self)
        }
    }

    /// Calls `body` with the 64 lower-case hex digits of the digest, encoding into `scratch`
    /// (reused across calls, so a scan of a million rows allocates nothing per row).
    public static func withHex<R>(source: FileSource, metadata: Metadata, tags: [String], scratch: inout [UInt8],
                                  _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        scratch.removeAll(keepingCapacity: true)
        encode(source: source, metadata: metadata, tags: tags, into: &scratch)
        let digest = scratch.withUnsafeBytes { SHA256.hash(data: $0) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hex in
            var i = 0
            for byte in digest {
                hex[i] = hexDigits[Int(byte >> 4)]
                hex[i + 1] = hexDigits[Int(byte & 0xF)]
                i += 2
            }
            return body(UnsafeBufferPointer(hex))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The canonical bytes the digest is taken over.
    static func encode(source: FileSource, metadata: Metadata, tags: [String], into bytes: inout [UInt8]) {
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
