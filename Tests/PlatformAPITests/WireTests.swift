import Foundation
import Testing

@testable import PlatformAPI
import TestSupport

private let fullFile = """
    {
      "href": "https://api.sbgenomics.com/v2/files/5f3a9c0de4b0a1b2c3d4e5f6",
      "id": "5f3a9c0de4b0a1b2c3d4e5f6", "name": "sample1.bam", "size": 1048576,
      "project": "rfranklin/my-project", "parent": "5f3a9c0de4b0a1b2c3d4e500", "type": "file",
      "created_on": "2024-05-01T10:00:03Z", "modified_on": "2024-05-01T10:00:03.123456Z",
      "storage": { "type": "VOLUME", "volume": "rfranklin/my_volume", "location": "runs/r1/sample1.bam" },
      "origin": {}, "tags": ["batch-7"], "metadata": { "sample_id": "S1", "n": 4, "x": 1.5, "ok": true, "none": null },
      "unknown_field": 1
    }
    """

@Suite("Wire types and request bodies")
struct WireTests {
    @Test("a full file object decodes, unknown keys ignored, metadata keeps types")
    func file() throws {
        let file = try RequestEngine.decoder.decode(PlatformFile.self, from: Data(fullFile.utf8))
        #expect(file.id == "5f3a9c0de4b0a1b2c3d4e5f6")
        #expect(file.size == 1_048_576)
        #expect(file.storage == FileStorage(type: "VOLUME", volume: "rfranklin/my_volume", location: "runs/r1/sample1.bam"))
        #expect(file.metadata == ["sample_id": .string("S1"), "n": .int(4), "x": .double(1.5), "ok": .bool(true), "none": .null])
        #expect(file.tags == ["batch-7"])
        #expect(file.createdOn == Date(timeIntervalSince1970: 1_714_557_603))
        #expect(abs(file.modifiedOn!.timeIntervalSince1970 - 1_714_557_603.123456) < 0.001)
        #expect(!file.isFolder)
    }

