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
        if name.utf8.contains(UInt8(ascii: "/")) { return .invalidName(name, .slash) }
        if let control = TerminalText.firstControlCharacter(in: name) { return .invalidName(name, .control(control)) }
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
        let utf8 = folder.utf8
        if utf8.isEmpty { return nil }
        if utf8.first == UInt8(ascii: "/") { return .invalidFolder(folder, .leadingSlash) }
        if utf8.last == UInt8(ascii: "/") { return .invalidFolder(folder, .trailingSlash) }
        var segmentStart = utf8.startIndex
        var index = utf8.startIndex
        while true {
            let atEnd = index == utf8.endIndex
            if atEnd || utf8[index] == UInt8(ascii: "/") {
                let segment = utf8[segmentStart..<index]
                if segment.isEmpty { return .invalidFolder(folder, .emptySegment) }
                if segment.allSatisfy({ $0 == UInt8(ascii: ".") }) && segment.count <= 2 {
                    return .invalidFolder(folder, .dotSegment(String(Substring(segment))))
                }
                if atEnd { return nil }
                segmentStart = utf8.index(after: index)
            } else if !isFolderByte(utf8[index]) {
                let character = folder[index...].first ?? "?"
                return .invalidFolder(folder, .character(character))
            }
            index = utf8.index(after: index)
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
        let scheme = "drs://".utf8
        guard uri.utf8.starts(with: scheme) else { return .invalidDRSURI(uri, .scheme) }
        let rest = uri.utf8.dropFirst(scheme.count)
        if isHostnameDRS(rest) || isCompactDRS(rest) { return nil }
        // Say which form it looked like: compact when a ':' comes before the first '/'.
        let colon = rest.firstIndex(of: UInt8(ascii: ":")), slash = rest.firstIndex(of: UInt8(ascii: "/"))
        if let colon, slash.map({ colon < $0 }) ?? true { return .invalidDRSURI(uri, .compactForm) }
        return .invalidDRSURI(uri, slash == nil ? .form : .hostnameForm)
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

    private static func isHostnameDRS(_ s: Substring.UTF8View) -> Bool {
        guard let slash = s.firstIndex(of: UInt8(ascii: "/")) else { return false }
        var authority = s[..<slash]
        let id = s[s.index(after: slash)...]
        if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            let port = authority[authority.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(isDigit) else { return false }
            authority = authority[..<colon]
        }
        guard isHostname(authority) else { return false }
        // Real exports put '/' in ids (`drs://nci-crdc.datacommons.io/dg.4DFC/<uuid>`).
        return !id.isEmpty && id.first != UInt8(ascii: "/")
            && id.allSatisfy { isUnreserved($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }
    }

    /// Dot-separated labels of letters, digits and `-`, each starting and ending with a letter or digit.
    private static func isHostname(_ s: Substring.UTF8View) -> Bool {
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

    private static func isCompactDRS(_ s: Substring.UTF8View) -> Bool {
        guard let colon = s.firstIndex(of: UInt8(ascii: ":")) else { return false }
        var head = s[..<colon]
        let accession = s[s.index(after: colon)...]
        if let slash = head.firstIndex(of: UInt8(ascii: "/")) {
            let provider = head[..<slash]
            guard !provider.isEmpty, provider.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
            else { return false }
            head = head[head.index(after: slash)...]
        }
        guard !head.isEmpty, head.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") }) else { return false }
        return !accession.isEmpty && accession.allSatisfy {
            isUnreserved($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/")
        }
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
