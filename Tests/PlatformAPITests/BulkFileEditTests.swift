import Foundation
import Testing

@testable import PlatformAPI

@Suite("Bulk file edit and update (injected transport)")
struct BulkFileEditTests {
    @Test("edit sends {items: [{id, tags?, metadata?}]} to /bulk/files/edit and decodes per-item records")
    func editWireShape() async throws {
        let transport = ScriptedTransport([json(200, #"""
            {"items": [
              {"resource": {"id": "f1", "name": "a.bam", "type": "file", "tags": ["t"], "metadata": {"k": 1}}},
              {"error": {"status": 404, "code": 5002, "message": "Requested file does not exist.", "more_info": "x"}}
            ]}
            """#)])
        let client = try makeClient(transport)
        let records = try await client.editFiles([
            FileEdit(id: "f1", tags: ["t"], metadata: ["k": .int(1), "gone": .null]),
            FileEdit(id: "f2", metadata: ["k": .string("v")]),
        ])
        #expect(records.count == 2)
        #expect(records[0].resource?.metadata == ["k": .int(1)])
        #expect(records[1].error?.code == 5002)
        let request = try #require(transport.requests.first)
        #expect(request.url.hasSuffix("/bulk/files/edit"))
        #expect(request.bodyText == #"{"items":[{"id":"f1","metadata":{"gone":null,"k":1},"tags":["t"]},{"id":"f2","metadata":{"k":"v"}}]}"#)
    }

    @Test("update goes to /bulk/files/update; more than 100 items are refused before sending")
    func updateAndLimit() async throws {
        let transport = ScriptedTransport([json(200, #"{"items": [{"resource": {"id": "f1", "name": "a.bam", "type": "file", "tags": [], "metadata": {}}}]}"#)])
        let client = try makeClient(transport)
        _ = try await client.updateFiles([FileEdit(id: "f1", name: "a.bam", tags: [], metadata: [:])])
        #expect(transport.requests.first?.url.hasSuffix("/bulk/files/update") == true)
        await #expect(throws: PlatformError.self) {
            try await client.editFiles(Array(repeating: FileEdit(id: "f"), count: 101))
        }
        #expect(transport.requests.count == 1)
    }

    @Test("a record count that differs from the items is an invalid response")
    func countMismatch() async throws {
        let transport = ScriptedTransport([json(200, #"{"items": []}"#)])
        let client = try makeClient(transport)
        await #expect(throws: PlatformError.self) { try await client.editFiles([FileEdit(id: "f1", tags: ["a"])]) }
    }
}
