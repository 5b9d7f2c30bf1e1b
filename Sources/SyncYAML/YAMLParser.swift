internal import CYAML
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads YAML into `YAMLDocument`s: libyaml events into an arena tree with 1-based marks,
/// under the limits of `YAMLParseOptions`.
public enum YAMLParser {
    /// Parses a file that must hold exactly one YAML document.
    ///
    /// The size is checked (`stat`) before anything is read; the file is then streamed to
    /// libyaml in chunks, never held whole in memory.
    /// - Parameters:
    ///   - path: the file to read.
    ///   - displayName: the name diagnostics use (default: `path`).
    ///   - options: limits and leniencies; `.manifest` for manifests.
    /// - Returns: the document. An empty file gives a document whose root is a null scalar.
    /// - Throws: `YAMLError` with a marked diagnostic: unreadable file, invalid YAML or UTF-8,
    ///   a second document, a limit exceeded, a duplicate key, an unknown tag.
    public static func parse(contentsOf path: String, displayName: String? = nil,
                             options: YAMLParseOptions = .manifest) throws(YAMLError) -> YAMLDocument {
        try parse(contentsOf: path, displayName: displayName, options: options, split: .automatic)
    }

    /// Whether and how a large file is parsed on several cores (see `SplitParse`).
    struct SplitSetting: Sendable {
        /// Pieces to cut the file in; 1 parses it with one parser.
        var parts: Int
        /// Smallest file worth splitting.
        var minimumSize = SplitParse.minimumSize
        /// No cut before this offset (default: a quarter of the file).
        var earliestCut: Int?
        /// Smallest region worth a thread.
        var minimumRegion = 1 << 20
        /// Cut exactly here instead of choosing (tests: every item boundary of a document).
        var forcedCuts: SplitParse.Cuts?

