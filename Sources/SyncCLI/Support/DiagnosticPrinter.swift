import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SyncCore
public import SyncYAML

/// Prints diagnostics compiler style:
///
/// ```
/// sbsync.yaml:12:7: error: unknown key 'metdata'; did you mean 'metadata'?
///       metdata: {sample_id: S1}
///       ^
/// note: …
/// 2 errors
/// ```
///
/// Source lines are read from the file only here, only for the lines shown. Colour (bold
/// location, red `error:`, green caret) only when asked for.
public struct DiagnosticPrinter: Sendable {
    public var useColor: Bool

    public init(useColor: Bool) {
        self.useColor = useColor
    }

    /// The text for `diagnostics`, ending with a count line ("1 error", "3 errors").
    ///
    /// - Parameters:
    ///   - diagnostics: in the order to print them.
    ///   - sourceLines: line number → text of that line (without its newline), for the marks
    ///     given; missing lines print no excerpt.
    public func render(_ diagnostics: [Diagnostic], sourceLines: [Int: String]) -> String {
        var text = ""
        write(diagnostics, sourceLines: sourceLines) { text += $0 }
        return text
    }

    /// Writes what `render` returns through `write`, in chunks of about a megabyte (a
    /// generated manifest with one mistake per entry can have a million diagnostics).
    public func write(_ diagnostics: [Diagnostic], sourceLines: [Int: String], to write: (String) -> Void) {
        self.write(diagnostics, linesOf: { _ in sourceLines }, to: write)
    }

    /// `render` for diagnostics in several files (a manifest, its tables and included files).
    /// - Parameter linesByFile: diagnostic file name → its lines, as `sourceLines` gives them.
    public func render(_ diagnostics: [Diagnostic], linesByFile: [String: [Int: String]]) -> String {
        var text = ""
        write(diagnostics, linesOf: { linesByFile[$0] ?? [:] }) { text += $0 }
        return text
    }

    /// `write` for diagnostics in several files.
    public func write(_ diagnostics: [Diagnostic], linesByFile: [String: [Int: String]], to write: (String) -> Void) {
        self.write(diagnostics, linesOf: { linesByFile[$0] ?? [:] }, to: write)
    }

    /// The lines the diagnostics of each file point at; `path(name)` says where to read a file
    /// named in a diagnostic.
    public static func linesByFile(for diagnostics: [Diagnostic], path: (String) -> String) -> [String: [Int: String]] {
        var byFile: [String: [Diagnostic]] = [:]
        for diagnostic in diagnostics { byFile[diagnostic.file, default: []].append(diagnostic) }
        return byFile.reduce(into: [:]) { result, pair in
            result[pair.key] = sourceLines(for: pair.value, path: path(pair.key))
        }
    }

    private func write(_ diagnostics: [Diagnostic], linesOf: (String) -> [Int: String], to write: (String) -> Void) {
        var out = ""
        var file = "", sourceLines: [Int: String] = [:]
        for diagnostic in diagnostics {
            if diagnostic.file != file || out.isEmpty {
                file = diagnostic.file
                sourceLines = linesOf(file)
            }
            if out.utf8.count >= 1 << 20 {
                write(out)
                out = ""
            }
            out += paint(diagnostic.file + (diagnostic.mark.map { ":\($0.line):\($0.column)" } ?? "") + ":", .bold)
            out += " " + severityLabel(diagnostic.severity) + " " + paint(diagnostic.message.terminalEscaped, .bold) + "\n"
            if let mark = diagnostic.mark, let line = sourceLines[mark.line] {
                let shown = Self.escaped(Self.excerpt(of: line, around: mark.column))
                out += shown.text + "\n"
                out += caretLine(for: shown.text, column: shown.column) + "\n"
            }
            if let note = diagnostic.note {
                out += paint("note:", .bold) + " " + note.terminalEscaped + "\n"
            }
        }
        let errors = diagnostics.count { $0.severity == .error }
        let warnings = diagnostics.count { $0.severity == .warning }
        var counts: [String] = []
        if errors > 0 { counts.append(errors == 1 ? "1 error" : "\(errors) errors") }
        if warnings > 0 { counts.append(warnings == 1 ? "1 warning" : "\(warnings) warnings") }
        if !counts.isEmpty { out += counts.joined(separator: ", ") + "\n" }
        write(out)
    }

