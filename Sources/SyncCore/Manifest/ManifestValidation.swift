/// The value rules of the manifest language, as pure functions over UTF-8 (no regex, no
/// allocation): each returns `nil` when the value is fine, or the problem.
///
/// `schemas/manifest.schema.json` mirrors these rules with patterns; keep the two in step.
public enum ManifestValidation {
    /// `owner/slug`: two segments of letters, digits, `_`, `-`, `.`, each starting with a letter or digit.
    public static func projectID(_ id: String) -> ManifestProblem? {
        isOwnerSlug(id, lastSegment: isIDSegment) ? nil : .invalidProjectID(id)
    }

    /// `owner/name`: the name is 1–32 letters, digits and `_`.
    public static func volumeID(_ id: String) -> ManifestProblem? {
        isOwnerSlug(id, lastSegment: isVolumeName) ? nil : .invalidVolumeID(id)
    }

    /// A file name: not empty, no `/`, no control character, at most 255 characters, not `.` or `..`.
    public static func name(_ name: String) -> ManifestProblem? {
        if name.isEmpty { return .invalidName(name, .empty) }
        // On the bytes in place: a table of a million rows checks a million names.
        let (slash, control) = UTF8Bytes.with(name) { ($0.contains(UInt8(ascii: "/")), TerminalText.firstControlCharacter(in: $0)) }
        if slash { return .invalidName(name, .slash) }
        if let control { return .invalidName(name, .control(control)) }
        if name == "." || name == ".." { return .invalidName(name, .dots) }
        if name.utf8.count > 255 {
            let count = name.unicodeScalars.count
            if count > 255 { return .invalidName(name, .tooLong(count)) }
        }
        return nil
    }

