internal import CYAML
internal import Dispatch
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Parses one large file on several cores, giving exactly the document a single libyaml parser
/// gives, or `nil` so that the caller parses it the ordinary way.
///
/// libyaml is sequential, and a manifest is mostly one or two long block sequences. So:
/// 1. **Choose** (a helper thread, while the main parser already runs): a quick pass over the
///    bytes finds the longest run of lines `<I spaces>- ` that looks like the items of one block
///    sequence, and cuts a stretch `[cuts.first, cuts.last)` of whole items out of it, in
///    `parts - 1` regions that each begin on such a line.
/// 2. **Parse in parallel**: each region is parsed as a document of its own (a block sequence at
///    column I); the main parser reads the file with the stretch left out, so its view goes
///    from the last line before the stretch straight to the item line after it.
/// 3. **Verify and splice**: where the main parser's view crosses the cut, its first node must be
///    an item of a block sequence at column I on that line, inside a sequence that already has
///    items. Then the state libyaml had at `cuts.first` (same bytes before it) was "between two
///    items of that sequence, next line a block entry", and the regions, each a clean run of
///    items, parse exactly as they would there. The regions' nodes are appended to the arena,
///    their items inserted into that sequence, and every mark shifted to its true line.
///
/// Anything unexpected (a region that does not parse as items, an anchor or alias inside one,
/// a limit, any error at all, a cut the main parser does not confirm) abandons the attempt; the
/// caller's ordinary parse then gives the exact result or the exact error. No error message
/// ever comes from this path.
enum SplitParse {
    /// Files below this size are parsed by one parser: a split would not pay for its threads.
    static let minimumSize = 16 << 20

    /// How the file is to be cut (see `Chooser`).
    struct Plan: Sendable {
        /// Column (0-based) of the items' `-`.
        var indent: Int
        /// Byte offsets of item lines: regions are `cuts[i] ..< cuts[i + 1]`; the main parser
        /// skips from `cuts.first` to `cuts.last`.
        var cuts: [Int]
        /// Characters (as libyaml counts them, for UTF-8 input) before `cuts.first`.
        var characterIndex: Int
    }

    /// Where to cut, given rather than chosen (`SplitSetting.forcedCuts`).
    struct Cuts: Sendable {
        /// Column (0-based) of the items' `-`.
        var indent: Int
        /// Byte offsets of lines `<indent spaces>- `, increasing, at least two.
        var offsets: [Int]
    }

    /// One region parsed on its own.
    struct Part: @unchecked Sendable {  // Unchecked: `storage` is immutable once built (YAMLStorage is Sendable).
        var storage: YAMLStorage
        var root: Int32
        /// Lines the region spans (libyaml's count of line breaks in it).
        var lines: Int
        var maxDepth: Int
    }

    /// What the helper thread hands the main parser. Written by the helper before it signals,
    /// read by the main thread after it waits; the semaphores order the two.
    final class Shared: @unchecked Sendable {  // Unchecked: see the type comment; `cancelled` is atomic.
        let planReady = DispatchSemaphore(value: 0)
        let partsReady = DispatchSemaphore(value: 0)
        var plan: Plan?
        var parts: [Part?] = []
        let cancelled = Atomic<Bool>(false)
    }

