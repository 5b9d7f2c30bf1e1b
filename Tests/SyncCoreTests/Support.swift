import Foundation
import SyncCore
import SyncYAML
import Testing

/// Parses YAML text through the real parser.
func parse(_ yaml: String, file: String = "test.yaml") throws -> YAMLDocument {
    do {
        return try YAMLParser.parse(yaml, file: file, options: .manifest)
    } catch {
        Issue.record("YAML did not parse: \(error.diagnostic)")
        throw error
    }
}

/// Decodes YAML text; returns the decoding (manifest and diagnostics).
func decode(_ yaml: String) throws -> ManifestDecoding {
    ManifestDecoder.decode(try parse(yaml))
}

/// Decodes and expands offline; returns every diagnostic as `line:col: message` strings.
func problems(_ yaml: String) throws -> [String] {
    let decoding = try decode(yaml)
    let expansion = decoding.manifest.expand()
    return (decoding.diagnostics + expansion.diagnostics).map { d in
        (d.mark.map { "\($0.line):\($0.column): " } ?? "") + d.message
    }
}

/// The state of a manifest that must be valid.
func state(_ yaml: String, listings: PrefixListings? = nil) throws -> DesiredState {
    let decoding = try decode(yaml)
    #expect(decoding.diagnostics.isEmpty, "\(decoding.diagnostics)")
    let expansion = decoding.manifest.expand(listings: listings)
    #expect(expansion.diagnostics.isEmpty, "\(expansion.diagnostics)")
    return expansion.state
}
