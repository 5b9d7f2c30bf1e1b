import Dispatch
import Foundation
import SyncYAML
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Input that is not a regular file has no size to check before reading: the read handler
/// counts bytes as libyaml pulls them, so an endless pipe or device stops at the size limit.
@Suite struct EndlessInputTests {
    static var oneMiB: YAMLParseOptions {
        var options = YAMLParseOptions()
        options.limits.maxInputBytes = 1 << 20
        return options
    }

    @Test func aPipeLongerThanTheLimitIsStoppedThere() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        // The writer feeds valid YAML, 4 MiB in all (bounded, so the test always ends), then
        // closes its end; the reader must give up after about 1 MiB.
        let written = DispatchSemaphore(value: 0)
        let writer = Thread {
            let line = Array("- an item of an endless list\n".utf8)
            var chunk: [UInt8] = []
            while chunk.count < 1 << 16 { chunk += line }
            var total = 0
            while total < 4 << 20 {
                let n = chunk.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                total += n
            }
            close(writeEnd)
            written.signal()
        }
        writer.start()
        let error = #expect(throws: YAMLError.self) {
            try YAMLParser.parse(contentsOf: "/dev/fd/\(readEnd)", displayName: "pipe", options: Self.oneMiB)
        }
        #expect(error?.kind == .inputTooLarge)
        #expect(error?.diagnostic.description == "pipe: error: input goes on past the limit of 1.0 MiB (1048576 bytes); a pipe or a device is read only up to the limit")
        // Drain what is left so the writer can finish.
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while buffer.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 {}
        written.wait()
        close(readEnd)
    }

    @Test func theWholePipeWithinTheLimitParses() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let writer = Thread {
            let text = Array((0..<1000).map { "- item \($0)\n" }.joined().utf8)
            _ = text.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
            close(writeEnd)
        }
        writer.start()
        let document = try YAMLParser.parse(contentsOf: "/dev/fd/\(readEnd)", displayName: "pipe", options: Self.oneMiB)
        close(readEnd)
        #expect(document.root.count == 1000)
    }

    @Test func devZeroIsStoppedAtOnce() throws {
        let error = #expect(throws: YAMLError.self) {
            try YAMLParser.parse(contentsOf: "/dev/zero", displayName: "/dev/zero", options: Self.oneMiB)
        }
        #expect(error?.kind == .invalidEncoding)
    }
}
