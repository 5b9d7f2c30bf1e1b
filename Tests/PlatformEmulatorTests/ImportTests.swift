import Foundation
import PlatformEmulator
import Testing

private func importBody(_ location: String, name: String? = nil, overwrite: Bool = false, autorename: Bool? = nil) -> JSONValue {
    var destination: [String: JSONValue] = ["project": .string(Harness.project)]
    if let name { destination["name"] = .string(name) }
    var body: [String: JSONValue] = [
        "source": ["volume": .string(Harness.volume), "location": .string(location)],
        "destination": .object(destination), "overwrite": .bool(overwrite),
    ]
    if let autorename { body["autorename"] = .bool(autorename) }
    return .object(body)
}

@Suite struct VolumeImportTests {
    @Test func lifeCycleFollowsTheScaledClock() async throws {
        let h = try Harness { $0.timeScale = 10 }  // 10 platform seconds = 1 real second
        let created = await h.call("POST", "/storage/imports", importBody("runs/r1/sample1.bam"))
        #expect(created.status == 201)
        #expect(created.json["state"] == "PENDING")
        #expect(created.json["result"] == .null)
        #expect(created.json["error"] == .null)
        #expect(created.json["started_on"] == .null)
        let id = try #require(created.json["id"]?.stringValue)
        #expect(created.json["href"] == .string("http://emu.test/v2/storage/imports/\(id)"))

        h.clock.advance(by: 0.6)
        let running = await h.call("GET", "/storage/imports/\(id)")
        #expect(running.json["state"] == "RUNNING")
        #expect(running.json["started_on"] != .null)
        #expect(await h.names().isEmpty)

        h.clock.advance(by: 0.4)
        let done = await h.call("GET", "/storage/imports/\(id)")
        #expect(done.json["state"] == "COMPLETED")
        #expect(done.json["result"]?["name"] == "sample1.bam")
        #expect(done.json["result"]?["size"] == 100)
        #expect(done.json["finished_on"] != .null)
        #expect(await h.names() == ["sample1.bam"])
    }

    @Test func fileAppearsWhenDueEvenIfNobodyPolls() async throws {
        let h = try Harness()
        await h.call("POST", "/storage/imports", importBody("top.txt"))
        h.clock.advance(by: 10)
        let listed = await h.call("GET", "/files?project=alice%2Fp1&name=top.txt")
        #expect(listed.header("X-Total-Matching-Query") == "1")
    }

    @Test func synchronousErrors() async throws {
        let h = try Harness()
        var body = importBody("top.txt")
        if case .object(var object) = body { object["source"] = ["volume": "alice/none", "location": "top.txt"]; body = .object(object) }
        #expect(await h.call("POST", "/storage/imports", body).json["code"] == 9007)
        #expect(await h.call("POST", "/storage/imports", importBody("nope.txt")).json["code"] == 9105)
        #expect(await h.call("POST", "/storage/imports", importBody("runs/")).status == 400)
        #expect(await h.call("GET", "/storage/imports/unknown").json["code"] == 9008)
    }

    @Test(arguments: [
        // (overwrite, autorename, expected state of the second job, expected names)
        (false, false, "FAILED", ["top.txt"]),
        (true, false, "COMPLETED", ["top.txt"]),
        (false, true, "COMPLETED", ["_1_top.txt", "top.txt"]),
    ])
    func conflictPolicies(overwrite: Bool, autorename: Bool, expected: String, names: [String]) async throws {
        let h = try Harness()
        await h.call("POST", "/storage/imports", importBody("top.txt"))
        h.clock.advance(by: 10)
        let firstID = try #require(await h.emulator.snapshot().project(Harness.project)?.files.first?.id)
        let second = await h.call("POST", "/storage/imports", importBody("top.txt", overwrite: overwrite, autorename: autorename))
        h.clock.advance(by: 10)
        let job = await h.call("GET", "/storage/imports/\(second.json["id"]?.stringValue ?? "")")
        #expect(job.json["state"] == .string(expected))
        #expect(await h.names() == names)
        if expected == "FAILED" {
            #expect(job.json["error"]?["code"] == 9108)
            #expect(job.json["error"]?["status"] == 409)
            #expect(job.json["result"] == .null)
        }
        if overwrite {
            #expect(job.json["result"]?["id"] != .string(firstID))
        }
    }

    @Test func autorenamePicksSmallestFreeNumberAcrossFilesAndFolders() async throws {
        let h = try Harness()
        _ = await h.folder("_1_top.txt")
        await h.call("POST", "/storage/imports", importBody("top.txt"))
        h.clock.advance(by: 10)
        for _ in 0..<2 { await h.call("POST", "/storage/imports", importBody("top.txt", autorename: true)) }
        h.clock.advance(by: 10)
        #expect(await h.names() == ["_1_top.txt", "_2_top.txt", "_3_top.txt", "top.txt"])
    }

    @Test func overwriteOntoFolderFails() async throws {
        let h = try Harness()
        _ = await h.folder("top.txt")
        let job = await h.call("POST", "/storage/imports", importBody("top.txt", overwrite: true))
        h.clock.advance(by: 10)
        let done = await h.call("GET", "/storage/imports/\(job.json["id"]?.stringValue ?? "")")
        #expect(done.json["state"] == "FAILED")
    }

