public import SyncCore
public import SyncYAML

/// Reads a manifest file through every offline stage: parse, decode and validate, expand.
///
/// This is what `validate` runs, and the front half of `plan` and `apply` (which then list
/// the volume prefixes and call `Manifest.expand(listings:)` again).
public enum ManifestLoader {
    /// The outcome of checking a manifest offline.
    public struct Check: Sendable {
        /// The manifest, when the file parsed (possibly with entries left out for their problems).
        public var manifest: Manifest?
        /// The desired state without prefix listings, when the file parsed.
        public var state: DesiredState?
        /// Every problem, in source order (the manifest's, then each included manifest's and
        /// table's); empty when the manifest is valid.
        public var diagnostics: [Diagnostic]
        /// The tables and included manifests read, in the order read.
        public var sources: [SourceFile] = []

        /// Diagnostic file name → path to read it at (for printing source lines).
        public var pathsByName: [String: String] {
            var paths: [String: String] = [:]
            for source in sources { paths[source.name] = source.path }
            return paths
        }

        public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
    }

    /// Parses, decodes and expands (offline) the manifest at `path`, collecting every problem.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - displayName: the name diagnostics use; defaults to `path`.
    ///   - detail: how much of each desired file to build; `.addresses` is enough for the
    ///     problems and the summary.
    ///   - fingerprints: the digests to take of each table and included manifest as it is read
    ///     (`SourceFile.digests`).
    public static func check(path: String, displayName: String? = nil, detail: ExpansionDetail = .full,
                             fingerprints: Fingerprints = []) -> Check {
        // The node tree is dropped as soon as it is decoded: for a million entries it is
        // hundreds of megabytes that expansion does not need.
        let decoding: ManifestDecoding
        do {
            let document = try YAMLParser.parse(contentsOf: path, displayName: displayName ?? path, options: .manifest)
            decoding = ManifestDecoder.decode(document)
        } catch {
            return Check(manifest: nil, state: nil, diagnostics: [error.diagnostic])
        }
        var manifest = decoding.manifest
        var sources: [SourceFile] = []
        var sourceDiagnostics: [Diagnostic] = []
        if !manifest.includes.isEmpty || !manifest.tables.isEmpty {
            var reader = SourceReader(manifestPath: path, manifestName: displayName ?? path)
            reader.detail = detail
            reader.fingerprints = fingerprints
            reader.read(into: &manifest)
            sources = reader.sources
            sourceDiagnostics = reader.diagnostics
        }
        let expansion = manifest.expand(listings: nil, detail: detail)
        // Decode problems come first in source order; expansion only sees entries that decoded.
        var diagnostics = Diagnostic.inSourceOrder(merge(decoding.diagnostics, expansion.diagnostics))
        if !sources.isEmpty || !sourceDiagnostics.isEmpty {
            diagnostics = SourceReader.inFileOrder(diagnostics + sourceDiagnostics, files: manifest.sourceFiles)
        }
        return Check(manifest: manifest, state: expansion.state, diagnostics: diagnostics, sources: sources)
    }

    /// Loads a valid manifest and its offline desired state.
    ///
    /// - Throws: `ManifestError` with every problem when the manifest is not valid.
    public static func load(path: String, displayName: String? = nil) throws(ManifestError) -> (manifest: Manifest, state: DesiredState) {
        let check = check(path: path, displayName: displayName)
        guard check.isValid, let manifest = check.manifest, let state = check.state else {
            throw ManifestError(diagnostics: check.diagnostics)
        }
        return (manifest, state)
    }

    /// Two source-ordered lists merged into one, stable (the first list wins ties).
    static func merge(_ a: [Diagnostic], _ b: [Diagnostic]) -> [Diagnostic] {
        if b.isEmpty { return a }
        if a.isEmpty { return b }
        let zero = SourceMark(line: 0, column: 0)
        var result: [Diagnostic] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && (a[i].mark ?? zero) <= (b[j].mark ?? zero)) {
                result.append(a[i]); i += 1
            } else {
                result.append(b[j]); j += 1
            }
        }
        return result
    }
}
