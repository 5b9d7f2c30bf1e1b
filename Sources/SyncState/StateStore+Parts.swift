public import SyncCore
import Dispatch
import Foundation

extension StateStore {
    /// Streams every recorded file as `forEachFile` does, on `parts` threads: part `k` gets the
    /// `k`-th of `parts` equal runs of the address order. Each thread reads through a connection
    /// of its own in a read transaction of its own; the transactions must all see the same
    /// serial, so the parts come from one snapshot (else this falls back to one thread, part 0
    /// getting every file).
    ///
    /// - Parameters:
    ///   - parts: threads to use (1 is `forEachFile` with part 0).
    ///   - body: called with the part, each of its files and a function giving that file in full,
    ///     concurrently from the parts' threads; it must touch only state of its own part. The
    ///     file comes light (spec digest, file id, actual name, job id and times left out: what
    ///     comparing with the manifest does not need); the function reads the rest from the
    ///     same row, and may be called only during that call of `body`.
    ///   - desired: when given, each row whose address the desired state holds is first
    ///     compared, undecoded, with that desired file (`Diff.digestShowsUnchanged`: its
    ///     stored spec digest and source): an unchanged row goes to `unchanged` (with the part
    ///     and the desired file's position, whose address is the row's) instead of `body`. Most
    ///     rows of a no-op plan decode no value and make no string at all.
    /// - Returns: the serial the files were read at.
    /// - Throws: `StateError`, as `forEachFile`.
    public func forEachFile(parts: Int, comparingWith desired: DesiredState? = nil,
                            unchanged: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
                            _ body: @escaping @Sendable (Int, RecordedFile, () -> RecordedFile) -> Void) throws(StateError) -> Int64 {
        let parts = max(1, parts)
        let outcomes = UnsafeMutableBufferPointer<Result<Int64, StateError>?>.allocate(capacity: parts)
        outcomes.initialize(repeating: nil)
        defer { outcomes.deinitialize(); outcomes.deallocate() }
        let box = PartsBox(outcomes)
        let path = self.path, timeout = options.busyTimeoutMilliseconds, lineage = self.lineage
        // Every thread opens its connection and reads the serial, then waits for the verdict
        // (same serial and lineage everywhere) before reading any file: no thread is left
        // mid-scan when another cannot start.
        let started = DispatchGroup()
        let serials = PartsBox(UnsafeMutableBufferPointer<Int64>.allocate(capacity: parts))
        defer { serials.value.deallocate() }
        let agreed = DispatchSemaphore(value: 0)
        let verdict = PartsBox(UnsafeMutablePointer<Bool>.allocate(capacity: 1))
        defer { verdict.value.deallocate() }
        verdict.value.initialize(to: false)
        for _ in 0..<parts { started.enter() }
        let finished = DispatchGroup()
        for part in 0..<parts {
            finished.enter()
            // Threads of their own: the parts wait for each other at the start, which a pool
            // running them one after another would turn into a deadlock.
            Thread {
                defer { finished.leave() }
                box.value[part] = Result { () throws(StateError) -> Int64 in
                    var entered = false
                    defer { if !entered { serials.value[part] = -1; started.leave(); agreed.wait() } }
                    do {
                        let db = try SQLiteConnection(path: path, create: false)
                        db.setBusyTimeout(milliseconds: timeout)
                        return try db.transaction(immediate: false) {
                            let serial = try db.scalarInt("SELECT value FROM metadata WHERE key = 'serial'") ?? 0
                            // The same file as this store's (not one put in its place since).
                            let sameFile = try db.scalarText("SELECT value FROM metadata WHERE key = 'lineage'") == lineage
                            serials.value[part] = sameFile ? serial : -2
                            entered = true
                            started.leave()
                            agreed.wait()
                            guard verdict.value.pointee else { return -1 }
                            // A plan's state holds about as many rows as the manifest has files:
                            // reason enough to split there without counting (the bounds stay exact).
                            let select = try Self.partSelect(db, part: part, of: parts, expectedRows: desired?.count)
                            defer { select.reset() }
                            var decoder = RowDecoder()
                            func scan(_ desired: DesiredState.Lookup?) throws {
                                while try select.step() {
                                    if let desired, let project = select.rawText(0), let filePath = select.rawText(1),
                                       let position = desired.position(project: project, path: filePath),
                                       decoder.isUnchanged(desired, at: position, select) {
                                        // Undecoded, but checked: `file` below checks every other row.
                                        try RowDecoder.verify(select, path: path)
                                        unchanged(part, position)
                                        continue
                                    }
                                    let light = try decoder.file(select, path: path, light: true)
                                    body(part, light) {
                                        var full = light
                                        decoder.complete(&full, select)
                                        return full
                                    }
                                }
                            }
                            if let desired { try desired.withLookup(scan) } else { try scan(nil) }
                            return serial
                        }
                    } catch {
                        throw Self.stateError(error, path: path)
                    }
                }
            }.start()
        }
        // Every part has read the serial inside its transaction: same serial, same snapshot.
        started.wait()
        let first = serials.value[0]
        verdict.value.pointee = serials.value.allSatisfy { $0 == first && $0 >= 0 }
        for _ in 0..<parts { agreed.signal() }
        finished.wait()
        guard verdict.value.pointee else {
            // Different snapshots (a write committed between two starts) or a part that could not
            // start: read it all on one thread, part 0 getting every file.
            if case .failure(let error)? = outcomes.first(where: { if case .failure = $0 { true } else { false } }) {
                throw error
            }
            guard parts > 1, serials.value[0] != -2 else {
                throw StateError.io(path: path, detail: "the state file was replaced while it was being read; run the command again")
            }
            return try forEachFile(parts: 1, comparingWith: desired, unchanged: unchanged, body)
        }
        var serial: Int64 = 0
        for outcome in outcomes {
            switch outcome {
            case .success(let value)?: serial = value
            case .failure(let error)?: throw error
            case nil: throw StateError.io(path: path, detail: "a part of the state scan did not finish")
            }
        }
        return serial
    }
}