    @Test func bulkCreateAndGetKeepRequestOrder() async throws {
        let h = try Harness()
        let response = await h.call("POST", "/bulk/storage/imports/create", ["items": [
            importBody("runs/r1/sample1.bam"), importBody("missing.bam"), importBody("runs/r1/sample2.bam", name: "two.bam"),
        ]])
        #expect(response.status == 200)
        let items = try #require(response.json["items"]?.arrayValue)
        #expect(items.count == 3)
        #expect(items[1]["error"]?["code"] == 9105)
        let ids = [items[0], items[2]].compactMap { $0["resource"]?["id"]?.stringValue }
        #expect(ids.count == 2)
        h.clock.advance(by: 10)
        let polled = await h.call("POST", "/bulk/storage/imports/get", ["import_ids": .array((ids + ["nope"]).map { .string($0) })])
        let records = try #require(polled.json["items"]?.arrayValue)
        #expect(records.map { $0["resource"]?["id"] } == [.string(ids[0]), .string(ids[1]), nil])
        #expect(records[1]["resource"]?["result"]?["name"] == "two.bam")
        #expect(records[2]["error"]?["code"] == 9008)

        let listed = await h.call("GET", "/storage/imports?volume=alice%2Fvol&project=alice%2Fp1&state=COMPLETED&fields=_all")
        #expect(listed.header("X-Total-Matching-Query") == "2")
    }
}

@Suite struct DRSImportTests {
    static func drsBody(_ items: [JSONValue], resolution: String = "SKIP", tags: JSONValue = nil) -> JSONValue {
        ["conflict_resolution": .string(resolution), "tags": tags, "items": .array(items)]
    }

    @Test func jobLifeCycleAndResults() async throws {
        let h = try Harness()
        let created = await h.call("POST", "/bulk/drs/imports/create", Self.drsBody([
            ["drs_uri": "drs://drs.example.org/abc-1", "project": "alice/p1", "name": "t.cram", "metadata": ["s": "1"]],
            ["drs_uri": "drs://dg.ABCD:acc-2", "project": "alice/p1"],
            ["drs_uri": "drs://drs.example.org/missing-1", "project": "alice/p1"],
            ["drs_uri": "https://not-drs/x", "project": "alice/p1"],
        ], tags: ["cohort"]))
        #expect(created.json["state"] == "SUBMITTED")
        #expect(created.json["result"] == [])
        let id = try #require(created.json["id"]?.stringValue)
        #expect(id.count == 18 && id.allSatisfy(\.isNumber))
        h.clock.advance(by: 1.5)
        #expect(await h.call("GET", "/bulk/drs/imports/\(id)").json["state"] == "RESOLVING")
        h.clock.advance(by: 1)
        #expect(await h.call("GET", "/bulk/drs/imports/\(id)").json["state"] == "RUNNING")
        h.clock.advance(by: 10)
        let done = await h.call("GET", "/bulk/drs/imports/\(id)")
        #expect(done.json["state"] == "FINISHED")
        let result = try #require(done.json["result"]?.arrayValue)
        #expect(result.count == 4)
        #expect(result[0]["resource"]?["id"] != nil)
        #expect(result[2]["error"]?["status"] == 404)
        #expect(result[3]["error"]?["status"] == 400)
        #expect(done.json["completed_files"] == 2)
        #expect(await h.names() == ["acc-2", "t.cram"])
        let file = await h.emulator.snapshot().project(Harness.project)?.files.first { $0.name == "t.cram" }
        #expect(file?.tags == ["cohort"])
        #expect(file?.metadata == ["s": "1"])
        #expect(file?.storage == ["type": "DRS", "drs_uri": "drs://drs.example.org/abc-1"])
    }

    @Test(arguments: [("SKIP", ["x.cram"], true), ("OVERWRITE", ["x.cram"], false), ("RENAME", ["_1_x.cram", "x.cram"], false)])
    func conflictResolution(resolution: String, names: [String], isError: Bool) async throws {
        let h = try Harness()
        let item: JSONValue = ["drs_uri": "drs://h.org/x.cram", "project": "alice/p1"]
        await h.call("POST", "/bulk/drs/imports/create", Self.drsBody([item]))
        h.clock.advance(by: 10)
        let second = await h.call("POST", "/bulk/drs/imports/create", Self.drsBody([item], resolution: resolution))
        h.clock.advance(by: 10)
        let done = await h.call("GET", "/bulk/drs/imports/\(second.json["id"]?.stringValue ?? "")")
        #expect(await h.names() == names)
        #expect((done.json["result"]?.arrayValue?.first?["error"] != nil) == isError)
        if isError { #expect(done.json["result"]?.arrayValue?.first?["error"]?["code"] == 5003) }
    }

    @Test func itemsArePacedPerWindow() async throws {
        let h = try Harness { $0.drsPace = 3; $0.drsWindow = 100; $0.jobDuration = 1 }
        let items: [JSONValue] = (0..<5).map { ["drs_uri": .string("drs://h.org/o\($0)"), "project": "alice/p1"] }
        let created = await h.call("POST", "/bulk/drs/imports/create", Self.drsBody(items))
        let id = try #require(created.json["id"]?.stringValue)
        h.clock.advance(by: 2)
        let first = await h.call("GET", "/bulk/drs/imports/\(id)")
        #expect(first.json["state"] == "RUNNING")
        #expect(first.json["completed_files"] == 3)
        h.clock.advance(by: 99)
        let second = await h.call("GET", "/bulk/drs/imports/\(id)")
        #expect(second.json["state"] == "FINISHED")
        #expect(second.json["completed_files"] == 5)
    }

    @Test func badBodies() async throws {
        let h = try Harness()
        #expect(await h.call("POST", "/bulk/drs/imports/create", Self.drsBody([], resolution: "SKIP")).status == 400)
        #expect(await h.call("POST", "/bulk/drs/imports/create", Self.drsBody([["drs_uri": "drs://h/x", "project": "alice/p1"]], resolution: "MERGE")).status == 400)
        #expect(await h.call("GET", "/bulk/drs/imports/123").status == 404)
    }
}
