import Foundation
import SyncCore
import SyncYAML
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Manifests shaped to make the loader quadratic. Each is validated at size n and 10 n; the
/// CPU time of this thread (not wall time: other tests and engineers share the machine) may
/// grow about 12× for O(n log n) work and 100× for quadratic work, so the bound is 40×. The
/// absolute bound only catches a hang: the quadratic versions took minutes at 100,000 keys.
@Suite struct HostileInputTests {
    /// 100,000 metadata keys in reverse order (2.1 MB): took 219.9 s with an insertion sort.
    static func reversedMetadata(_ count: Int) -> String {
        var text = "version: 1\nproject: a/b\ndrs:\n  - uri: drs://h.org/x\n    name: x.bam\n    metadata:\n"
        for i in (0..<count).reversed() { text += "      key\(i): \(i)\n" }
        return text
    }

    /// A `<<` merge of a 100,000-key mapping (defaults' metadata into an entry's): took 37.3 s
    /// with a linear search per merged key.
    static func mergedMetadata(_ count: Int) -> String {
        var text = "version: 1\nproject: a/b\ndefaults:\n  metadata: &big\n"
        for i in 0..<count { text += "    key\(i): \(i)\n" }
        text += "drs:\n  - uri: drs://h.org/x\n    name: x.bam\n    metadata:\n      <<: *big\n      key7: seven\n      extra: 1\n"
        return text
    }

    /// Parses, decodes and expands `text`; returns the file's metadata and this thread's CPU seconds.
    static func validate(_ text: String) throws -> (Metadata, Double) {
        let start = threadCPUSeconds()
        let document = try YAMLParser.parse(text, file: "m.yaml")
        let decoding = ManifestDecoder.decode(document)
        let expansion = decoding.manifest.expand()
        let seconds = threadCPUSeconds() - start
        #expect(decoding.diagnostics.isEmpty && expansion.diagnostics.isEmpty,
                "\((decoding.diagnostics + expansion.diagnostics).prefix(3))")
        let file = try #require(expansion.state.files.first)
        return (file.metadata, seconds)
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The fastest of three runs at n and at 10 n.
    static func growth(_ make: (Int) -> String, small: Int) throws -> (ratio: Double, large: Double) {
        let smallText = make(small), largeText = make(small * 10)
        var a = Double.infinity, b = Double.infinity
        for _ in 0..<3 {
            a = min(a, try validate(smallText).1)
            b = min(b, try validate(largeText).1)
        }
        return (b / max(a, 1e-4), b)
    }

    @Test func reversedMetadataKeysSortInNLogN() throws {
        let (metadata, _) = try Self.validate(Self.reversedMetadata(1_000))
        #expect(metadata.count == 1_000)
        #expect(metadata.entries.map(\.key) == (0..<1_000).map { "key\($0)" }.sorted())
        let (ratio, large) = try Self.growth(Self.reversedMetadata, small: 10_000)
        print("reversed metadata: 100,000 keys in \(large) s CPU, \(ratio)× the time of 10,000")
        #expect(ratio < 40, "10× the keys took \(ratio)× the time: quadratic?")
        #expect(large < 30)
    }

    @Test func mergeOfAHugeMappingIsLinear() throws {
        let (metadata, _) = try Self.validate(Self.mergedMetadata(1_000))
        #expect(metadata.count == 1_001)
        #expect(metadata["key7"] == .string("seven"))
        #expect(metadata["key999"] == .int(999))
        let (ratio, large) = try Self.growth(Self.mergedMetadata, small: 10_000)
        print("merged metadata: 100,000 keys in \(large) s CPU, \(ratio)× the time of 10,000")
        #expect(ratio < 40, "10× the keys took \(ratio)× the time: quadratic?")
        #expect(large < 30)
    }

    @Test func metadataKeepsTheLastValueUnderTheFirstSpelling() {
        // Canonically equivalent keys (é precomposed and not) are one key, in both the small
        // and the large path; the later value wins, the earlier spelling stays.
        for padding in [0, 40] {
            var entries = (0..<padding).map { Metadata.Entry(key: "pad\($0)", value: .int($0)) }
            entries.append(.init(key: "caf\u{E9}", value: .int(1)))
            entries.append(.init(key: "b", value: .int(2)))
            entries.append(.init(key: "cafe\u{301}", value: .int(3)))
            let metadata = Metadata(entries: entries.reversed().reversed())
            #expect(metadata.count == padding + 2)
            let cafe = metadata.entries.first { $0.key == "caf\u{E9}" }
            #expect(cafe?.value == .int(3))
            #expect(cafe.map { Array($0.key.utf8) } == Array("caf\u{E9}".utf8))
            #expect(metadata.entries.map(\.key) == metadata.entries.map(\.key).sorted())
        }
    }

    @Test func mergingKeepsOrderAndLetsTheOtherWin() {
        let base = Metadata((0..<50).map { ("k\($0)", MetadataValue.int($0)) })
        let other = Metadata([("k7", .string("x")), ("a", .null), ("z", .bool(true))])
        let merged = base.merging(other)
        #expect(merged.count == 52)
        #expect(merged["k7"] == .string("x"))
        #expect(merged["k8"] == .int(8))
        #expect(merged.entries.map(\.key) == merged.entries.map(\.key).sorted())
        var bySetter = base
        for entry in other { bySetter[entry.key] = entry.value }
        #expect(merged == bySetter)
    }
}
