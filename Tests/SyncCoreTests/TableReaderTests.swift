import Foundation
import SyncCore
import SyncYAML
import Testing
import TestSupport

/// The CSV/TSV reader against what real portal exports contain, and hostile input.
@Suite struct TableReaderTests {
    /// Every row's cells as text (`nil` for a blank cell), and the problems as `line:col kind`.
    static func read(_ text: String, delimiter: Character = ",", limits: TableReader.Limits = .standard)
        -> (headers: [String], rows: [[String?]], problems: [String]) {
        read(Array(text.utf8), delimiter: delimiter, limits: limits)
    }

    static func read(_ bytes: [UInt8], delimiter: Character = ",", limits: TableReader.Limits = .standard)
        -> (headers: [String], rows: [[String?]], problems: [String]) {
        bytes.withUnsafeBytes { raw in
            let scan = TableReader.scan(raw, delimiter: delimiter.asciiValue!, limits: limits)
            let rows = DelimitedRows(scan: scan, bytes: raw)
            var cells: [[String?]] = []
            for r in 0..<rows.rowCount {
                cells.append((0..<scan.columnCount).map { c in
                    if rows.isBlank(r, c) { return nil }
                    if case .text(let s) = rows.cell(r, c) { return s }
                    return "<invalid>"
                })
            }
            let problems = rows.diagnostics(file: "t.csv").map { d in (d.mark.map { "\($0) " } ?? "") + d.message }
            return (rows.headers, cells, problems)
        }
    }

    @Test func plainRowsWithATrailingLineBreak() {
        let t = Self.read("drs_uri,name\ndrs://a.org/1,x.bam\ndrs://a.org/2,y.bam\n")
        #expect(t.headers == ["drs_uri", "name"])
        #expect(t.rows == [["drs://a.org/1", "x.bam"], ["drs://a.org/2", "y.bam"]])
        #expect(t.problems.isEmpty)
    }

    @Test func byteOrderMarkCRLFAndNoFinalLineBreak() {
        let t = Self.read("\u{FEFF}a,b\r\nc,d\r\ne,f")
        #expect(t.headers == ["a", "b"])
        #expect(t.rows == [["c", "d"], ["e", "f"]])
    }

    @Test func quotedFieldsWithDelimitersQuotesAndLineBreaks() {
        let t = Self.read("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n\"\",plain,\"\"\n")
        #expect(t.rows == [["x, y", "say \"hi\"", "two\r\nlines"], [nil, "plain", nil]])
        #expect(t.problems.isEmpty)
    }

    @Test func emptyLinesAreSkippedAndBlankCellsAreBlank() {
        let t = Self.read("a,b\n\n1,\n,2\n\r\n\n")
        #expect(t.rows == [["1", nil], [nil, "2"]])
    }

    @Test func tabSeparated() {
        let t = Self.read("id\tfilename\tmd5\n1\ta b.bam\t\"q\"\n", delimiter: "\t")
        #expect(t.headers == ["id", "filename", "md5"])
        #expect(t.rows == [["1", "a b.bam", "q"]])
    }

    @Test func unicodeCellsAndColumnsCountCharacters() {
        let t = Self.read("name,x\nΩmega/ü.bam,1,2\n")
        #expect(t.rows.isEmpty)
        #expect(t.problems == ["2:1 row has 3 fields, the header 2; quote values that contain the delimiter"])
    }

