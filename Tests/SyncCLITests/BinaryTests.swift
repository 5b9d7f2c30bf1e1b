import Foundation
import Testing

/// The built `sbsync` binary, run as a subprocess from the repository root.
@Suite struct BinaryTests {
    @Test func validExampleExits0() throws {
        let result = try run(try sbsyncBinary(), ["validate", "-f", "manifests/examples/small.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout == "manifests/examples/small.yaml: valid: 3 files (2 volume, 1 DRS) in 1 project, no volume prefixes\n")
        #expect(result.stderr.isEmpty)
    }

    @Test(arguments: manifests(in: "manifests/invalid"))
    func invalidManifestExits1WithTheExpectedText(_ path: String) throws {
        let result = try run(try sbsyncBinary(), ["validate", "--manifest", path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let expected = try String(contentsOf: repositoryRoot.appendingPathComponent(String(path.dropLast(5)) + ".expected"), encoding: .utf8)
        #expect(result.stderr == expected)
    }

    @Test func versionHelpAndUsage() throws {
        let binary = try sbsyncBinary()
        let version = try run(binary, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
        let help = try run(binary, ["validate", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("-f, --manifest <path>"))
        let usage = try run(binary, ["validate", "--no-such-flag"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--no-such-flag"))
        let completion = try run(binary, ["--generate-completion-script", "bash"])
        #expect(completion.status == 0)
        #expect(completion.stdout.contains("validate"))
    }

    @Test func defaultManifestName() throws {
        let result = try run(try sbsyncBinary(), ["validate"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("sbsync.yaml: error: "))
    }

    @Test func colourFollowsTheFlag() throws {
        let binary = try sbsyncBinary()
        let plain = try run(binary, ["validate", "-f", "manifests/invalid/bad-tags.yaml"])
        #expect(!plain.stderr.contains("\u{1B}["))
        let coloured = try run(binary, ["validate", "-f", "manifests/invalid/bad-tags.yaml", "--color", "always"])
        #expect(coloured.stderr.contains("\u{1B}[1;31merror:"))
    }
}
