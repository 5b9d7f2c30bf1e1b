import ArgumentParser
import Foundation
@testable import SyncCLI
import SyncCore
import SyncYAML
import Testing
import TestSupport

/// What a repository's review loop uses: the plan as a pull-request comment, the GitHub Actions
/// example, the pre-commit hook, shell completions, the man page and `make install`.
@Suite("fitting the team's workflow", .serialized)
struct WorkflowTests {
    @Test("plan --format markdown: counts per project and action, entries in <details>, a stable hash")
    func markdownPlan() async throws {
        let sandbox = try PlanSandbox()
        try sandbox.writeState(try sandbox.driftedFiles())
        let markdown = try await sandbox.run(["--format", "markdown"])
        #expect(markdown.code == 0 && markdown.stderr.isEmpty)
        try expectGolden(markdown.stdout, path: "Tests/SyncCLITests/Golden/plan-drift.md")
        // The same plan, the same comment; the hash is that of the --json document.
        #expect(try await sandbox.run(["--format", "markdown"]).stdout == markdown.stdout)
        let json = try await sandbox.run(["--json"])
        #expect(try await sandbox.run(["--format", "json"]).stdout == json.stdout)
        #expect(markdown.stdout.contains("<!-- sbsync-plan-sha256: \(SavedPlan.sha256(of: Array(json.stdout.utf8))) -->"))
        // A different plan, a different hash.
        let applied = try PlanSandbox()
        try applied.writeState(try applied.appliedFiles())
        let none = try await applied.run(["--format", "markdown", "--detailed-exitcode"])
        #expect(none.code == 0 && none.stdout.hasPrefix("### sbsync plan: no changes\n"))
        #expect(none.stdout.components(separatedBy: "sha256: ").last != markdown.stdout.components(separatedBy: "sha256: ").last)
        #expect(throws: (any Error).self) { _ = try SBSync.parseAsRoot(["plan", "--json", "--format", "markdown"]) }
        #expect(throws: (any Error).self) { _ = try SBSync.parseAsRoot(["plan", "--format", "html"]) }
    }

    @Test("markdown escapes what came from a manifest: no HTML, no broken code span, a limited list")
    func markdownEscaping() throws {
        let address = Address(project: "o/p", path: "raw/a`b<script>.bam")
        let change = PlannedChange(address: address, action: .forget, reasons: [.noLongerInManifest], before: nil, after: nil)
        var counts = PlanCounts()
        counts.forgets = 12
        let plan = Plan(projects: [ProjectPlan(project: "o/p", counts: counts, changes: Array(repeating: change, count: 12))],
                        notes: ["<b>note</b>"])
        let text = plan.markdown(limit: 3, hash: String(repeating: "ab", count: 32))
        #expect(text.contains("\n- ``o/p:raw/a`b<script>.bam`` (no longer in the manifest)\n"))
        #expect(text.contains("- … and 9 more"))
        #expect(text.contains("> note: &lt;b&gt;note&lt;/b&gt;"))
        #expect(text.hasSuffix("Plan hash: `sha256:abababababababab` <!-- sbsync-plan-sha256: \(String(repeating: "ab", count: 32)) -->\n"))
    }

    /// The `sbsync …` commands of a shell script, as argument lists: split at `&&`, `||`, `;`,
    /// `|` and newlines, stopped at a redirection; quoted words kept whole, `$VAR` and `${VAR}`
    /// given a placeholder value.
    static func sbsyncCommands(in script: String) -> [[String]] {
        var commands: [[String]] = []
        var segment = script
        for separator in ["&&", "||", ";", "|", "\n", " do ", " then "] { segment = segment.replacingOccurrences(of: separator, with: "\u{0}") }
        for part in segment.split(separator: "\u{0}") {
            var words: [String] = [], word = "", quote: Character?
            for ch in part {
                if let q = quote {
                    if ch == q { quote = nil } else { word.append(ch) }
                } else if ch == "\"" || ch == "'" {
                    quote = ch
                } else if ch == " " || ch == "\t" {
                    if !word.isEmpty { words.append(word); word = "" }
                } else if ch == ">" {
                    break
                } else {
                    word.append(ch)
                }
            }
            if !word.isEmpty { words.append(word) }
            guard words.first == "sbsync" else { continue }
            commands.append(words.dropFirst().map { $0.replacing(/\$\{?[A-Za-z_][A-Za-z_0-9]*\}?/, with: "VALUE") })
        }
        return commands
    }

    /// Every `run:` of a workflow, in order.
    static func runs(_ node: YAMLNode) -> [String] {
        switch node.kind {
        case .mapping:
            return node.pairs.flatMap { key, value in key.text == "run" && value.kind == .scalar ? [value.text] : runs(value) }
        case .sequence:
            return node.items.flatMap(runs)
        case .scalar:
            return []
        }
    }