    @Test func rowsWithTooManyOrTooFewFieldsAreReportedAndLeftOut() {
        let t = Self.read("a,b\n1\n2,3\n4,5,6\n")
        #expect(t.rows == [["2", "3"]])
        #expect(t.problems == [
            "2:1 row has 1 field, the header 2; quote values that contain the delimiter",
            "4:1 row has 3 fields, the header 2; quote values that contain the delimiter",
        ])
    }

    @Test func unterminatedQuoteStopsWithWhereItOpened() {
        let t = Self.read("a,b\n1,2\n3,\"never closed\n4,5\n")
        #expect(t.rows == [["1", "2"]])
        #expect(t.problems == ["3:3 quote opened here is never closed"])
    }

    @Test func textAfterAClosingQuote() {
        let t = Self.read("a,b\n\"x\"y,2\n3,4\n")
        #expect(t.rows == [["3", "4"]])
        #expect(t.problems == ["2:4 text after a closing quote; a quote inside a quoted value is written '\"\"'"])
    }

    @Test func invalidUTF8IsFoundInTheCell() {
        var bytes = Array("a,b\n1,".utf8)
        bytes += [0xC3, 0x28, 0x0A]
        let t = Self.read(bytes)
        #expect(t.rows == [["1", "<invalid>"]])
    }

    @Test func lineNumbersCountLineBreaksInsideQuotes() {
        Array("a,b\n\"1\n2\n3\",x\ny,z\n".utf8).withUnsafeBytes { raw in
            let scan = TableReader.scan(raw, delimiter: UInt8(ascii: ","))
            let rows = DelimitedRows(scan: scan, bytes: raw)
            #expect(rows.rowMark(0) == SourceMark(line: 2, column: 1))
            #expect(rows.mark(0, 1) == SourceMark(line: 4, column: 4))
            #expect(rows.rowMark(1) == SourceMark(line: 5, column: 1))
        }
    }

    @Test func aLongLineIsRefusedAtTheLimitWithoutReadingOn() {
        let limits = TableReader.Limits(maxRecordBytes: 1000)
        let t = Self.read("a,b\n" + String(repeating: "x", count: 5000) + ",1\n", limits: limits)
        #expect(t.problems == ["2:1 row is longer than the limit of 1000 bytes (is this a table?); the rest of the file was not read"])
        let quoted = Self.read("a,b\n\"" + String(repeating: "x", count: 5000) + "\",1\n", limits: limits)
        #expect(quoted.problems.count == 1)
    }

    @Test func aMillionColumnsAreRefusedAtTheLimit() {
        let header = String(repeating: "c,", count: 1_000_000) + "c\n"
        let clock = ContinuousClock()
        let start = clock.now
        let t = Self.read(header + "1\n", limits: TableReader.Limits(maxRecordBytes: 4 << 20))
        #expect(clock.now - start < .seconds(2))
        #expect(t.problems == ["1:1 header has more than 4096 columns, over the limit"])
    }

    @Test func aFileOverTheSizeLimitIsRefused() {
        let t = Self.read("a,b\n1,2\n", limits: TableReader.Limits(maxBytes: 4))
        #expect(t.problems == ["table is 8 bytes, over the limit of 4 bytes"])
    }

    /// Everything a scan found, to compare two scans.
    static func summary(_ text: String, minChunk: Int) -> [String] {
        Array(text.utf8).withUnsafeBytes { raw in
            let scan = TableReader.scan(raw, delimiter: UInt8(ascii: ","), minChunk: minChunk)
            let rows = DelimitedRows(scan: scan, bytes: raw)
            var lines = rows.headers + rows.diagnostics(file: "t").map(\.description)
            for r in 0..<rows.rowCount {
                lines.append("\(rows.rowMark(r))")
                for c in 0..<scan.columnCount {
                    if case .text(let s) = rows.cell(r, c) { lines.append("\(rows.mark(r, c)) \(s)") }
                }
            }
            return lines
        }
    }

    @Test(arguments: 0..<12)
    func chunksOnEveryCoreGiveWhatOnePassGives(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919)
        let cells = ["a", "b c", "\"q,\"", "\"two\nlines\"", "", "Ω", "\"x\"\"y\"", "1"]
        var text = seed % 3 == 0 ? "\n\nh1,h2,h3\r\n" : "h1,h2,h3\n"
        for _ in 0..<(200 + Int(rng.next() % 300)) {
            let fields = 3 + (rng.next() % 17 == 0 ? 1 : 0)
            text += (0..<fields).map { _ in cells[Int(rng.next() % UInt64(cells.count))] }.joined(separator: ",")
            text += rng.next() % 2 == 0 ? "\r\n" : "\n"
            if rng.next() % 40 == 0 { text += "\n" }
        }
        if seed % 4 == 1 { text += "\"never closed\n" }
        let whole = Self.summary(text, minChunk: 1 << 30)
        for minChunk in [64, 200, 1000] {
            #expect(Self.summary(text, minChunk: minChunk) == whole, "minChunk \(minChunk)")
        }
    }

    /// A reference reader (Python's csv rules, written plainly over Characters) for generated tables.
    static func reference(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false, inQuotes = false
        var chars = Array(text)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var i = chars.startIndex
        func endRow() {
            row.append(field)
            if !(row.count == 1 && row[0].isEmpty && !quoted) { rows.append(row) }
            row = []; field = ""; quoted = false
        }
        while i < chars.endIndex {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if chars.index(after: i) < chars.endIndex, chars[chars.index(after: i)] == "\"" { field.append("\""); i += 1 } else { inQuotes = false }
                } else { field.append(c) }
            } else if c == "\"" && field.isEmpty && !quoted { inQuotes = true; quoted = true }
            else if c == "," { row.append(field); field = ""; quoted = false }
            else if c == "\n" || c == "\r\n" { endRow() }
            else { field.append(c) }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty || quoted { endRow() }
        return rows
    }

    @Test(arguments: 0..<40)
    func generatedTablesReadAsTheReferenceReadsThem(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &+ 0x9E37_79B9_7F4A_7C15)
        let pieces = ["a", "Ω", "ü", " ", ",", "\"", "\n", "\r\n", "x/y", "日本", "", "1.5"]
        let columns = 1 + Int(rng.next() % 5)
        var text = rng.next() % 2 == 0 ? "\u{FEFF}" : ""
        var expected: [[String]] = []
        for r in 0..<(1 + Int(rng.next() % 8)) {
            var row: [String] = []
            for c in 0..<columns {
                var cell = ""
                for _ in 0..<Int(rng.next() % 4) { cell += pieces[Int(rng.next() % UInt64(pieces.count))] }
                if r == 0 && cell.isEmpty { cell = "h\(c)" }
                row.append(cell)
            }
            expected.append(row)
            let needsQuotes = { (s: String) in s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") }
            text += row.map { needsQuotes($0) || (rng.next() % 5 == 0) ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                .joined(separator: ",") + (rng.next() % 2 == 0 ? "\r\n" : "\n")
        }
        // A row whose only cell is empty is an empty line, skipped by both readers.
        let reference = Self.reference(text)
        let t = Self.read(text)
        #expect(t.problems.isEmpty, "\(t.problems) in \(text.debugDescription)")
        let got = [t.headers] + t.rows.map { $0.map { $0 ?? "" } }
        #expect(got == reference, "\(text.debugDescription)")
    }
}

