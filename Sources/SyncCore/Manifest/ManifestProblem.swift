public import SyncYAML

/// Every problem the manifest stages report, and all their wording, in one place.
///
/// One voice: lower-case lead, the subject quoted, the fix when it is known.
public enum ManifestProblem: Error, Hashable, Sendable {
    // Shape.
    case rootNotMapping
    case emptyManifest
    case expectedMapping(what: String)
    case expectedList(key: String)
    case expectedScalar(key: String)
    case expectedPlainKey
    case noValue(key: String)
    case unknownKey(key: String, section: String, suggestion: String?, expected: [String])
    /// A key of a table item's `columns` written on the item itself (`types:` beside `from:`).
    case belongsUnderColumns(key: String)
    case missingKey(key: String, section: String, hint: String?)
    // Values.
    case versionNotInteger(text: String)
    case unsupportedVersion(text: String)
    case invalidProjectID(String)
    case invalidVolumeID(String)
    case invalidDRSURI(String, DRSURIError)
    case invalidName(String, NameError)
    case invalidFolder(String, FolderError)
    case invalidLocation(String, LocationError)
    case invalidPrefix(String)
    case invalidGlob(String, Glob.SyntaxError)
    case emptyInclude
    case metadataValueNotScalar(key: String)
    case metadataValueNotFinite(key: String, text: String)
    case emptyMetadataKey
    case invalidTag(String, TagError)
    case invalidConflict(String, suggestion: String?)
    // Expansion.
    case duplicateAddress(Address, first: SourceMark, sameEntry: Bool)
    case missingProject
    case listedObjectUnplaceable(location: String, prefix: String, reason: String)
    // Tabular sources and `include:` (issue 12): wording in Manifest/SourceProblem.swift.
    case source(SourceProblem)

    public enum DRSURIError: Hashable, Sendable { case scheme, form, hostnameForm, compactForm }
    public enum NameError: Hashable, Sendable { case empty, slash, control(Unicode.Scalar), tooLong(Int), dots }
    public enum FolderError: Hashable, Sendable {
        case leadingSlash, trailingSlash, emptySegment, dotSegment(String), character(Character)
    }
    public enum LocationError: Hashable, Sendable { case empty, endsWithSlash }
    public enum TagError: Hashable, Sendable { case empty, comma }

    /// The one-line message. What it quotes from the manifest or a listing shows control
    /// characters escaped (`TerminalText`), so a message never carries one.
    public var message: String { TerminalText.escaped(unescapedMessage) }

    private var unescapedMessage: String {
        switch self {
        case .rootNotMapping:
            "expected a mapping at the top of the manifest, with 'version: 1' and 'volumes' or 'drs'"
        case .emptyManifest:
            "the manifest is empty; start it with 'version: 1'"
        case .expectedMapping(let what):
            "expected a mapping for \(what)"
        case .expectedList(let key):
            "expected a list for '\(key)'"
        case .expectedScalar(let key):
            "expected a single value for '\(key)', not a list or mapping"
        case .expectedPlainKey:
            "expected a plain key, not a list or mapping"
        case .noValue(let key):
            key == "folder"
                ? "'folder' has no value; write '\"\"' for the project root"
                : "'\(key)' has no value"
        case .belongsUnderColumns(let key):
            "'\(key)' is a key of 'columns:' (how a table read with 'from:' maps its columns)"
        case .unknownKey(let key, let section, let suggestion, let expected):
            if let suggestion {
                "unknown key '\(key)'; did you mean '\(suggestion)'?"
            } else {
                "unknown key '\(key)' in \(section); expected \(Self.list(expected))"
            }
        case .missingKey(let key, let section, _):
            "missing key '\(key)' in \(section)"
        case .versionNotInteger(let text):
            "manifest version '\(text)' is not an integer; write 'version: 1'"
        case .unsupportedVersion(let text):
            "unsupported manifest version '\(text)'; this sbsync reads version 1"
        case .invalidProjectID(let id):
            "invalid project id '\(id)'; expected 'owner/slug', e.g. 'rfranklin/my-project'"
        case .invalidVolumeID(let id):
            "invalid volume id '\(id)'; expected 'owner/name' with a name of up to 32 letters, digits and '_', e.g. 'rfranklin/my_volume'"
        case .invalidDRSURI(let uri, .scheme):
            "invalid DRS URI '\(uri)'; it must start with 'drs://'"
        case .invalidDRSURI(let uri, .form):
            "invalid DRS URI '\(uri)'; expected 'drs://hostname/id' or 'drs://[provider/]namespace:accession'"
        case .invalidDRSURI(let uri, .hostnameForm):
            "invalid DRS URI '\(uri)'; expected the hostname form 'drs://hostname/id' (a host name, then an id of letters, digits, '.', '_', '~', '-', '/' and '%' escapes)"
        case .invalidDRSURI(let uri, .compactForm):
            "invalid DRS URI '\(uri)'; expected the compact form 'drs://[provider/]namespace:accession' (a namespace of letters, digits, '.' and '_', then a non-empty accession)"
        case .invalidName(_, .empty):
            "file name is empty"
        case .invalidName(let name, .slash):
            "file name '\(name)' contains '/'; put folders in 'folder'"
        case .invalidName(let name, .control(let scalar)):
            "file name '\(name)' contains the control character \(Self.codePoint(scalar)); remove it"
        case .invalidName(let name, .tooLong(let count)):
            "file name '\(name.prefix(40))…' is \(count) characters long; the limit is 255"
        case .invalidName(let name, .dots):
            "file name '\(name)' is not allowed"
        case .invalidFolder(let folder, .leadingSlash):
            "folder '\(folder)' starts with '/'; folders are relative to the project root"
        case .invalidFolder(let folder, .trailingSlash):
            "folder '\(folder)' ends with '/'; write '\(Self.trimmingSlashes(folder))'"
        case .invalidFolder(let folder, .emptySegment):
            "folder '\(folder)' has an empty segment ('//')"
        case .invalidFolder(let folder, .dotSegment(let segment)):
            "folder '\(folder)' has the segment '\(segment)'; folders cannot go up or stay in place"
        case .invalidFolder(let folder, .character(let c)):
            "folder '\(folder)' contains '\(c)'; folder names use only letters, digits, '_', '-' and '.'"
        case .invalidLocation(_, .empty):
            "location is empty"
        case .invalidLocation(let location, .endsWithSlash):
            "location '\(location)' ends with '/'; to take every object under it, use 'prefixes'"
        case .invalidPrefix(let prefix):
            "prefix '\(prefix)' must end with '/'; write '\(prefix)/'"
        case .invalidGlob(let pattern, .empty):
            "include pattern '\(pattern)' is empty"
        case .invalidGlob(let pattern, .unclosedBracket):
            "include pattern '\(pattern)' has a '[' without its ']'"
        case .invalidGlob(let pattern, .emptyBracket):
            "include pattern '\(pattern)' has an empty '[]'"
        case .emptyInclude:
            "'include' is empty, so nothing would be taken; leave it out to take every object under the prefix"
        case .metadataValueNotScalar(let key):
            "metadata value of '\(key)' must be a string, number, boolean or null"
        case .metadataValueNotFinite(let key, let text):
            "metadata value \(text) of '\(key)' is not a finite number: the platform's metadata cannot hold NaN or infinity; "
                + "quote it ('\(text)') to keep it as a string"
        case .emptyMetadataKey:
            "metadata key is empty"
        case .invalidTag(_, .empty):
            "tag is empty"
        case .invalidTag(let tag, .comma):
            "tag '\(tag)' contains a comma; write separate tags instead"
        case .invalidConflict(let value, let suggestion):
            if let suggestion {
                "unknown conflict policy '\(value)'; did you mean '\(suggestion)'?"
            } else {
                "unknown conflict policy '\(value)'; expected 'skip', 'overwrite' or 'rename'"
            }
        case .duplicateAddress(let address, _, true):
            "the entry lands on '\(address)' twice, because an alias uses it twice in one folder"
        case .duplicateAddress(let address, let first, false):
            "two entries land on '\(address)'; the other one is at line \(first.line)"
        case .missingProject:
            "no destination project for this entry; set 'project' on it or at the top of the manifest"
        case .listedObjectUnplaceable(let location, let prefix, let reason):
            "object '\(location)' under prefix '\(prefix)' cannot be imported: \(reason)"
        // Tabular sources and `include:` (issue 12).
        case .source(let problem):
            problem.message
        }
    }