    @Test("a folder decodes without size, tags or metadata")
    func folder() throws {
        let folder = try RequestEngine.decoder.decode(PlatformFile.self, from: Data(#"{"id": "f", "name": "qc", "type": "FOLDER", "size": null}"#.utf8))
        #expect(folder.isFolder && folder.size == nil && folder.tags.isEmpty && folder.metadata.isEmpty)
    }

    @Test("a bad date is an invalid response naming the field")
    func badDate() async throws {
        let transport = ScriptedTransport([json(200, #"{"id": "f", "name": "a", "created_on": "2024-05-01 10:00"}"#)])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) { try await client.reader.file(id: "f") }
        #expect(error?.description == "GET /files/f: unreadable answer (HTTP 200): 'created_on': expected a date like 2024-05-01T10:00:00Z, found '2024-05-01 10:00'")
    }

    @Test("import request bodies are encoded as sevenbridges-python sends them")
    func importBody() throws {
        let plain = ImportRequest(source: VolumeSource(volume: "u/v", location: "a.bam"), destination: ImportDestination(.project("u/p"), name: "a.bam"))
        #expect(String(decoding: try RequestBodyEncoder.encode(plain), as: UTF8.self)
            == #"{"destination":{"name":"a.bam","project":"u/p"},"overwrite":false,"source":{"location":"a.bam","volume":"u/v"}}"#)
        let folder = ImportRequest(
            source: VolumeSource(volume: "u/v", location: "qc/"), destination: ImportDestination(.folder("abc"), name: nil),
            overwrite: true, autorename: true, preserveFolderStructure: false)
        #expect(String(decoding: try RequestBodyEncoder.encode(folder), as: UTF8.self)
            == #"{"autorename":true,"destination":{"parent":"abc"},"overwrite":true,"preserve_folder_structure":false,"source":{"location":"qc/","volume":"u/v"}}"#)
    }

    @Test("bulk volume import: items, records with resource or error, in order")
    func bulkImport() async throws {
        let transport = ScriptedTransport([json(200, """
            {"items": [
              {"resource": {"id": "Imp1", "href": "https://cgc-api.sbgenomics.com/v2/storage/imports/Imp1", "state": "PENDING",
                            "source": {"volume": "u/v", "location": "a.bam"}, "destination": {"project": "u/p", "name": "a.bam"}, "overwrite": false}},
              {"error": {"status": 404, "code": 9105, "message": "Location on volume not found.", "more_info": "x"}}
            ]}
            """)])
        let client = try makeClient(transport)
        let items = [
            ImportRequest(source: VolumeSource(volume: "u/v", location: "a.bam"), destination: ImportDestination(.project("u/p"), name: "a.bam")),
            ImportRequest(source: VolumeSource(volume: "u/v", location: "b.bam"), destination: ImportDestination(.project("u/p"), name: "b.bam")),
        ]
        let records = try await client.startBulkImport(items)
        #expect(records.count == 2)
        #expect(records[0].resource?.id == "Imp1")
        #expect(records[0].resource?.state == .pending)
        #expect(records[1].error == PlatformErrorBody(status: 404, code: 9105, message: "Location on volume not found.", moreInfo: "x"))
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://cgc-api.sbgenomics.com/v2/bulk/storage/imports/create")
        #expect(request.method == .post)
        let body = try #require(request.bodyJSON as? [String: Any])
        #expect((body["items"] as? [Any])?.count == 2)
    }

    @Test("bulk calls refuse more than 100 items before sending")
    func bulkLimit() async throws {
        let transport = ScriptedTransport([])
        let client = try makeClient(transport)
        let ids = (0..<101).map { "id\($0)" }
        await #expect(throws: PlatformError.self) { try await client.reader.files(ids: ids) }
        await #expect(throws: PlatformError.self) { try await client.reader.importJobs(ids: ids) }
        #expect(transport.requests.isEmpty)
    }

    @Test("a bulk answer with the wrong number of records is rejected")
    func bulkCount() async throws {
        let transport = ScriptedTransport([json(200, #"{"items": [{"resource": {"id": "a", "name": "a"}}]}"#)])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) { try await client.reader.files(ids: ["a", "b"]) }
        #expect(error?.description == "POST /bulk/files/get: unreadable answer (HTTP 200): 1 records for 2 items")
    }

    @Test("bulk import get and bulk file get send the id lists")
    func bulkGets() async throws {
        let transport = ScriptedTransport([
            json(200, #"{"items": [{"resource": {"id": "I1", "state": "COMPLETED", "result": {"id": "F1", "name": "a.bam"}, "error": null}}]}"#),
            json(200, #"{"items": [{"resource": {"id": "F1", "name": "a.bam"}}, {"error": {"status": 404, "code": 5002, "message": "gone"}}]}"#),
        ])
        let client = try makeClient(transport)
        let jobs = try await client.reader.importJobs(ids: ["I1"])
        #expect(jobs[0].resource?.state == .completed && jobs[0].resource?.result?.id == "F1")
        let files = try await client.reader.files(ids: ["F1", "F2"])
        #expect(files[0].resource?.name == "a.bam" && files[1].error?.code == 5002)
        #expect(transport.requests.map(\.bodyText) == [#"{"import_ids":["I1"]}"#, #"{"file_ids":["F1","F2"]}"#])
    }

    @Test("DRS bulk import: body with conflict_resolution, tags and items; job id as a string")
    func drs() async throws {
        let transport = ScriptedTransport([
            json(200, #"{"href": "https://cgc-api.sbgenomics.com/v2/bulk/drs/imports/243039088206221312", "id": "243039088206221312", "result": [], "state": "SUBMITTED"}"#),
            json(200, """
                {"id": "243039088206221312", "state": "FINISHED", "started_on": "2024-05-01T10:00:00Z", "finished_on": "2024-05-01T10:00:09Z",
                 "result": [{"resource": {"href": "https://x/v2/files/5f3a", "id": "5f3a"}}, {"error": {"status": 404, "code": 5002, "message": "m", "more_info": "i"}}]}
                """),
        ])
        let client = try makeClient(transport)
        let job = try await client.startDRSImport([
            DRSImportItem(drsURI: "drs://drs.example.org/0b1c", destination: .project("u/p"), name: "tumor.cram", metadata: ["sample_id": .string("S1")]),
            DRSImportItem(drsURI: "drs://dg.ABCD:0b1c", destination: .folder("5f3a9c0de4b0a1b2c3d4e500")),
        ], conflictResolution: .skip, tags: ["t1"])
        #expect(job.id == "243039088206221312" && job.state == .submitted && job.result.isEmpty)
        #expect(transport.requests[0].bodyText == #"{"conflict_resolution":"SKIP","items":[{"drs_uri":"drs://drs.example.org/0b1c","metadata":{"sample_id":"S1"},"name":"tumor.cram","project":"u/p"},{"drs_uri":"drs://dg.ABCD:0b1c","parent":"5f3a9c0de4b0a1b2c3d4e500"}],"tags":["t1"]}"#)
        let done = try await client.reader.drsImportJob(id: job.id)
        #expect(done.state.isFinal)
        #expect(done.result.map(\.resource?.id) == ["5f3a", nil])
        #expect(done.result[1].error?.code == 5002)
        #expect(transport.requests[1].url == "https://cgc-api.sbgenomics.com/v2/bulk/drs/imports/243039088206221312")
    }

    @Test("folder create sends name, type folder and exactly one of project/parent")
    func createFolder() async throws {
        let transport = ScriptedTransport([json(200, #"{"id": "d1", "name": "qc", "type": "folder", "project": "u/p"}"#),
                                           json(200, #"{"id": "d2", "name": "s1", "type": "folder", "parent": "d1"}"#)])
        let client = try makeClient(transport)
        #expect(try await client.createFolder(named: "qc", in: .project("u/p")).isFolder)
        _ = try await client.createFolder(named: "s1", in: .folder("d1"))
        #expect(transport.requests.map(\.bodyText) == [#"{"name":"qc","project":"u/p","type":"folder"}"#, #"{"name":"s1","parent":"d1","type":"folder"}"#])
    }

    @Test("volume get reads access_mode from the top level or from service, never credentials")
    func volume() async throws {
        let transport = ScriptedTransport([
            json(200, #"{"id": "u/v", "name": "v", "access_mode": "RO", "service": {"type": "S3", "bucket": "b", "prefix": "in", "credentials": {"access_key_id": "AKIA"}}, "active": true}"#),
            json(200, #"{"id": "u/v", "service": {"type": "gcs", "bucket": "b", "access_mode": "RW"}}"#),
        ])
        let client = try makeClient(transport)
        let v1 = try await client.reader.volume(id: "u/v")
        #expect(v1.accessMode == "RO" && v1.service?.prefix == "in" && v1.active == true)
        #expect(transport.requests[0].url == "https://cgc-api.sbgenomics.com/v2/storage/volumes/u/v")
        #expect(try await client.reader.volume(id: "u/v").accessMode == "RW")
    }

    @Test("rate limit status from the body, falling back to headers; not paced by the budget")
    func rateLimit() async throws {
        let transport = ScriptedTransport([
            json(200, #"{"rate": {"limit": 1000, "remaining": 990, "reset": 1700000300}, "instance_limit": {"limit": -1, "remaining": 0}}"#),
            json(200, "{}", headers: [("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "5"), ("X-RateLimit-Reset", "1700000100")]),
        ])
        let clock = TestClock(1_700_000_000)
        let budget = RequestBudget(capacity: 1000, initialTokens: 0, clock: clock)
        let client = try makeClient(transport, clock: clock, budget: budget)
        let r1 = try await client.reader.rateLimit()
        #expect(r1 == RateLimitStatus(limit: 1000, remaining: 990, reset: 1_700_000_300, instanceLimit: -1, instanceRemaining: 0))
        #expect(try await client.reader.rateLimit().remaining == 5)
        #expect(clock.sleeps.isEmpty)
    }

    @Test("file listing sends filters and fields=_all, decodes links and the total")
    func listFiles() async throws {
        let transport = ScriptedTransport([json(200, """
            {"href": "https://cgc-api.sbgenomics.com/v2/files?project=u%2Fp&offset=0&limit=2", "items": [{"id": "a", "name": "a.txt"}],
             "links": []}
            """, headers: [("X-Total-Matching-Query", "1")])])
        let client = try makeClient(transport)
        let page = try await client.reader.listFiles(
            FileQuery(in: .project("u/p"), names: ["a.txt", "b c.txt"], metadata: ["sample": "s/1"], tags: ["t1"]), limit: 2)
        #expect(page.items.map(\.id) == ["a"] && page.totalCount == 1 && page.nextURL == nil)
        #expect(transport.requests[0].url == "https://cgc-api.sbgenomics.com/v2/files?project=u%2Fp&name=a.txt&name=b%20c.txt&tag=t1&metadata.sample=s%2F1&offset=0&limit=2&fields=_all")
    }

    @Test("limits outside 1...100 and over-long URLs are refused before sending")
    func requestChecks() async throws {
        let transport = ScriptedTransport([])
        let client = try makeClient(transport)
        await #expect(throws: PlatformError.self) { try await client.reader.listFiles(FileQuery(in: .project("u/p")), limit: 101) }
        await #expect(throws: PlatformError.self) { try await client.reader.listVolume("u/v", limit: 0) }
        let names = (0..<400).map { "sample-\($0)-with-a-long-name.fastq.gz" }
        let error = await #expect(throws: PlatformError.self) { try await client.reader.listFiles(FileQuery(in: .project("u/p"), names: names)) }
        #expect(error?.description.contains("split the name filters") == true)
        #expect(transport.requests.isEmpty)
    }
}
