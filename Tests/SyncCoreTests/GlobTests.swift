import SyncCore
import Testing

@Suite struct GlobTests {
    @Test(arguments: [
        ("*.fastq.gz", "s1.fastq.gz", true),
        ("*.fastq.gz", "lane1/s1.fastq.gz", false),
        ("**/*.fastq.gz", "lane1/s1.fastq.gz", true),
        ("**/*.fastq.gz", "s1.fastq.gz", true),
        ("**/*.fastq.gz", "a/b/c/s1.fastq.gz", true),
        ("**", "a/b/c", true),
        ("a/**", "a/b/c", true),
        ("a/**", "b/c", false),
        ("s?.bam", "s1.bam", true),
        ("s?.bam", "s12.bam", false),
        ("s?.bam", "s/.bam", false),
        ("lane[12]/*.bam", "lane2/x.bam", true),
        ("lane[12]/*.bam", "lane3/x.bam", false),
        ("[a-c]*", "b.txt", true),
        ("[!a-c]*", "b.txt", false),
        ("[^a-c]*", "d.txt", true),
        ("[]]x", "]x", true),
        ("*", "", true),
        ("*.bam", ".bam", true),
        ("é*.txt", "été.txt", true),
        ("exact.txt", "exact.txt", true),
        ("exact.txt", "exact.txt.gz", false),
    ])
    func matching(_ pattern: String, _ path: String, _ expected: Bool) throws {
        let glob = try Glob(pattern)
        #expect(glob.matches(path) == expected)
    }

    @Test func syntaxErrors() {
        #expect(throws: Glob.SyntaxError.empty) { try Glob("") }
        #expect(throws: Glob.SyntaxError.unclosedBracket) { try Glob("[ab.bam") }
        #expect(throws: Glob.SyntaxError.unclosedBracket) { try Glob("[!]") }
    }

    @Test func prefixIncludesUsesThePartAfterThePrefix() throws {
        let prefix = Manifest.VolumePrefix(prefix: "fastq/", include: [try Glob("*.gz")], mark: .init(line: 1, column: 1))
        #expect(prefix.includes(location: "fastq/a.gz"))
        #expect(!prefix.includes(location: "fastq/sub/a.gz"))
        #expect(!prefix.includes(location: "bam/a.gz"))
        let all = Manifest.VolumePrefix(prefix: "", mark: .init(line: 1, column: 1))
        #expect(all.includes(location: "any/thing"))
    }
}
