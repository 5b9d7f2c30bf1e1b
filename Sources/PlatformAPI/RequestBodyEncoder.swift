import Foundation

/// Request bodies as `JSONEncoder` with sorted keys and unescaped slashes writes them, except
/// for one thing: a whole-number `Double` is written `1.0`, where `JSONEncoder` writes `1`. The
/// platform reads JSON as Python does, so `1` would land as an integer, and a manifest's float
/// `1.0` (a coverage of 30.0, a ratio of 1.0) would change type on the platform.
///
/// Values are gathered into a tree while `encode(to:)` runs, turned into a `JSONValue`, and
/// written in one pass.
enum RequestBodyEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = Slot()
        try value.encode(to: TreeEncoder(slot: root, codingPath: []))
        var out: [UInt8] = []
        try write(root.json, into: &out, codingPath: [])
        return out
    }

    /// One value of the tree; filled once by whichever container `encode(to:)` asks for.
    final class Slot {
        enum Content {
            case empty, scalar(JSONValue), object([String: Slot]), array([Slot])
        }
        var content = Content.empty

        /// The value gathered; a value that encoded nothing is an empty object, as JSONEncoder writes it.
        var json: JSONValue {
            switch content {
            case .empty: .object([:])
            case .scalar(let value): value
            case .object(let members): .object(members.mapValues(\.json))
            case .array(let items): .array(items.map(\.json))
            }
        }
    }

    static func write(_ value: JSONValue, into out: inout [UInt8], codingPath: [any CodingKey]) throws {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .int(let i): out += Array(String(i).utf8)
        case .string(let s): write(string: s, into: &out)
        case .double(let d):
            guard d.isFinite else {
                throw EncodingError.invalidValue(d, .init(codingPath: codingPath, debugDescription: "\(d) has no JSON form"))
            }
            // Swift's shortest form that reads back the same: `1.0`, `2.5`, `1e+16`, `5e-324`, `-0.0`.
            out += Array("\(d)".utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, into: &out, codingPath: codingPath + [AnyKey(index)])
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(string: key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(members[key]!, into: &out, codingPath: codingPath + [AnyKey(key)])
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `"`, `\` and control characters escaped as `JSONEncoder` escapes them; nothing else.
    static func write(string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ string: String) { stringValue = string }
        init(_ int: Int) {
            stringValue = String(int)
            intValue = int
        }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { self.init(intValue) }
    }

    struct TreeEncoder: Encoder {
        let slot: Slot
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = slot.content {} else { slot.content = .object([:]) }
            return KeyedEncodingContainer(Keyed<Key>(slot: slot, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = slot.content {} else { slot.content = .array([]) }
            return Unkeyed(slot: slot, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(slot: slot, codingPath: codingPath) }
    }

    /// A scalar for the primitive types, or the value's own `encode(to:)` into `slot`.
    static func fill<T: Encodable>(_ slot: Slot, with value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case let v as String: slot.content = .scalar(.string(v))
        case let v as Bool: slot.content = .scalar(.bool(v))
        case let v as Double: slot.content = .scalar(.double(v))
        case let v as Float: slot.content = .scalar(.double(Double(v)))
        case let v as Int: slot.content = .scalar(.int(Int64(v)))
        case let v as Int64: slot.content = .scalar(.int(v))
        case let v as Int32: slot.content = .scalar(.int(Int64(v)))
        case let v as UInt32: slot.content = .scalar(.int(Int64(v)))
        default: try value.encode(to: TreeEncoder(slot: slot, codingPath: codingPath))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let slot: Slot
        var codingPath: [any CodingKey]

        private func child(_ key: Key) -> Slot {
            let child = Slot()
            if case .object(var members) = slot.content {
                members[key.stringValue] = child
                slot.content = .object(members)
            }
            return child
        }

        mutating func encodeNil(forKey key: Key) throws { child(key).content = .scalar(.null) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try RequestBodyEncoder.fill(child(key), with: value, codingPath: codingPath + [key])
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(slot: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            TreeEncoder(slot: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { TreeEncoder(slot: child(Key(stringValue: "super")!), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { TreeEncoder(slot: child(key), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let slot: Slot
        var codingPath: [any CodingKey]
        var count: Int {
            if case .array(let items) = slot.content { return items.count }
            return 0
        }

        private func next() -> Slot {
            let child = Slot()
            if case .array(var items) = slot.content {
                items.append(child)
                slot.content = .array(items)
            }
            return child
        }

        mutating func encodeNil() throws { next().content = .scalar(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try RequestBodyEncoder.fill(next(), with: value, codingPath: codingPath + [AnyKey(count)])
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(slot: next(), codingPath: codingPath + [AnyKey(count)]).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            TreeEncoder(slot: next(), codingPath: codingPath + [AnyKey(count)]).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { TreeEncoder(slot: next(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let slot: Slot
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { slot.content = .scalar(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try RequestBodyEncoder.fill(slot, with: value, codingPath: codingPath) }
    }
}
