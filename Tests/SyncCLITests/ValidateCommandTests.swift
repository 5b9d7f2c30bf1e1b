import ArgumentParser
import Foundation
@testable import SyncCLI
import SyncCore
import SyncYAML
import Testing
import TestSupport

/// The CLI parsed and run in process.
@Suite struct ValidateCommandTests {
    @Test func defaultsAndFlags() throws {
        let plain = try #require(try SBSync.parseAsRoot(["validate"]) as? Validate)
        #expect(plain.manifest == "sbsync.yaml")
        #expect(plain.output.json == false)
        #expect(plain.output.color == .auto)
        let full = try #require(try SBSync.parseAsRoot(["validate", "-f", "m.yaml", "--json", "--color", "never"]) as? Validate)
        #expect(full.manifest == "m.yaml")
        #expect(full.output.json)
        #expect(full.output.color == .never)
        let long = try #require(try SBSync.parseAsRoot(["validate", "--manifest", "other.yaml"]) as? Validate)
        #expect(long.manifest == "other.yaml")
        // The manifest may be given positionally, to validate and plan (not both ways at once).
        let positional = try #require(try SBSync.parseAsRoot(["validate", "cohort.yaml"]) as? Validate)
        #expect(positional.manifest == "cohort.yaml")
        let plan = try #require(try SBSync.parseAsRoot(["plan", "cohort.yaml", "--offline"]) as? PlanCommand)
        #expect(plan.manifest == "cohort.yaml")
        #expect(try SBSync.parseAsRoot(["validate", "a.yaml", "-f", "a.yaml"]) is Validate)
    }

    @Test func twoManifestsAreAUsageError() {
        for command in ["validate", "plan"] {
            do {
                _ = try SBSync.parseAsRoot([command, "a.yaml", "-f", "b.yaml"])
                Issue.record("\(command) took two manifests")
            } catch {
                #expect(SBSync.exitCode(for: error) == ExitCode(64))
                #expect(SBSync.message(for: error).contains("two manifests given: 'a.yaml' and -f 'b.yaml'"))
            }
        }
    }

    @Test func usageErrorsExit64() {
        for arguments in [["validate", "--bogus"], ["validate", "--color", "sometimes"], ["nope"], ["validate", "-f"]] {
            do {
                _ = try SBSync.parseAsRoot(arguments)
                Issue.record("\(arguments) parsed")
            } catch {
                #expect(SBSync.exitCode(for: error) == ExitCode(64), "\(arguments)")
            }
        }
    }

    @Test func versionAndHelp() {
        #expect(throws: (any Error).self) { try SBSync.parseAsRoot(["--version"]) }
        do {
            _ = try SBSync.parseAsRoot(["--version"])
        } catch {
            #expect(SBSync.message(for: error) == SBSyncVersion.current)
            #expect(SBSync.exitCode(for: error) == .success)
        }
        let help = SBSync.helpMessage(for: Validate.self)
        #expect(help.contains("-f, --manifest <path>"))
        #expect(help.contains("--json"))
        #expect(help.contains("--color <color>"))
        #expect(SBSync.helpMessage().contains("validate"))
    }

    static func execute(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, Captured) {
        let command = try #require(try SBSync.parseAsRoot(["validate"] + arguments) as? Validate)
        let captured = Captured()
        let code = command.execute(io: captured.io, environment: environment)
        return (code, captured)
    }

