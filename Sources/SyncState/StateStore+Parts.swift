public import SyncCore
import Dispatch
import Foundation

extension StateStore {
    /// Streams every recorded file as `forEachFile` does, on `parts` threads: part `k` gets rows
    /// `k`, `k + parts`, … of the address order. Each thread reads through a connection of its
    /// own in a read transaction of its own; the transactions must all see the same serial, so
    /// the parts come from one snapshot (else this falls back to one thread, part 0 getting
    /// every file). Every thread steps over every row, but only decodes its own: SQLite's share
    /// of the work is small next to decoding and comparing.
    ///
    /// - Parameters:
    ///   - parts: threads to use (1 is `forEachFile` with part 0).
    ///   - body: called with the part, each of its files and a function giving that file in full,
    ///     concurrently from the parts' threads; it must touch only state of its own part. The
    ///     file comes light (spec digest, file id, actual name, job id and times left out: what
    ///     comparing with the manifest does not need); the function reads the rest from the
    ///     same row, and may be called only during that call of `body`.
    /// - Returns: the serial the files were read at.
    /// - Throws: `StateError`, as `forEachFile`.
    public func forEachFile(parts: Int, _ body: @escaping @Sendable (Int, RecordedFile, () -> RecordedFile) -> Void) throws(StateError) -> Int64 {
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
                            let select = try db.prepare("SELECT \(Self.fileColumns) FROM files ORDER BY project, path")
                            defer { select.reset() }
                            var decoder = RowDecoder()
                            var row = 0
                            while try select.step() {
                                if row % parts == part {
                                    let light = try decoder.file(select, path: path, light: true)
                                    body(part, light) {
                                        var full = light
                                        decoder.complete(&full, select)
                                        return full
                                    }
                                }
                                row += 1
                            }
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
            return try forEachFile(parts: 1, body)
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

/// Hands per-part buffers to the parts' threads, each of which writes only its own element
/// (joined before anything reads them).
private struct PartsBox<Value>: @unchecked Sendable {  // Unchecked: disjoint writes, see above.
    let value: Value
    init(_ value: Value) { self.value = value }
}