    @Test("examples/ci/github-actions.yml: valid YAML, and every sbsync command it runs parses as the tool's")
    func githubActionsExample() throws {
        let path = "examples/ci/github-actions.yml"
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let workflow = try YAMLParser.parse(text, file: path).root
        #expect(workflow["jobs"]?["plan"] != nil && workflow["jobs"]?["apply"] != nil)
        let commands = Self.runs(workflow).flatMap(Self.sbsyncCommands)
        #expect(commands.map { $0[0] } == ["validate", "plan", "validate", "apply"])
        for command in commands {
            do { _ = try SBSync.parseAsRoot(command) } catch {
                Issue.record("'sbsync \(command.joined(separator: " "))' is not a command sbsync takes: \(error)")
            }
        }
        #expect(commands.contains { $0.starts(with: ["plan"]) && $0.contains("markdown") })
        #expect(commands.contains { $0.starts(with: ["apply"]) && $0.contains("--auto-approve") && $0.contains("--state") })
        // Installed with the repository's own `make install`.
        #expect(Self.runs(workflow).contains { $0.contains("make -C .sbsync-src install PREFIX=") })
        #expect(text.contains("secrets.SBSYNC_STATE") && text.contains("secrets.SB_AUTH_TOKEN"))
    }

    @Test(".pre-commit-hooks.yaml: the hook validates each manifest it is given, with the built sbsync")
    func preCommitHook() throws {
        let path = ".pre-commit-hooks.yaml"
        let hooks = try YAMLParser.parse(try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8), file: path).root
        let hook = try #require(hooks.items.first { $0["id"]?.text == "sbsync-validate" })
        #expect(hook["language"]?.text == "system" && hook["pass_filenames"]?.text == "true")
        let entry = try #require(hook["entry"]?.text)
        let commands = Self.sbsyncCommands(in: entry)
        #expect(commands == [["validate", "-f", "VALUE"]])
        // `files:` takes manifests named sbsync.yaml, wherever they are.
        let files = try Regex(try #require(hook["files"]?.text))
        #expect("sbsync.yaml".contains(files) && "cohorts/sbsync.yml".contains(files) && !"other.yaml".contains(files))
        // Run as pre-commit runs it: the entry's words, then the file names.
        let shell = entry.split(separator: " ", maxSplits: 2).map(String.init)
        #expect(shell.prefix(2) == ["sh", "-c"])
        let script = String(shell[2].dropFirst().prefix { $0 != "'" })
        let bin = URL(fileURLWithPath: try sbsyncBinary()).deletingLastPathComponent().path
        let environment = ["PATH": "\(bin):/usr/bin:/bin", "NO_COLOR": "1"]
        let good = try run("/bin/sh", ["-c", script, "--", "manifests/demo/sbsync.yaml", "manifests/examples/small.yaml"], environment: environment)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("manifests/demo/sbsync.yaml: valid") && good.stdout.contains("manifests/examples/small.yaml: valid"))
        let invalid = try #require(manifests(in: "manifests/invalid").first)
        let bad = try run("/bin/sh", ["-c", script, "--", "manifests/demo/sbsync.yaml", invalid], environment: environment)
        #expect(bad.status == 1)
    }

    @Test("shell completions generate for bash, zsh and fish, and know the commands and new options",
          arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let result = try run(try sbsyncBinary(), ["--generate-completion-script", shell])
        #expect(result.status == 0 && result.stderr.isEmpty)
        for word in ["validate", "plan", "apply", "state", "force-unlock", "progress-interval", "markdown"] {
            #expect(result.stdout.contains(word), "\(shell) completion lacks '\(word)'")
        }
        if shell == "bash" {
            try withTemporaryDirectory { directory in
                let script = directory.appendingPathComponent("sbsync.bash")
                try Data(result.stdout.utf8).write(to: script)
                #expect(try run("/bin/bash", ["-n", script.path]).status == 0)
            }
        }
    }

    @Test("the man page is made from the help text: every command and option is in it")
    func manPage() throws {
        let result = try run("/usr/bin/env", ["python3", "scripts/manpage.py", try sbsyncBinary()])
        #expect(result.status == 0, "\(result.stderr)")
        let page = result.stdout
        #expect(page.hasPrefix(".TH SBSYNC 1 "))
        for section in ["sbsync validate", "sbsync plan", "sbsync apply", "sbsync state list", "sbsync state show", "sbsync force\\-unlock"] {
            #expect(page.contains(".SS \(section)\n"), "no section for \(section)")
        }
        for option in ["\\-\\-progress\\-interval", "\\-\\-format", "\\-\\-filter", "\\-\\-auto\\-approve"] {
            #expect(page.contains("\\fB\(option)\\fR"), "no \(option)")
        }
    }

    @Test("make install PREFIX=… installs both binaries, the completions and the man page")
    func makeInstall() throws {
        try withTemporaryDirectory { prefix in
            let bin = URL(fileURLWithPath: try sbsyncBinary()).deletingLastPathComponent().path
            let result = try run("/usr/bin/env", ["make", "--no-print-directory", "install", "PREFIX=\(prefix.path)", "SBSYNC_BIN=\(bin)"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            for file in ["bin/sbsync", "bin/sbsync-emulator", "share/bash-completion/completions/sbsync",
                         "share/zsh/site-functions/_sbsync", "share/fish/vendor_completions.d/sbsync.fish", "share/man/man1/sbsync.1"] {
                let path = prefix.appendingPathComponent(file).path
                #expect(FileManager.default.fileExists(atPath: path), "not installed: \(file)")
                #expect(((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 100, "empty: \(file)")
            }
            #expect(FileManager.default.isExecutableFile(atPath: prefix.appendingPathComponent("bin/sbsync").path))
            let version = try run(prefix.appendingPathComponent("bin/sbsync").path, ["--version"])
            #expect(version.status == 0)
        }
    }
}
