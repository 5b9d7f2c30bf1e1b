public import SyncYAML

/// Reads CSV and TSV tables as portals export them, on bytes: one pass finds every field's
/// byte range; cells become `String`s only when asked for (`TableScan.text(row:column:in:)`).
///
/// The grammar is RFC 4180's, with what real exports add:
///
/// ```
/// file        = [BOM] record *(linebreak record) [linebreak]
/// record      = field *(DELIM field)              ; DELIM is "," (CSV) or TAB (TSV)
/// field       = escaped / non-escaped
/// escaped     = DQUOTE *(TEXTDATA / DELIM / CR / LF / 2DQUOTE) DQUOTE
/// non-escaped = *TEXTDATA                         ; a DQUOTE inside one is kept as data
/// linebreak   = CRLF / LF
/// BOM         = %xEF.BB.BF                        ; a UTF-8 byte order mark, skipped
/// TEXTDATA    = any byte except DELIM, DQUOTE, LF, and a CR that starts a CRLF
/// ```
///
/// The first record is the header. Empty lines (a trailing one, or blank lines between
/// records) are skipped. TSV uses the same quoting (as Python's `csv` module does); a TSV
/// without quotes reads as plain tab-separated lines. Cells must be UTF-8: checked when a
/// cell is turned into text.
public enum TableReader {
    /// Limits that stop hostile input quickly, as the YAML layer's do.
    public struct Limits: Sendable, Hashable {
        /// The largest file read (offsets are 31-bit).
        public var maxBytes: Int
        /// The longest record (a row, with every quoted line break in it).
        public var maxRecordBytes: Int
        /// The most columns a header may have.
        public var maxColumns: Int

        public init(maxBytes: Int = 2_000_000_000, maxRecordBytes: Int = 1 << 20, maxColumns: Int = 4096) {
            self.maxBytes = min(maxBytes, Int(Int32.max))
            self.maxRecordBytes = maxRecordBytes
            self.maxColumns = maxColumns
        }

        public static let standard = Limits()
    }

    /// Where a structural problem is, as a byte offset (turned into line:column by `TableScan.mark`).
    public struct Problem: Sendable, Hashable {
        public var offset: Int
        public var kind: Kind

        public enum Kind: Sendable, Hashable {
            /// A record with another number of fields than the header: `found`, `expected`.
            case fieldCount(found: Int, expected: Int)
            /// A quote opened at `offset` and never closed.
            case unterminatedQuote
            /// Something other than a delimiter or a line break right after a closing quote.
            case textAfterQuote
            /// A record longer than the limit (so the rest of the file is not read).
            case recordTooLong(limit: Int)
            /// A header with more columns than the limit.
            case tooManyColumns(limit: Int)
            /// A file larger than the limit.
            case fileTooLarge(size: Int, limit: Int)
        }
    }

