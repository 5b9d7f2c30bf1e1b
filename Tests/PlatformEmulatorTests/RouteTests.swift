import Foundation
import PlatformEmulator
import Testing
import TestSupport

@Suite struct AuthAndHeaderTests {
    @Test func unknownTokenIsRejectedWith401AndHeaders() async throws {
        let h = try Harness()
        for token in [nil, "wrong"] as [String?] {
            let response = await h.call("GET", "/files?project=alice%2Fp1", token: token)
            #expect(response.status == 401)
            #expect(response.json["code"] == 90001)
            #expect(response.json["more_info"]?.stringValue != nil)
            #expect(response.header("X-Request-Id") != nil)
            #expect(response.header("X-RateLimit-Limit") == "1000")
        }
    }

    @Test func bearerTokenIsAccepted() async throws {
        let h = try Harness()
        let response = await h.emulator.respond(to: EmulatorRequest(
            method: "GET", target: "/v2/files?project=alice%2Fp1", headers: ["Authorization": "Bearer \(Harness.token)"]))
        #expect(response.status == 200)
    }

    @Test func everyResponseCarriesRateLimitHeadersAndRequestID() async throws {
        let h = try Harness()
        let first = await h.call("GET", "/files?project=alice%2Fp1")
        let second = await h.call("GET", "/storage/volumes/alice/vol")
        #expect(first.header("X-RateLimit-Remaining") == "999")
        #expect(second.header("X-RateLimit-Remaining") == "998")
        let reset = try #require(Int(first.header("X-RateLimit-Reset") ?? ""))
        #expect(reset == Int(h.clock.now().rounded(.up)) + 300)
        #expect(first.header("X-Request-Id") != second.header("X-Request-Id"))
    }

    @Test func unknownRouteIs404WithErrorBody() async throws {
        let h = try Harness()
        let response = await h.call("GET", "/nothing/here")
        #expect(response.status == 404)
        #expect(response.json["status"] == 404)
    }
}

@Suite struct FileTests {
    @Test func folderCreationAndNameRules() async throws {
        let h = try Harness()
        let created = await h.call("POST", "/files", ["name": "qc", "type": "folder", "project": "alice/p1"])
        #expect(created.status == 201)
        #expect(created.json["type"] == "folder")
        #expect(created.json["size"] == .null)
        #expect(created.json["href"] == .string("http://emu.test/v2/files/\(created.json["id"]?.stringValue ?? "")"))
        let id = try #require(created.json["id"]?.stringValue)
        #expect(id.count == 24 && id.allSatisfy(\.isHexDigit))

        let again = await h.call("POST", "/files", ["name": "qc", "type": "folder", "project": "alice/p1"])
        #expect(again.status == 409)
        #expect(again.json["code"] == 5030)
        let both = await h.call("POST", "/files", ["name": "x", "type": "folder", "project": "alice/p1", "parent": .string(id)])
        #expect(both.json["code"] == 5031)
        let badName = await h.call("POST", "/files", ["name": "a b", "type": "folder", "project": "alice/p1"])
        #expect(badName.json["code"] == 5024)
        let badType = await h.call("POST", "/files", ["name": "x", "type": "file", "project": "alice/p1"])
        #expect(badType.json["code"] == 5012)
        let noProject = await h.call("POST", "/files", ["name": "x", "type": "folder", "project": "alice/none"])
        #expect(noProject.status == 404)
        #expect(noProject.json["code"] == 3002)
        let nested = await h.call("POST", "/files", ["name": "inner", "type": "folder", "parent": .string(id)])
        #expect(nested.json["parent"] == .string(id))
        #expect(await h.names() == ["qc", "qc/inner"])
    }