    /// Whether the last segment of a valid location is a valid name as it is (1–255 bytes,
    /// not `.` or `..`, no control character), checked without building it: the fast path for
    /// names taken from locations.
    static func isPlainLastSegment(of location: String) -> Bool {
        let utf8 = location.utf8
        let start = utf8.lastIndex(of: UInt8(ascii: "/")).map(utf8.index(after:)) ?? utf8.startIndex
        let segment = utf8[start...]
        let count = segment.count
        if count == 0 || count > 255 { return false }
        if count <= 2 && segment.allSatisfy({ $0 == UInt8(ascii: ".") }) { return false }
        // Control characters (and the lead byte of U+0080–U+009F) go the slow way, to be refused.
        return !segment.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }
    }

    /// A folder path: "" (the project root) or `/`-separated segments of `A-Z a-z 0-9 _ - .`,
    /// none of them `.` or `..`.
    public static func folder(_ folder: String) -> ManifestProblem? {
        switch UTF8Bytes.with(folder, { folderError($0[...]) }) {
        case nil: return nil
        case .leadingSlash: return .invalidFolder(folder, .leadingSlash)
        case .trailingSlash: return .invalidFolder(folder, .trailingSlash)
        case .emptySegment: return .invalidFolder(folder, .emptySegment)
        case .dotSegment(let count): return .invalidFolder(folder, .dotSegment(String(repeating: ".", count: count)))
        case .character(let offset):
            let utf8 = folder.utf8
            return .invalidFolder(folder, .character(folder[utf8.index(utf8.startIndex, offsetBy: offset)...].first ?? "?"))
        }
    }

    private enum FolderError { case leadingSlash, trailingSlash, emptySegment, dotSegment(Int), character(at: Int) }

    private static func folderError(_ folder: Bytes) -> FolderError? {
        if folder.isEmpty { return nil }
        if folder.first == UInt8(ascii: "/") { return .leadingSlash }
        if folder.last == UInt8(ascii: "/") { return .trailingSlash }
        let allowed = ByteSet.folder
        var segmentStart = folder.startIndex
        var index = folder.startIndex
        while true {
            let atEnd = index == folder.endIndex
            if atEnd || folder[index] == UInt8(ascii: "/") {
                let segment = folder[segmentStart..<index]
                if segment.isEmpty { return .emptySegment }
                if segment.count <= 2 && segment.allSatisfy({ $0 == UInt8(ascii: ".") }) { return .dotSegment(segment.count) }
                if atEnd { return nil }
                segmentStart = index + 1
            } else if !allowed.contains(folder[index]) {
                return .character(at: index - folder.startIndex)
            }
            index += 1
        }
    }

    /// An object location: not empty, not ending with `/` (that is a folder).
    public static func location(_ location: String) -> ManifestProblem? {
        if location.isEmpty { return .invalidLocation(location, .empty) }
        if location.utf8.last == UInt8(ascii: "/") { return .invalidLocation(location, .endsWithSlash) }
        return nil
    }

    /// A volume prefix: "" (the whole volume) or ending with `/`.
    public static func prefix(_ prefix: String) -> ManifestProblem? {
        prefix.isEmpty || prefix.utf8.last == UInt8(ascii: "/") ? nil : .invalidPrefix(prefix)
    }

    /// A tag: not empty, no comma.
    public static func tag(_ tag: String) -> ManifestProblem? {
        if tag.isEmpty { return .invalidTag(tag, .empty) }
        if tag.utf8.contains(UInt8(ascii: ",")) { return .invalidTag(tag, .comma) }
        return nil
    }

    /// A GA4GH DRS URI in either form of the DRS specification:
    /// hostname-based `drs://hostname[:port]/id` (id of `A-Z a-z 0-9 . _ ~ - /`, `%`-escapes allowed),
    /// or compact-identifier-based `drs://[provider/]namespace:accession`
    /// (provider of `A-Z a-z 0-9 . _ -`, namespace of `A-Z a-z 0-9 . _`,
    /// accession of `A-Z a-z 0-9 . _ ~ - % : /`).
    public static func drsURI(_ uri: String) -> ManifestProblem? {
        UTF8Bytes.with(uri) { drsURIError($0[...]) }.map { .invalidDRSURI(uri, $0) }
    }

    /// `drsURI` on UTF-8 in place: the `String` is made only for a problem.
    static func drsURIProblem(utf8 uri: UnsafeBufferPointer<UInt8>) -> ManifestProblem? {
        drsURIError(uri[...]).map { .invalidDRSURI(String(decoding: uri, as: UTF8.self), $0) }
    }

    private static func drsURIError(_ uri: Bytes) -> ManifestProblem.DRSURIError? {
        let scheme: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x64, 0x72, 0x73, 0x3A, 0x2F, 0x2F)  // "drs://"
        guard uri.count >= 6, (uri[0], uri[1], uri[2], uri[3], uri[4], uri[5]) == scheme else { return .scheme }
        let rest = uri.dropFirst(6)
        if isHostnameDRS(rest) || isCompactDRS(rest) { return nil }
        // Say which form it looked like: compact when a ':' comes before the first '/'.
        let colon = rest.firstIndex(of: UInt8(ascii: ":")), slash = rest.firstIndex(of: UInt8(ascii: "/"))
        if let colon, slash.map({ colon < $0 }) ?? true { return .compactForm }
        return slash == nil ? .form : .hostnameForm
    }

    /// A conflict policy, or the problem with a suggestion.
    public static func conflict(_ text: String) -> Result<ConflictPolicy, ManifestProblem> {
        if let policy = ConflictPolicy(rawValue: text) { return .success(policy) }
        let options = ConflictPolicy.allCases.map(\.rawValue)
        return .failure(.invalidConflict(text, suggestion: Suggestion.closest(to: text.lowercased(), in: options)))
    }

    // MARK: - Pieces

    private static func isOwnerSlug(_ id: String, lastSegment: (Substring.UTF8View) -> Bool) -> Bool {
        let utf8 = id.utf8
        guard let slash = utf8.firstIndex(of: UInt8(ascii: "/")) else { return false }
        let owner = Substring(utf8[..<slash]).utf8
        let rest = Substring(utf8[utf8.index(after: slash)...]).utf8
        return isIDSegment(owner) && lastSegment(rest)
    }

    private static func isIDSegment(_ s: Substring.UTF8View) -> Bool {
        guard let first = s.first, isAlnum(first) else { return false }
        return s.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    private static func isVolumeName(_ s: Substring.UTF8View) -> Bool {
        !s.isEmpty && s.count <= 32 && s.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") }
    }

    /// A value's UTF-8 in place: the DRS URI checks run on a million table rows, where
    /// walking `String.UTF8View` indices cost a tenth of reading the table.
    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    private static func isHostnameDRS(_ s: Bytes) -> Bool {
        guard let slash = s.firstIndex(of: UInt8(ascii: "/")) else { return false }
        var authority = s[..<slash]
        let id = s[(slash + 1)...]
        if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            let port = authority[(colon + 1)...]
            guard !port.isEmpty, port.allSatisfy(isDigit) else { return false }
            authority = authority[..<colon]
        }
        guard isHostname(authority) else { return false }
        // Real exports put '/' in ids (`drs://nci-crdc.datacommons.io/dg.4DFC/<uuid>`).
        return !id.isEmpty && id.first != UInt8(ascii: "/")
            && ByteSet.drsID.containsAll(id)
    }

    /// Dot-separated labels of letters, digits and `-`, each starting and ending with a letter or digit.
    private static func isHostname(_ s: Bytes) -> Bool {
        var previous: UInt8 = UInt8(ascii: ".")
        for b in s {
            if b == UInt8(ascii: ".") {
                guard isAlnum(previous) else { return false }
            } else if b == UInt8(ascii: "-") {
                guard previous != UInt8(ascii: ".") else { return false }
            } else if !isAlnum(b) {
                return false
            }
            previous = b
        }
        return isAlnum(previous)
    }

    private static func isCompactDRS(_ s: Bytes) -> Bool {
        guard let colon = s.firstIndex(of: UInt8(ascii: ":")) else { return false }
        var head = s[..<colon]
        let accession = s[(colon + 1)...]
        if let slash = head.firstIndex(of: UInt8(ascii: "/")) {
            let provider = head[..<slash]
            guard !provider.isEmpty, ByteSet.provider.containsAll(provider) else { return false }
            head = head[(slash + 1)...]
        }
        guard !head.isEmpty, ByteSet.namespace.containsAll(head) else { return false }
        return !accession.isEmpty && ByteSet.accession.containsAll(accession)
    }

    /// A set of ASCII bytes as two 64-bit masks: a membership test is a shift, where a chain of
    /// comparisons per byte made the DRS URI check a tenth of validating a table of URIs.
    struct ByteSet {
        let low: UInt64, high: UInt64

        init(_ member: (UInt8) -> Bool) {
            var low: UInt64 = 0, high: UInt64 = 0
            for byte in UInt8(0)..<128 where member(byte) {
                if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
            }
            self.low = low
            self.high = high
        }

        @inline(__always) func contains(_ byte: UInt8) -> Bool {
            byte < 64 ? (low >> UInt64(byte)) & 1 != 0 : (byte < 128 && (high >> UInt64(byte &- 64)) & 1 != 0)
        }

        /// Without a branch per byte: ids mix digits (below 64) and letters (above), which a
        /// branch on the half would mispredict at every other byte.
        func containsAll(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
            guard let base = bytes.base.baseAddress else { return true }
            var p = base + bytes.startIndex
            let end = base + bytes.endIndex
            var missing: UInt64 = 0, top: UInt8 = 0
            while p < end {
                let byte = p.pointee
                let upper = 0 &- UInt64((byte >> 6) & 1)  // All ones for 64...127 (and 192...255).
                let mask = (low & ~upper) | (high & upper)
                missing |= ~(mask >> UInt64(byte & 63)) & 1
                top |= byte
                p += 1
            }
            return missing == 0 && top < 128
        }

        /// A DRS id after the hostname: unreserved, `%`-escapes, `/`.
        static let drsID = ByteSet { isUnreserved($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }
        /// A compact identifier's accession: unreserved, `%`, `:`, `/`.
        static let accession = ByteSet {
            isUnreserved($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/")
        }
        static let provider = ByteSet { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        static let namespace = ByteSet { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") }
        static let folder = ByteSet(isFolderByte)
    }

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always) static func isUnreserved(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~") || b == UInt8(ascii: "-")
    }

    @inline(__always) static func isFolderByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    /// The candidate closest to `word` when it is close enough to be a likely typo:
    /// at most 1 edit for words up to 4 characters, 2 up to 8, 3 beyond.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = word.count <= 4 ? 1 : (word.count <= 8 ? 2 : 3)
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word, candidate)
            if d <= limit, d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        return best?.0
    }

    /// Damerau–Levenshtein distance (optimal string alignment): a swap of two neighbours counts once.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, previous2[j - 2] + 1) }
                current[j] = d
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
