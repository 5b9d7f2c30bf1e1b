import Foundation
import PlatformEmulator
import Testing

@Suite("Platform-side drift: the async move job and the admin drift call")
struct DriftTests {
    /// Imports every object of the volume into the project root; returns name → file id.
    func imported(_ h: Harness) async -> [String: String] {
        for location in Harness.objects.keys.sorted() {
            await h.call("POST", "/storage/imports", [
                "source": ["volume": "alice/vol", "location": .string(location)], "destination": ["project": "alice/p1"], "overwrite": false,
            ])
        }
        h.clock.advance(by: 20)
        let files = await h.emulator.snapshot().project("alice/p1")?.files ?? []
        return Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.id) })
    }

    @Test func moveJobMovesIntoAFolderUnderANameAndAnswersPerItem() async throws {
        let h = try Harness()
        let ids = await imported(h)
        let folder = await h.folder("moved")
        let taken = try #require(ids["x.bam"])
        let created = await h.call("POST", "/async/files/move", ["items": [
            ["file": .string(try #require(ids["top.txt"])), "parent": .string(folder), "name": "top-moved.txt"],
            ["file": "no-such-id", "parent": .string(folder)],
        ]])
        #expect(created.status == 200)
        #expect(created.json["state"] == "FINISHED")
        let result = created.json["result"]?.arrayValue ?? []
        #expect(result.count == 2)
        #expect(result[0]["resource"]?["parent"]?.stringValue == folder)
        #expect(result[0]["resource"]?["name"] == "top-moved.txt")
        #expect(result[1]["error"]?["code"]?.intValue == 5002)
        let again = await h.call("GET", "/async/files/move/\(created.json["id"]?.stringValue ?? "")")
        #expect(again.json == created.json)
        #expect(await h.names().contains("moved/top-moved.txt"))
        #expect(!(await h.names().contains("top.txt")))
        // A taken name is a per-item 409; the file stays where it was.
        let clash = await h.call("POST", "/async/files/move", ["items": [["file": .string(taken), "parent": .string(folder), "name": "top-moved.txt"]]])
        #expect(clash.json["result"]?.arrayValue?.first?["error"]?["code"]?.intValue == 5003)
        #expect(await h.names().contains("x.bam"))
    }

    @Test func driftIsSeededAndCyclesThroughTheKinds() async throws {
        let h = try Harness()
        _ = await imported(h)
        let before = await h.emulator.snapshot().project("alice/p1")?.files.filter { $0.type == "file" } ?? []
        let done = await h.emulator.applyDrift(count: 6, seed: 9, project: "alice/p1")
        #expect(done.map(\.kind) == EmulatorDrift.Kind.allCases)
        let after = await h.emulator.snapshot().project("alice/p1")?.files.filter { $0.type == "file" } ?? []
        let byID = Dictionary(uniqueKeysWithValues: after.map { ($0.id, $0) })
        for drift in done {
            switch drift.kind {
            case .delete: #expect(byID[drift.fileID] == nil)
            case .rename: #expect(byID[drift.fileID]?.name == drift.newName)
            case .move: #expect(byID[drift.fileID]?.path == drift.newName)
            case .metadata: #expect(byID[drift.fileID]?.metadata["drift"] == "edited")
            case .tags: #expect(byID[drift.fileID]?.tags == ["drift"])
            case .replace:
                #expect(byID[drift.fileID] == nil)
                #expect(byID[drift.newFileID ?? ""]?.name == drift.name)
            }
        }
        #expect(after.count == before.count - 1)
        // The same seed on the same platform picks the same files.
        let twin = try Harness()
        _ = await imported(twin)
        let same = await twin.emulator.applyDrift(count: 6, seed: 9, project: "alice/p1")
        #expect(same.map(\.name) == done.map(\.name))
    }
}
