internal import CYAML
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An open input file, size-checked before reading; libyaml pulls from it through a read
/// handler, so the file is streamed in libyaml's own chunks and never held whole in memory.
final class FileInput: ChunkSource {
    let fd: Int32
    let file: String
    let path: String
    /// The size of a regular file; 0 for a pipe or a device, whose bytes are counted as read.
    let size: Int
    let isRegular: Bool
    let limit: Int
    var bytesRead = 0
    /// Set by the read handler when the file grew past the limit while being read.
    var exceededLimit = false
    var readErrno: Int32 = 0

    init(path: String, file: String, limit: Int) throws(YAMLError) {
        let limit = YAMLLimits.clamp(limit)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw YAMLError(.unreadable, Diagnostic(file: file, mark: nil, message: YAMLMessage.unreadable(errnoText(errno))))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw YAMLError(.unreadable, Diagnostic(file: file, mark: nil, message: YAMLMessage.unreadable(errnoText(code))))
        }
        let isRegular = (info.st_mode & S_IFMT) == S_IFREG
        let isFIFO = (info.st_mode & S_IFMT) == S_IFIFO || (info.st_mode & S_IFMT) == S_IFCHR
        guard isRegular || isFIFO else {
            close(fd)
            throw YAMLError(.unreadable, Diagnostic(file: file, mark: nil, message: YAMLMessage.notARegularFile()))
        }
        if isRegular, Int(info.st_size) > limit {
            close(fd)
            throw YAMLError(.inputTooLarge, Diagnostic(file: file, mark: nil,
                message: YAMLMessage.inputTooLarge(size: Int(info.st_size), limit: limit)))
        }
        self.fd = fd
        self.file = file
        self.path = path
        self.size = isRegular ? Int(info.st_size) : 0
        self.isRegular = isRegular
        self.limit = limit
    }

    deinit { close(fd) }

    /// Reads the next bytes; records why it failed (`readErrno`, `exceededLimit`) for the error.
    func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int) -> Int {
        while true {
            let n = readBytes(fd, buffer, size)
            if n < 0 {
                if errno == EINTR { continue }
                readErrno = errno
                return -1
            }
            bytesRead += n
            if bytesRead > limit {
                exceededLimit = true
                return -1
            }
            return n
        }
    }
}

extension YAMLLimits {
    static func clamp(_ limit: Int) -> Int { Swift.min(limit, Int(UInt32.max)) }
}

/// `read(2)`, callable where a method of the same name hides it.
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ size: Int) -> Int {
    read(fd, buffer, size)
}

func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code)).lowercased()
}

/// Input a parser pulls in chunks: `read` fills up to `size` bytes, returns 0 at the end, -1 on
/// an error.
protocol ChunkSource: AnyObject {
    func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int) -> Int
}

/// Holds a `ChunkSource` behind the one pointer libyaml passes to the read handler.
final class ChunkSourceBox {
    let source: any ChunkSource
    init(_ source: any ChunkSource) { self.source = source }
}

/// Owns a libyaml parser and its current event; both are freed in `deinit`.
final class EventReader {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let event: UnsafeMutablePointer<yaml_event_t>
    private var hasEvent = false
    private let fileInput: FileInput?
    private let bytes: [UInt8]
    /// The input object a read handler points at, kept alive as long as the parser.
    private let source: AnyObject?
    /// What the input's size suggests (for reserving capacity); 0 when unknown.
    let inputSize: Int

    convenience init(file input: FileInput) {
        self.init(source: input, inputSize: input.size, fileInput: input)
    }

    /// Reads from `source` (a split parse's view or region, see `SplitParse`).
    convenience init(source: some ChunkSource, inputSize: Int) {
        self.init(source: source, inputSize: inputSize, fileInput: nil)
    }

