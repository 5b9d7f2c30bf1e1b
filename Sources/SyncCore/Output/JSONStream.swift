/// The bytes of one document being written by `JSONWriter`, and the containers open in it
/// (outermost first). Containers write straight into `bytes`; an open child is closed when its
/// parent is written to again, or at the end.
///
/// A value is expected at one place at a time (a "slot": the top, after a key, or an array
/// element). Each slot has a serial number, which the encoder made for it carries, so that a
/// container asked of a stale encoder is caught instead of writing into the wrong place.
final class JSONStream {
    private struct Frame {
        var id: Int
        /// The slot this container fills.
        var slot: Int
        var isObject: Bool
        var indented: Bool
        var count = 0
        /// The key of the last member whose value is not a plain value (objects), for `codingPath`.
        var lastKey: (any CodingKey)?
    }

    // Unchecked exclusivity: the stream is used by one encode call on one thread, and never
    // reaches its own state from inside an access to it; the dynamic checks were a seventh of
    // the time of `validate --json` at a million entries. For the same reason a member's key is
    // kept (`noteKey`) only when its value is a container.
    @exclusivity(unchecked) private var bytes: [UInt8] = []
    private let indentedLevels: Int
    private let chunkSize: Int
    private let sink: ([UInt8]) -> Void
    @exclusivity(unchecked) private var frames: [Frame] = []
    /// The depth at which a value is expected next; `nil` when none is.
    @exclusivity(unchecked) private var pendingDepth: Int? = 0
    /// The serial number of the latest slot.
    @exclusivity(unchecked) private(set) var slot = 1
    @exclusivity(unchecked) private var nextFrameID = 0

    init(style: JSONStyle, chunkSize: Int, sink: @escaping ([UInt8]) -> Void) {
        indentedLevels = style.indentedLevels
        self.chunkSize = max(1, chunkSize)
        self.sink = sink
        if chunkSize != .max { bytes.reserveCapacity(self.chunkSize + self.chunkSize / 8) }
    }

    // MARK: Structure

    /// Starts a member of the container at `depth` (which must be open): closes its open children,
    /// writes the separator and the key. Returns the depth at which the member's value is expected.
    func beginMember(depth: Int, frameID: Int, key: (any CodingKey)?) -> Int {
        if pendingDepth != nil { fillEmptySlot() }
        precondition(depth < frames.count && frames[depth].id == frameID,
                     "JSONWriter: a container was written to after it was closed (use containers in sequence)")
        while frames.count > depth + 1 { closeTop() }
        if bytes.count >= chunkSize { flush() }
        let indented = frames[depth].indented
        if frames[depth].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[depth].count += 1
        if indented { newline(indent: depth + 1) }
        if let key {
            appendString(key.stringValue)
            bytes.append(UInt8(ascii: ":"))
            if indented { bytes.append(UInt8(ascii: " ")) }
        }
        pendingDepth = depth + 1
        slot += 1
        return depth + 1
    }

    /// The container filling `slot` at `depth`: opened now, or the same one again when it is
    /// asked for a second time (a type that writes its fields and then its parts' into one object).
    func container(object: Bool, depth: Int, slot: Int) -> Int {
        if pendingDepth == depth && self.slot == slot && frames.count == depth {
            pendingDepth = nil
            bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
            nextFrameID += 1
            frames.append(Frame(id: nextFrameID, slot: slot, isObject: object, indented: depth < indentedLevels))
            return nextFrameID
        }
        precondition(depth < frames.count && frames[depth].slot == slot && frames[depth].isObject == object,
                     "JSONWriter: a container was asked of an encoder whose value is already written")
        return frames[depth].id
    }

    /// Before a single value is written at `depth`.
    private func beginValue(depth: Int) {
        precondition(pendingDepth == depth && frames.count == depth,
                     "JSONWriter: a value was written where none is expected")
        pendingDepth = nil
    }

    /// Remembers the key under which a container or a value with its own `encode(to:)` is written,
    /// for `codingPath` (plain values are not worth the copy: their errors name their key themselves).
    func noteKey(_ key: any CodingKey, depth: Int) {
        frames[depth].lastKey = key
    }

    /// How many members the container at `depth` has.
    func count(depth: Int) -> Int {
        depth < frames.count ? frames[depth].count : 0
    }

