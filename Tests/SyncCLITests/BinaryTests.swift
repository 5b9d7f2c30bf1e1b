import Foundation
import Testing
import TestSupport

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

/// `sbsync plan` as the built binary.
@Suite struct PlanBinaryTests {
    @Test func firstPlanExitCodes() throws {
        let scratch = TemporaryDirectory()
        let directory = scratch.url
        let state = directory.appendingPathComponent("s.state").path
        let binary = try sbsyncBinary()
        let plain = try run(binary, ["plan", "-f", "manifests/examples/small.yaml", "--state", state])
        #expect(plain.status == 0)
        #expect(plain.stderr.isEmpty)
        #expect(plain.stdout.hasSuffix("\nPlan: 3 to import, 0 to replace, 0 to update, 0 to forget.\n"))
        #expect(!plain.stdout.contains("\u{1B}["))
        let detailed = try run(binary, ["plan", "-f", "manifests/examples/small.yaml", "--state", state, "--detailed-exitcode", "--json"])
        #expect(detailed.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(detailed.stdout.utf8)) as? [String: Any]
        #expect(object?["has_changes"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: state))
        let missing = try run(binary, ["plan", "-f", directory.appendingPathComponent("none.yaml").path, "--detailed-exitcode"])
        #expect(missing.status == 1)
        let usage = try run(binary, ["plan", "--bogus"])
        #expect(usage.status == 64)
        let help = try run(binary, ["plan", "--help"])
        #expect(help.stdout.contains("--detailed-exitcode"))
    }
}
