extension Plan {
    /// The plan as a pull-request comment (`sbsync plan --format markdown`): the summary line,
    /// a table of counts per project and action, then per action the first `limit` entries (all
    /// of them with `detail`) in a collapsible `<details>` block, and the plan's hash: the same
    /// plan gives the same comment, so a bot can tell whether a new push changed the plan.
    ///
    /// ```markdown
    /// ### sbsync plan: 1 to import, 0 to replace, 1 to update, 0 to forget
    ///
    /// | project | import | replace | update | forget | unchanged |
    /// |---|---:|---:|---:|---:|---:|
    /// | `rfranklin/my-project` | 1 | 0 | 1 | 0 | 2 |
    ///
    /// <details><summary>import (1)</summary>
    ///
    /// - `rfranklin/my-project:raw/s1.fq` (not in state)
    ///
    /// </details>
    ///
    /// Plan hash: `sha256:4f1c…` <!-- sbsync-plan-sha256: 4f1c… -->
    /// ```
    /// - Parameters:
    ///   - limit: entries listed per action without `detail`.
    ///   - hash: the plan's SHA-256 (hex), `Plan.sha256()`.
    public func markdown(detail: Bool = false, limit: Int = 10, hash: String) -> String {
        let c = counts
        var out = "### sbsync plan: "
        let actions = PlanAction.allCases.filter { $0.alwaysCounted || c[$0] > 0 }
        out += c.changes == 0 ? "no changes\n\n"
            : actions.map { "\(c[$0]) to \($0 == .move ? "move back" : $0.rawValue)" }.joined(separator: ", ") + "\n\n"
        if !projects.isEmpty {
            out += "| project | " + actions.map(\.rawValue).joined(separator: " | ") + " | unchanged |\n"
            out += "|---|" + String(repeating: "---:|", count: actions.count + 1) + "\n"
            for project in projects {
                out += "| \(Self.code(project.project)) | "
                    + actions.map { String(project.counts[$0]) }.joined(separator: " | ") + " | \(project.counts.unchanged) |\n"
            }
            out += "\n"
        }
        for action in actions {
            let entries = changes.filter { $0.action == action }
            guard !entries.isEmpty else { continue }
            out += "<details><summary>\(action.rawValue) (\(entries.count))</summary>\n\n"
            let shown = detail ? entries[...] : entries.prefix(max(limit, 0))
            for change in shown {
                out += "- \(Self.code(change.address.description)) (\(Self.escaped(change.reason)))\n"
            }
            if shown.count < entries.count {
                out += "- … and \(entries.count - shown.count) more (`sbsync plan --detail` lists all)\n"
            }
            out += "\n</details>\n\n"
        }
        for note in notes {
            out += "> note: \(Self.escaped(note))\n\n"
        }
        out += "Plan hash: `sha256:\(hash.prefix(16))` <!-- sbsync-plan-sha256: \(hash) -->\n"
        return out
    }

    /// A stable hash of what the plan does: SHA-256 (hex) of its `--json` document, which lists
    /// every change with its reasons and sorts everything. Equal plans give equal hashes.
    /// - Throws: `EncodingError` for a NaN or infinite metadata value (validation rejects them first).
    public func sha256() throws -> String {
        SavedPlan.sha256(of: try PlanDocument(self).jsonBytes())
    }

    /// `text` as a Markdown code span: control characters escaped, a span long enough for the
    /// backticks inside, no line break.
    static func code(_ text: String) -> String {
        let shown = text.terminalEscaped
        var fence = "`"
        while shown.contains(fence) { fence += "`" }
        let pad = shown.hasPrefix("`") || shown.hasSuffix("`") ? " " : ""
        return fence + pad + shown + pad + fence
    }

    /// `text` as Markdown prose that cannot open HTML, links or emphasis.
    static func escaped(_ text: String) -> String {
        var out = ""
        for ch in text.terminalEscaped {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\\", "`", "*", "_", "[", "]", "|", "#": out += "\\" + String(ch)
            default: out.append(ch)
            }
        }
        return out
    }
}