extension StateStore {
    /// The rows of part `part` of `parts`, in address order: the addresses from the one at row
    /// `count * part / parts` of the whole order up to (not including) the next part's first.
    /// Bounds are addresses, not row counts, so the parts cover every row exactly once.
    /// Finding a bound walks the b-tree's leaves without reading the rows.
    /// - Parameter expectedRows: how many rows there are about to be, if known: the parts are
    ///   then cut there instead of counting (a wrong guess only makes the parts uneven).
    fileprivate static func partSelect(_ db: SQLiteConnection, part: Int, of parts: Int, expectedRows: Int? = nil) throws -> SQLiteStatement {
        let count = parts > 1 ? try expectedRows ?? Int(db.scalarInt("SELECT count(*) FROM files") ?? 0) : 0
        func bound(_ k: Int) throws -> (project: String, path: String)? {
            guard k > 0, k < parts, count * k / parts < count else { return nil }
            let at = try db.prepare("SELECT project, path FROM files ORDER BY project, path LIMIT 1 OFFSET ?")
            defer { at.reset() }
            try at.bind(.int(Int64(count * k / parts)))
            guard try at.step(), let project = at.text(0), let path = at.text(1) else { return nil }
            return (project, path)
        }
        let lower = try bound(part), upper = try bound(part + 1)
        var conditions: [String] = [], values: [SQLiteValue] = []
        if let lower {
            conditions.append("(project, path) >= (?, ?)")
            values += [.text(lower.project), .text(lower.path)]
        }
        if let upper {
            conditions.append("(project, path) < (?, ?)")
            values += [.text(upper.project), .text(upper.path)]
        }
        // Part 0 starts at the first row; a part whose start lies past the end (more parts
        // than rows) selects nothing.
        if part > 0, lower == nil { conditions.append("0") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let select = try db.prepare("SELECT \(fileColumns) FROM files\(filter) ORDER BY project, path")
        for (i, value) in values.enumerated() { try select.bind(value, at: Int32(i + 1)) }
        return select
    }
}

/// Hands per-part buffers to the parts' threads, each of which writes only its own element
/// (joined before anything reads them).
private struct PartsBox<Value>: @unchecked Sendable {  // Unchecked: disjoint writes, see above.
    let value: Value
    init(_ value: Value) { self.value = value }
}
