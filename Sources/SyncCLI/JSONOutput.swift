public import SyncCore
public import SyncYAML

/// The JSON that `--json` prints, written by hand: fast for a million entries, keys in a fixed
/// order, metadata values with their YAML types.
public enum JSONOutput {
    /// `{"manifest":…,"valid":false,"diagnostics":[{"file","line","column","severity","message","note"}…]}`
    public static func diagnostics(_ diagnostics: [Diagnostic], manifest: String) -> String {
        var out = "{\"manifest\":" + quote(manifest) + ",\"valid\":false,\"diagnostics\":["
        for (i, d) in diagnostics.enumerated() {
            if i > 0 { out += "," }
            out += "\n{\"file\":" + quote(d.file)
            out += ",\"line\":" + (d.mark.map { String($0.line) } ?? "null")
            out += ",\"column\":" + (d.mark.map { String($0.column) } ?? "null")
            out += ",\"severity\":" + quote(d.severity.rawValue)
            out += ",\"message\":" + quote(d.message)
            out += ",\"note\":" + (d.note.map(quote) ?? "null") + "}"
        }
        out += "\n]}\n"
        return out
    }

    /// The resolved desired state, written in chunks through `write` (a million entries make
    /// hundreds of megabytes): `{"manifest","valid":true,"summary":{…},"files":[…],"unexpandedPrefixes":[…]}`.
    public static func desiredState(_ state: DesiredState, manifest: String, write: (String) -> Void) {
        let s = state.summary
        var out = "{\"manifest\":" + quote(manifest) + ",\"valid\":true,\"summary\":{"
        out += "\"files\":\(s.files),\"volumeFiles\":\(s.volumeFiles),\"drsFiles\":\(s.drsFiles),"
        out += "\"projects\":\(s.projects),\"unexpandedPrefixes\":\(s.unexpandedPrefixes)},\"files\":["
        for (i, file) in state.files.enumerated() {
            if i > 0 { out += "," }
            out += "\n"
            entry(file, into: &out)
            if out.utf8.count >= 1 << 20 {
                write(out)
                out = ""
            }
        }
        out += "\n],\"unexpandedPrefixes\":["
        for (i, prefix) in state.unexpandedPrefixes.enumerated() {
            if i > 0 { out += "," }
            out += "\n{\"volume\":" + quote(prefix.volume) + ",\"prefix\":" + quote(prefix.prefix)
            out += ",\"line\":\(prefix.mark.line),\"column\":\(prefix.mark.column)}"
        }
        out += "\n]}\n"
        write(out)
    }

    static func entry(_ file: DesiredFile, into out: inout String) {
        out += "{\"address\":" + quote(file.address.description)
        out += ",\"project\":" + quote(file.address.project)
        out += ",\"folder\":" + quote(file.address.folder)
        out += ",\"name\":" + quote(file.address.name)
        switch file.source {
        case .volume(let volume, let location):
            out += ",\"source\":{\"kind\":\"volume\",\"volume\":" + quote(volume) + ",\"location\":" + quote(location) + "}"
        case .drs(let uri):
            out += ",\"source\":{\"kind\":\"drs\",\"uri\":" + quote(uri) + "}"
        }
        out += ",\"metadata\":{"
        for (i, item) in file.metadata.enumerated() {
            if i > 0 { out += "," }
            out += quote(item.key) + ":" + value(item.value)
        }
        out += "},\"tags\":["
        for (i, tag) in file.tags.enumerated() {
            if i > 0 { out += "," }
            out += quote(tag)
        }
        out += "],\"policy\":" + quote(file.policy.rawValue)
        out += ",\"line\":" + (file.mark.map { String($0.line) } ?? "null") + "}"
    }

    static func value(_ value: MetadataValue) -> String {
        switch value {
        case .string(let s): quote(s)
        case .int(let i): String(i)
        case .float(let d): d.isFinite ? String(d) : quote(String(d))
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }

    /// A JSON string literal.
    public static func quote(_ s: String) -> String {
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
