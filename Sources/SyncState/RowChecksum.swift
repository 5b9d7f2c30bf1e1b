internal import CSQLite

/// A checksum over every column of a stored row, so that a record damaged on disk (a flipped
/// bit that still makes a valid SQLite page) is refused instead of read as other content.
///
/// The sum chains xxHash64 over the columns in order; each column contributes its storage
/// class (NULL, INTEGER, TEXT, BLOB) and its bytes (an integer as 8 little-endian bytes, text
/// as its UTF-8, a blob as is). The writer sums the values it binds (`SQLiteRows`,
/// `SQLiteValue`), the reader the values SQLite hands back, so both see the same bytes.
enum RowChecksum {
    /// The running sum of one row.
    struct Sum {
        private(set) var value: UInt64 = 0x5BD1_E995_5BD1_E995

        mutating func addNull() { add(class: 0, nil, count: 0) }

        mutating func add(_ integer: Int64) {
            withUnsafeBytes(of: UInt64(bitPattern: integer).littleEndian) { add(class: 1, $0.baseAddress, count: 8) }
        }

        mutating func add(text bytes: UnsafeRawBufferPointer) { add(class: 2, bytes.baseAddress, count: bytes.count) }

        mutating func add(blob bytes: UnsafeRawBufferPointer) { add(class: 3, bytes.baseAddress, count: bytes.count) }

        private mutating func add(class storage: UInt64, _ bytes: UnsafeRawPointer?, count: Int) {
            value = XXH64.hash(bytes, count: count, seed: value &+ storage &* XXH64.prime5)
        }

        /// As SQLite stores it (an INTEGER column holds signed 64 bits).
        var stored: Int64 { Int64(bitPattern: value) }
    }

    /// The sum of columns `0..<count` of the current row of `row`.
    static func of(_ row: SQLiteStatement, columns count: Int32) -> Int64 {
        var sum = Sum()
        for column in 0..<count {
            switch sqlite3_column_type(row.handle, column) {
            case SQLITE_NULL: sum.addNull()
            case SQLITE_INTEGER: sum.add(sqlite3_column_int64(row.handle, column))
            case SQLITE_TEXT:
                let p = sqlite3_column_text(row.handle, column)
                sum.add(text: UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(row.handle, column))))
            default:  // BLOB (no column of ours holds a REAL)
                let p = sqlite3_column_blob(row.handle, column)
                sum.add(blob: UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(row.handle, column))))
            }
        }
        return sum.stored
    }

    /// The sum of `values`, as they will be bound.
    static func of(_ values: [SQLiteValue]) -> Int64 {
        var sum = Sum()
        for value in values {
            switch value {
            case .null: sum.addNull()
            case .int(let integer): sum.add(integer)
            case .text(let text):
                var text = text
                text.withUTF8 { sum.add(text: UnsafeRawBufferPointer($0)) }
            case .blob(let bytes): bytes.withUnsafeBytes { sum.add(blob: $0) }
            }
        }
        return sum.stored
    }
}

/// xxHash64 (Yann Collet's, as specified in xxhash.h), on a buffer.
package enum XXH64 {
    static let prime1: UInt64 = 11_400_714_785_074_694_791
    static let prime2: UInt64 = 14_029_467_366_897_019_727
    static let prime3: UInt64 = 1_609_587_929_392_839_161
    static let prime4: UInt64 = 9_650_029_242_287_828_579
    static let prime5: UInt64 = 2_870_177_450_012_600_261

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) private static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* prime1 &+ prime4
    }

    package static func hash(_ bytes: UnsafeRawPointer?, count: Int, seed: UInt64) -> UInt64 {
        var h: UInt64
        var offset = 0
        guard let p = bytes, count > 0 else { return avalanche(seed &+ prime5) }
        @inline(__always) func word(_ at: Int) -> UInt64 { UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        if count >= 32 {
            var v1 = seed &+ prime1 &+ prime2, v2 = seed &+ prime2, v3 = seed, v4 = seed &- prime1
            while offset + 32 <= count {
                v1 = round(v1, word(offset))
                v2 = round(v2, word(offset + 8))
                v3 = round(v3, word(offset + 16))
                v4 = round(v4, word(offset + 24))
                offset += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(merge(merge(merge(h, v1), v2), v3), v4)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt64(count)
        while offset + 8 <= count {
            h = rotl(h ^ round(0, word(offset)), 27) &* prime1 &+ prime4
            offset += 8
        }
        if offset + 4 <= count {
            h = rotl(h ^ (UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) &* prime1), 23)
                &* prime2 &+ prime3
            offset += 4
        }
        while offset < count {
            h = rotl(h ^ (UInt64(p.load(fromByteOffset: offset, as: UInt8.self)) &* prime5), 11) &* prime1
            offset += 1
        }
        return avalanche(h)
    }

    @inline(__always) private static func avalanche(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h = h &* prime2
        h ^= h >> 29
        h = h &* prime3
        h ^= h >> 32
        return h
    }
}
