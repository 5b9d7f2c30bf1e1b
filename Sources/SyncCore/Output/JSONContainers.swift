/// The `Encoder` `JSONWriter` hands to `encode(to:)`: a place in the stream where one value is expected.
struct JSONValueEncoder: Encoder {
    let stream: JSONStream
    let depth: Int
    let slot: Int

    var codingPath: [any CodingKey] { stream.codingPath(depth: depth) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let frameID = stream.container(object: true, depth: depth, slot: slot)
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(stream: stream, depth: depth, frameID: frameID))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedContainer(stream: stream, depth: depth, frameID: stream.container(object: false, depth: depth, slot: slot))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueContainer(stream: stream, depth: depth)
    }
}

/// An object's members, written as they come.
struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let stream: JSONStream
    let depth: Int
    let frameID: Int

    var codingPath: [any CodingKey] { stream.codingPath(depth: depth) }

    private func member(_ key: any CodingKey) -> Int {
        stream.beginMember(depth: depth, frameID: frameID, key: key)
    }

    mutating func encodeNil(forKey key: Key) throws { stream.writeNull(depth: member(key)) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { stream.writeBool(value, depth: member(key)) }
    mutating func encode(_ value: String, forKey key: Key) throws { stream.writeString(value, depth: member(key)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try stream.writeDouble(value, depth: member(key), key: key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try stream.writeFloat(value, depth: member(key), key: key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { stream.writeInteger(value, depth: member(key)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try stream.encode(value, depth: member(key), key: key) }

    // `nil` is written as `null`: every key of a document is always there.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int128?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt128?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }

    private mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try stream.encode(value, depth: member(key), key: key) } else { stream.writeNull(depth: member(key)) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        nestedEncoder(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        nestedEncoder(key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        nestedEncoder(JSONSuperKey())
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        nestedEncoder(key)
    }

    private func nestedEncoder(_ key: any CodingKey) -> JSONValueEncoder {
        let valueDepth = member(key)
        stream.noteKey(key, depth: depth)
        return JSONValueEncoder(stream: stream, depth: valueDepth, slot: stream.slot)
    }
}

/// An array's elements, written as they come.
struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let stream: JSONStream
    let depth: Int
    let frameID: Int

    var codingPath: [any CodingKey] { stream.codingPath(depth: depth) }
    var count: Int { stream.count(depth: depth) }

    private func element() -> Int {
        stream.beginMember(depth: depth, frameID: frameID, key: nil)
    }

    mutating func encodeNil() throws { stream.writeNull(depth: element()) }
    mutating func encode(_ value: Bool) throws { stream.writeBool(value, depth: element()) }
    mutating func encode(_ value: String) throws { stream.writeString(value, depth: element()) }
    mutating func encode(_ value: Double) throws { try stream.writeDouble(value, depth: element()) }
    mutating func encode(_ value: Float) throws { try stream.writeFloat(value, depth: element()) }
    mutating func encode(_ value: Int) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: Int8) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: Int16) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: Int32) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: Int64) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: Int128) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: UInt) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: UInt8) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: UInt16) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: UInt32) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: UInt64) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode(_ value: UInt128) throws { stream.writeInteger(value, depth: element()) }
    mutating func encode<T: Encodable>(_ value: T) throws { try stream.encode(value, depth: element()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        JSONValueEncoder(stream: stream, depth: element(), slot: stream.slot).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONValueEncoder(stream: stream, depth: element(), slot: stream.slot).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        JSONValueEncoder(stream: stream, depth: element(), slot: stream.slot)
    }
}

/// The one value of a slot.
struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let stream: JSONStream
    let depth: Int

    var codingPath: [any CodingKey] { stream.codingPath(depth: depth) }

    mutating func encodeNil() throws { stream.writeNull(depth: depth) }
    mutating func encode(_ value: Bool) throws { stream.writeBool(value, depth: depth) }
    mutating func encode(_ value: String) throws { stream.writeString(value, depth: depth) }
    mutating func encode(_ value: Double) throws { try stream.writeDouble(value, depth: depth) }
    mutating func encode(_ value: Float) throws { try stream.writeFloat(value, depth: depth) }
    mutating func encode(_ value: Int) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: Int8) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: Int16) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: Int32) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: Int64) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: Int128) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: UInt) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: UInt8) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: UInt16) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: UInt32) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: UInt64) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode(_ value: UInt128) throws { stream.writeInteger(value, depth: depth) }
    mutating func encode<T: Encodable>(_ value: T) throws { try stream.encode(value, depth: depth) }
}
