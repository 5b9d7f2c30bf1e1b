import Foundation

/// Desired files' positions by address: open addressing with linear probing, in shards chosen
/// by the address's hash so the shards can be filled on separate cores (see
/// `Expander.addExplicitEntries`).
///
/// A slot holds eight bytes, the upper half of the hash beside the position, and no address:
/// a candidate is confirmed against the desired file itself (`matches`). So the index of a
/// million files takes about 16 MB, and looking up a state row's address needs no `String`
/// (`DesiredState.position(project:path:)`).
struct AddressIndex: Sendable {
    /// A power of two.
    static let shardCount = 16
    private var shards: [Shard]

    init() {
        shards = Array(repeating: Shard(capacity: 0), count: Self.shardCount)
    }

    init(shards: [Shard]) {
        precondition(shards.count == Self.shardCount)
        self.shards = shards
    }

    static func shard(of hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & (shardCount - 1) }

    /// The position whose file `matches`, among those recorded under `hash`.
    func find(_ hash: UInt64, _ matches: (Int) -> Bool) -> Int? {
        shards[Self.shard(of: hash)].find(hash, matches)
    }

    /// `body` with a probe reading the shards' slots in place, for many lookups.
    func withProbe<R, E: Error>(_ body: (Probe) throws(E) -> R) throws(E) -> R {
        let tables = UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt64>>.allocate(capacity: shards.count)
        defer { tables.deallocate() }
        func nest(_ shard: Int) throws(E) -> R {
            guard shard < shards.count else { return try body(Probe(tables: UnsafeBufferPointer(tables))) }
            return try shards[shard].withSlots { (slots) throws(E) -> R in
                tables[shard] = slots
                return try nest(shard + 1)
            }
        }
        return try nest(0)
    }

    /// The shards' slots by pointer; valid only inside `withProbe`.
    struct Probe {
        let tables: UnsafeBufferPointer<UnsafeBufferPointer<UInt64>>

        func find(_ hash: UInt64, _ matches: (Int) -> Bool) -> Int? {
            Shard.find(hash, in: tables[AddressIndex.shard(of: hash)], matches)
        }
    }

    /// Records `position` under `hash` unless a position there already `matches`; returns that
    /// one if so.
    mutating func insert(_ hash: UInt64, at position: Int, _ matches: (Int) -> Bool) -> Int? {
        shards[Self.shard(of: hash)].insert(hash, at: position, matches)
    }

    /// The same index with every position `p` replaced by `transform(p)`.
    func mapPositions(_ transform: (Int) -> Int) -> AddressIndex {
        AddressIndex(shards: shards.map { $0.mapPositions(transform) })
    }

    /// One shard: slots of `tag << 32 | (position + 1)`, 0 when empty, at most half full.
    struct Shard: Sendable {
        private var slots: [UInt64]
        private var count = 0

        init(capacity: Int) {
            var slotCount = 8
            while slotCount < capacity * 2 { slotCount <<= 1 }
            slots = Array(repeating: 0, count: slotCount)
        }

        /// The upper half of the hash: which slot a probe starts at, and a cheap first test.
        @inline(__always) private static func tag(_ hash: UInt64) -> UInt64 { hash >> 32 }

        func find(_ hash: UInt64, _ matches: (Int) -> Bool) -> Int? {
            slots.withUnsafeBufferPointer { Self.find(hash, in: $0, matches) }
        }

        func withSlots<R, E: Error>(_ body: (UnsafeBufferPointer<UInt64>) throws(E) -> R) throws(E) -> R {
            try slots.withUnsafeBufferPointer(body)
        }