/// The field search reads eight bytes at a time: a break at every offset of a word, a lone CR
/// (data, not a line break) before and after word boundaries, and fields of every short length.
@Suite struct TableFieldSearchTests {
    @Test(arguments: 0..<24)
    func breaksAtEveryOffsetAreFound(length: Int) {
        let cell = String(repeating: "x", count: length)
        for delimiter: Character in [",", "\t"] {
            let d = String(delimiter)
            let t = TableReaderTests.read("a\(d)b\n\(cell)\(d)\(cell)y\r\n\(cell)\rz\(d)q\n", delimiter: delimiter)
            #expect(t.rows == [[length == 0 ? nil : cell, cell + "y"], [cell + "\rz", "q"]], "length \(length)")
            #expect(t.problems.isEmpty)
        }
    }
}

/// The scan notes whether every field byte is ASCII, and cells then skip their own UTF-8 check:
/// one byte outside ASCII anywhere in a cell must turn that off, or a bad cell would pass.
@Suite struct TableASCIITests {
    static let table: [UInt8] = {
        var lines = ["drs_uri,name,sample"]
        for i in 0..<40 { lines.append("drs://x.org/\(i),\"q \(i), r\",plain-cell-number-\(i)") }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }()

    @Test("one byte that is not UTF-8, at any offset of a plain or quoted cell, is found in its cell", arguments: [Int.max, 64])
    func aByteOutsideASCIIAnywhereIsFound(minChunk: Int) {
        Self.table.withUnsafeBytes { raw in
            let allASCII = TableReader.scan(raw, delimiter: UInt8(ascii: ","), minChunk: minChunk).isASCII
            #expect(allASCII)
        }
        let structural = Set([",", "\n", "\""].map { Character($0).asciiValue! })
        var checked = 0
        for offset in Self.table.indices where !structural.contains(Self.table[offset]) {
            var bad = Self.table
            bad[offset] = 0xFF
            bad.withUnsafeBytes { raw in
                let scan = TableReader.scan(raw, delimiter: UInt8(ascii: ","), minChunk: minChunk)
                let allASCII = scan.isASCII
                #expect(!allASCII, "offset \(offset)")
                let rows = DelimitedRows(scan: scan, bytes: raw)
                var unreadable = 0
                for r in 0..<rows.rowCount {
                    for c in 0..<scan.columnCount where !rows.isBlank(r, c) && !rows.isReadable(r, c) { unreadable += 1 }
                }
                // The header's own cells are checked apart (they become header names).
                #expect(unreadable == (offset < 19 ? 0 : 1), "offset \(offset)")
            }
            checked += 1
        }
        #expect(checked > 1_000)
    }

    @Test("valid UTF-8 outside ASCII reads as text, through the cell-by-cell check")
    func validUTF8IsText() {
        let t = TableReaderTests.read("a,b\nÅsa,\"ü, ß\"\n")
        #expect(t.rows == [["Åsa", "ü, ß"]])
    }
}
