import Foundation

/// A string's UTF-8 against raw bytes (a state row's columns, a scan's keys), without making a
/// `String` of the bytes.
enum UTF8Bytes {
    /// `body` with `text`'s UTF-8, in place when the string is contiguous (native ones are).
    static func with<R>(_ text: borrowing String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var contiguous = copy text
        return contiguous.withUTF8(body)
    }

    /// Whether `bytes` are exactly `text`'s UTF-8 (bytes, not Unicode equivalence).
    static func equal(_ text: borrowing String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        with(text) { utf8 in
            utf8.count == bytes.count && (utf8.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, utf8.count) == 0)
        }
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0, high: UInt64 = 0
        while i + 8 <= raw.count {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < raw.count { high |= UInt64(raw[i]); i += 1 }
        return high & 0x8080_8080_8080_8080 == 0
    }
}
