/// A position in a source file. Lines and columns count from 1.
public struct SourceMark: Hashable, Sendable, Comparable, CustomStringConvertible, BitwiseCopyable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourceMark, b: SourceMark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// The one diagnostic type of the project: every problem a person reads about their input.
///
/// Printed compiler style by the CLI (`file:line:col: error: message`, the source line, a caret).
public struct Diagnostic: Hashable, Sendable, Error, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
        case note
    }

    public var severity: Severity
    /// The file as the user named it.
    public var file: String
    /// Where the problem is; `nil` when it concerns the whole file (e.g. it cannot be read).
    public var mark: SourceMark?
    /// Lower-case lead, subject quoted, e.g. "unknown key 'metdata'; did you mean 'metadata'?".
    public var message: String
    /// Extra context on a line of its own, e.g. "first defined at 12:5".
    public var note: String?

    public init(_ severity: Severity = .error, file: String, mark: SourceMark?, message: String, note: String? = nil) {
        self.severity = severity
        self.file = file
        self.mark = mark
        self.message = message
        self.note = note
    }

    /// `file:line:col: error: message` (no source excerpt, no colour).
    public var description: String {
        var s = file
        if let mark { s += ":\(mark.line):\(mark.column)" }
        s += ": \(severity.rawValue): \(message)"
        return s
    }
}
