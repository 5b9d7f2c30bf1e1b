import ArgumentParser
import Foundation
@testable import SyncCLI
import Testing
import TestSupport

/// The README's examples are run, and its reference parts are checked against the tool, so the
/// two cannot drift apart.
@Suite("README examples and reference", .serialized)
struct ReadmeTests {
    static let readme = (try? String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// A fenced block: the line before it (an `<!-- example: … -->` note, if any) and its lines.
    struct Block {
        var note: String?
        var lines: [String]
    }

    static var blocks: [Block] {
        var blocks: [Block] = [], current: [String]?, previous = ""
        var note: String?
        for line in readme.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if let lines = current {
                    blocks.append(Block(note: note, lines: lines))
                    current = nil
                } else {
                    note = previous.hasPrefix("<!-- example:") ? previous : nil
                    current = []
                }
            } else if current != nil {
                current!.append(line)
            }
            if !line.isEmpty { previous = line }
        }
        return blocks
    }

    @Test("the exit-code table is the tool's ExitStatus, code for code")
    func exitCodes() throws {
        let section = try #require(Self.readme.components(separatedBy: "\n## Exit codes\n").dropFirst().first)
        let table = section.components(separatedBy: "\n## ")[0]
        let codes = table.components(separatedBy: "\n").compactMap { line -> Int32? in
            guard line.hasPrefix("| "), let first = line.dropFirst(2).split(separator: " ").first else { return nil }
            return Int32(first)
        }
        #expect(codes == ExitStatus.allCases.map(\.rawValue))
    }

    /// Every option a synopsis (`sbsync CMD [--flag …]`) names exists, and every option of the
    /// command is in its synopsis.
    @Test("each command's synopsis names exactly its options", arguments: [
        ("validate", Validate.self as any ParsableCommand.Type), ("plan", PlanCommand.self), ("apply", ApplyCommand.self),
    ])
    func synopsis(command: String, type: any ParsableCommand.Type) throws {
        let block = try #require(Self.blocks.first { $0.lines.first?.hasPrefix("sbsync \(command) [") == true },
                                 "no synopsis of 'sbsync \(command)' in the README")
        let documented = Self.options(in: block.lines.joined(separator: " "))
        let actual = Self.declaredOptions(SBSync.helpMessage(for: type)).subtracting(["--help", "--version"])
        #expect(documented.subtracting(actual).isEmpty, "in the README, not in the tool: \(documented.subtracting(actual).sorted())")
        #expect(actual.subtracting(documented).isEmpty, "in the tool, not in the README: \(actual.subtracting(documented).sorted())")
    }

    /// The options a help text declares: the flag column of its OPTIONS section.
    static func declaredOptions(_ help: String) -> Set<String> {
        let section = help.components(separatedBy: "OPTIONS:").dropFirst().joined()
        let flagColumns = section.components(separatedBy: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("-") else { return nil }
            return trimmed.components(separatedBy: "  ").first
        }
        return options(in: flagColumns.joined(separator: " "))
    }

    static func options(in text: String) -> Set<String> {
        var found = Set<String>()
        let pattern = /--[a-z][a-z-]*/
        for match in text.matches(of: pattern) { found.insert(String(match.output)) }
        return found
    }

    /// A line of a fenced block that is a command to run: `$ …`, or a bare `sbsync …`, `make …`,
    /// `swift …` or `.build/…` line.
    static func isCommand(_ line: String) -> Bool {
        ["$ ", "sbsync ", "make ", "swift ", ".build/"].contains { line.hasPrefix($0) }
    }

    /// A synopsis (`sbsync plan [MANIFEST | …]`), checked against the tool by `synopsis`.
    static func isSynopsis(_ block: Block) -> Bool {
        guard let first = block.lines.first else { return false }
        return first.hasPrefix("sbsync ") && first.contains(" [") && !block.lines.contains { $0.hasPrefix("$ ") }
    }

    @Test("every command example in the README is run by a test, or its note says precisely why not")
    func everyExampleIsAccountedFor() {
        var accounted = 0
        for block in Self.blocks where block.lines.contains(where: Self.isCommand) && !Self.isSynopsis(block) {
            guard let note = block.note else {
                Issue.record("a README command example without an '<!-- example: … -->' note: \(block.lines[0])")
                continue
            }
            // "run by/against …" names the test; "not run …" gives the reason after it.
            #expect(note.contains("run by") || note.contains("run against") || note.contains("commands of")
                        || (note.contains("not run") && note.count > 40), "\(note)")
            accounted += 1
        }
        #expect(accounted >= 6)
    }

    @Test("the markdown plan example is what plan --format markdown prints for the drifted state")
    func markdownPlanExample() async throws {
        let block = try #require(Self.blocks.first { $0.lines.first == "$ sbsync plan -f manifests/examples/small.yaml --format markdown" })
        let sandbox = try PlanSandbox()
        try sandbox.writeState(try sandbox.driftedFiles())
        let result = try await sandbox.run(["--format", "markdown"])
        #expect(result.code == 0)
        #expect(block.lines.dropFirst().joined(separator: "\n") + "\n" == result.stdout)
    }

    @Test("the plan example is what plan prints for the drifted state")
    func planExample() async throws {
        let block = try #require(Self.blocks.first { $0.lines.first == "$ sbsync plan -f manifests/examples/small.yaml" })
        let sandbox = try PlanSandbox()
        try sandbox.writeState(try sandbox.driftedFiles())
        let result = try await sandbox.run([])
        #expect(result.code == 0)
        #expect(block.lines.dropFirst().joined(separator: "\n") + "\n" == result.stdout)
    }

    @Test("the demo example: the commands of scripts/demo.sh, run against the emulator as the demo does")
    func demoExample() throws {
        let block = try #require(Self.blocks.first { $0.note?.contains("scripts/demo.sh") == true })
        let commands = block.lines.filter { $0.hasPrefix("$ sbsync ") }.map { line in
            String(line.dropFirst(2).split(separator: "#")[0]).trimmingCharacters(in: .whitespaces)
        }
        let script = try String(contentsOf: repositoryRoot.appendingPathComponent("scripts/demo.sh"), encoding: .utf8)
        let scripted = script.components(separatedBy: "\n").filter { $0.hasPrefix("run ") }.map { line in
            "sbsync " + line.dropFirst(4).replacingOccurrences(of: "\"$state\"", with: "$TMP/demo.state")
        }
        #expect(commands == scripted)

        let emulator = try EmulatorProcess(arguments: [
            "--port", "0", "--token", "readme-demo-token", "--project", "demo/cohort",
            "--volume", "demo/input=" + repositoryRoot.appendingPathComponent("manifests/demo/volume").path,
            "--job-duration", "2", "--time-scale", "50",
        ])
        defer { emulator.stop() }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("readme-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        var environment = ProcessInfo.processInfo.environment
        environment["SB_API_ENDPOINT"] = emulator.endpoint
        environment["SB_AUTH_TOKEN"] = "readme-demo-token"
        environment["NO_COLOR"] = "1"
        var outputs: [ProcessResult] = []
        for command in commands {
            let arguments = command.split(separator: " ").dropFirst().map {
                $0.replacingOccurrences(of: "$TMP", with: tmp.path)
            }
            let result = try run(try sbsyncBinary(), arguments, environment: environment)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            outputs.append(result)
        }
        try #require(outputs.count == 4)
        #expect(outputs[0].stdout.hasPrefix("manifests/demo/sbsync.yaml: valid:"))
        #expect(outputs[1].stdout.contains("Plan: 9 to import"))  // "9 imports (the volume prefix listed)"
        #expect(outputs[2].stdout.contains("Apply complete: 9 imported"))
        #expect(outputs[3].stdout.hasSuffix("No changes. The projects match the manifest.\n"))  // "No changes, exit 0"
    }
}