    /// The keys leading to the value at `depth`, for errors.
    func codingPath(depth: Int) -> [any CodingKey] {
        frames.prefix(depth).map { frame in
            frame.isObject ? frame.lastKey ?? JSONIndexKey(frame.count - 1) : JSONIndexKey(frame.count - 1)
        }
    }

    /// Closes every container, ends the line and hands over the rest.
    func finish() {
        if pendingDepth != nil { fillEmptySlot() }
        while !frames.isEmpty { closeTop() }
        bytes.append(UInt8(ascii: "\n"))
        sink(bytes)
        bytes = []
    }

    /// A value that wrote nothing (an empty `encode(to:)`) is an empty object, as with JSONEncoder.
    private func fillEmptySlot() {
        pendingDepth = nil
        bytes.append(UInt8(ascii: "{"))
        bytes.append(UInt8(ascii: "}"))
    }

    private func closeTop() {
        let frame = frames.removeLast()
        if frame.indented && frame.count > 0 { newline(indent: frames.count) }
        bytes.append(frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    private func flush() {
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    private func newline(indent: Int) {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    // MARK: Values

    /// Writes `value` as the value expected at `depth` (under `key`, in an object): common types at
    /// once, others through their `encode(to:)`.
    func encode<T: Encodable>(_ value: T, depth: Int, key: (any CodingKey)? = nil) throws {
        if T.self == String.self {
            writeString(unsafeBitCast(value, to: String.self), depth: depth)
        } else if T.self == Int.self {
            writeInteger(unsafeBitCast(value, to: Int.self), depth: depth)
        } else if T.self == Bool.self {
            writeBool(unsafeBitCast(value, to: Bool.self), depth: depth)
        } else if T.self == Int64.self {
            writeInteger(unsafeBitCast(value, to: Int64.self), depth: depth)
        } else if T.self == Double.self {
            try writeDouble(unsafeBitCast(value, to: Double.self), depth: depth, key: key)
        } else {
            if let key { noteKey(key, depth: depth - 1) }
            try value.encode(to: JSONValueEncoder(stream: self, depth: depth, slot: slot))
        }
    }

    func writeNull(depth: Int) {
        beginValue(depth: depth)
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    func writeBool(_ value: Bool, depth: Int) {
        beginValue(depth: depth)
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
    }

    func writeString(_ value: String, depth: Int) {
        beginValue(depth: depth)
        appendString(value)
    }

    func writeInteger<I: FixedWidthInteger>(_ value: I, depth: Int) {
        beginValue(depth: depth)
        if I.bitWidth > 64 {
            appendASCII(String(value))
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        if magnitude < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            while magnitude > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// The shortest text that reads back as `value` (`1.0`, `-0.0`, `1e+300`); NaN and infinity throw.
    func writeDouble(_ value: Double, depth: Int, key: (any CodingKey)? = nil) throws {
        guard value.isFinite else { throw nonFinite(value, depth: depth, key: key) }
        beginValue(depth: depth)
        appendASCII(value.description)
    }

    /// The shortest text that reads back as `value`; NaN and infinity throw.
    func writeFloat(_ value: Float, depth: Int, key: (any CodingKey)? = nil) throws {
        guard value.isFinite else { throw nonFinite(value, depth: depth, key: key) }
        beginValue(depth: depth)
        appendASCII(value.description)
    }

    private func nonFinite(_ value: some BinaryFloatingPoint, depth: Int, key: (any CodingKey)?) -> EncodingError {
        EncodingError.invalidValue(value, EncodingError.Context(
            codingPath: key.map { codingPath(depth: depth - 1) + [$0] } ?? codingPath(depth: depth),
            debugDescription: "\(value) cannot be written in JSON (NaN and infinity have no JSON form)"))
    }

    /// Text that needs no escaping (numbers).
    private func appendASCII(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, `\r`, `\b`, `\f` or
    /// `\u00XX`; everything else as it is (a Swift string is valid UTF-8).
    private func appendString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var plainStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if plainStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<i])) }
                plainStart = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)]])
                }
            }
            if plainStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart...])) }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}

/// An array index in a coding path.
struct JSONIndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { intValue.map(String.init) ?? "" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key `superEncoder()` writes under.
struct JSONSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) {}
    init?(intValue: Int) { nil }
}
