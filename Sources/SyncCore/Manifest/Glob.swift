/// A shell-style glob over `/`-separated paths, as `include:` uses them.
///
/// - `*` matches any run of characters except `/`;
/// - `**` matches any run including `/`; `**/` also matches nothing (zero folders);
/// - `?` matches one character except `/`;
/// - `[abc]`, `[a-z]`, `[!a-z]` (or `[^a-z]`) match one character of (or not of) the set.
///
/// Everything else matches itself. `*.bam` takes `x.bam` but not `qc/x.bam`; `**/*.bam` takes both.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let tokens: [Token]

    enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case any            // ?
        case star           // *
        case globstar       // ** (and `**/`, which may match the empty string)
        case globstarSlash
        case set(negated: Bool, items: [ClosedRange<Unicode.Scalar>])
    }

    /// Why a pattern is not a glob.
    public enum SyntaxError: Error, Hashable, Sendable {
        case empty
        case unclosedBracket
        case emptyBracket
    }

    /// Compiles `pattern`.
    /// - Throws: `SyntaxError` when the pattern is empty or a `[` is never closed.
    public init(_ pattern: String) throws(SyntaxError) {
        guard !pattern.isEmpty else { throw .empty }
        self.pattern = pattern
        let scalars = Array(pattern.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "*":
                var j = i
                while j < scalars.count && scalars[j] == "*" { j += 1 }
                if j - i >= 2 {
                    if j < scalars.count && scalars[j] == "/" {
                        tokens.append(.globstarSlash)
                        j += 1
                    } else {
                        tokens.append(.globstar)
                    }
                } else {
                    tokens.append(.star)
                }
                i = j
            case "?":
                tokens.append(.any)
                i += 1
            case "[":
                var j = i + 1
                var negated = false
                if j < scalars.count && (scalars[j] == "!" || scalars[j] == "^") {
                    negated = true
                    j += 1
                }
                var items: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                while j < scalars.count && (scalars[j] != "]" || first) {
                    let low = scalars[j]
                    if j + 2 < scalars.count && scalars[j + 1] == "-" && scalars[j + 2] != "]" {
                        let high = scalars[j + 2]
                        items.append(low <= high ? low...high : high...low)
                        j += 3
                    } else {
                        items.append(low...low)
                        j += 1
                    }
                    first = false
                }
                guard j < scalars.count else { throw .unclosedBracket }
                guard !items.isEmpty else { throw .emptyBracket }
                tokens.append(.set(negated: negated, items: items))
                i = j + 1
            default:
                tokens.append(.literal(c))
                i += 1
            }
        }
        self.tokens = tokens
    }

    public var description: String { pattern }

    /// Whether the whole of `path` matches.
    public func matches(_ path: String) -> Bool {
        matches(Array(path.unicodeScalars))
    }

    /// Whether the whole of `path` (UTF-8) matches.
    public func matches(_ path: Substring.UTF8View) -> Bool {
        matches(Array(Substring(path).unicodeScalars))
    }

    private func matches(_ text: [Unicode.Scalar]) -> Bool {
        match(t: 0, s: 0, text)
    }

    private func match(t: Int, s: Int, _ text: [Unicode.Scalar]) -> Bool {
        var t = t, s = s
        while t < tokens.count {
            switch tokens[t] {
            case .literal(let c):
                guard s < text.count, text[s] == c else { return false }
                s += 1
                t += 1
            case .any:
                guard s < text.count, text[s] != "/" else { return false }
                s += 1
                t += 1
            case .set(let negated, let items):
                guard s < text.count, text[s] != "/" else { return false }
                let inSet = items.contains { $0.contains(text[s]) }
                guard inSet != negated else { return false }
                s += 1
                t += 1
            case .star:
                // Try every split that does not cross a `/`.
                var end = s
                while true {
                    if match(t: t + 1, s: end, text) { return true }
                    guard end < text.count, text[end] != "/" else { return false }
                    end += 1
                }
            case .globstar:
                for end in s...text.count where match(t: t + 1, s: end, text) { return true }
                return false
            case .globstarSlash:
                // Zero folders, or any run that ends just after a `/`.
                if match(t: t + 1, s: s, text) { return true }
                var end = s
                while end < text.count {
                    if text[end] == "/" && match(t: t + 1, s: end + 1, text) { return true }
                    end += 1
                }
                return false
            }
        }
        return s == text.count
    }
}
