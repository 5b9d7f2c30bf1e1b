@testable import SyncCore
import Testing
import TestSupport

/// The desired state's address index against a plain dictionary keyed by `Address` (Swift's
/// string equality: Unicode canonical equivalence), for lookups by address and by UTF-8 bytes.
@Suite("address index: open addressing by UTF-8 bytes, equal to the dictionary's answers")
struct AddressIndexTests {
    /// Spellings that are one address to Swift and other bytes on disk, plus plain ASCII.
    static let segments = ["a", "raw", "caf\u{E9}", "cafe\u{301}", "K", "\u{212A}", ";x", "\u{37E}x", "r\u{E9}sum\u{E9}.bam",
                           "re\u{301}sume\u{301}.bam", "longer-segment-name-over-sixteen-bytes", "s1_R1.fastq.gz", "\u{1F600}"]

    static func address(_ random: inout SeededRandom) -> Address {
        let project = ["alice/p1", "alice/p2", "bob/caf\u{E9}"][Int(random.next() % 3)]
        let depth = 1 + Int(random.next() % 3)
        let path = (0..<depth).map { _ in segments[Int(random.next() % UInt64(segments.count))] }.joined(separator: "/")
        return Address(project: project, path: path)
    }

    @Test("lookups by address and by bytes find what a dictionary finds", arguments: [UInt64(1), 2, 3])
    func agreesWithADictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var files: [DesiredFile] = []
        var reference: [Address: Int] = [:]
        for _ in 0..<3_000 {
            let address = Self.address(&random)
            guard reference[address] == nil else { continue }  // the state keeps one file per address
            reference[address] = files.count
            files.append(DesiredFile(address: address, source: .drs(uri: "drs://x/\(files.count)"), metadata: Metadata(),
                                     tags: [], policy: .skip, mark: nil))
        }
        let state = DesiredState(files: files)
        for _ in 0..<3_000 {
            let probe = Self.address(&random)
            let expected = reference[probe]
            #expect(state.position(of: probe) == expected, "\(probe)")
            let byBytes = Array(probe.project.utf8).withUnsafeBufferPointer { project in
                Array(probe.path.utf8).withUnsafeBufferPointer { path in state.position(project: project, path: path) }
            }
            #expect(byBytes == expected, "\(probe) by bytes")
        }
        #expect(state.position(of: Address(project: "nobody/p", path: "a")) == nil)
    }

    @Test("a shard grows past its first size and keeps every position")
    func growth() {
        var index = AddressIndex()
        let addresses = (0..<10_000).map { Address(project: "p/q", path: "f\($0)") }
        for (position, address) in addresses.enumerated() {
            #expect(index.insert(AddressHash.of(address), at: position) { addresses[$0] == address } == nil)
        }
        // A second insert of the same address answers the first position.
        #expect(index.insert(AddressHash.of(addresses[42]), at: 99_999) { addresses[$0] == addresses[42] } == 42)
        for (position, address) in addresses.enumerated() {
            #expect(index.find(AddressHash.of(address)) { addresses[$0] == address } == position)
        }
        let shifted = index.mapPositions { $0 + 1 }
        #expect(shifted.find(AddressHash.of(addresses[7])) { $0 == 8 } == 8)
    }

    @Test("duplicates across spellings are found by expansion, naming the first entry")
    func expansionFindsCanonicalDuplicates() throws {
        let yaml = """
            version: 1
            project: alice/p1
            drs:
              - {uri: "drs://x/1", name: "caf\u{E9}.bam"}
              - {uri: "drs://x/2", name: "cafe\u{301}.bam"}
            """
        let expansion = try decode(yaml).manifest.expand()
        #expect(expansion.state.count == 1)
        #expect(expansion.diagnostics.map(\.description)
            == ["test.yaml:5:5: error: two entries land on 'alice/p1:cafe\u{301}.bam'; the other one is at line 4"])
    }
}

/// The byte classes of the DRS URI and folder checks hold exactly the bytes their rules name.
@Suite struct ByteSetTests {
    @Test func classesMatchTheirRules() {
        let sets: [(ManifestValidation.ByteSet, (UInt8) -> Bool)] = [
            (.drsID, { ManifestValidation.isUnreserved($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }),
            (.accession, { ManifestValidation.isUnreserved($0) || [UInt8(ascii: "%"), UInt8(ascii: ":"), UInt8(ascii: "/")].contains($0) }),
            (.folder, ManifestValidation.isFolderByte),
        ]
        var rng = SeededRandom(seed: 99)
        for (set, rule) in sets {
            for byte in UInt8.min...UInt8.max { #expect(set.contains(byte) == rule(byte), "byte \(byte)") }
            for _ in 0..<500 {
                let bytes = (0..<Int(rng.next() % 40)).map { _ in rng.next() % 5 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(ascii: "a") }
                bytes.withUnsafeBufferPointer { #expect(set.containsAll($0[...]) == $0.allSatisfy(rule)) }
            }
        }
    }
}

/// The chunked CSV scan itself (the public scan falls back to one pass whenever it fails, so
/// comparing the two results alone cannot show that chunks are ever used).
@Suite struct TableChunkTests {
    @Test func chunksSplitAtLineStartsAndEachReadsOnlyItsOwnRecords() {
        let header = "a,b\n"
        let text = header + (0..<500).map { "r\($0),\"v \($0)\"\n" }.joined()
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            let parts = TableReader.chunked(bytes.baseAddress!, end: bytes.count, from: header.utf8.count, count: 4,
                                            delimiter: UInt8(ascii: ","), limits: .standard, columns: 2)
            guard let found = parts else { Issue.record("the chunked scan gave up on a table without quoted line breaks"); return }
            #expect(found.count == 4)
            #expect(found.map(\.scan.rowCount).reduce(0, +) == 500)
            #expect(found.allSatisfy { $0.scan.rowCount > 100 })
        }
        // A quoted line break across a cut: that chunk's last record runs past it, so no chunks.
        let quoted = header + (0..<200).map { "r\($0),\"line\nbreak\"\n" }.joined()
        Array(quoted.utf8).withUnsafeBufferPointer { bytes in
            #expect(TableReader.chunked(bytes.baseAddress!, end: bytes.count, from: header.utf8.count, count: 4,
                                        delimiter: UInt8(ascii: ","), limits: .standard, columns: 2) == nil)
        }
    }
}
