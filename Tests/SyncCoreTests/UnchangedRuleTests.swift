import Foundation
@testable import SyncCore
import Testing
import TestSupport

/// The one rule for "is this recorded file unchanged?": the fast path on stored spec digests
/// must never give another answer than the field-by-field comparison (its slow twin), over
/// generated pairs that spell equal values with other bytes and values that differ subtly.
@Suite("unchanged: the digest fast path against the field-by-field diff")
struct UnchangedRuleTests {
    static let nfc = "caf\u{E9}"          // é as one scalar
    static let nfd = "cafe\u{301}"        // e + combining acute: canonically equal, other bytes

    static func value(_ random: inout SeededRandom) -> MetadataValue {
        switch random.next() % 9 {
        case 0: .string(nfc)
        case 1: .string("s\(random.next() % 5)")
        case 2: .int(Int(Int64.max))
        case 3: .int(Int(Int64.min))
        case 4: .int(Int(random.next() % 3))
        case 5: .float(0.0)
        case 6: .float(Double(random.next() % 3) + 0.5)
        case 7: .bool(random.next() % 2 == 0)
        default: .null
        }
    }

    static func desired(_ random: inout SeededRandom, index: Int) -> DesiredFile {
        var metadata = Metadata()
        for k in 0..<Int(random.next() % 4) { metadata["k\(k)"] = value(&random) }
        if random.next() % 4 == 0 { metadata[nfc] = .string("key") }
        let tags = ["a", "b", "c", nfc].filter { _ in random.next() % 2 == 0 }
        let source: FileSource = random.next() % 2 == 0
            ? .volume(volume: "o/vol", location: "dir/\(random.next() % 2 == 0 ? nfc : "plain")-\(index)")
            : .drs(uri: "drs://host/\(index)")
        return DesiredFile(address: Address(project: "o/p", path: "f\(index)"), source: source, metadata: metadata,
                           tags: tags, policy: .skip, mark: nil)
    }

    /// A record of `file` changed in one generated way: some change the value, others only its bytes.
    static func recorded(from file: DesiredFile, _ random: inout SeededRandom) -> RecordedFile {
        var metadata = file.metadata, tags = file.tags, source = file.source
        switch random.next() % 12 {
        case 0: break                                                     // the same bytes
        case 1: tags = tags.reversed() + tags.prefix(1)                   // order and repeats: same set
        case 2:                                                           // NFD spelling of NFC strings
            metadata = Metadata(metadata.map { entry in
                (entry.key == nfc ? nfd : entry.key, entry.value == .string(nfc) ? .string(nfd) : entry.value)
            })
            tags = tags.map { $0 == nfc ? nfd : $0 }
        case 3: metadata = Metadata(metadata.map { ($0.key, $0.value == .float(0.0) ? .float(-0.0) : $0.value) })
        case 4: metadata = Metadata(metadata.map { ($0.key, $0.value == .int(1) ? .float(1.0) : $0.value) })  // int ≠ float
        case 5: metadata["extra"] = .string("x")
        case 6: if let first = metadata.first { metadata[first.key] = nil }
        case 7: if let first = metadata.first { metadata[first.key] = .string("changed") }
        case 8: tags.append("new")
        case 9:
            if case .volume(let volume, let location) = source {
                source = .volume(volume: volume, location: location.replacingOccurrences(of: nfc, with: nfd))
            }
        case 10: source = .drs(uri: "drs://host/other")
        default: metadata["k0"] = .string("s\(random.next() % 5)")
        }
        return RecordedFile(address: file.address, source: source, metadata: metadata, tags: tags,
                            specDigest: SpecDigest.compute(source: source, metadata: metadata, tags: tags),
                            fileID: "id", actualName: file.address.name, jobID: nil, createdAt: 1, updatedAt: 1)
    }

    /// `body` with `source` as a state row stores it.
    static func withStoredSource<R>(_ source: FileSource, _ body: (Diff.StoredSource) -> R) -> R {
        switch source {
        case .volume(let volume, let location):
            Array("volume".utf8).withUnsafeBufferPointer { kind in
                Array(volume.utf8).withUnsafeBufferPointer { volume in
                    Array(location.utf8).withUnsafeBufferPointer { location in body((kind, volume, location)) }
                }
            }
        case .drs(let uri):
            Array("drs".utf8).withUnsafeBufferPointer { kind in
                Array(uri.utf8).withUnsafeBufferPointer { uri in body((kind, uri, nil)) }
            }
        }
    }

    @Test("over 20,000 generated pairs the fast path agrees with the fields", arguments: [UInt64(1), 2, 3])
    func fastPathAgrees(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var scratch: [UInt8] = []
        var fast = 0, equalButOtherBytes = 0, changed = 0
        for index in 0..<20_000 {
            let wanted = Self.desired(&random, index: index)
            let record = Self.recorded(from: wanted, &random)
            let fields = Diff.sameFields(desired: wanted, recorded: record)
            let digestSays = Array(record.specDigest.utf8).withUnsafeBufferPointer { stored in
                Self.withStoredSource(record.source) { source in
                    Diff.digestShowsUnchanged(desired: wanted, storedDigest: stored, storedSource: source, scratch: &scratch)
                }
            }
            // Sound: the fast path never calls a changed file unchanged.
            if digestSays { #expect(fields, "seed \(seed), pair \(index): digest equal but fields differ") }
            // The rule's answer is the fields' answer, with or without the digest.
            #expect(Diff.isUnchanged(desired: wanted, recorded: record) == fields)
            var light = record
            light.specDigest = ""
            #expect(Diff.isUnchanged(desired: wanted, recorded: light) == fields)
            // `change` agrees: a change exactly when not unchanged.
            #expect((Diff.change(desired: wanted, recorded: record) == nil) == fields)
            if digestSays { fast += 1 } else if fields { equalButOtherBytes += 1 } else { changed += 1 }
        }
        // The generator reaches all three outcomes, so the checks above were exercised.
        #expect(fast > 1000 && equalButOtherBytes > 1000 && changed > 1000, "fast \(fast), other bytes \(equalButOtherBytes), changed \(changed)")
    }

    @Test("the digest is stable: fixed bytes for a fixed spec (a state written by any version compares)")
    func digestIsStable() {
        let digest = SpecDigest.compute(source: .volume(volume: "o/v", location: "a/b.bam"),
                                        metadata: Metadata([("n", .int(1)), ("s", .string("x"))]), tags: ["t"])
        var scratch: [UInt8] = []
        let viaHex = SpecDigest.withHex(source: .volume(volume: "o/v", location: "a/b.bam"),
                                        metadata: Metadata([("n", .int(1)), ("s", .string("x"))]), tags: ["t"],
                                        scratch: &scratch) { String(decoding: $0, as: UTF8.self) }
        #expect(digest == viaHex)
        #expect(digest.count == 64 && digest.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(digest == "\(Self.knownDigest)")
    }

    /// The canonical encoding computed independently (by a Python script following the
    /// `SpecDigest` comment); a change here means every existing state would compare as changed.
    static let knownDigest = "0b08a37f874e4c7d8725d35aa6e668b44744dd3486e48b30d42947ef2a73a5f4"
}
