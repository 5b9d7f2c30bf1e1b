import Foundation
@testable import SyncCore
import Testing

/// `SavedPlan.decode` reads with its own JSON reader (`JSONPull`); these hold it to what
/// Foundation's `JSONDecoder` makes of the same bytes, on generated plans and on damaged copies.
@Suite("Saved plan reading")
struct SavedPlanReadingTests {
    static let manifest = SavedPlan.ManifestRef(path: "m.yaml", sha256: SavedPlan.sha256(of: Array("version: 1\n".utf8)))

    /// What `JSONDecoder` reads, with the version rule `decode` applies; `nil` when refused.
    static func oracle(_ data: Data) -> SavedPlan? {
        guard let plan = try? JSONDecoder().decode(SavedPlan.self, from: data),
              plan.formatVersion == SavedPlan.currentFormatVersion else { return nil }
        return plan
    }

    /// Text that needs every kind of escape: quotes, backslashes, control characters, non-ASCII
    /// (two-, three- and four-byte UTF-8), a slash, DEL and U+2028.
    static func text(_ rng: inout SeededGenerator) -> String {
        let pieces = ["a", "Z", "0", "é", "日本", "😀", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}", "/", " ", "\u{7F}", "\u{2028}", "-", ":"]
        return (0..<Int.random(in: 1...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func metadata(_ rng: inout SeededGenerator) -> [(String, MetadataValue)] {
        (0..<Int.random(in: 0...4, using: &rng)).map { i in
            let value: MetadataValue = switch Int.random(in: 0...5, using: &rng) {
            case 0: .string(text(&rng))
            case 1: .int(Int.random(in: Int.min...Int.max, using: &rng))
            case 2: .float([0.5, -0.0, 1e300, Double.leastNonzeroMagnitude, 1.0, -123.25, Double.random(in: -1e9...1e9, using: &rng)].randomElement(using: &rng)!)
            case 3: .bool(Bool.random(using: &rng))
            case 4: .null
            default: .string(String(Int.random(in: 0...99, using: &rng)))  // looks like a number, is a string
            }
            return ("k\(i)" + text(&rng), value)
        }
    }

    /// A plan with imports, updates, replaces and forgets over both kinds of source.
    static func plan(seed: UInt64) -> SavedPlan {
        var rng = SeededGenerator(state: seed)
        var desired: [DesiredFile] = [], recorded: [RecordedFile] = []
        for i in 0..<Int.random(in: 1...12, using: &rng) {
            let source: FileSource = Bool.random(using: &rng)
                ? .volume(volume: "lab/vol", location: "runs/\(text(&rng))/\(i).bam") : .drs(uri: "drs://host.example/\(i)-\(text(&rng))")
            let path = "raw/\(i)/\(text(&rng)).fq"
            let file = Fixture.desired(path, source: source, metadata: metadata(&rng), tags: (0..<Int.random(in: 0...2, using: &rng)).map { _ in text(&rng) },
                                       policy: ConflictPolicy.allCases.randomElement(using: &rng)!,
                                       line: Bool.random(using: &rng) ? Int.random(in: 1...100_000, using: &rng) : nil)
            switch Int.random(in: 0...3, using: &rng) {
            case 0: desired.append(file)  // import
            case 1:  // update
                desired.append(file)
                recorded.append(Fixture.recorded(path, source: source, metadata: metadata(&rng)))
            case 2:  // replace
                desired.append(file)
                recorded.append(Fixture.recorded(path, source: .drs(uri: "drs://other.example/\(i)")))
            default: recorded.append(Fixture.recorded(path, source: source, metadata: metadata(&rng)))  // forget
            }
        }
        let state = SavedPlan.StateRef(path: "s-\(text(&rng))", lineage: Bool.random(using: &rng) ? "L-\(seed)" : nil,
                                       serial: Int64.random(in: 0...Int64.max, using: &rng))
        var manifest = manifest
        if Bool.random(using: &rng) { manifest.sources = [.init(path: "t-\(text(&rng)).csv", sha256: "ab")] }
        return SavedPlan(plan: Diff.compute(desired: desired, recorded: recorded), manifest: manifest, state: state)
    }

    @Test("generated plans read back as written, and as JSONDecoder reads them", arguments: 1...60)
    func generated(seed: Int) throws {
        let saved = Self.plan(seed: UInt64(seed))
        let data = try saved.encoded()
        let read = try SavedPlan.decode(data)
        #expect(read == saved)
        #expect(Self.oracle(data) == read)
        #expect(try read.plan() == saved.plan())
    }

    @Test("damaged copies: refused exactly when JSONDecoder refuses them, read the same when it reads them")
    func damaged() throws {
        let base = Array(try SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest,
                                       state: .init(path: "s", lineage: "L", serial: 7)).encoded())
        var rng = SeededGenerator(state: 2026)
        let alphabet = Array("{}[]\",:\\ 0123456789.eE-+tfnulx\n\t".utf8) + [0x00, 0x0C, 0x80, 0xC3, 0xFF]
        var refused = 0, read = 0
        for _ in 0..<3000 {
            var bytes = base, edits: [Int] = []
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                edits.append(at)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: bytes[at] = alphabet.randomElement(using: &rng)!
                }
            }
            let data = Data(bytes)
            let fast = try? SavedPlan.decode(data)
            let agree = fast == Self.oracle(data)  // a Bool, so a failure does not print two whole plans
            #expect(agree, "edited at bytes \(edits): \(String(decoding: bytes[max(0, edits[0] - 40)..<min(bytes.count, edits[0] + 40)], as: UTF8.self))")
            if fast == nil { refused += 1 } else { read += 1 }
        }
        // Both outcomes were exercised, many times each.
        #expect(refused > 1000 && read > 300, "refused \(refused), read \(read)")
    }

