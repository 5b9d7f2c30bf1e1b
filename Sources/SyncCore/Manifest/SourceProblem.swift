public import SyncYAML

/// The problems of tabular sources (`from:`, `files_from:`) and `include:`, and their wording:
/// `ManifestProblem.source` carries one, in the same voice (lower-case lead, subject quoted,
/// the fix when known).
public enum SourceProblem: Hashable, Sendable {
    // The manifest's side.
    case tableKeyWithoutSource(key: String)
    case uriWithTable
    case unknownFormat(String)
    case pathLeavesRepository(String)
    case absolutePath(String)
    case unknownColumnType(String, suggestion: String?)
    case badTemplate(String)
    case includeCycle(path: String, chain: String)
    case includeVersion(text: String)
    case includeTwice(path: String)
    case defaultsInInclude
    case nameWithTable
    case expectedBoolean(key: String)
    case unreadable(path: String, reason: String)
    // The table's side.
    case missingColumn(role: String, column: String, suggestion: String?, headers: [String])
    case unknownConfiguredColumn(column: String, suggestion: String?)
    case duplicateHeader(String, firstColumn: Int)
    case cellWithoutHeader(column: Int)
    case emptyCell(column: String)
    case templateCellEmpty(column: String)
    case invalidUTF8(column: String)
    case notUTF8Header
    /// A problem of the table's structure, found by `TableReader`.
    case structure(TableReader.Problem.Kind)
    case valueNotOfType(column: String, text: String, type: String)
    case notAListOfObjects
    case rowNotObject
    case cellNotScalar(column: String)
    case emptyTable
    case duplicateAcrossFiles(Address, firstFile: String, first: SourceMark)

    public var message: String {
        switch self {
        case .tableKeyWithoutSource(let key):
            "'\(key)' only applies to a table source; add 'from' (or 'files_from' in a 'volumes' entry)"
        case .uriWithTable:
            "a 'drs' entry takes either 'uri' (one file) or 'from' (a table of files), not both"
        case .unknownFormat(let path):
            "cannot tell the format of '\(path)' from its extension; set 'format' to 'csv', 'tsv' or 'gen3'"
        case .pathLeavesRepository(let path):
            "'\(path)' leaves the manifest's repository; keep tables beside the manifest, or set 'allow_outside: true'"
        case .absolutePath(let path):
            "'\(path)' is an absolute path; write it relative to the manifest's folder, or set 'allow_outside: true'"
        case .unknownColumnType(let type, let suggestion):
            if let suggestion {
                "unknown column type '\(type)'; did you mean '\(suggestion)'?"
            } else {
                "unknown column type '\(type)'; expected 'string', 'integer', 'float' or 'boolean'"
            }
        case .badTemplate(let template):
            "URI template '\(template)' has an unclosed '{' or an empty '{}'; write e.g. 'drs://nci-crdc.datacommons.io/{id}'"
        case .includeCycle(let path, let chain):
            "'\(path)' includes itself (\(chain))"
        case .includeVersion(let text):
            "an included manifest may repeat 'version' only as the same version; found '\(text)'"
        case .includeTwice(let path):
            "'\(path)' is included twice"
        case .defaultsInInclude:
            "'defaults' applies to every file, so it belongs in the top manifest, not in an included one"
        case .nameWithTable:
            "a table source takes file names from its 'name' column; to use another column, write 'columns: {name: COLUMN}'"
        case .expectedBoolean(let key):
            "expected 'true' or 'false' for '\(key)'"
        case .unreadable(let path, let reason):
            "cannot read '\(path)': \(reason)"
        case .missingColumn(let role, let column, let suggestion, let headers):
            if let suggestion {
                "no column '\(column)' (the \(role)); did you mean '\(suggestion)'?"
            } else {
                "no column '\(column)' (the \(role)); the header has \(ManifestProblem.list(headers.map { String($0.prefix(40)) }.prefix(12).map { $0 }))"
            }
        case .unknownConfiguredColumn(let column, let suggestion):
            if let suggestion {
                "the table has no column '\(column)'; did you mean '\(suggestion)'?"
            } else {
                "the table has no column '\(column)'"
            }
        case .duplicateHeader(let name, let first):
            "column name '\(name)' appears twice in the header (first as column \(first))"
        case .cellWithoutHeader(let column):
            "column \(column) has a value but no name in the header"
        case .emptyCell(let column):
            "'\(column)' is empty"
        case .templateCellEmpty(let column):
            "'\(column)' is empty, so the URI template cannot be filled"
        case .invalidUTF8(let column):
            "'\(column)' is not valid UTF-8 text; save the table as UTF-8"
        case .notUTF8Header:
            "the header is not valid UTF-8 text; save the table as UTF-8"
        case .structure(.fieldCount(let found, let expected)):
            "row has \(found) \(found == 1 ? "field" : "fields"), the header \(expected); quote values that contain the delimiter"
        case .structure(.unterminatedQuote):
            "quote opened here is never closed"
        case .structure(.textAfterQuote):
            "text after a closing quote; a quote inside a quoted value is written '\"\"'"
        case .structure(.recordTooLong(let limit)):
            "row is longer than the limit of \(limit) bytes (is this a table?); the rest of the file was not read"
        case .structure(.tooManyColumns(let limit)):
            "header has more than \(limit) columns, over the limit"
        case .structure(.fileTooLarge(let size, let limit)):
            "table is \(size) bytes, over the limit of \(limit) bytes"
        case .valueNotOfType(let column, let text, let type):
            "'\(column)' is '\(text)', not \(type == "integer" ? "an" : "a") \(type)"
        case .notAListOfObjects:
            "expected a Gen3 manifest: a JSON list of objects with 'object_id'"
        case .rowNotObject:
            "expected an object with 'object_id'"
        case .cellNotScalar(let column):
            "'\(column)' must be a string, number, boolean or null"
        case .emptyTable:
            "the table has no header"
        case .duplicateAcrossFiles(let address, let file, let first):
            "two entries land on '\(address)'; the other one is at \(file):\(first.line)"
        }
    }

    public var note: String? {
        switch self {
        case .duplicateAcrossFiles(_, let file, let first):
            "first declared at \(file):\(first); give one of them another 'name' or 'folder'"
        case .includeCycle:
            "remove one of the includes"
        default:
            nil
        }
    }
}