    /// Extra context, printed on a line of its own.
    public var note: String? {
        switch self {
        case .missingKey(_, _, let hint):
            hint
        case .belongsUnderColumns(let key):
            "write it as 'columns: {\(key): …}'"
        case .duplicateAddress(_, _, true):
            "give the groups that use the alias different folders"
        case .duplicateAddress(_, let first, false):
            "first declared at \(first); give one of them another 'name' or 'folder'"
        // Tabular sources and `include:` (issue 12).
        case .source(let problem):
            problem.note
        default:
            nil
        }
    }

    /// The diagnostic for this problem at `mark` in `file`.
    public func diagnostic(file: String, mark: SourceMark?) -> Diagnostic {
        Diagnostic(.error, file: file, mark: mark, message: message, note: note)
    }

    /// `U+001B`: a scalar as messages name it.
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Why an object found under a prefix cannot become a file (for `listedObjectUnplaceable`).
    static func unplaceableReason(_ problem: ManifestProblem) -> String {
        switch problem {
        case .invalidName(_, .control(let scalar)): "its name contains the control character \(codePoint(scalar))"
        case .invalidName(let name, .tooLong(let count)): "its name '\(name.prefix(40))…' is \(count) characters long (limit 255)"
        case .invalidName(let name, _): "its name '\(name)' is not allowed"
        case .invalidFolder(_, .character(let c)): "its folder contains '\(c)' (allowed: letters, digits, '_', '-', '.')"
        case .invalidFolder(let folder, _): "its folder '\(folder)' is not a valid folder path"
        default: problem.message
        }
    }

    static func list(_ keys: [String]) -> String {
        let quoted = keys.map { "'\($0)'" }
        guard quoted.count > 1 else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
    }

    static func trimmingSlashes(_ s: String) -> String {
        var t = Substring(s)
        while t.hasSuffix("/") { t = t.dropLast() }
        while t.hasPrefix("/") { t = t.dropFirst() }
        return String(t)
    }
}

/// Section names as messages say them.
enum Section {
    static let root = "the manifest"
    static let defaults = "'defaults'"
    static let volumeGroup = "a 'volumes' entry"
    static let volumeFile = "a 'files' entry"
    static let volumePrefix = "a 'prefixes' entry"
    static let drsEntry = "a 'drs' entry"
}

extension Diagnostic {
    /// `diagnostics` sorted by mark (file-level ones first), stable, without exact repeats
    /// (an entry reached twice through an alias would otherwise report its problems twice).
    public static func inSourceOrder(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        let zero = SourceMark(line: 0, column: 0)
        var seen = Set<Diagnostic>()
        return diagnostics.enumerated().sorted {
            let a = $0.element.mark ?? zero, b = $1.element.mark ?? zero
            return a != b ? a < b : $0.offset < $1.offset
        }.compactMap { seen.insert($0.element).inserted ? $0.element : nil }
    }
}
