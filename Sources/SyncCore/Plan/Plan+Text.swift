extension Plan {
    /// How the human plan is laid out.
    public struct TextOptions: Sendable, Hashable {
        /// List every entry; otherwise the first `limit` of each group and a count of the rest.
        public var detail: Bool
        /// Entries shown per project and action when `detail` is off.
        public var limit: Int
        /// ANSI colour (the CLI turns it on only on a terminal and never with `NO_COLOR`).
        public var color: Bool

        public init(detail: Bool = false, limit: Int = 10, color: Bool = false) {
            self.detail = detail
            self.limit = limit
            self.color = color
        }
    }

    /// The plan for people: grouped by project, then action with counts, then one line per entry,
    /// notes, and the summary line last. Ends with a newline. Names, metadata and everything else
    /// that came from a manifest, a state or the platform show control characters escaped
    /// (`TerminalText`), so no entry can break its line or fake another.
    ///
    /// ```
    /// rfranklin/my-project: 1 to import, 0 to replace, 1 to update, 0 to forget, 2 unchanged
    ///   import (1)
    ///     + rfranklin/my-project:raw/s1.fq (not in state)
    ///   update (1)
    ///     ~ rfranklin/my-project:raw/s2.fq (tags added: raw)
    ///
    /// Plan: 1 to import, 0 to replace, 1 to update, 0 to forget.
    /// ```
    public func text(_ options: TextOptions = TextOptions()) -> String {
        let style = TextStyle(enabled: options.color)
        var out = ""
        if hasChanges {
            for project in projects {
                let c = project.counts
                guard c.changes > 0 else {
                    out += "\(style.bold(project.project.terminalEscaped)): no changes (\(c.unchanged) unchanged)\n"
                    continue
                }
                out += "\(style.bold(project.project.terminalEscaped)): \(c.imports) to import, \(c.replaces) to replace, "
                    + "\(c.updates) to update, \(c.moves > 0 ? "\(c.moves) to move back, " : "")\(c.forgets) to forget, "
                    + "\(c.unchanged) unchanged\n"
                var start = 0
                while start < project.changes.count {
                    let action = project.changes[start].action
                    var end = start
                    while end < project.changes.count && project.changes[end].action == action { end += 1 }
                    out += "  \(style.paint(action.rawValue, for: action)) (\(end - start))\n"
                    let shown = options.detail ? end : min(end, start + max(options.limit, 0))
                    for change in project.changes[start..<shown] {
                        out += "    \(style.paint(action.symbol, for: action)) \(change.address.description.terminalEscaped) "
                            + "(\(change.reason.terminalEscaped))\n"
                    }
                    if shown < end {
                        out += "    … and \(end - shown) more (--detail lists all)\n"
                    }
                    start = end
                }
            }
            out += "\n"
        }
        for note in notes {
            out += "note: \(note.terminalEscaped)\n"
        }
        out += style.bold(summaryLine) + "\n"
        return out
    }
}

/// ANSI styling, or none.
struct TextStyle {
    var enabled: Bool

    func bold(_ text: String) -> String {
        enabled ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }

    func paint(_ text: String, for action: PlanAction) -> String {
        guard enabled else { return text }
        let code = switch action {
        case .import: "32"   // green
        case .replace: "35"  // magenta
        case .update, .move: "33"   // yellow
        case .forget: "31"   // red
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