    /// Scans `bytes` (the whole file) as CSV (`delimiter` ",") or TSV ("\t").
    ///
    /// A large file is scanned in chunks on every core, each from a line start; the chunks are
    /// kept only when each ended exactly where the next began (no quoted line break across a
    /// seam), else the file is scanned again in one pass, so the result is always that pass's.
    public static func scan(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8, limits: Limits = .standard,
                            minChunk: Int = 4 << 20) -> TableScan {
        var scan = TableScan()
        guard bytes.count <= limits.maxBytes else {
            scan.problems.append(Problem(offset: 0, kind: .fileTooLarge(size: bytes.count, limit: limits.maxBytes)))
            return scan
        }
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return scan }
        let end = bytes.count
        var start = 0
        if end >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }
        // The header alone, then the rows.
        var afterHeader = start, headerLines: Int32 = 0
        while scan.columnCount == 0 && !scan.truncated && afterHeader < end {
            let (position, lines) = records(base, end: end, from: afterHeader, stop: afterHeader + 1, firstLine: 1 + headerLines,
                                            delimiter: delimiter, limits: limits, into: &scan)
            afterHeader = position
            headerLines += lines
        }
        if scan.truncated || afterHeader >= end { return scan }
        let rest = end - afterHeader
        if rest / 2 >= minChunk, let parts = chunked(base, end: end, from: afterHeader, count: min(16, rest / minChunk),
                                                     delimiter: delimiter, limits: limits, columns: scan.columnCount) {
            // The parts joined on every core, each copied straight into its place.
            var lineOffsets: [Int32] = [], line = 1 + headerLines
            for part in parts {
                lineOffsets.append(line)
                scan.problems += part.scan.problems
                if !part.scan.isASCII { scan.isASCII = false }
                line += part.lines
            }
            scan.fields = Parallel.concatenate(parts.count, head: scan.fields, count: { parts[$0].scan.fields.count }) { k, into in
                _ = into.initialize(fromContentsOf: parts[k].scan.fields)
            }
            scan.rowStarts = Parallel.concatenate(parts.count, count: { parts[$0].scan.rowStarts.count }) { k, into in
                _ = into.initialize(fromContentsOf: parts[k].scan.rowStarts)
            }
            scan.rowLines = Parallel.concatenate(parts.count, count: { parts[$0].scan.rowLines.count }) { k, into in
                for (i, line) in parts[k].scan.rowLines.enumerated() { into[i] = line + lineOffsets[k] }
            }
            return scan
        }
        scan.fields.reserveCapacity(rest / 12)
        _ = records(base, end: end, from: afterHeader, stop: end, firstLine: 1 + headerLines, delimiter: delimiter,
                    limits: limits, into: &scan)
        return scan
    }

    /// The rows from `from` scanned in `count` chunks on every core, or `nil` when a chunk did
    /// not end exactly where the next begins (or stopped at a problem that ends the scan).
    static func chunked(_ base: UnsafePointer<UInt8>, end: Int, from: Int, count: Int, delimiter: UInt8,
                        limits: Limits, columns: Int) -> [(scan: TableScan, lines: Int32)]? {
        // Chunk starts: the line start at or after each even split.
        var starts = [from]
        for k in 1..<count {
            var i = from + (end - from) * k / count
            while i < end, base[i - 1] != UInt8(ascii: "\n") { i += 1 }
            if i < end, i > starts.last! { starts.append(i) }
        }
        starts.append(end)
        let n = starts.count - 1
        var parts = [(scan: TableScan, lines: Int32, stopped: Int)](repeating: (TableScan(), 0, 0), count: n)
        parts.withUnsafeMutableBufferPointer { parts in
            Parallel.forEach(n) { k in
                var part = TableScan()
                part.columnCount = columns
                part.fields.reserveCapacity((starts[k + 1] - starts[k]) / 12)
                let (stopped, lines) = records(base, end: end, from: starts[k], stop: starts[k + 1], firstLine: 0,
                                               delimiter: delimiter, limits: limits, into: &part)
                parts[k] = (part, lines, stopped)
            }
        }
        for k in 0..<n where parts[k].stopped != starts[k + 1] || parts[k].scan.truncated { return nil }
        return parts.map { ($0.scan, $0.lines) }
    }

    /// Scans the records that start in `from..<stop` (each to its end), adding them to `scan`;
    /// a scan without a header takes the first record as it. Returns where it stopped and how
    /// many lines it passed.
    private static func records(_ base: UnsafePointer<UInt8>, end: Int, from: Int, stop: Int, firstLine: Int32 = 1,
                                delimiter: UInt8, limits: Limits, into scan: inout TableScan) -> (position: Int, lines: Int32) {
        var i = from
        var line = firstLine
        var expected = scan.columnCount > 0 ? scan.columnCount : -1
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        // Every byte of every field read, or'ed: a clear high bit in each byte means all are ASCII.
        var seen: UInt64 = 0
        defer { if seen & 0x8080_8080_8080_8080 != 0 { scan.isASCII = false } }
        records: while i < end {
            // Only records that start before `stop` (a chunk's last one is read to its end).
            if i >= stop { break records }
            // Skip empty lines.
            if base[i] == lf { i += 1; line += 1; continue }
            if base[i] == cr, i + 1 < end, base[i + 1] == lf { i += 2; line += 1; continue }
            let recordStart = i, recordLine = line, firstField = scan.fields.count
            var fieldCount = 0
            var bad = false
            fields: while true {
                if i - recordStart > limits.maxRecordBytes {
                    scan.problems.append(Problem(offset: recordStart, kind: .recordTooLong(limit: limits.maxRecordBytes)))
                    scan.truncated = true
                    break records
                }
                if expected < 0, fieldCount >= limits.maxColumns {
                    scan.problems.append(Problem(offset: recordStart, kind: .tooManyColumns(limit: limits.maxColumns)))
                    scan.truncated = true
                    break records
                }
                fieldCount += 1
                if i < end, base[i] == quote {
                    // Escaped field: up to the quote not followed by another.
                    let open = i
                    i += 1
                    let contentStart = i
                    var fieldEnd = i
                    while true {
                        guard let q = memchrQuote(base, from: i, to: min(end, recordStart + limits.maxRecordBytes + 1), seen: &seen) else {
                            if end - recordStart > limits.maxRecordBytes {
                                scan.problems.append(Problem(offset: recordStart, kind: .recordTooLong(limit: limits.maxRecordBytes)))
                            } else {
                                scan.problems.append(Problem(offset: open, kind: .unterminatedQuote))
                            }
                            scan.truncated = true
                            break records
                        }
                        if q + 1 < end, base[q + 1] == quote { i = q + 2; continue }
                        fieldEnd = q
                        i = q + 1
                        break
                    }
                    // Count the line breaks inside it.
                    var k = contentStart
                    while k < fieldEnd { if base[k] == lf { line += 1 }; k += 1 }
                    scan.fields.append(UInt32(contentStart) | 1 << 31)
                    scan.fields.append(UInt32(fieldEnd))
                    if i < end, base[i] != delimiter, base[i] != lf, !(base[i] == cr && i + 1 < end && base[i + 1] == lf) {
                        scan.problems.append(Problem(offset: i, kind: .textAfterQuote))
                        bad = true
                        // Resynchronise at the end of the line.
                        while i < end, base[i] != lf { i += 1 }
                    }
                } else {
                    let start = i
                    let stop = min(end, recordStart + limits.maxRecordBytes + 1)
                    while true {
                        i = nextBreak(base, from: i, to: stop, delimiter: delimiter, seen: &seen)
                        // A CR ends the field only as the start of a CRLF.
                        if i < stop, base[i] == cr, !(i + 1 < end && base[i + 1] == lf) { i += 1; continue }
                        break
                    }
                    if i - recordStart > limits.maxRecordBytes {
                        scan.problems.append(Problem(offset: recordStart, kind: .recordTooLong(limit: limits.maxRecordBytes)))
                        scan.truncated = true
                        break records
                    }
                    scan.fields.append(UInt32(start))
                    scan.fields.append(UInt32(i))
                }
                // After the field: a delimiter (another field), a line break or the end.
                if i < end, base[i] == delimiter { i += 1; continue fields }
                if i < end, base[i] == cr { i += 1 }
                if i < end, base[i] == lf { i += 1; line += 1 }
                break fields
            }
            if expected < 0 {
                expected = fieldCount
                scan.columnCount = fieldCount
                scan.headerLine = recordLine
                scan.headerStart = UInt32(recordStart)
                continue records
            }
            if fieldCount != expected && !bad {
                scan.problems.append(Problem(offset: recordStart, kind: .fieldCount(found: fieldCount, expected: expected)))
                bad = true
            }
            if bad {
                scan.fields.removeSubrange(firstField...)
                continue records
            }
            scan.rowStarts.append(UInt32(recordStart))
            scan.rowLines.append(recordLine)
        }
        return (i, line - firstLine)
    }

    /// The offset of the first delimiter, LF or CR in `base[from..<to]`, else `to`: eight bytes
    /// at a time (a byte equal to one of them is a zero byte of the word xor'ed with it).
    /// Every byte it passes (and the rest of the word it stops in) is or'ed into `seen`.
    @inline(__always)
    private static func nextBreak(_ base: UnsafePointer<UInt8>, from: Int, to: Int, delimiter: UInt8, seen: inout UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let d = UInt64(delimiter) &* ones, lf = UInt64(0x0A) &* ones, cr = UInt64(0x0D) &* ones
        // High bit set in each byte of `v` that is zero; the lowest one flagged is always a true zero.
        @inline(__always) func zeros(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        var i = from
        while i + 8 <= to {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            seen |= word
            let found = zeros(word ^ d) | zeros(word ^ lf) | zeros(word ^ cr)
            if found != 0 { return i + found.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < to {
            let b = base[i]
            seen |= UInt64(b)
            if b == delimiter || b == 0x0A || b == 0x0D { return i }
            i += 1
        }
        return to
    }

    /// The offset of the next `"` in `base[from..<to]`, if any.
    /// Every byte it passes is or'ed into `seen`.
    @inline(__always)
    private static func memchrQuote(_ base: UnsafePointer<UInt8>, from: Int, to: Int, seen: inout UInt64) -> Int? {
        var k = from
        while k < to {
            seen |= UInt64(base[k])
            if base[k] == UInt8(ascii: "\"") { return k }
            k += 1
        }
        return nil
    }
}

/// Every field's byte range in a table's bytes; the header is fields `0..<columnCount`, row
/// `r` (0-based, header excluded) is the `columnCount` fields after `(r + 1) * columnCount`.
public struct TableScan: Sendable {
    /// Pairs of (start | quoted flag in bit 31, end) offsets.
    var fields: [UInt32] = []
    /// The header's number of fields (0 for an empty file).
    public internal(set) var columnCount = 0
    var headerLine: Int32 = 1
    var headerStart: UInt32 = 0
    /// Each kept row's first byte and line (rows with a structural problem are left out).
    var rowStarts: [UInt32] = []
    var rowLines: [Int32] = []
    /// Structural problems, in file order.
    public internal(set) var problems: [TableReader.Problem] = []
    /// Whether reading stopped early (a limit, an unterminated quote).
    public internal(set) var truncated = false
    /// Whether every byte of every field scanned is ASCII, so every cell is UTF-8 as it is (a
    /// file without one non-ASCII byte, the usual export, has no cell to check).
    public internal(set) var isASCII = true

    /// Rows kept.
    public var rowCount: Int { rowStarts.count }

    @inline(__always) private func field(_ row: Int, _ column: Int) -> (start: Int, end: Int, quoted: Bool) {
        let f = ((row + 1) * columnCount + column) * 2
        let s = fields[f]
        return (Int(s & 0x7FFF_FFFF), Int(fields[f + 1]), s & (1 << 31) != 0)
    }

    /// The header cell's text (`row` -1) or a row's, quotes undone; `nil` when it is not UTF-8.
    public func text(row: Int, column: Int, in bytes: UnsafeRawBufferPointer) -> String? {
        let (start, end, quoted) = field(row, column)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard quoted, slice.contains(UInt8(ascii: "\"")) else {
            let utf8 = slice.assumingMemoryBound(to: UInt8.self)
            // ASCII is UTF-8 as it is: no validation (a generic call, slow per cell).
            if isASCII || UTF8Bytes.isASCII(utf8) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(slice.count)
        var k = 0
        while k < slice.count {
            unescaped.append(slice[k])
            k += slice[k] == UInt8(ascii: "\"") ? 2 : 1
        }
        return String(validating: unescaped, as: UTF8.self)
    }

    /// `body` with the cell's text as UTF-8 (quotes undone; in place unless it had doubled
    /// quotes); `nil` when it is not UTF-8.
    public func withUTF8<R>(row: Int, column: Int, in bytes: UnsafeRawBufferPointer,
                            _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        let (start, end, quoted) = field(row, column)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end]).assumingMemoryBound(to: UInt8.self)
        if quoted, slice.contains(UInt8(ascii: "\"")) {
            guard var text = self.text(row: row, column: column, in: bytes) else { return nil }
            return text.withUTF8(body)
        }
        guard isUTF8(slice) else { return nil }
        return body(slice)
    }

    /// Whether the cell's bytes are UTF-8 (ASCII checked in place; anything else decoded once).
    public func isUTF8(row: Int, column: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        if isASCII { return true }
        let (start, end, _) = field(row, column)
        return isUTF8(UnsafeRawBufferPointer(rebasing: bytes[start..<end]).assumingMemoryBound(to: UInt8.self))
    }

    /// Whether a cell's bytes are UTF-8: at once in an all-ASCII file, else checked.
    private func isUTF8(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII || UTF8Bytes.isASCII(utf8) || String(validating: utf8, as: UTF8.self) != nil
    }

    /// Whether the cell holds no bytes (a blank cell: absent, unless asked to keep it).
    public func isEmpty(row: Int, column: Int) -> Bool {
        let (start, end, _) = field(row, column)
        return start == end
    }

    /// Where a cell starts (its opening quote for a quoted one), as line:column.
    public func mark(row: Int, column: Int, in bytes: UnsafeRawBufferPointer) -> SourceMark {
        let (start, _, quoted) = field(row, column)
        let line = row < 0 ? Int(headerLine) : Int(rowLines[row])
        let rowStart = row < 0 ? Int(headerStart) : Int(rowStarts[row])
        return Self.mark(offset: quoted ? start - 1 : start, from: rowStart, line: line, in: bytes)
    }

    /// Where a row starts.
    public func rowMark(_ row: Int) -> SourceMark {
        SourceMark(line: Int(rowLines[row]), column: 1)
    }

    /// line:column of `offset`, counting from a known line start (`from` at `line`);
    /// columns count characters (Unicode scalars), as the YAML layer's do.
    static func mark(offset: Int, from: Int, line: Int, in bytes: UnsafeRawBufferPointer) -> SourceMark {
        var line = line, lineStart = from
        var k = from
        while k < offset {
            if bytes[k] == UInt8(ascii: "\n") { line += 1; lineStart = k + 1 }
            k += 1
        }
        var column = 1
        k = lineStart
        while k < offset {
            if bytes[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        return SourceMark(line: line, column: column)
    }

    /// line:column of a byte offset anywhere in the file (for structural problems; slow, rare).
    public static func mark(offset: Int, in bytes: UnsafeRawBufferPointer) -> SourceMark {
        mark(offset: min(offset, bytes.count), from: 0, line: 1, in: bytes)
    }
}