    @Test("a damaged plan is refused with the line and column where it stops making sense")
    func whereDamaged() throws {
        let text = String(decoding: try SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest,
                                                  state: .init(path: "s", lineage: nil, serial: 0)).encoded(), as: UTF8.self)
        // Cut off inside an address, as a full disk leaves a file.
        let marker = text.range(of: "\"address\": \"")!
        let cut = String(text[..<marker.upperBound]) + "rfranklin"
        let lines = cut.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(throws: SavedPlanError.invalid("line \(lines.count), column \(lines.last!.utf8.count + 1): not JSON: the input ends inside a string")) {
            try SavedPlan.decode(Data(cut.utf8))
        }
        #expect(throws: SavedPlanError.invalid("line 3, column 16: 'fetch' is not an action")) {
            try SavedPlan.decode(Data(("{\"format_version\": 1,\n  \"actions\": [\n    {\"action\": \"fetch\"}]}").utf8))
        }
        #expect(throws: SavedPlanError.invalid("line 1, column 42: not JSON: a number with a leading zero")) {
            try SavedPlan.decode(Data(#"{"format_version": 1, "unchanged": {"p": 01}}"#.utf8))
        }
    }

    @Test("members in another order, unknown members, a byte order mark, 1.0 for 1: read as JSONDecoder reads them")
    func lenient() throws {
        let saved = SavedPlan(plan: SamplePlan.plan, manifest: Self.manifest, state: .init(path: "s", lineage: nil, serial: 3))
        var text = String(decoding: try saved.encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"format_version\": 1,", with: "\"later\": {\"a\": [1, {\"b\": null}, \"\\u00e9\"]},")
        text = text.replacingOccurrences(of: "\"serial\": 3", with: "\"serial\": 3.0")
        text = "\u{FEFF}" + text.dropLast(2) + ",\n  \"format_version\": 1e0,\n}\n"
        let data = Data(text.utf8)
        #expect(Self.oracle(data) == saved)
        #expect(try SavedPlan.decode(data) == saved)
    }

    @Test("members JSONDecoder skips inside a metadata value or a source are skipped; a float below Double's range and two kinds are refused")
    func innerMembers() throws {
        func plan(_ after: String) -> Data {
            Data((#"{"format_version": 1, "manifest": {"path": "m", "sha256": "x"}, "state": {"path": "s", "serial": 0}, "unchanged": {}, "notes": [], "#
                + #""actions": [{"address": "u/p:a.bam", "action": "import", "reason": "not in state", "before": null, "after": "# + after + "}]}").utf8)
        }
        let lenient = plan(#"{"source": {"drs": {"uri": "drs://h/1", "location": 5}, "note": {}}, "metadata": {"k": {"int": 1, "comment": "x"}}, "tags": [], "conflict": "skip"}"#)
        let read = try SavedPlan.decode(lenient)
        #expect(read == Self.oracle(lenient))
        #expect(read.actions.first?.after?.metadata == Metadata([("k", .int(1))]))
        for refused in [#"{"source": {"drs": {"uri": "drs://h/1"}}, "metadata": {"k": {"float": 1e-400}}, "tags": [], "conflict": "skip"}"#,
                        #"{"source": {"drs": {"uri": "drs://h/1"}}, "metadata": {"k": {"int": 1, "string": "1"}}, "tags": [], "conflict": "skip"}"#,
                        #"{"source": {"drs": {"uri": "drs://h/1"}, "volume": {"volume": "v", "location": "l"}}, "metadata": {}, "tags": [], "conflict": "skip"}"#] {
            #expect(throws: SavedPlanError.self, "\(refused)") { try SavedPlan.decode(plan(refused)) }
            #expect(Self.oracle(plan(refused)) == nil, "\(refused)")
        }
    }

    @Test("escapes: \\u with surrogate pairs reads; a lone surrogate, an unknown escape, a raw control character do not")
    func escapes() throws {
        func document(_ note: [UInt8]) -> Data {
            Data(Array(#"{"format_version": 1, "manifest": {"path": "m", "sha256": "x"}, "state": {"path": "s", "serial": 0}, "#.utf8)
                + Array(#""actions": [], "unchanged": {}, "notes": ["#.utf8) + note + Array("]}".utf8))
        }
        #expect(try SavedPlan.decode(document(Array(#""\ud83d\ude00 \u00e9\/\b\f\n\r\t\"\\""#.utf8))).notes
            == ["😀 é/\u{08}\u{0C}\n\r\t\"\\"])
        let bad: [[UInt8]] = [#""\ud83d x""#, #""\ude00""#, #""\x41""#, "\"a\u{01}b\"", #""\u12""#].map { Array($0.utf8) }
            + [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]]  // not UTF-8; an encoded surrogate
        for note in bad {
            #expect(throws: SavedPlanError.self, "\(note)") { try SavedPlan.decode(document(note)) }
            #expect(Self.oracle(document(note)) == nil, "\(note)")
        }
    }
}