    @Test func offsetPaginationShape() async throws {
        let h = try Harness()
        for n in 0..<5 { _ = await h.folder("f\(n)") }
        let first = await h.call("GET", "/files?limit=2&fields=_all&project=alice%2Fp1")
        #expect(first.status == 200)
        #expect(first.header("X-Total-Matching-Query") == "5")
        #expect(first.json["href"] == "http://emu.test/v2/files?limit=2&fields=_all&project=alice%2Fp1")
        #expect(first.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["f0", "f1"])
        let links = try #require(first.json["links"]?.arrayValue)
        #expect(links.count == 1)
        #expect(links[0]["rel"] == "next")
        #expect(links[0]["method"] == "GET")
        let next = try #require(links[0]["href"]?.stringValue)
        #expect(next == "http://emu.test/v2/files?fields=_all&project=alice%2Fp1&offset=2&limit=2")

        let last = await h.call("GET", "/files?fields=_all&project=alice%2Fp1&offset=4&limit=2")
        #expect(last.json["items"]?.arrayValue?.count == 1)
        #expect(last.json["links"]?.arrayValue?.contains { $0["rel"] == "next" } == false)
        let tooBig = await h.call("GET", "/files?project=alice%2Fp1&limit=101")
        #expect(tooBig.status == 400)
    }

    @Test func nameTagAndMetadataFilters() async throws {
        let h = try Harness()
        for location in ["runs/r1/sample1.bam", "runs/r1/sample2.bam", "runs/r1/sample3.bam"] {
            await h.call("POST", "/storage/imports", ["source": ["volume": "alice/vol", "location": .string(location)], "destination": ["project": "alice/p1"], "overwrite": false])
        }
        h.clock.advance(by: 10)
        let files = await h.call("GET", "/files?project=alice%2Fp1").json["items"]?.arrayValue ?? []
        let ids = files.compactMap { $0["id"]?.stringValue }
        #expect(ids.count == 3)
        await h.call("PUT", "/files/\(ids[0])/tags", ["t1"])
        await h.call("PUT", "/files/\(ids[1])/tags", ["t2"])
        await h.call("PATCH", "/files/\(ids[1])/metadata", ["sample": "s2"])
        let byName = await h.call("GET", "/files?project=alice%2Fp1&name=sample1.bam&name=sample3.bam")
        #expect(byName.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sample1.bam", "sample3.bam"])
        #expect(byName.header("X-Total-Matching-Query") == "2")
        let byTag = await h.call("GET", "/files?project=alice%2Fp1&tag=t2")
        #expect(byTag.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sample2.bam"])
        let byMetadata = await h.call("GET", "/files?project=alice%2Fp1&metadata.sample=s2")
        #expect(byMetadata.json["items"]?.arrayValue?.count == 1)
    }

    @Test func metadataMergeReplaceAndTags() async throws {
        let h = try Harness()
        await h.call("POST", "/storage/imports", ["source": ["volume": "alice/vol", "location": "top.txt"], "destination": ["project": "alice/p1"], "overwrite": false])
        h.clock.advance(by: 10)
        let id = try #require(await h.emulator.snapshot().project(Harness.project)?.files.first?.id)
        let merged1 = await h.call("PATCH", "/files/\(id)/metadata", ["a": "1", "b": "2"])
        #expect(merged1.json == ["a": "1", "b": "2"])
        let merged2 = await h.call("PATCH", "/files/\(id)/metadata", ["b": "3", "c": "4"])
        #expect(merged2.json == ["a": "1", "b": "3", "c": "4"])
        let replaced = await h.call("PUT", "/files/\(id)/metadata", ["z": "9"])
        #expect(replaced.json == ["z": "9"])
        let tags = await h.call("PUT", "/files/\(id)/tags", ["x", "y"])
        #expect(tags.json == ["x", "y"])
        let file = await h.call("GET", "/files/\(id)")
        #expect(file.json["metadata"] == ["z": "9"])
        #expect(file.json["tags"] == ["x", "y"])
        #expect(file.json["storage"] == ["type": "VOLUME", "volume": "alice/vol", "location": "top.txt"])
        #expect(file.json["size"] == 1)
        let created = try #require(file.json["created_on"]?.stringValue)
        #expect(created.hasSuffix("Z") && created.count == 20)
    }

    @Test func bulkGetMixesResourcesAndErrors() async throws {
        let h = try Harness()
        let id = await h.folder("qc")
        let response = await h.call("POST", "/bulk/files/get", ["file_ids": [.string(id), "000000000000000000000000"]])
        let items = try #require(response.json["items"]?.arrayValue)
        #expect(items.count == 2)
        #expect(items[0]["resource"]?["id"] == .string(id))
        #expect(items[1]["error"]?["code"] == 5002)
        let tooMany = await h.call("POST", "/bulk/files/get", ["file_ids": .array(Array(repeating: "x", count: 101))])
        #expect(tooMany.status == 400)
    }

