public import SyncCore
public import SyncEngine
public import SyncYAML

/// What `--json` prints about a manifest: `DesiredStateDocument` when it is valid,
/// `DiagnosticsDocument` when it has problems (both written by `JSONWriter`).
public enum JSONOutput {
    /// `{"format_version":…,"manifest":…,"valid":false,"diagnostics":[{"file","line","column","severity","message","note"}…]}`
    public static func diagnostics(_ diagnostics: [Diagnostic], manifest: String) -> String {
        var text = ""
        written(DiagnosticsDocument(diagnostics, manifest: manifest)) { text += $0 }
        return text
    }

    /// The resolved desired state, written in pieces through `write` (a million entries make
    /// hundreds of megabytes): `{"format_version","manifest","valid":true,"summary","files","unexpanded_prefixes"}`.
    /// `sources` are the tables and included manifests read (`"sources":[{"path","kind"}…]`, after `summary`).
    public static func desiredState(_ state: DesiredState, manifest: String, sources: [SourceFile] = [], write: (String) -> Void) {
        let shown = sources.map { DesiredStateDocument.Source(path: $0.name, kind: $0.kind == .table ? "table" : "include") }
        written(DesiredStateDocument(state, manifest: manifest, sources: shown), to: write)
    }

    /// Only a NaN or infinite number can fail to encode, and validation rejects those before a
    /// document is made: a failure here is a bug.
    private static func written(_ document: some JSONDocument, to write: (String) -> Void) {
        do {
            try document.writeJSON(to: write)
        } catch {
            preconditionFailure("sbsync bug: a validated manifest cannot be written as JSON: \(error)")
        }
    }
}
