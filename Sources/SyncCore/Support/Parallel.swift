import Dispatch
import SyncYAML

/// Data parallelism for the million-entry paths (decoding, expansion): split an index range
/// into chunks, work on them on every core, and hand the results back in chunk order, so
/// anything merged from them (values, diagnostics) is exactly what one pass in order gives.
enum Parallel {
    /// Chunks per run: a few per core, so a core slowed by other work does not hold the rest up.
    static let maxChunks = 16

    /// The chunks `0..<count` is cut into: one when `count` is below `2 * minChunk` (small
    /// manifests pay nothing), else up to `maxChunks` of at least `minChunk` each.
    static func chunks(count: Int, minChunk: Int) -> [Range<Int>] {
        let n = max(1, min(maxChunks, count / max(1, minChunk)))
        return (0..<n).map { count * $0 / n ..< count * ($0 + 1) / n }
    }

    /// `body` applied to consecutive chunks of `0..<count`, concurrently; the results in order.
    /// `body` must touch no shared mutable state.
    static func mapChunks<T>(count: Int, minChunk: Int, _ body: (Range<Int>) -> T) -> [T] {
        let ranges = chunks(count: count, minChunk: minChunk)
        guard ranges.count > 1 else { return [body(0..<count)] }
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: ranges.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        forEach(ranges.count) { results[$0] = body(ranges[$0]) }
        return results.map { $0! }
    }

    /// Values made from consecutive chunks of `0..<count`, concurrently, in order, with no copy:
    /// `body(range, at)` initializes the values it keeps at `at`, `at + 1`, … (at most
    /// `range.count`) and returns how many and its problems; the kept values are then moved
    /// together. For lists of a million values, which are never held twice.
    static func gather<T>(count: Int, minChunk: Int,
                          _ body: (Range<Int>, UnsafeMutablePointer<T>) -> (kept: Int, diagnostics: [Diagnostic]))
        -> (values: [T], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            let parts = mapChunks(count: count, minChunk: minChunk) { range in
                (range: range, result: body(range, base + range.lowerBound))
            }
            var end = 0
            for part in parts {
                if part.range.lowerBound != end, part.result.kept > 0 {
                    (base + end).moveInitialize(from: base + part.range.lowerBound, count: part.result.kept)
                }
                end += part.result.kept
                diagnostics += part.result.diagnostics
            }
            initialized = end
        }
        return (values, diagnostics)
    }

    /// `head` followed by `parts` pieces of `count(k)` values each, piece `k` written by
    /// `fill(k, buffer)` (which must initialize all of `buffer`), the pieces concurrently.
    /// For joining what chunks scanned on every core without copying twice.
    static func concatenate<T: BitwiseCopyable>(_ parts: Int, head: [T] = [], count: (Int) -> Int,
                                                fill: (Int, UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
        var starts: [Int] = [], total = head.count
        for k in 0..<parts {
            starts.append(total)
            total += count(k)
        }
        return [T](unsafeUninitializedCapacity: total) { buffer, initialized in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[0..<head.count]).initialize(fromContentsOf: head)
            forEach(parts) { k in
                fill(k, UnsafeMutableBufferPointer(rebasing: buffer[starts[k]..<(starts[k] + count(k))]))
            }
            initialized = total
        }
    }

    /// Sorts `values` on every core: chunks sorted concurrently, then merged pairwise, each
    /// level's merges concurrent too. `less` must be a strict weak order, safe to call from
    /// several threads at once. For a million positions sorted by address (a first plan), where
    /// one core would spend seconds comparing strings. Not stable: give `less` a total order.
    static func sort(_ values: inout [Int], minChunk: Int, by less: (Int, Int) -> Bool) {
        var runs = chunks(count: values.count, minChunk: minChunk)
        guard runs.count > 1 else { return values.sort(by: less) }
        var scratch = [Int](repeating: 0, count: values.count)
        values.withUnsafeMutableBufferPointer { buffer in
            scratch.withUnsafeMutableBufferPointer { spare in
                forEach(runs.count) { buffer[runs[$0]].sort(by: less) }
                var source = buffer, target = spare
                while runs.count > 1 {
                    let pairs = (runs.count + 1) / 2
                    forEach(pairs) { pair in
                        let left = runs[2 * pair]
                        let right = 2 * pair + 1 < runs.count ? runs[2 * pair + 1] : left.upperBound..<left.upperBound
                        var i = left.lowerBound, j = right.lowerBound, out = left.lowerBound
                        while i < left.upperBound && j < right.upperBound {
                            if less(source[j], source[i]) {
                                target[out] = source[j]; j += 1
                            } else {
                                target[out] = source[i]; i += 1
                            }
                            out += 1
                        }
                        while i < left.upperBound { target[out] = source[i]; i += 1; out += 1 }
                        while j < right.upperBound { target[out] = source[j]; j += 1; out += 1 }
                    }
                    runs = (0..<pairs).map { pair in
                        runs[2 * pair].lowerBound..<(2 * pair + 1 < runs.count ? runs[2 * pair + 1] : runs[2 * pair]).upperBound
                    }
                    swap(&source, &target)
                }
                if source.baseAddress != buffer.baseAddress {
                    _ = buffer.update(fromContentsOf: source)
                }
            }
        }
    }

    /// `body(0)`, …, `body(count - 1)`, concurrently on every core; returns when all are done.
    /// Each call must touch only state no other call touches.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 { return body(0) }
        withoutActuallyEscaping(body) { body in
            // Safe: concurrentPerform returns only after every call, and the calls share nothing.
            let box = UncheckedSendable(value: body)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    }
}

/// A value handed to concurrent work whose safety the caller guarantees (see `Parallel.forEach`).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