    @Test func deleteAnswers204AndRefusesNonEmptyFolders() async throws {
        let h = try Harness()
        let outer = await h.folder("outer")
        let inner = await h.folder("inner", parent: outer)
        #expect(await h.call("DELETE", "/files/\(outer)", [:]).json["code"] == 5021)
        #expect(await h.call("DELETE", "/files/\(inner)", [:]).status == 204)
        #expect(await h.call("DELETE", "/files/\(outer)", [:]).status == 204)
        #expect(await h.call("GET", "/files/\(outer)").status == 404)
    }
}

@Suite struct VolumeTests {
    @Test func volumeDetails() async throws {
        let h = try Harness()
        let volume = await h.call("GET", "/storage/volumes/alice/vol")
        #expect(volume.json["id"] == "alice/vol")
        #expect(volume.json["href"] == "http://emu.test/v2/storage/volumes/alice/vol")
        #expect(await h.call("GET", "/storage/volumes/alice/none").json["code"] == 9007)
        let list = await h.call("GET", "/storage/volumes")
        #expect(list.header("X-Total-Matching-Query") == "1")
    }

    @Test func delimiterListingWithContinuationTokens() async throws {
        let h = try Harness()
        let top = await h.call("GET", "/storage/volumes/alice/vol/list?fields=_all")
        #expect(top.json["items"]?.arrayValue?.compactMap { $0["location"]?.stringValue } == ["top.txt"])
        #expect(top.json["prefixes"]?.arrayValue?.compactMap { $0["prefix"]?.stringValue } == ["runs/"])
        #expect(top.json["links"] == [])

        var seen: [String] = []
        var target = "/storage/volumes/alice/vol/list?prefix=runs%2Fr1%2F&limit=2&fields=_all"
        var pages = 0
        while true {
            let page = await h.call("GET", target)
            #expect(page.status == 200)
            pages += 1
            seen += page.json["items"]?.arrayValue?.compactMap { $0["location"]?.stringValue } ?? []
            seen += page.json["prefixes"]?.arrayValue?.compactMap { $0["prefix"]?.stringValue } ?? []
            guard let next = page.json["links"]?.arrayValue?.first?["next"]?.stringValue else { break }
            #expect(next.hasPrefix("http://emu.test/v2/storage/volumes/alice/vol/list?"))
            target = String(next.dropFirst("http://emu.test/v2".count))
        }
        #expect(pages == 2)
        #expect(seen.sorted() == ["runs/r1/qc/", "runs/r1/sample1.bam", "runs/r1/sample2.bam", "runs/r1/sample3.bam"])
        let item = await h.call("GET", "/storage/volumes/alice/vol/list?prefix=top").json["items"]?.arrayValue?.first
        #expect(item?["metadata"]?["size"] == 1)
        #expect(item?["type"] == "s3")
    }

    @Test func directoryAndListingVolumes() async throws {
        let scratch = TemporaryDirectory()
        let root = scratch.url
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: root.appendingPathComponent("a/b/c.txt"))
        try Data("xy".utf8).write(to: root.appendingPathComponent("top.bin"))
        let listing = root.appendingPathComponent("listing.tsv")
        try "# objects\nx/y.bam\t1234\nz.bam\n".write(to: listing, atomically: true, encoding: .utf8)
        let h = try Harness {
            $0.volumes = ["alice/dir": .directory(root.appendingPathComponent("a")), "alice/list": .listing(listing)]
        }
        let dir = await h.call("GET", "/storage/volumes/alice/dir/list?prefix=b%2F")
        #expect(dir.json["items"]?.arrayValue?.first?["location"] == "b/c.txt")
        #expect(dir.json["items"]?.arrayValue?.first?["metadata"]?["size"] == 5)
        let listed = await h.call("GET", "/storage/volumes/alice/list/object?location=x%2Fy.bam")
        #expect(listed.json["metadata"]?["size"] == 1234)

        try "bad\tsize\n".write(to: listing, atomically: true, encoding: .utf8)
        #expect(throws: EmulatorSetupError.self) { try Harness { $0.volumes = ["alice/list": .listing(listing)] } }
        #expect(throws: EmulatorSetupError.self) { try Harness { $0.volumes = ["novolume": .objects([:])] } }
    }
}
