#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// How a JSON document is laid out. Every layout writes the same values; only whitespace differs.
public struct JSONStyle: Sendable, Hashable {
    /// Containers this many levels deep or less (the top-level one is level 1) list one member a
    /// line, indented by two spaces, `"key": value`; deeper ones are written on one line, `{"key":value}`.
    public var indentedLevels: Int

    public init(indentedLevels: Int) {
        self.indentedLevels = max(0, indentedLevels)
    }

    /// The whole document on one line: events, one a line.
    public static let compact = JSONStyle(indentedLevels: 0)
    /// Every container indented: documents people read (plans, saved plans, the failures file).
    public static let pretty = JSONStyle(indentedLevels: .max)
    /// The top-level object and its lists indented, each list entry on one line: documents of a
    /// million entries (`validate --json`, `state export`), still easy to cut with line tools.
    public static let oneEntryPerLine = JSONStyle(indentedLevels: 2)
}

/// A document sbsync prints or saves as JSON: a Codable type with `snake_case` keys and a
/// `format_version` first, laid out one way.
public protocol JSONDocument: Encodable {
    /// How the document is laid out.
    static var jsonStyle: JSONStyle { get }
}

extension JSONDocument {
    /// The document's bytes (UTF-8), ending with a newline.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number.
    public func jsonBytes() throws -> [UInt8] {
        try JSONWriter.encode(self, style: Self.jsonStyle)
    }

    /// The document's bytes (UTF-8), ending with a newline.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number.
    public func jsonData() throws -> Data {
        Data(try jsonBytes())
    }

    /// The document as text, ending with a newline.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number.
    public func jsonText() throws -> String {
        String(decoding: try jsonBytes(), as: UTF8.self)
    }

    /// Writes the document in pieces of about `chunkSize` bytes (UTF-8), each handed to `write`:
    /// a document of a million entries goes to a file without being held whole.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number (the pieces before it
    ///   have been written).
    public func writeJSONBytes(chunkSize: Int = JSONWriter.defaultChunkSize, to write: ([UInt8]) -> Void) throws {
        try JSONWriter.encode(self, style: Self.jsonStyle, chunkSize: chunkSize, to: write)
    }

    /// Writes the document in pieces of about `chunkSize` bytes, each handed to `write` as text.
    /// A piece never ends inside a character: each is valid UTF-8 on its own.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number (the pieces before it
    ///   have been written).
    public func writeJSON(chunkSize: Int = JSONWriter.defaultChunkSize, to write: (String) -> Void) throws {
        try JSONWriter.encode(self, style: Self.jsonStyle, chunkSize: chunkSize) { write(String(decoding: $0, as: UTF8.self)) }
    }
}

/// The one JSON encoder of sbsync. Writes straight into a byte buffer while the value's `encode(to:)`
/// runs (no tree in between), and hands the buffer to a sink whenever it holds a chunk, so a
/// document of a million entries streams in flat memory.
///
/// What it writes:
/// - object keys in the order `encode(to:)` writes them (synthesized Codable: declaration order);
/// - every optional key: `encodeIfPresent` of `nil` writes `null` (JSONEncoder leaves the key out),
///   so a document's keys are always all there;
/// - strings as UTF-8 with `"`, `\` and control characters escaped, and nothing else (never `\/`);
/// - integers as integers; floating-point numbers in the shortest form that reads back to the same
///   value (`1.0`, `-0.0`, `1e+300`). NaN and infinity have no JSON form: they throw
///   `EncodingError.invalidValue`.
/// - `Date`, `Data`, `URL` and `Decimal` get no special treatment (no sbsync document has them).
///
/// Containers must be used the way synthesized Codable uses them: in sequence. A child container
/// is closed when its parent is written to again (or at the end); writing to a closed container
/// stops the program (a precondition), as it is a bug in an `encode(to:)`.
public enum JSONWriter {
    /// The size of the pieces a streamed document is handed over in.
    public static let defaultChunkSize = 1 << 20

    /// The document's bytes, ending with a newline.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number.
    public static func encode<T: Encodable>(_ value: T, style: JSONStyle) throws -> [UInt8] {
        var result: [UInt8] = []
        try encode(value, style: style, chunkSize: .max) { result.append(contentsOf: $0) }
        return result
    }

    /// Writes the document, ending with a newline, in pieces of about `chunkSize` bytes (a piece
    /// ends between two values, so it is valid UTF-8 on its own).
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite number; the pieces before it
    ///   have been handed to `sink`.
    public static func encode<T: Encodable>(_ value: T, style: JSONStyle, chunkSize: Int, to sink: ([UInt8]) -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            let stream = JSONStream(style: style, chunkSize: chunkSize, sink: sink)
            try stream.encode(value, depth: 0)
            stream.finish()
        }
    }

    /// Where an encoding error happened and why, for a message: `files[3].metadata.ratio: NaN or infinity …`.
    public static func describe(_ error: EncodingError) -> String {
        switch error {
        case .invalidValue(_, let context):
            var path = ""
            for key in context.codingPath {
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += path.isEmpty ? key.stringValue : "." + key.stringValue
                }
            }
            return path.isEmpty ? context.debugDescription : path + ": " + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