        /// One piece per core, up to 8.
        static var automatic: SplitSetting {
            SplitSetting(parts: Swift.min(8, Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))))
        }
    }

    /// `parse(contentsOf:displayName:options:)` with an explicit split setting (tests force
    /// splits of small files with it).
    static func parse(contentsOf path: String, displayName: String? = nil, options: YAMLParseOptions,
                      split: SplitSetting) throws(YAMLError) -> YAMLDocument {
        try parseReportingSplit(contentsOf: path, displayName: displayName, options: options, split: split).document
    }

    /// As `parse(contentsOf:displayName:options:split:)`.
    /// - Returns: the document, and whether it came from a split parse.
    static func parseReportingSplit(contentsOf path: String, displayName: String? = nil, options: YAMLParseOptions,
                                    split: SplitSetting) throws(YAMLError) -> (document: YAMLDocument, wasSplit: Bool) {
        let file = displayName ?? path
        let input = try FileInput(path: path, file: file, limit: options.limits.maxInputBytes)
        if split.parts > 1, input.size >= split.minimumSize,
           let result = SplitParse.parse(input, options: options, parts: split.parts, earliestCut: split.earliestCut,
                                         minimumRegion: split.minimumRegion, forcedCuts: split.forcedCuts) {
            return (result.document, result.split)
        }
        return (try single(EventReader(file: input), file: file, options: options), false)
    }

    /// Parses text that must hold exactly one YAML document.
    /// - Parameters:
    ///   - text: the YAML text.
    ///   - file: the name diagnostics use.
    ///   - options: limits and leniencies.
    /// - Throws: `YAMLError`, as `parse(contentsOf:)`.
    public static func parse(_ text: String, file: String,
                             options: YAMLParseOptions = .manifest) throws(YAMLError) -> YAMLDocument {
        try parse(bytes: Array(text.utf8), file: file, options: options)
    }

    /// Parses bytes (UTF-8, or UTF-16 with a byte order mark) that must hold exactly one document.
    /// - Throws: `YAMLError`, as `parse(contentsOf:)`.
    public static func parse(bytes: [UInt8], file: String,
                             options: YAMLParseOptions = .manifest) throws(YAMLError) -> YAMLDocument {
        try checkSize(bytes.count, file: file, limits: options.limits)
        return try single(EventReader(bytes: bytes), file: file, options: options)
    }

    /// Parses a stream of any number of documents (`---` separated).
    /// - Returns: the documents in order; empty for an empty stream.
    /// - Throws: `YAMLError`, as `parse(contentsOf:)` (a second document is not an error here).
    public static func parseStream(_ text: String, file: String,
                                   options: YAMLParseOptions = .manifest) throws(YAMLError) -> [YAMLDocument] {
        let bytes = Array(text.utf8)
        try checkSize(bytes.count, file: file, limits: options.limits)
        return try stream(EventReader(bytes: bytes), file: file, options: options, single: false)
    }

    /// Parses a file holding a stream of any number of documents.
    /// - Throws: `YAMLError`, as `parse(contentsOf:)`.
    public static func parseStream(contentsOf path: String, displayName: String? = nil,
                                   options: YAMLParseOptions = .manifest) throws(YAMLError) -> [YAMLDocument] {
        let file = displayName ?? path
        let input = try FileInput(path: path, file: file, limit: options.limits.maxInputBytes)
        return try stream(EventReader(file: input), file: file, options: options, single: false)
    }

    // MARK: - Driver

    private static func checkSize(_ size: Int, file: String, limits: YAMLLimits) throws(YAMLError) {
        if size > limits.effectiveMaxInputBytes {
            throw YAMLError(.inputTooLarge, Diagnostic(file: file, mark: nil, message:
                YAMLMessage.inputTooLarge(size: size, limit: limits.effectiveMaxInputBytes)))
        }
    }

    private static func single(_ reader: EventReader, file: String, options: YAMLParseOptions) throws(YAMLError) -> YAMLDocument {
        let documents = try stream(reader, file: file, options: options, single: true)
        if let document = documents.first { return document }
        // An empty stream: one document whose root is an empty plain scalar (null).
        let storage = YAMLStorage(
            nodes: [.init(kind: .scalar, style: .plain, tagClass: .none, line: 1, column: 1, start: 0, count: 0)],
            children: [], bytes: [], tags: [:], wideColumns: [:])
        return YAMLDocument(file: file, root: YAMLNode(storage: storage, index: 0))
    }

    private static func stream(_ reader: EventReader, file: String, options: YAMLParseOptions,
                               single: Bool) throws(YAMLError) -> [YAMLDocument] {
        var documents: [YAMLDocument] = []
        var firstDocumentMark: SourceMark?
        let event = reader.event
        while true {
            try reader.next(file: file)
            switch event.pointee.type {
            case YAML_DOCUMENT_START_EVENT:
                let mark = event.pointee.start_mark.sourceMark
                if single, let firstDocumentMark {
                    throw YAMLError(.multipleDocuments, Diagnostic(file: file, mark: mark,
                        message: YAMLMessage.secondDocument(), note: YAMLMessage.firstDocument(firstDocumentMark)))
                }
                firstDocumentMark = firstDocumentMark ?? mark
                var builder = TreeBuilder(file: file, options: options, inputSize: reader.inputSize)
                try document(reader, into: &builder, file: file)
                if let root = builder.root {
                    documents.append(YAMLDocument(file: file, root: YAMLNode(storage: builder.finish(), index: root)))
                }
            case YAML_STREAM_END_EVENT:
                return documents
            default:
                break
            }
        }
    }

    /// Feeds one document's events (up to its end) to `builder`: the hot loop.
    private static func document(_ reader: EventReader, into builder: inout TreeBuilder, file: String) throws(YAMLError) {
        let event = reader.event
        while true {
            try reader.next(file: file)
            if event.pointee.type == YAML_DOCUMENT_END_EVENT { return }
            try builder.add(event)
        }
    }
}

extension YAMLLimits {
    /// Offsets into the arena are 32-bit, so no input may exceed 4 GiB whatever the limit says.
    var effectiveMaxInputBytes: Int { Swift.min(maxInputBytes, Int(UInt32.max)) }
}

extension yaml_mark_t {
    /// libyaml marks count from 0; ours from 1.
    var sourceMark: SourceMark { SourceMark(line: line + 1, column: column + 1) }
}
