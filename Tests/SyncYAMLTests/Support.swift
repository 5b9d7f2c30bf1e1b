import Foundation
import SyncYAML
import Testing

/// Parses `text` as `t.yaml` and returns the error it must raise (records an issue if none).
func expectError(_ text: String, options: YAMLParseOptions = .manifest,
                 sourceLocation: SourceLocation = #_sourceLocation) -> YAMLError? {
    do {
        _ = try YAMLParser.parse(text, file: "t.yaml", options: options)
        Issue.record("expected an error, the document parsed", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

func expectError(bytes: [UInt8], options: YAMLParseOptions = .manifest,
                 sourceLocation: SourceLocation = #_sourceLocation) -> YAMLError? {
    do {
        _ = try YAMLParser.parse(bytes: bytes, file: "t.yaml", options: options)
        Issue.record("expected an error, the document parsed", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

func parse(_ text: String, options: YAMLParseOptions = .manifest) throws -> YAMLNode {
    try YAMLParser.parse(text, file: "t.yaml", options: options).root
}

/// The "billion laughs" document: `levels` anchors, each a list of `width` aliases of the previous.
func aliasBomb(levels: Int = 9, width: Int = 9) -> String {
    var text = "a0: &a0 [lol]\n"
    for level in 1...levels {
        let items = Array(repeating: "*a\(level - 1)", count: width).joined(separator: ", ")
        text += "a\(level): &a\(level) [\(items)]\n"
    }
    return text
}