    /// Reads the lines `diagnostics` point at from `path`, line by line up to the last one
    /// needed (a manifest can be hundreds of megabytes), each cut at `maxLineBytes` (a table's
    /// 2 GB line is not read into memory to show its start); empty when the file cannot be read
    /// or is not a regular file (`-f /dev/zero`, a pipe the parser has already read).
    public static func sourceLines(for diagnostics: [Diagnostic], path: String) -> [Int: String] {
        let wanted = Set(diagnostics.compactMap { $0.mark?.line })
        var info = stat()
        guard let last = wanted.max(), stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              let file = fopen(path, "r") else { return [:] }
        defer { fclose(file) }
        var result: [Int: String] = [:]
        let capacity = maxLineBytes + 1
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var line = 1
        var atLineStart = true
        while line <= last, fgets(buffer, Int32(capacity), file) != nil {
            let length = strlen(buffer)
            let ended = length > 0 && buffer[length - 1] == CChar(UInt8(ascii: "\n"))
            // Only a line's first piece is kept; the rest of a long line is skipped piece by piece.
            if atLineStart, wanted.contains(line) {
                var bytes = UnsafeRawBufferPointer(start: buffer, count: length).bindMemory(to: UInt8.self)
                while let end = bytes.last, end == UInt8(ascii: "\n") || end == UInt8(ascii: "\r") {
                    bytes = UnsafeBufferPointer(rebasing: bytes.dropLast())
                }
                result[line] = String(decoding: bytes, as: UTF8.self)
            }
            atLineStart = ended
            if ended { line += 1 }
        }
        return result
    }

    /// The most of one source line shown under a diagnostic.
    static let maxLineBytes = 64 * 1024

    /// The lines numbered `wanted` (1-based) of `bytes`, without line breaks.
    static func lines(_ wanted: Set<Int>, in bytes: Data) -> [Int: String] {
        var result: [Int: String] = [:]
        let last = wanted.max() ?? 0
        bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            let b = buffer.bindMemory(to: UInt8.self)
            var line = 1, start = 0, i = 0
            while i <= b.count && line <= last {
                if i == b.count || b[i] == UInt8(ascii: "\n") {
                    if wanted.contains(line) {
                        var end = i
                        if end > start && b[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                        result[line] = String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
                    }
                    line += 1
                    start = i + 1
                }
                i += 1
            }
        }
        return result
    }

    /// The widest source line printed whole; longer ones (a hostile 100,000-`[` line, a
    /// minified flow mapping) are cut to a window around the column, marked with `…`.
    static let maxExcerptWidth = 120

    /// `line`, or a window of it around `column`, and the caret's column within what is shown.
    static func excerpt(of line: String, around column: Int) -> (text: String, column: Int) {
        let scalars = Array(line.unicodeScalars)
        guard scalars.count > maxExcerptWidth else { return (line, column) }
        let half = maxExcerptWidth / 2
        let start = max(0, min(column - 1 - half, scalars.count - maxExcerptWidth))
        let end = min(scalars.count, start + maxExcerptWidth)
        var text = start > 0 ? "…" : ""
        text.unicodeScalars.append(contentsOf: scalars[start..<end])
        if end < scalars.count { text += "…" }
        return (text, column - start + (start > 0 ? 1 : 0))
    }

    /// An excerpt with its control characters escaped (`TerminalText`; tabs kept, the caret
    /// lines up with them), and the caret's column in what is shown.
    static func escaped(_ excerpt: (text: String, column: Int)) -> (text: String, column: Int) {
        func escaped<S: Sequence<Unicode.Scalar>>(_ scalars: S) -> String {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars)
            return String(piece).split(separator: "\t", omittingEmptySubsequences: false)
                .map { String($0).terminalEscaped }.joined(separator: "\t")
        }
        let scalars = Array(excerpt.text.unicodeScalars)
        let split = min(max(excerpt.column - 1, 0), scalars.count)
        let before = escaped(scalars[..<split])
        return (before + escaped(scalars[split...]), excerpt.column + before.unicodeScalars.count - split)
    }

    /// Spaces (tabs kept, so the caret lines up) up to `column`, then `^`.
    func caretLine(for line: String, column: Int) -> String {
        var pad = ""
        for (offset, scalar) in line.unicodeScalars.enumerated() where offset < column - 1 {
            pad.append(scalar == "\t" ? "\t" : " ")
        }
        if column - 1 > pad.unicodeScalars.count {
            pad += String(repeating: " ", count: column - 1 - pad.unicodeScalars.count)
        }
        return pad + paint("^", .green)
    }

    private func severityLabel(_ severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: paint("error:", .red)
        case .warning: paint("warning:", .magenta)
        case .note: paint("note:", .bold)
        }
    }

    enum Style: String {
        case bold = "1", red = "1;31", green = "1;32", magenta = "1;35"
    }

    func paint(_ text: String, _ style: Style) -> String {
        useColor ? "\u{1B}[\(style.rawValue)m" + text + "\u{1B}[0m" : text
    }
}
