@testable import SyncCore
import Testing
import TestSupport

/// `Parallel.sort` (a first plan sorts a million import positions by address on every core) must
/// give exactly what one `sort` gives, for every way the input can be cut into chunks.
@Suite struct ParallelSortTests {
    @Test("sorted in parallel chunks, merged pairwise: the same order as one sort",
          arguments: [0, 1, 2, 7, 100, 1_001, 4_096, 25_037])
    func sameAsSort(count: Int) {
        var random = SeededRandom(seed: UInt64(count) &+ 17)
        // Keys with many repeats in the high bits, so comparisons fall through to the tie-break.
        let keys = (0..<count).map { _ in (Int.random(in: 0..<50, using: &random), Int.random(in: 0..<1_000_000, using: &random)) }
        let less: (Int, Int) -> Bool = { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        for minChunk in [1, 3, 64, 1_000, 100_000] {
            var positions = Array((0..<count).shuffled(using: &random))
            let expected = positions.sorted(by: less)
            Parallel.sort(&positions, minChunk: minChunk, by: less)
            #expect(positions == expected, "count \(count), minChunk \(minChunk)")
        }
    }

    @Test("a first plan of imports comes out in address order whatever the manifest's order")
    func firstPlanOrder() throws {
        var random = SeededRandom(seed: 2026)
        var yaml = "version: 1\ndrs:\n"
        for index in (0..<3_000).shuffled(using: &random) {
            let project = "rfranklin/p\(Int.random(in: 0..<3, using: &random))"
            yaml += "  - {uri: \"drs://example.org/\(index)\", project: \(project), folder: d\(index % 7), name: f\(index)}\n"
        }
        let desired = try state(yaml)
        let plan = StreamingDiff(desired: desired).finish()
        for project in plan.projects {
            #expect(project.changes.map(\.address) == project.changes.map(\.address).sorted())
            #expect(project.changes.allSatisfy { $0.action == .import && $0.reasons == [.notInState] })
        }
        #expect(plan.projects.count == 3)
        #expect(plan.projects.map(\.changes.count).reduce(0, +) == 3_000)
        #expect(plan == Diff.compute(desired: desired.files, recorded: []))
    }
}
