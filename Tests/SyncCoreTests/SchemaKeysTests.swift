import Foundation
import SyncCore
import Testing
import TestSupport

/// `schemas/manifest.schema.json` and the decoder describe one language.
@Suite struct SchemaKeysTests {
    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("schemas/manifest.schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func section(_ name: String, in schema: [String: Any]) throws -> [String: Any] {
        if name == "root" { return schema }
        let defs = try #require(schema["$defs"] as? [String: Any])
        return try #require(defs[name] as? [String: Any], "no $defs/\(name) in the schema")
    }

    @Test(arguments: ManifestKeys.bySection.map(\.section))
    func propertyNamesMatchTheDecoder(_ name: String) throws {
        let section = try Self.section(name, in: Self.schema())
        let properties = try #require(section["properties"] as? [String: Any])
        let decoderKeys = try #require(ManifestKeys.bySection.first { $0.section == name }).keys
        #expect(Set(properties.keys) == Set(decoderKeys))
        #expect(section["additionalProperties"] as? Bool == false)
    }

    @Test func everyPropertyHasADescriptionAndExamples() throws {
        let schema = try Self.schema()
        for (name, _) in ManifestKeys.bySection {
            let properties = try #require(try Self.section(name, in: schema)["properties"] as? [String: Any])
            for (key, value) in properties {
                let property = try #require(value as? [String: Any])
                #expect((property["description"] as? String)?.isEmpty == false, "\(name).\(key) has no description")
                #expect((property["examples"] as? [Any])?.isEmpty == false, "\(name).\(key) has no examples")
            }
        }
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }

    @Test func extensionPrefixMatchesTheSchema() throws {
        let patterns = try #require(try Self.schema()["patternProperties"] as? [String: Any])
        #expect(Array(patterns.keys) == ["^" + ManifestKeys.extensionPrefix])
    }
}
