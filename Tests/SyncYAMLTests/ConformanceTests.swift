import Foundation
import SyncYAML
import Testing

/// Runs every case of the official YAML test suite (`yaml-test-suite/` beside this file, a copy
/// of data release 2022-01-17 with its licence; see its README): an `error` case must be
/// rejected; a valid case must be accepted and, when it has `in.json`, give the same JSON
/// value(s). Cases listed in `libyaml-known-differences.txt` (where libyaml 0.2.5 itself
/// disagrees with the suite) are expected failures; one that starts to pass fails the test so
/// that the list gets updated.
@Suite struct ConformanceTests {
    static let suiteDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SyncYAMLTests
        .appendingPathComponent("yaml-test-suite")

    /// The suite tests parsing, not a schema: it uses local and non-core tags (`!foo`,
    /// `!!binary`, `!!set`) without interpreting them, so unknown tags are allowed; and valid
    /// case X38W uses one anchored node twice as a key (`&a [a, b]: …, *a : …`), so duplicate
    /// keys are allowed. No error case of the suite is an error because of a tag or a duplicate
    /// key (the counts are the same either way).
    static var options: YAMLParseOptions {
        var options = YAMLParseOptions()
        options.allowsUnknownTags = true
        options.allowsDuplicateKeys = true
        return options
    }

    @Test func everyCaseOfTheYAMLTestSuite() throws {
        let fm = FileManager.default
        let directory = Self.suiteDirectory
        guard fm.fileExists(atPath: directory.appendingPathComponent("cases.tsv").path) else {
            Issue.record("the YAML test suite is missing at \(directory.path)")
            return
        }
        let known = try Self.knownDifferences(directory.appendingPathComponent("libyaml-known-differences.txt"))
        let ids = try fm.contentsOfDirectory(atPath: directory.path)
            .filter { fm.fileExists(atPath: directory.appendingPathComponent($0).appendingPathComponent("in.yaml").path) }
            .sorted()

        var validAgreeing = 0, validAcceptedNoJSON = 0, errorsRejected = 0, expectedFailures = 0
        var unexpected: [String] = []
        var nowPassing: [String] = []
        for id in ids {
            let folder = directory.appendingPathComponent(id)
            let input = try Data(contentsOf: folder.appendingPathComponent("in.yaml"))
            let isError = fm.fileExists(atPath: folder.appendingPathComponent("error").path)
            let jsonURL = folder.appendingPathComponent("in.json")
            let outcome: (passed: Bool, detail: String)
            do {
                let documents = try YAMLParser.parseStream(String(decoding: input, as: UTF8.self), file: "in.yaml", options: Self.options)
                if isError {
                    outcome = (false, "accepted an invalid document")
                } else if fm.fileExists(atPath: jsonURL.path) {
                    let expected = try Self.jsonValues(Data(contentsOf: jsonURL))
                    let got = documents.map { JSONValue($0.root) }
                    outcome = got == expected ? (true, "") : (false, "JSON differs: got \(got), expected \(expected)")
                } else {
                    outcome = (true, "")
                }
            } catch {
                outcome = isError ? (true, "") : (false, "rejected a valid document: \(error)")
            }
            if let kind = known[id] {
                if outcome.passed {
                    nowPassing.append("\(id) (\(kind))")
                } else {
                    expectedFailures += 1
                }
            } else if outcome.passed {
                if isError { errorsRejected += 1 } else if fm.fileExists(atPath: jsonURL.path) { validAgreeing += 1 } else { validAcceptedNoJSON += 1 }
            } else {
                unexpected.append("\(id): \(outcome.detail)")
            }
        }
        print("""
            yaml-test-suite: \(ids.count) cases: \(validAgreeing) valid with the same JSON, \
            \(validAcceptedNoJSON) valid accepted (no in.json), \(errorsRejected) errors rejected, \
            \(expectedFailures) expected failures (libyaml-known-differences.txt), \
            \(unexpected.count) unexpected failures, \(nowPassing.count) listed cases now passing
            """)
        #expect(ids.count == 402)
        #expect(unexpected.isEmpty, "unexpected failures:\n\(unexpected.joined(separator: "\n"))")
        #expect(nowPassing.isEmpty, """
            these cases are listed in libyaml-known-differences.txt but now pass; \
            remove them from the list: \(nowPassing.joined(separator: ", "))
            """)
    }

    /// id → kind, from the tab-separated list (comments start with `#`).
    static func knownDifferences(_ url: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            if columns.count >= 2 { result[String(columns[0])] = String(columns[1]) }
        }
        return result
    }

    /// The JSON values of `in.json`: one per document, written one after another.
    static func jsonValues(_ data: Data) throws -> [JSONValue] {
        try splitConcatenatedJSON(Array(data)).map { chunk in
            JSONValue(foundation: try JSONSerialization.jsonObject(with: Data(chunk), options: .fragmentsAllowed))
        }
    }

    /// Splits `{…} [..] "s" 1 null` into one byte slice per top-level JSON value.
    static func splitConcatenatedJSON(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var values: [ArraySlice<UInt8>] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        while i < bytes.count {
            if isSpace(bytes[i]) { i += 1; continue }
            let start = i
            if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") || bytes[i] == UInt8(ascii: "\"") {
                var depth = 0, inString = false
                repeat {
                    let b = bytes[i]
                    if inString {
                        if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { inString = false }
                    } else if b == UInt8(ascii: "\"") {
                        inString = true
                    } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                        depth += 1
                    } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                        depth -= 1
                    }
                    i += 1
                } while i < bytes.count && (inString || depth > 0)
            } else {
                while i < bytes.count && !isSpace(bytes[i]) { i += 1 }
            }
            values.append(bytes[start..<i])
        }
        return values
    }
}

/// A JSON value, numbers compared by value.
enum JSONValue: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// Something JSON cannot hold (e.g. a mapping used as a key).
    case unrepresentable(String)

    init(_ node: YAMLNode) {
        switch node.kind {
        case .scalar:
            switch node.value {
            case .null?, nil: self = .null
            case .bool(let b)?: self = .bool(b)
            case .int(let i)?: self = .number(Double(i))
            case .float(let d)?: self = .number(d)
            case .string(let s)?: self = .string(s)
            }
        case .sequence:
            self = .array(node.items.map(JSONValue.init))
        case .mapping:
            var object: [String: JSONValue] = [:]
            for pair in node.pairs {
                guard pair.key.kind == .scalar else {
                    self = .unrepresentable("mapping with a \(pair.key.kind) key")
                    return
                }
                object[pair.key.text] = JSONValue(pair.value)
            }
            self = .object(object)
        }
    }

    init(foundation value: Any) {
        switch value {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // A JSON boolean comes back as an NSNumber of Objective-C type `c` (char/BOOL).
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case let array as [Any]:
            self = .array(array.map(JSONValue.init(foundation:)))
        case let object as [String: Any]:
            self = .object(object.mapValues(JSONValue.init(foundation:)))
        default:
            self = .unrepresentable("\(type(of: value))")
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.map(\.description).joined(separator: ", "))]"
        case .object(let o): "{\(o.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", "))}"
        case .unrepresentable(let why): "<\(why)>"
        }
    }
}
