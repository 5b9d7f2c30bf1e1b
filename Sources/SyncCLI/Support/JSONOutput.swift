public import SyncCore
public import SyncEngine
public import SyncYAML

/// The JSON that `--json` prints, written by hand: fast for a million entries, keys in a fixed
/// order, metadata values with their YAML types.
public enum JSONOutput {
    /// `{"manifest":…,"valid":false,"diagnostics":[{"file","line","column","severity","message","note"}…]}`
    public static func diagnostics(_ diagnostics: [Diagnostic], manifest: String) -> String {
        var out = "{\"manifest\":" + JSONText.quote(manifest) + ",\"valid\":false,\"diagnostics\":["
        for (i, d) in diagnostics.enumerated() {
            if i > 0 { out += "," }
            out += "\n{\"file\":" + JSONText.quote(d.file)
            out += ",\"line\":" + (d.mark.map { String($0.line) } ?? "null")
            out += ",\"column\":" + (d.mark.map { String($0.column) } ?? "null")
            out += ",\"severity\":" + JSONText.quote(d.severity.rawValue)
            out += ",\"message\":" + JSONText.quote(d.message)
            out += ",\"note\":" + (d.note.map(JSONText.quote) ?? "null") + "}"
        }
        out += "\n]}\n"
        return out
    }

    /// The resolved desired state, written in chunks through `write` (a million entries make
    /// hundreds of megabytes): `{"manifest","valid":true,"summary":{…},"files":[…],"unexpandedPrefixes":[…]}`.
    /// `sources` are the tables and included manifests read (`"sources":[{"path","kind"}…]`, after `summary`).
    public static func desiredState(_ state: DesiredState, manifest: String, sources: [SourceFile] = [], write: (String) -> Void) {
        let s = state.summary
        var out = "{\"manifest\":" + JSONText.quote(manifest) + ",\"valid\":true,\"summary\":{"
        out += "\"files\":\(s.files),\"volumeFiles\":\(s.volumeFiles),\"drsFiles\":\(s.drsFiles),"
        out += "\"projects\":\(s.projects),\"unexpandedPrefixes\":\(s.unexpandedPrefixes)},"
        if !sources.isEmpty {
            out += "\"sources\":[" + sources.map {
                "{\"path\":" + JSONText.quote($0.name) + ",\"kind\":" + JSONText.quote($0.kind == .table ? "table" : "include") + "}"
            }.joined(separator: ",") + "],"
        }
        out += "\"files\":["
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
            out += "\n{\"volume\":" + JSONText.quote(prefix.volume) + ",\"prefix\":" + JSONText.quote(prefix.prefix)
            out += ",\"line\":\(prefix.mark.line),\"column\":\(prefix.mark.column)}"
        }
        out += "\n]}\n"
        write(out)
    }

    static func entry(_ file: DesiredFile, into out: inout String) {
        out += "{\"address\":" + JSONText.quote(file.address.description)
        out += ",\"project\":" + JSONText.quote(file.address.project)
        out += ",\"folder\":" + JSONText.quote(file.address.folder)
        out += ",\"name\":" + JSONText.quote(file.address.name)
        switch file.source {
        case .volume(let volume, let location):
            out += ",\"source\":{\"kind\":\"volume\",\"volume\":" + JSONText.quote(volume) + ",\"location\":" + JSONText.quote(location) + "}"
        case .drs(let uri):
            out += ",\"source\":{\"kind\":\"drs\",\"uri\":" + JSONText.quote(uri) + "}"
        }
        out += ",\"metadata\":{"
        for (i, item) in file.metadata.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.quote(item.key) + ":" + JSONText.value(item.value)
        }
        out += "},\"tags\":["
        for (i, tag) in file.tags.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.quote(tag)
        }
        out += "],\"policy\":" + JSONText.quote(file.policy.rawValue)
        out += ",\"line\":" + (file.mark.map { String($0.line) } ?? "null") + "}"
    }
}