    @Test func validManifestPrintsOneLineSummary() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/examples/small.yaml").path
        let (code, out) = try Self.execute(["-f", path])
        #expect(code == 0)
        #expect(out.stdout == "\(path): valid: 3 files (2 volume, 1 DRS) in 1 project, no volume prefixes\n")
        #expect(out.stderr.isEmpty)
    }

    @Test("an endless device as the manifest: refused at once, and its source line is not read forever")
    func anEndlessDevice() throws {
        let (code, out) = try Self.execute(["-f", "/dev/zero", "--color", "never"])
        #expect(code == 1)
        #expect(out.stderr.hasPrefix("/dev/zero:1:1: error: input contains a character YAML does not allow"), "\(out.stderr)")
    }

    @Test("a source line shown under a problem is cut at 64 KiB, and the lines after a long one are counted right")
    func longSourceLines() throws {
        let scratch = TemporaryDirectory()
        let path = scratch.file("long.csv")
        let long = String(repeating: "x", count: 200_000)
        try Data("a\n\(long)\nthird\r\n".utf8).write(to: URL(fileURLWithPath: path))
        let marks = [1, 2, 3].map { Diagnostic(.error, file: path, mark: SourceMark(line: $0, column: 1), message: "m") }
        let lines = DiagnosticPrinter.sourceLines(for: marks, path: path)
        #expect(lines[1] == "a" && lines[3] == "third")
        #expect(lines[2] == String(repeating: "x", count: DiagnosticPrinter.maxLineBytes))
        #expect(DiagnosticPrinter.sourceLines(for: marks, path: "/dev/zero").isEmpty)
    }

    @Test func summaryCountsPrefixesAndProjects() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/examples/every-feature.yaml").path
        let (code, out) = try Self.execute(["-f", path])
        #expect(code == 0, "\(out.stderr)")
        #expect(out.stdout == "\(path): valid: 7 files (4 volume, 3 DRS) in 2 projects, 3 volume prefixes not expanded offline\n")
    }

    @Test func jsonNamesTheTablesAndIncludedFilesRead() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/examples/portal-cohort.yaml").path
        let (code, out) = try Self.execute(["-f", path, "--json"])
        #expect(code == 0, "\(out.stderr)")
        let folder = repositoryRoot.appendingPathComponent("manifests/examples/portal-cohort").path
        let document = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let sources = try #require(document["sources"] as? [[String: String]])
        #expect(sources == [["path": "\(folder)/wgs.yaml", "kind": "include"],
                            ["path": "\(folder)/cds-manifest.csv", "kind": "table"],
                            ["path": "\(folder)/gen3-manifest.json", "kind": "table"],
                            ["path": "\(folder)/wgs-objects.tsv", "kind": "table"]], "\(out.stdout.prefix(600))")
        #expect(out.stdout.contains("\"uri\":\"drs://nci-crdc.datacommons.io/dg.4DFC/6b1e8f2a-3c4d-4e5f-9a0b-1c2d3e4f0101\""))
    }

    @Test func invalidManifestPrintsDiagnosticsAndExits1() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/invalid/bad-conflict.yaml").path
        let (code, out) = try Self.execute(["-f", path, "--color", "never"])
        #expect(code == 1)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.hasPrefix("\(path):5:13: error: unknown conflict policy 'overwite'; did you mean 'overwrite'?\n  conflict: overwite\n            ^\n"))
        #expect(out.stderr.hasSuffix("3 errors\n"))
    }

    @Test func colourOnlyWhenAskedOrOnATerminal() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/invalid/bad-conflict.yaml").path
        let (_, always) = try Self.execute(["-f", path, "--color", "always"])
        #expect(always.stderr.contains("\u{1B}[1;31merror:\u{1B}[0m"))
        // In tests stderr is not a terminal, so auto means no colour.
        let (_, auto) = try Self.execute(["-f", path])
        #expect(!auto.stderr.contains("\u{1B}["))
        #expect(ColorMode.auto.enabled(fileDescriptor: 2, environment: ["NO_COLOR": "1"]) == false)
        #expect(ColorMode.never.enabled(fileDescriptor: 2, environment: [:]) == false)
        #expect(ColorMode.always.enabled(fileDescriptor: 2, environment: ["NO_COLOR": "1"]))
    }

    @Test func jsonDesiredState() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/examples/every-feature.yaml").path
        let (code, out) = try Self.execute(["-f", path, "--json"])
        #expect(code == 0)
        #expect(out.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(object["format_version"] as? Int == 1)
        #expect(object["valid"] as? Bool == true)
        #expect(object["summary"] as? [String: Int] == ["files": 7, "volume_files": 4, "drs_files": 3, "projects": 2, "unexpanded_prefixes": 3])
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.count == 7)
        let second = files[1]
        #expect(second["address"] as? String == "rfranklin/my-project:raw/s1/S1_read2.fastq.gz")
        #expect(second["conflict"] as? String == "overwrite")
        #expect(second["tags"] as? [String] == ["ICDC", "raw"])
        let metadata = try #require(second["metadata"] as? [String: Any])
        #expect(metadata["purity"] as? Double == 0.82)
        #expect(metadata["paired"] as? Bool == true)
        #expect(metadata["cohort"] as? Int == 4)
        #expect(metadata["sample_id"] as? String == "S1")
        let source = try #require(second["source"] as? [String: Any])
        #expect(source["kind"] as? String == "volume")
        #expect(source["location"] as? String == "fastq/s1_R2.fastq.gz")
        let prefixes = try #require(object["unexpanded_prefixes"] as? [[String: Any]])
        #expect(prefixes.map { $0["prefix"] as? String } == ["fastq/batch2/", "qc/", ""])
    }

    @Test func jsonDiagnostics() throws {
        let path = repositoryRoot.appendingPathComponent("manifests/invalid/bad-conflict.yaml").path
        let (code, out) = try Self.execute(["-f", path, "--json"])
        #expect(code == 1)
        #expect(out.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 3)
        #expect(diagnostics[0]["line"] as? Int == 5)
        #expect(diagnostics[0]["column"] as? Int == 13)
        #expect(diagnostics[0]["message"] as? String == "unknown conflict policy 'overwite'; did you mean 'overwrite'?")
    }

    @Test func missingFileIsAnInputError() throws {
        let (code, out) = try Self.execute(["-f", "/nonexistent/sbsync.yaml", "--color", "never"])
        #expect(code == 1)
        #expect(out.stderr.hasPrefix("/nonexistent/sbsync.yaml: error: "))
        #expect(out.stderr.hasSuffix("1 error\n"))
    }

    @Test func caretsLineUpWithTabsAndWideCharacters() {
        let printer = DiagnosticPrinter(useColor: false)
        #expect(printer.caretLine(for: "\tab: é", column: 6) == "\t    ^")
        #expect(printer.caretLine(for: "", column: 3) == "  ^")
    }

    @Test func longSourceLinesAreCutToAWindowAroundTheCaret() {
        let printer = DiagnosticPrinter(useColor: false)
        let line = String(repeating: "[", count: 100_000)
        let diagnostic = Diagnostic(file: "deep.yaml", mark: SourceMark(line: 1, column: 257), message: "too deep")
        let lines = printer.render([diagnostic], sourceLines: [1: line]).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[1] == "…" + String(repeating: "[", count: 120) + "…")
        // The caret still points at column 257 of the original line: 60 columns into the window, after the "…".
        #expect(lines[2] == String(repeating: " ", count: 61) + "^")
        // Near the start and the end the window is pinned to the line's edge.
        let start = printer.render([Diagnostic(file: "f", mark: SourceMark(line: 1, column: 3), message: "m")], sourceLines: [1: line])
            .split(separator: "\n")
        #expect(start[1] == String(repeating: "[", count: 120) + "…" && start[2] == "  ^")
        let end = printer.render([Diagnostic(file: "f", mark: SourceMark(line: 1, column: 100_000), message: "m")], sourceLines: [1: line])
            .split(separator: "\n")
        #expect(end[1] == "…" + String(repeating: "[", count: 120) && end[2] == String(repeating: " ", count: 120) + "^")
        // Short lines are printed whole.
        #expect(DiagnosticPrinter.excerpt(of: "a: b", around: 4) == ("a: b", 4))
    }

    @Test func sourceLinesAreReadOnlyForMarks() {
        let lines = DiagnosticPrinter.lines([2, 4], in: Data("one\ntwo\r\nthree\nfour".utf8))
        #expect(lines == [2: "two", 4: "four"])
    }
}

@Suite struct InternalFailureTests {
    struct Boom: Error {}

    @Test func unexpectedErrorsAreReportedAsOurBug() async {
        let captured = Captured()
        do {
            try await InternalFailure.guarding(io: captured.io) { throw Boom() }
            Issue.record("no error")
        } catch {
            #expect(error as? ExitCode == .failure)
        }
        #expect(captured.stderr.hasPrefix("sbsync: internal error: Boom()\nThis is a bug in sbsync, not a problem with your input."))
    }

    @Test func exitCodesPassAndCancellationIs130() async {
        let captured = Captured()
        do {
            try await InternalFailure.guarding(io: captured.io) { throw ExitCode(1) }
        } catch {
            #expect(error as? ExitCode == ExitCode(1))
        }
        do {
            try await InternalFailure.guarding(io: captured.io) { throw CancellationError() }
        } catch {
            #expect(error as? ExitCode == ExitCode(130))
        }
        #expect(captured.stderr.isEmpty)
    }
}