        static func find(_ hash: UInt64, in slots: UnsafeBufferPointer<UInt64>, _ matches: (Int) -> Bool) -> Int? {
            let tag = Self.tag(hash)
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: tag) & mask
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                if slot >> 32 == tag {
                    let position = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    if matches(position) { return position }
                }
                i = (i + 1) & mask
            }
        }

        mutating func insert(_ hash: UInt64, at position: Int, _ matches: (Int) -> Bool) -> Int? {
            precondition(position >= 0 && position < Int(UInt32.max), "more desired files than the index holds")
            if (count + 1) * 2 > slots.count { grow() }
            let tag = Self.tag(hash)
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: tag) & mask
            while true {
                let slot = slots[i]
                if slot == 0 { break }
                if slot >> 32 == tag {
                    let existing = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    if matches(existing) { return existing }
                }
                i = (i + 1) & mask
            }
            slots[i] = tag << 32 | UInt64(position + 1)
            count += 1
            return nil
        }

        private mutating func grow() {
            let old = slots
            slots = Array(repeating: 0, count: old.count * 2)
            let mask = slots.count - 1
            for slot in old where slot != 0 {
                var i = Int(truncatingIfNeeded: slot >> 32) & mask
                while slots[i] != 0 { i = (i + 1) & mask }
                slots[i] = slot
            }
        }

        func mapPositions(_ transform: (Int) -> Int) -> Shard {
            var mapped = self
            for i in mapped.slots.indices where mapped.slots[i] != 0 {
                let position = Int(truncatingIfNeeded: mapped.slots[i] & 0xFFFF_FFFF) - 1
                mapped.slots[i] = mapped.slots[i] & 0xFFFF_FFFF_0000_0000 | UInt64(transform(position) + 1)
            }
            return mapped
        }
    }
}

/// The hash `AddressIndex` files addresses under, taken over UTF-8 bytes, so a state row's
/// address is looked up from the bytes SQLite hands over, without making a `String`.
///
/// Addresses are equal as Swift strings are: under Unicode canonical equivalence (an `é` typed
/// as one code point or as `e` and a combining accent is one address). So a string with a
/// non-ASCII byte is hashed in its NFC form; ASCII is its own NFC form.
enum AddressHash {
    /// Per process: the index never leaves it, and a crafted manifest cannot aim collisions.
    private static let seed = UInt64.random(in: .min ... .max)

    static func of(_ address: Address) -> UInt64 {
        UTF8Bytes.with(address.project) { project in UTF8Bytes.with(address.path) { path in of(project: project, path: path) } }
    }

    static func of(project: UnsafeBufferPointer<UInt8>, path: UnsafeBufferPointer<UInt8>) -> UInt64 {
        finish(text(path, into: text(project, into: seed)))
    }

    /// Whether `address` is the address spelled by `project` and `path` (UTF-8).
    static func equal(_ address: borrowing Address, project: UnsafeBufferPointer<UInt8>, path: UnsafeBufferPointer<UInt8>) -> Bool {
        equal(address.project, project) && equal(address.path, path)
    }

    private static func equal(_ text: borrowing String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if UTF8Bytes.equal(text, bytes) { return true }
        // Other bytes may still spell the same string when either side is not ASCII.
        if UTF8Bytes.isASCII(bytes) && UTF8Bytes.with(text, UTF8Bytes.isASCII) { return false }
        return copy text == String(decoding: bytes, as: UTF8.self)
    }

    /// Folds one string (its NFC bytes) into `state`, length first, so ("ab", "c") and
    /// ("a", "bc") differ.
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, into state: UInt64) -> UInt64 {
        if UTF8Bytes.isASCII(bytes) { return fold(UnsafeRawBufferPointer(bytes), into: state) }
        let nfc = String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping
        return UTF8Bytes.with(nfc) { fold(UnsafeRawBufferPointer($0), into: state) }
    }

    private static func fold(_ bytes: UnsafeRawBufferPointer, into state: UInt64) -> UInt64 {
        var h = mix(state ^ UInt64(bytes.count), 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i + 8 <= bytes.count {
            h = mix(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian, 0xA076_1D64_78BD_642F)
            i += 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            h = mix(h ^ tail, 0xE703_7ED1_A0B4_28DB)
        }
        return h
    }

    private static func finish(_ h: UInt64) -> UInt64 { mix(h ^ (h >> 29), 0x8EBC_6AF0_9C88_C6E3) }

    /// The two halves of the 128-bit product, folded (wyhash's mixer).
    @inline(__always) private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