    /// `fileInput`: the source again when it is a file, for the errors `failure` words.
    private init(source: some ChunkSource, inputSize: Int, fileInput: FileInput?) {
        parser = .allocate(capacity: 1)
        event = .allocate(capacity: 1)
        self.fileInput = fileInput
        bytes = []
        self.inputSize = inputSize
        let box = ChunkSourceBox(source)
        self.source = box
        guard yaml_parser_initialize(parser) == 1 else { fatalError("libyaml could not allocate a parser") }
        yaml_parser_set_input(parser, { data, buffer, size, sizeRead in
            let n = Unmanaged<ChunkSourceBox>.fromOpaque(data!).takeUnretainedValue().source.read(into: buffer!, size: size)
            guard n >= 0 else { return 0 }
            sizeRead!.pointee = n
            return 1
        }, Unmanaged.passUnretained(box).toOpaque())
    }

    init(bytes: [UInt8]) {
        parser = .allocate(capacity: 1)
        event = .allocate(capacity: 1)
        source = nil
        fileInput = nil
        self.bytes = bytes
        inputSize = bytes.count
        guard yaml_parser_initialize(parser) == 1 else { fatalError("libyaml could not allocate a parser") }
        // `self.bytes` is immutable and outlives the parser, so its storage stays put.
        self.bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
        }
    }

    deinit {
        if hasEvent { yaml_event_delete(event) }
        yaml_parser_delete(parser)
        parser.deallocate()
        event.deallocate()
    }

    /// Replaces `event` with the next one.
    @inline(__always)
    func next(file: String) throws(YAMLError) {
        if hasEvent {
            yaml_event_delete(event)
            hasEvent = false
        }
        guard yaml_parser_parse(parser, event) == 1 else { throw failure(file: file) }
        hasEvent = true
    }

    private func failure(file: String) -> YAMLError {
        if let fileInput {
            if fileInput.exceededLimit {
                return YAMLError(.inputTooLarge, Diagnostic(file: file, mark: nil, message: fileInput.isRegular
                    ? YAMLMessage.inputTooLarge(size: fileInput.bytesRead, limit: fileInput.limit)
                    : YAMLMessage.streamTooLarge(limit: fileInput.limit)))
            }
            if fileInput.readErrno != 0 {
                return YAMLError(.unreadable, Diagnostic(file: file, mark: nil,
                    message: YAMLMessage.unreadable(errnoText(fileInput.readErrno))))
            }
        }
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "unknown problem"
        switch p.error {
        case YAML_MEMORY_ERROR:
            return YAMLError(.syntax, Diagnostic(file: file, mark: nil, message: YAMLMessage.outOfMemory()))
        case YAML_READER_ERROR:
            let mark = markOfByte(p.problem_offset)
            return YAMLError(.invalidEncoding, Diagnostic(file: file, mark: mark,
                message: YAMLMessage.invalidEncoding(problem, value: p.problem_value)))
        default:
            var note: String?
            if let context = p.context {
                note = YAMLMessage.syntaxContext(String(cString: context), at: p.context_mark.sourceMark)
            }
            return YAMLError(.syntax, Diagnostic(file: file, mark: p.problem_mark.sourceMark,
                message: YAMLMessage.syntax(problem), note: note))
        }
    }

    /// Line and column (in characters) of a byte offset, for reader errors, which libyaml
    /// reports as an offset only. Reads the input again; only used on that error path.
    private func markOfByte(_ offset: Int) -> SourceMark {
        var line = 1, column = 1
        func scan(_ chunk: UnsafeBufferPointer<UInt8>) {
            for byte in chunk {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
        }
        if let fileInput {
            let fd = open(fileInput.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return SourceMark(line: line, column: column) }
            defer { close(fd) }
            var remaining = offset
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while remaining > 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, Swift.min($0.count, remaining)) }
                if n <= 0 { break }
                buffer.withUnsafeBufferPointer { scan(UnsafeBufferPointer(rebasing: $0[0..<n])) }
                remaining -= n
            }
        } else {
            bytes.withUnsafeBufferPointer { scan(UnsafeBufferPointer(rebasing: $0[0..<Swift.min(offset, $0.count)])) }
        }
        return SourceMark(line: line, column: column)
    }
}
