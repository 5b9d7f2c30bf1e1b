internal import CSQLite

/// The parameter values of many executions of one prepared statement, kept in one reusable
/// byte buffer and bound without copying (`SQLITE_STATIC`).
///
/// Made for bulk inserts: `SQLiteStatement.bind(.text(…))` has SQLite copy every value (a
/// `malloc` and a `free` each); here rows are appended to a buffer that is cleared, not freed,
/// between uses, and SQLite reads the values in place while the statement runs. A batch of
/// rows can be encoded on one thread and run on another.
struct SQLiteRows {
    private enum Slot {
        case null
        case int(Int64)
        case text(start: Int, count: Int)
        case blob(start: Int, count: Int)
    }

    /// Starts with one unused byte, so the buffer's base address is never nil and an empty
    /// string binds as '' (SQLite reads a nil pointer as NULL).
    private var bytes: [UInt8] = [0]
    private var slots: [Slot] = []
    /// Where each row's slots start in `slots`; a row ends where the next starts.
    private var rowStarts: [Int] = []

    init() {}

    /// The number of rows begun.
    var count: Int { rowStarts.count }

    /// Forgets every row, keeping the storage for the next batch.
    mutating func removeAll() {
        bytes.removeLast(bytes.count - 1)
        slots.removeAll(keepingCapacity: true)
        rowStarts.removeAll(keepingCapacity: true)
    }

    /// Starts a row: the values appended next are its parameters 1, 2, ….
    mutating func beginRow() {
        rowStarts.append(slots.count)
    }

    mutating func appendNull() {
        slots.append(.null)
    }

    mutating func append(_ value: Int64) {
        slots.append(.int(value))
    }

    mutating func append(text: String) {
        let start = bytes.count
        appendUTF8(text, to: &bytes)
        slots.append(.text(start: start, count: bytes.count - start))
    }

    /// Appends `text`, or NULL when it is `nil`.
    mutating func append(optionalText text: String?) {
        if let text { append(text: text) } else { appendNull() }
    }

    /// Appends a blob of the bytes `write` appends; NULL when it appends none.
    mutating func appendBlob(_ write: (inout [UInt8]) -> Void) {
        let start = bytes.count
        write(&bytes)
        slots.append(bytes.count == start ? .null : .blob(start: start, count: bytes.count - start))
    }

    /// Appends the checksum (`RowChecksum`) of the values of the current row so far.
    mutating func appendChecksum() {
        var sum = RowChecksum.Sum()
        bytes.withUnsafeBytes { buffer in
            for slot in slots[rowStarts[rowStarts.count - 1]...] {
                switch slot {
                case .null: sum.addNull()
                case .int(let value): sum.add(value)
                case .text(let start, let count): sum.add(text: UnsafeRawBufferPointer(rebasing: buffer[start..<start + count]))
                case .blob(let start, let count): sum.add(blob: UnsafeRawBufferPointer(rebasing: buffer[start..<start + count]))
                }
            }
        }
        slots.append(.int(sum.stored))
    }

    /// Binds the values of row `row` to parameters 1, 2, … of `statement` and steps it to
    /// completion. The statement is reset and its bindings cleared before this returns, so it
    /// never keeps a pointer into this buffer.
    func run(_ row: Int, _ statement: SQLiteStatement) throws(SQLiteError) {
        let first = rowStarts[row], end = row + 1 < rowStarts.count ? rowStarts[row + 1] : slots.count
        let result = bytes.withUnsafeBytes { buffer -> Result<Void, SQLiteError> in
            defer { statement.reset() }
            let base = buffer.baseAddress!
            do throws(SQLiteError) {
                for i in first..<end {
                    let index = Int32(i - first + 1)
                    let rc: Int32
                    switch slots[i] {
                    case .null:
                        rc = sqlite3_bind_null(statement.handle, index)
                    case .int(let value):
                        rc = sqlite3_bind_int64(statement.handle, index, value)
                    case .text(let start, let count):
                        rc = sqlite3_bind_text(statement.handle, index, (base + start).assumingMemoryBound(to: CChar.self),
                                               Int32(count), nil /* SQLITE_STATIC */)
                    case .blob(let start, let count):
                        rc = sqlite3_bind_blob(statement.handle, index, base + start, Int32(count), nil /* SQLITE_STATIC */)
                    }
                    guard rc == SQLITE_OK else { throw statement.connection.error(rc) }
                }
                while try statement.step() {}
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}

/// Appends the UTF-8 bytes of `text` to `out`, with one copy when the string is stored
/// contiguously (native strings are).
@inline(__always)
func appendUTF8(_ text: String, to out: inout [UInt8]) {
    if text.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil {
        out.append(contentsOf: text.utf8)
    }
}
