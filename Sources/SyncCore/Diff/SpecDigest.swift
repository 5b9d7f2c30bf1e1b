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
    /// What the state records in place of a digest while a metadata and tags edit is out (the
    /// journal of that step): the platform may hold the file's old values or the new ones, so
    /// the record holds the union of their keys, and `Diff` plans the file as an `update`
    /// whatever the manifest asks now. Never a digest (not 64 hex digits).
    public static let editUnconfirmed = "edit-unconfirmed"

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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            let digest = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[64...])
            bytes(source: source, metadata: metadata, tags: tags, scratch: &scratch, into: digest)
            let hex = UnsafeMutableBufferPointer(rebasing: buffer[..<64])
            var i = 0
            for byte in digest {
                hex[i] = hexDigit(byte >> 4)
                hex[i + 1] = hexDigit(byte & 0xF)
                i += 2
            }
            return body(UnsafeBufferPointer(hex))
        }
    }

    /// The lower-case hex digit of `nibble` (0–15), as the state stores a digest.
    @inline(__always) static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble &+ 48 : nibble &+ 87 }

    /// The digest's 32 bytes.
    static func bytes(source: FileSource, metadata: Metadata, tags: [String], scratch: inout [UInt8],
                      into digest: UnsafeMutableRawBufferPointer) {
        let count = encodedCount(source: source, metadata: metadata, tags: tags)
        if scratch.count < count { scratch = [UInt8](repeating: 0, count: max(count, 2 * scratch.count)) }
        let hash = scratch.withUnsafeMutableBytes { buffer in
            var writer = Writer(base: buffer.baseAddress!)
            writer.encode(source: source, metadata: metadata, tags: tags)
            precondition(writer.offset == count, "SpecDigest: encodedCount and Writer disagree")
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            return hasher.finalize()
        }
        hash.withUnsafeBytes { digest.copyMemory(from: $0) }
    }

    /// The length of the canonical bytes (`Writer`).
    private static func encodedCount(source: FileSource, metadata: Metadata, tags: [String]) -> Int {
        var count = version.count + 1 + 1 + 8 + 1 + 8
        switch source {
        case .volume(let volume, let location): count += 16 + volume.utf8.count + location.utf8.count
        case .drs(let uri): count += 8 + uri.utf8.count
        }
        metadata.entries.withUnsafeBufferPointer { entries in
            for entry in entries {
                count += 8 + entry.key.utf8.count + 1
                switch entry.value {
                case .string(let s): count += 8 + s.utf8.count
                case .int, .float: count += 8
                case .bool, .null: break
                }
            }
        }
        tags.withUnsafeBufferPointer { tags in
            for tag in tags { count += 8 + tag.utf8.count }
        }
        return count
    }

    private static let version = Array("sbsync-spec-1".utf8)

    /// Writes the canonical bytes the digest is taken over into memory sized by `encodedCount`.
    private struct Writer {
        let base: UnsafeMutableRawPointer
        var offset = 0

        mutating func encode(source: FileSource, metadata: Metadata, tags: [String]) {
            SpecDigest.version.withUnsafeBytes { raw($0) }
            switch source {
            case .volume(let volume, let location):
                byte("V"); text(volume); text(location)
            case .drs(let uri):
                byte("D"); text(uri)
            }
            byte("M")
            number(UInt64(metadata.count))
            metadata.entries.withUnsafeBufferPointer { entries in
                for entry in entries {
                    text(entry.key)
                    switch entry.value {
                    case .string(let s): byte("s"); text(s)
                    case .int(let i): byte("i"); number(UInt64(bitPattern: Int64(i)))
                    case .float(let d): byte("f"); number((d == 0 ? 0.0 : d).bitPattern)
                    case .bool(let b): byte(b ? "t" : "F")
                    case .null: byte("n")
                    }
                }
            }
            byte("T")
            number(UInt64(tags.count))
            tags.withUnsafeBufferPointer { tags in
                for tag in tags { text(tag) }
            }
        }

        private mutating func byte(_ ascii: Unicode.Scalar) {
            base.storeBytes(of: UInt8(ascii: ascii), toByteOffset: offset, as: UInt8.self)
            offset += 1
        }

        private mutating func number(_ v: UInt64) {
            base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }

        private mutating func raw(_ bytes: UnsafeRawBufferPointer) {
            if !bytes.isEmpty { (base + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            offset += bytes.count
        }

        private mutating func text(_ s: String) {
            var s = s
            number(UInt64(s.utf8.count))
            s.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
        }
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

/// The spec digests of a desired state's files, 32 bytes each by position, worked out on every
/// core before a scan compares a million recorded rows with them.
struct SpecDigests: Sendable {
    private var bytes: [UInt8]

    init(_ files: [DesiredFile]) {
        let size = 32
        bytes = [UInt8](unsafeUninitializedCapacity: files.count * size) { buffer, initialized in
            let chunks = Parallel.chunks(count: files.count, minChunk: 4096)
            files.withUnsafeBufferPointer { files in
                Parallel.forEach(chunks.count) { c in
                    var scratch: [UInt8] = []
                    scratch.reserveCapacity(256)
                    for i in chunks[c] {
                        let file = files.baseAddress! + i
                        SpecDigest.bytes(source: file.pointee.source, metadata: file.pointee.metadata, tags: file.pointee.tags,
                                         scratch: &scratch,
                                         into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[(i * size)..<(i * size + size)]))
                    }
                }
            }
            initialized = files.count * size
        }
    }

    func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try bytes.withUnsafeBufferPointer(body)
    }

    /// Whether `hex` (64 lower-case hex digits, as the state stores a digest) is the digest of
    /// the file at `position` in `digests` (32 bytes per file).
    static func matches(_ digests: UnsafeBufferPointer<UInt8>, _ position: Int, hex: UnsafeBufferPointer<UInt8>) -> Bool {
        guard hex.count == 64 else { return false }
        var i = 0, differ: UInt8 = 0
        for byte in digests[(position * 32)..<(position * 32 + 32)] {
            differ |= (SpecDigest.hexDigit(byte >> 4) ^ hex[i]) | (SpecDigest.hexDigit(byte & 0xF) ^ hex[i + 1])
            i += 2
        }
        return differ == 0
    }
}
