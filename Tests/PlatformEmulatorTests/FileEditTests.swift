import Foundation
import PlatformEmulator
import Testing

@Suite("Bulk file edit (merge) and update (replace)")
struct FileEditTests {
    /// Imports `top.txt` and `runs/r2/x.bam` from the volume and returns their file ids.
    func twoFiles(_ h: Harness) async -> [String] {
        var ids: [String] = []
        for location in ["top.txt", "runs/r2/x.bam"] {
            await h.call("POST", "/storage/imports", [
                "source": ["volume": "alice/vol", "location": .string(location)], "destination": ["project": "alice/p1"], "overwrite": false,
            ])
        }
        h.clock.advance(by: 10)
        let listed = await h.call("GET", "/files?project=alice/p1")
        for item in listed.json["items"]?.arrayValue ?? [] { ids.append(item["id"]?.stringValue ?? "") }
        return ids
    }

    @Test func editMergesMetadataRemovesNullKeysAndReplacesTags() async throws {
        let h = try Harness()
        let ids = await twoFiles(h)
        await h.call("PATCH", "/files/\(ids[0])/metadata", ["keep": "me", "drop": 1])
        let response = await h.call("POST", "/bulk/files/edit", ["items": [
            ["id": .string(ids[0]), "metadata": ["sample": "S1", "drop": nil], "tags": ["a", "b"]],
            ["id": .string(ids[1]), "tags": ["only-tags"]],
        ]])
        #expect(response.status == 200)
        let records = response.json["items"]?.arrayValue ?? []
        #expect(records.count == 2)
        #expect(records[0]["resource"]?["metadata"] == ["keep": "me", "sample": "S1"])
        #expect(records[0]["resource"]?["tags"] == ["a", "b"])
        #expect(records[0]["resource"]?["name"] == "top.txt")
        #expect(records[1]["resource"]?["tags"] == ["only-tags"])
        #expect(records[1]["resource"]?["metadata"] == [:])
    }

    @Test func updateReplacesEverythingItIsSentAndEmptiesWhatItIsNot() async throws {
        let h = try Harness()
        let ids = await twoFiles(h)
        await h.call("POST", "/bulk/files/edit", ["items": [["id": .string(ids[0]), "metadata": ["old": 1], "tags": ["old"]]]])
        let response = await h.call("POST", "/bulk/files/update", ["items": [
            ["id": .string(ids[0]), "name": "renamed.txt", "metadata": ["new": 2], "tags": nil],
        ]])
        let file = response.json["items"]?.arrayValue?.first?["resource"]
        #expect(file?["metadata"] == ["new": 2])
        #expect(file?["tags"] == [])
        #expect(file?["name"] == "renamed.txt")
        #expect(await h.names() == ["renamed.txt", "x.bam"])
    }

    @Test func perItemErrorsLeaveTheirFileUnchangedAndTheOthersApplied() async throws {
        let h = try Harness()
        let ids = await twoFiles(h)
        let folder = await h.folder("qc")
        let response = await h.call("POST", "/bulk/files/edit", ["items": [
            ["id": "000000000000000000000000", "tags": ["x"]],
            ["id": .string(folder), "tags": ["x"]],
            ["id": .string(ids[0]), "name": "x.bam", "tags": ["x"]],
            ["id": .string(ids[0]), "metadata": "not an object"],
            ["id": .string(ids[1]), "tags": ["fine"]],
        ]])
        #expect(response.status == 200)
        let records = response.json["items"]?.arrayValue ?? []
        #expect(records.map { $0["error"]?["code"]?.intValue } == [5002, 5023, 5003, 5006, nil])
        #expect(records[0]["error"]?["status"] == 404)
        #expect(records[4]["resource"]?["tags"] == ["fine"])
        let unchanged = await h.call("GET", "/files/\(ids[0])")
        #expect(unchanged.json["tags"] == [] && unchanged.json["name"] == "top.txt")
        let tooMany = await h.call("POST", "/bulk/files/edit", ["items": .array(Array(repeating: ["id": .string(ids[0])], count: 101))])
        #expect(tooMany.status == 400)
    }

    @Test func editFailureRateFailsAShareOfItemsWithCode9000() async throws {
        let h = try Harness { $0.faults = EmulatorFaults(editFailureRate: 0.5) }
        let ids = await twoFiles(h)
        let items: [JSONValue] = (0..<100).map { i in ["id": .string(ids[i % 2]), "metadata": ["i": .int(i)]] }
        let response = await h.call("POST", "/bulk/files/edit", ["items": .array(items)])
        let codes = (response.json["items"]?.arrayValue ?? []).map { $0["error"]?["code"]?.intValue }
        let failed = codes.filter { $0 == 9000 }.count
        #expect(failed > 20 && failed < 80, "\(failed) of 100 failed")
        #expect(failed + codes.filter { $0 == nil }.count == 100)
    }
}