    /// Parses `input` split in `parts` pieces (at least 2), or returns `nil` when that cannot be
    /// done or shown to be exact.
    /// - Parameters:
    ///   - earliestCut: no cut before this offset (the main parser reads up to it without
    ///     waiting for the plan); `size / 4` unless a test says otherwise.
    ///   - minimumRegion: regions shorter than this are not worth a thread (tests lower it).
    /// - Returns: the document and whether it was split (when the file has no run of items to
    ///   cut, the main parser reads it all and the document is the ordinary one).
    ///   - forcedCuts: cut exactly there instead of choosing (tests); `parts` is then ignored.
    static func parse(_ input: FileInput, options: YAMLParseOptions, parts: Int, earliestCut: Int? = nil,
                      minimumRegion: Int = 1 << 20, forcedCuts: Cuts? = nil) -> (document: YAMLDocument, split: Bool)? {
        guard parts >= 2, input.size > 0 else { return nil }
        let shared = Shared()
        let size = input.size, fd = input.fd, file = input.file
        let earliest = earliestCut ?? size / 4
        let helper = DispatchGroup()
        DispatchQueue.global().async(group: helper) {
            let plan = forcedCuts.map { Chooser.plan(fd: fd, size: size, cuts: $0) }
                ?? Chooser.choose(fd: fd, size: size, parts: parts, earliest: earliest, minimumRegion: minimumRegion)
            shared.plan = plan
            shared.planReady.signal()
            guard let plan else { return }
            let count = plan.cuts.count - 1
            let results = UnsafeMutableBufferPointer<Part?>.allocate(capacity: count)
            results.initialize(repeating: nil)
            defer { results.deinitialize(); results.deallocate() }
            let box = UncheckedBox(results)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                box.value[i] = parseRegion(fd: fd, from: plan.cuts[i], to: plan.cuts[i + 1], indent: plan.indent,
                                           file: file, options: options, cancelled: shared.cancelled)
            }
            shared.parts = Array(results)
            shared.partsReady.signal()
        }
        defer {
            // The helper reads `input`'s descriptor: never return while it may still run.
            shared.cancelled.store(true, ordering: .relaxed)
            helper.wait()
        }
        return parseMain(input, shared: shared, earliest: earliest, options: options)
    }

    // MARK: - The main parser

    private static func parseMain(_ input: FileInput, shared: Shared, earliest: Int,
                                  options: YAMLParseOptions) -> (document: YAMLDocument, split: Bool)? {
        let view = ViewInput(input: input, shared: shared, earliest: earliest)
        let reader = EventReader(source: view, inputSize: input.size)
        let file = input.file
        var builder = TreeBuilder(file: file, options: options, inputSize: input.size)
        var junction = Int.max
        var junctionKnown = false
        var spliced = false
        var documents = 0
        /// Where the last scalar before the cut ended: none may straddle the cut (a block scalar
        /// ends after the indentation of the line that ends it, hence `+ indent` below).
        var lastScalarEnd = 0
        let event = reader.event
        do {
            parsing: while true {
                try reader.next(file: file)
                if !junctionKnown, view.planKnown {
                    junctionKnown = true
                    if let plan = shared.plan { junction = plan.characterIndex }
                }
                let type = event.pointee.type
                switch type {
                case YAML_SCALAR_EVENT, YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT, YAML_ALIAS_EVENT:
                    if event.pointee.start_mark.index >= junction {
                        guard let plan = shared.plan, lastScalarEnd <= junction + plan.indent,
                              splice(at: event, plan: plan, into: &builder, shared: shared) else {
                            return nil
                        }
                        junction = Int.max
                        spliced = true
                    }
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    // The regions would not see `%TAG` handles: such a document is not split.
                    let directives = event.pointee.data.document_start.tag_directives
                    if documents > 1 || directives.start != directives.end { return nil }
                case YAML_STREAM_END_EVENT:
                    break parsing
                default:
                    break
                }
                try builder.add(event)
                if type == YAML_SCALAR_EVENT { lastScalarEnd = event.pointee.end_mark.index }
            }
        } catch {
            return nil
        }
        // No plan, or a plan never reached (the main parser read the whole file itself): the
        // tree is the ordinary one only in the first case.
        guard spliced || (junctionKnown && shared.plan == nil), let root = builder.root else { return nil }
        return (YAMLDocument(file: file, root: YAMLNode(storage: builder.finish(), index: root)), spliced)
    }

    /// Checks the first node after the cut and inserts the regions before it.
    private static func splice(at event: UnsafeMutablePointer<yaml_event_t>, plan: Plan,
                               into builder: inout TreeBuilder, shared: Shared) -> Bool {
        let mark = event.pointee.start_mark
        // The node starts on the line that begins at the cut, after its `- `.
        guard mark.index - mark.column == plan.characterIndex, mark.column >= plan.indent + 2,
              let sequence = builder.innermostBlockSequence, sequence.column == plan.indent + 1, sequence.items >= 1
        else { return false }
        shared.partsReady.wait()
        var lineOffset = Int(mark.line)
        var parts: [Part] = []
        for part in shared.parts {
            guard let part, builder.depth - 1 + part.maxDepth <= builder.options.limits.maxDepth else { return false }
            parts.append(part)
        }
        for part in parts {
            builder.spliceItems(of: part.storage, root: part.root, lineOffset: lineOffset)
            lineOffset += part.lines
        }
        builder.lineShift = lineOffset - Int(mark.line)
        return true
    }

    // MARK: - Regions

    /// Parses `[start, end)` as a document of its own that must be one block sequence at column
    /// `indent` starting on its first line, with no anchors or aliases (an alias could name an
    /// anchor outside the region, and an anchor could be named after it).
    static func parseRegion(fd: Int32, from start: Int, to end: Int, indent: Int, file: String,
                            options: YAMLParseOptions, cancelled: borrowing Atomic<Bool>) -> Part? {
        let region = RegionInput(fd: fd, start: start, end: end)
        let reader = EventReader(source: region, inputSize: end - start)
        var builder = TreeBuilder(file: file, options: options, inputSize: end - start)
        let event = reader.event
        var documents = 0, events = 0
        do {
            while true {
                try reader.next(file: file)
                events += 1
                if events & 4095 == 0, cancelled.load(ordering: .relaxed) { return nil }
                switch event.pointee.type {
                case YAML_ALIAS_EVENT: return nil
                case YAML_DOCUMENT_START_EVENT:
                    // A `---` (or a directive) inside the stretch is not part of a list.
                    documents += 1
                    if documents > 1 || event.pointee.data.document_start.implicit == 0 { return nil }
                case YAML_DOCUMENT_END_EVENT:
                    // Nor is a `...` (libyaml also breaks lines at a lone CR, which the pass
                    // choosing the cut does not).
                    if event.pointee.data.document_end.implicit == 0 { return nil }
                case YAML_STREAM_END_EVENT:
                    let mark = event.pointee.start_mark
                    guard mark.column == 0, region.complete, !builder.sawAnchor, let root = builder.root else { return nil }
                    let storage = builder.finish()
                    let raw = storage.nodes[Int(root)]
                    guard raw.kind == .sequence, raw.line == 1, raw.column == UInt32(indent + 1) else { return nil }
                    return Part(storage: storage, root: root, lines: Int(mark.line), maxDepth: builder.maxDepth)
                default:
                    break
                }
                try builder.add(event)
            }
        } catch {
            return nil
        }
    }

    // MARK: - Choosing the cuts

    enum Chooser {
        /// Bytes read per step of the pass over the file.
        static let blockSize = 1 << 20
        /// Deepest item column considered.
        static let maxIndent = 64

        private struct Run {
            var first = -1, second = -1, last = -1
        }

        /// The cuts for `parts` pieces of about equal work, or `nil` when the file has no run of
        /// items long enough.
        static func choose(fd: Int32, size: Int, parts: Int, earliest: Int, minimumRegion: Int) -> Plan? {
            var characters = CharacterCounts()
            guard let (indent, run) = longestRun(fd: fd, size: size, counting: &characters) else { return nil }
            // The main parser takes the bytes outside the stretch, each region a little less: the
            // regions start only after this pass over the file (measured: a 7% lighter share
            // makes both sides finish together on a 1,000,000-entry manifest).
            let share = size * 93 / (100 * parts)
            let end = run.last
            var cuts: [Int] = []
            var target = max(run.second, earliest, end - (parts - 1) * share)
            for _ in 1..<parts {
                guard target < end, let cut = itemLine(fd: fd, at: target, indent: indent, before: end) else { break }
                if let previous = cuts.last, cut - previous < minimumRegion { break }
                cuts.append(cut)
                target = cut + share
            }
            guard let first = cuts.first, end - cuts.last! >= minimumRegion else { return nil }
            cuts.append(end)
            guard let characterIndex = characters.count(fd: fd, before: first) else { return nil }
            return Plan(indent: indent, cuts: cuts, characterIndex: characterIndex)
        }

        /// The plan for cuts given by a test, or `nil` when they are not at least two increasing
        /// offsets inside the file.
        static func plan(fd: Int32, size: Int, cuts: Cuts) -> Plan? {
            guard cuts.offsets.count >= 2, cuts.offsets.first! >= 0, cuts.offsets.last! <= size,
                  zip(cuts.offsets, cuts.offsets.dropFirst()).allSatisfy({ $0 < $1 })
            else { return nil }
            var characters = CharacterCounts()
            var head = [UInt8](repeating: 0, count: 3)
            let n = pread(fd, &head, min(3, cuts.offsets[0]), 0)
            // UTF-16 (a byte order mark or a NUL) has no item lines to cut at, as in `forEachLine`.
            guard n >= 0, n < 2 || (head[0] != 0 && head[1] != 0 && head[0] != 0xFE && head[0] != 0xFF) else { return nil }
            head.withUnsafeBufferPointer { characters.add(UnsafeBufferPointer(rebasing: $0[..<n]), at: 0) }
            guard let characterIndex = characters.count(fd: fd, before: cuts.offsets[0]) else { return nil }
            return Plan(indent: cuts.indent, cuts: cuts.offsets, characterIndex: characterIndex)
        }

        /// The longest run of lines `<I spaces>- ` with no other line at column I or less between
        /// them (blank and comment lines aside), as (I, run). UTF-16 input has none.
        private static func longestRun(fd: Int32, size: Int, counting characters: inout CharacterCounts) -> (Int, Run)? {
            // Open runs, innermost last: a line closes every run deeper than itself.
            var open: [(indent: Int, run: Run)] = []
            var best: (indent: Int, run: Run)?
            func close(_ entry: (indent: Int, run: Run)) {
                let run = entry.run
                if run.second >= 0, run.last - run.second > (best.map { $0.run.last - $0.run.second } ?? 0) {
                    best = entry
                }
            }
            forEachLine(fd: fd, from: 0, onRead: { characters.add($0, at: $1) }) { offset, line in
                var i = 0
                while i < line.count, line[i] == UInt8(ascii: " ") { i += 1 }
                guard i < line.count else { return true }
                let first = line[i]
                if first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r") || first == UInt8(ascii: "#") { return true }
                let isItem = first == UInt8(ascii: "-") && i + 1 < line.count
                    && (line[i + 1] == UInt8(ascii: " ") || line[i + 1] == UInt8(ascii: "\n"))
                while let top = open.last, top.indent > i || (top.indent == i && !isItem) { close(open.removeLast()) }
                guard isItem, i <= maxIndent else { return true }
                if let top = open.last, top.indent == i {
                    if top.run.second < 0 { open[open.count - 1].run.second = offset }
                    open[open.count - 1].run.last = offset
                } else {
                    open.append((i, Run(first: offset, second: -1, last: offset)))
                }
                return true
            }
            while let top = open.popLast() { close(top) }
            guard let best else { return nil }
            return (best.indent, best.run)
        }

        /// Calls `body(offset, prefix)` for each line that starts at or after `start`: its byte
        /// offset and up to 80 of its first bytes, until `body` returns false or the file ends.
        /// Input that looks like UTF-16 (a byte order mark or NUL bytes) gets no calls.
        /// `onRead` sees every byte once, as read: (bytes, their offset).
        private static func forEachLine(fd: Int32, from start: Int,
                                        onRead: (UnsafeBufferPointer<UInt8>, Int) -> Void = { _, _ in },
                                        _ body: (Int, UnsafeBufferPointer<UInt8>) -> Bool) {
            let lookahead = 80
            let capacity = blockSize + lookahead
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            defer { buffer.deallocate() }
            // A line starts at `start` only at the top of the file; else after the first newline
            // at or after `start - 1`.
            var base = max(0, start - 1), filled = 0, position = 0
            var atLineStart = start == 0, eof = false, checked = false
            while true {
                if !eof, filled - position < lookahead {
                    let keep = filled - position
                    if keep > 0 { memmove(buffer, buffer + position, keep) }
                    base += position
                    position = 0
                    filled = keep
                    let n = pread(fd, buffer + filled, capacity - filled, off_t(base + filled))
                    if n < 0 { return }
                    if n == 0 { eof = true }
                    onRead(UnsafeBufferPointer(start: buffer + filled, count: n), base + filled)
                    filled += n
                    if !checked, base == 0, filled >= 2 {
                        checked = true
                        if buffer[0] == 0 || buffer[1] == 0 || buffer[0] == 0xFE || buffer[0] == 0xFF { return }
                    }
                }
                if position >= filled { return }
                if atLineStart {
                    guard body(base + position, UnsafeBufferPointer(start: buffer + position, count: min(lookahead, filled - position)))
                    else { return }
                    atLineStart = false
                }
                if let newline = memchr(buffer + position, Int32(UInt8(ascii: "\n")), filled - position) {
                    position = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                    atLineStart = true
                } else {
                    position = filled
                }
            }
        }

        /// The offset of the first line `<indent spaces>- ` at or after `target` and before `limit`.
        private static func itemLine(fd: Int32, at target: Int, indent: Int, before limit: Int) -> Int? {
            var found: Int?
            forEachLine(fd: fd, from: target) { offset, line in
                guard offset < limit else { return false }
                if line.count >= indent + 2, line[indent] == UInt8(ascii: "-"), line[indent + 1] == UInt8(ascii: " "),
                   line[..<indent].allSatisfy({ $0 == UInt8(ascii: " ") }) {
                    found = offset
                    return false
                }
                return true
            }
            return found
        }

        /// UTF-8 characters (bytes that do not continue a sequence) before any offset, from counts
        /// taken as the file was read, so no offset needs a second pass over the bytes before it.
        struct CharacterCounts {
            /// (offset where a read started, characters before it), in file order.
            private var reads: [(offset: Int, before: Int)] = []
            private var total = 0

            mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) {
                // libyaml skips a UTF-8 byte order mark without counting it.
                if offset == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { total -= 1 }
                reads.append((offset, total))
                total += Self.characters(in: bytes)
            }

            /// Characters before `offset`: whole reads counted, the rest read again.
            func count(fd: Int32, before offset: Int) -> Int? {
                guard let read = reads.last(where: { $0.offset <= offset }) else { return nil }
                let length = offset - read.offset
                if length == 0 { return read.before }
                let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
                defer { buffer.deallocate() }
                guard pread(fd, buffer, length, off_t(read.offset)) == length else { return nil }
                return read.before + Self.characters(in: UnsafeBufferPointer(start: buffer, count: length))
            }

            static func characters(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
                var continuation = 0
                for byte in bytes where byte & 0xC0 == 0x80 { continuation += 1 }
                return bytes.count - continuation
            }
        }
    }
}

