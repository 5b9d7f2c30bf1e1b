/// A chunk's own copies of the values its files share with every other chunk's (the project,
/// the tags), so that the cores reading the files later (spec digests, the state scan) each
/// count references on their own copy: one object counted from two cores at once passes its
/// cache line back and forth on every count, which made such counting a tenth of a no-op
/// plan's time. A copy is made once per chunk, of thousands of files.
struct LocalCopies {
    private var lastString: (shared: String, own: String)?
    private var lastTags: (shared: [String], own: [String])?

    /// `text`, or the chunk's copy of it when it repeats the previous one.
    mutating func string(_ text: String) -> String {
        if let last = lastString, last.shared == text { return last.own }  // Same storage: compares no bytes.
        let own = Self.copy(text)
        lastString = (text, own)
        return own
    }

    mutating func tags(_ tags: [String]) -> [String] {
        if tags.isEmpty { return tags }
        if let last = lastTags, last.shared == tags { return last.own }
        let own = tags.map(Self.copy)
        lastTags = (tags, own)
        return own
    }

    /// `text` in storage of its own (a string of up to 15 bytes has none: it is held inline).
    static func copy(_ text: String) -> String {
        let count = text.utf8.count
        guard count > 15 else { return text }
        return String(unsafeUninitializedCapacity: count) { buffer in
            _ = buffer.initialize(fromContentsOf: text.utf8)
            return count
        }
    }
}
