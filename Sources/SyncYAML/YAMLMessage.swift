/// Every message the YAML layer prints, in one place and one voice: lower-case lead, subject
/// quoted, the fix when known.
enum YAMLMessage {
    static func unreadable(_ reason: String) -> String { "cannot read the file: \(reason)" }
    static func notARegularFile() -> String { "cannot read the file: it is a directory or a device, not a regular file" }

    static func inputTooLarge(size: Int, limit: Int) -> String {
        "input is \(Self.size(size)), over the limit of \(Self.size(limit))"
    }
    static func streamTooLarge(limit: Int) -> String {
        "input goes on past the limit of \(Self.size(limit)); a pipe or a device is read only up to the limit"
    }
    static func nestingTooDeep(limit: Int) -> String {
        "collections nested deeper than \(limit) levels; a manifest never needs this much nesting"
    }
    static func aliasExpansion(limit: Int) -> String {
        "aliases expand to more than \(limit) nodes (an alias bomb?); use fewer or smaller aliased nodes"
    }
    static func scalarTooLong(length: Int, limit: Int) -> String {
        "scalar of \(length) bytes is longer than the limit of \(limit) bytes"
    }
    static func duplicateKey(_ key: String) -> String { "duplicate key '\(quoted(key))'" }
    static func firstDefined(_ mark: SourceMark) -> String { "first defined at \(mark)" }
    static func secondDocument() -> String {
        "a second YAML document starts here; this file must hold exactly one document"
    }
    static func firstDocument(_ mark: SourceMark) -> String { "the first document starts at \(mark)" }
    static func unknownTag(_ tag: String) -> String {
        "unknown tag '\(quoted(displayTag(tag)))'; only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are allowed"
    }
    static func tagOnWrongKind(_ tag: String, kind: String) -> String {
        "tag '\(displayTag(tag))' cannot be used on a \(kind)"
    }
    static func valueDoesNotFitTag(_ text: String, tag: String) -> String {
        "'\(quoted(text))' is not a valid \(displayTag(tag)) value"
    }
    static func integerOutOfRange(_ text: String) -> String {
        "integer '\(quoted(text))' does not fit in 64 bits; quote it to keep it as a string"
    }
    static func unknownAlias(_ name: String) -> String { "alias '*\(quoted(name))' names no anchor defined before it" }
    static func recursiveAlias(_ name: String) -> String {
        "alias '*\(quoted(name))' refers to a node that contains it (a cycle)"
    }
    static func badMerge() -> String {
        "the value of a merge key '<<' must be a mapping or a list of mappings"
    }
    static func invalidEncoding(_ problem: String, value: Int32) -> String {
        let byte = value >= 0 ? " (\(value > 0xFF ? "U+" + hex(Int(value), width: 4) : "byte 0x" + hex(Int(value), width: 2)))" : ""
        if problem.hasPrefix("control characters") || problem.hasPrefix("invalid Unicode") {
            let character = value >= 0 ? " (U+\(hex(Int(value), width: 4)))" : ""
            return "input contains a character YAML does not allow: \(problem)\(character)"
        }
        return "input is not valid UTF-8 text: \(problem)\(byte); save the file as UTF-8"
    }
    static func syntax(_ problem: String) -> String { "invalid YAML: \(problem)" }
    static func syntaxContext(_ context: String, at mark: SourceMark) -> String { "\(context) that starts at \(mark)" }
    static func outOfMemory() -> String { "out of memory while parsing" }

    /// `tag:yaml.org,2002:int` → `!!int`.
    static func displayTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }

    /// A value shown in a message: control characters escaped, long values shortened.
    static func quoted(_ text: String) -> String {
        var out = ""
        for (i, scalar) in text.unicodeScalars.enumerated() {
            if i == 60 { out += "…"; break }
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(hex(Int(scalar.value), width: 2))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `14 bytes`, `178 MiB (186646528 bytes)`.
    static func size(_ bytes: Int) -> String {
        if bytes < 1_048_576 { return "\(bytes) bytes" }
        let mib = Double(bytes) / 1_048_576
        let shown = mib >= 10 ? "\(Int(mib.rounded()))" : "\((mib * 10).rounded() / 10)"
        return "\(shown) MiB (\(bytes) bytes)"
    }

    static func hex(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