/// The main parser's input: the file with the chosen stretch left out. Reads below `earliest`
/// never wait; a read at or past it waits for the plan.
final class ViewInput: ChunkSource {
    let input: FileInput
    let shared: SplitParse.Shared
    let earliest: Int
    private(set) var planKnown = false
    private var skipFrom = Int.max, skipTo = Int.max
    private var countedStretch = false
    /// Offset in the view (the file without the stretch).
    private var position = 0
    /// Bytes of the file accounted for, against its size limit (the stretch included).
    private var bytesRead = 0

    init(input: FileInput, shared: SplitParse.Shared, earliest: Int) {
        self.input = input
        self.shared = shared
        self.earliest = earliest
    }

    /// Fills `buffer` with up to `size` bytes; 0 at the end, -1 on an error or past the size
    /// limit (the split is then abandoned and the ordinary parse says which).
    func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int) -> Int {
        var size = size
        if !planKnown {
            if position < earliest {
                size = min(size, earliest - position)
            } else {
                shared.planReady.wait()
                planKnown = true
                if let plan = shared.plan {
                    skipFrom = plan.cuts.first!
                    skipTo = plan.cuts.last!
                }
            }
        }
        var offset = position
        if position < skipFrom {
            size = min(size, skipFrom - position)
        } else {
            offset = position - skipFrom + skipTo
            if !countedStretch {
                // The stretch is read by the regions: count it against the size limit here.
                countedStretch = true
                bytesRead += skipTo - skipFrom
            }
        }
        while true {
            let n = pread(input.fd, buffer, size, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                return -1
            }
            position += n
            bytesRead += n
            return bytesRead > input.limit ? -1 : n
        }
    }
}

/// A region's input: `[start, end)` of the file.
final class RegionInput: ChunkSource {
    let fd: Int32
    let end: Int
    private var position: Int
    /// Whether every byte up to `end` was read.
    var complete: Bool { position == end }

    init(fd: Int32, start: Int, end: Int) {
        self.fd = fd
        self.position = start
        self.end = end
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int) -> Int {
        let size = min(size, end - position)
        if size == 0 { return 0 }
        while true {
            let n = pread(fd, buffer, size, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                return -1
            }
            position += n
            return n
        }
    }
}

/// Hands a buffer to `concurrentPerform`, whose iterations each write their own element.
private struct UncheckedBox<Value>: @unchecked Sendable {  // Unchecked: disjoint writes, joined before use.
    let value: Value
    init(_ value: Value) { self.value = value }
}
