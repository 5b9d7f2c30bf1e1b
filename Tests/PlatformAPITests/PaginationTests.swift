import Testing

@testable import PlatformAPI
import TestSupport

private func filePage(_ ids: [String], next: String?) -> Scripted {
    let items = ids.map { #"{"id": "\#($0)", "name": "\#($0).txt"}"# }.joined(separator: ",")
    let links = next.map { #"[{"href": "\#($0)", "rel": "next", "method": "GET"}]"# } ?? "[]"
    return json(200, #"{"href": "x", "items": [\#(items)], "links": \#(links)}"#, headers: [("X-Total-Matching-Query", "5")])
}

private func listing(_ locations: [String], prefixes: [String] = [], next: String?) -> Scripted {
    let items = locations.map { #"{"location": "\#($0)", "volume": "u/v", "type": "s3", "metadata": {"size": 10}}"# }.joined(separator: ",")
    let pre = prefixes.map { #"{"prefix": "\#($0)", "volume": "u/v"}"# }.joined(separator: ",")
    let links = next.map { #"[{"next": "\#($0)"}]"# } ?? "[]"
    return json(200, #"{"href": "x", "items": [\#(items)], "prefixes": [\#(pre)], "links": \#(links)}"#)
}

@Suite("Pagination: offset + links, continuation token")
struct PaginationTests {
    @Test("offset pages follow links[rel=next] until it is empty")
    func offsetPages() async throws {
        let base = "https://cgc-api.sbgenomics.com/v2/files?project=u%2Fp&limit=2&fields=_all"
        let transport = ScriptedTransport([
            filePage(["a", "b"], next: base + "&offset=2"),
            filePage(["c", "d"], next: base + "&offset=4"),
            filePage(["e"], next: nil),
        ])
        let client = try makeClient(transport)
        var offsets: [Int] = []
        var ids: [String] = []
        for try await page in client.reader.filePages(FileQuery(in: .project("u/p")), pageSize: 2) {
            offsets.append(page.offset)
            ids += page.items.map(\.id)
            #expect(page.totalCount == 5)
        }
        #expect(ids == ["a", "b", "c", "d", "e"])
        #expect(offsets == [0, 2, 4])
        #expect(transport.requests.map(\.url) == [
            "https://cgc-api.sbgenomics.com/v2/files?project=u%2Fp&offset=0&limit=2&fields=_all",
            base + "&offset=2", base + "&offset=4",
        ])
    }

    @Test("nextPage(after:) walks one page at a time")
    func nextPage() async throws {
        let transport = ScriptedTransport([
            filePage(["a"], next: "https://cgc-api.sbgenomics.com/v2/files?parent=d&offset=1&limit=1"),
            json(200, #"{"items": [{"id": "I2", "name": "b"}], "links": []}"#),
        ])
        let client = try makeClient(transport)
        let first: Page<PlatformFile> = try await client.reader.listFiles(FileQuery(in: .folder("d")), limit: 1)
        let second = try await client.reader.nextPage(after: first)
        #expect(second?.items.map(\.id) == ["I2"] && second?.offset == 1)
        #expect(try await client.reader.nextPage(after: second!) == nil)
    }

    @Test("a next link to another host is refused, so the token never leaves the endpoint")
    func foreignLink() async throws {
        let transport = ScriptedTransport([filePage(["a"], next: "https://evil.example.com/v2/files?offset=1")])
        let client = try makeClient(transport)
        let error = await #expect(throws: PlatformError.self) {
            _ = try await client.reader.filePages(FileQuery(in: .project("u/p"))).allItems()
        }
        #expect(error?.description == "refusing to follow 'https://evil.example.com/v2/files?offset=1': it is not below the endpoint https://cgc-api.sbgenomics.com/v2")
        #expect(transport.requests.count == 1)
    }

    @Test("a link that does not advance stops with an error instead of looping")
    func stuckLink() async throws {
        let same = "https://cgc-api.sbgenomics.com/v2/files?offset=1"
        let transport = ScriptedTransport([filePage(["a"], next: same)], fallback: filePage(["a"], next: same))
        let client = try makeClient(transport)
        await #expect(throws: PlatformError.self) { _ = try await client.reader.filePages(FileQuery(in: .project("u/p"))).allItems() }
        #expect(transport.requests.count == 2)
    }

    @Test("volume listings follow links[].next carrying the continuation token")
    func continuationPages() async throws {
        let next1 = "https://cgc-api.sbgenomics.com/v2/storage/volumes/u/v/list?prefix=runs%2F&limit=2&continuation_token=AbC%2B1"
        let next2 = "https://cgc-api.sbgenomics.com/v2/storage/volumes/u/v/list?prefix=runs%2F&limit=2&continuation_token=DeF2"
        let transport = ScriptedTransport([
            listing(["runs/a.bam", "runs/b.bam"], prefixes: ["runs/qc/"], next: next1),
            listing(["runs/c.bam", "runs/d.bam"], next: next2),
            listing(["runs/e.bam"], next: nil),
        ])
        let client = try makeClient(transport)
        var locations: [String] = []
        var prefixes: [String] = []
        var tokens: [String?] = []
        for try await page in client.reader.volumePages("u/v", prefix: "runs/", pageSize: 2) {
            locations += page.items.map(\.location)
            prefixes += page.prefixes.map(\.prefix)
            tokens.append(page.continuationToken)
            #expect(page.items.allSatisfy { $0.size == 10 })
        }
        #expect(locations == ["runs/a.bam", "runs/b.bam", "runs/c.bam", "runs/d.bam", "runs/e.bam"])
        #expect(prefixes == ["runs/qc/"])
        #expect(tokens == ["AbC+1", "DeF2", nil])
        #expect(transport.requests.map(\.url) == [
            "https://cgc-api.sbgenomics.com/v2/storage/volumes/u/v/list?prefix=runs%2F&limit=2&fields=_all", next1, next2,
        ])
    }

    @Test("listVolume resumes from a saved continuation token")
    func resumeWithToken() async throws {
        let transport = ScriptedTransport([listing(["runs/e.bam"], next: nil)])
        let client = try makeClient(transport)
        let page = try await client.reader.listVolume("u/v", prefix: "runs/", continuationToken: "AbC+1", limit: 50)
        #expect(page.items.map(\.location) == ["runs/e.bam"] && page.continuationToken == nil)
        #expect(transport.requests[0].url == "https://cgc-api.sbgenomics.com/v2/storage/volumes/u/v/list?prefix=runs%2F&limit=50&continuation_token=AbC%2B1&fields=_all")
    }
}

@Suite("Request budget")
struct BudgetTests {
    @Test("a full bucket lets a burst through, then paces at capacity/window")
    func pacing() async throws {
        let clock = TestClock(1_700_000_000)
        let budget = RequestBudget(capacity: 10, window: .seconds(10), clock: clock)
        for _ in 0..<10 { try await budget.acquire() }
        #expect(clock.sleeps.isEmpty)
        for _ in 0..<5 { try await budget.acquire() }
        // One token per second after the burst.
        #expect(clock.sleeps == Array(repeating: .seconds(1), count: 5))
    }

    @Test("X-RateLimit-Remaining lowers the budget; remaining 0 waits for the reset")
    func serverCorrection() async throws {
        let clock = TestClock(1000)
        let budget = RequestBudget(capacity: 1000, window: .seconds(300), clock: clock)
        await budget.observe(remaining: 0, reset: 1030)
        try await budget.acquire()
        #expect(clock.now() >= 1030)
        #expect(clock.sleeps.first == .seconds(30))
        await budget.observe(remaining: 2, reset: 1330)
        #expect(await budget.available <= 2)
    }

    @Test("stale answers of the same window cannot raise the count; a new window replaces it")
    func outOfOrder() async throws {
        let clock = TestClock(1000)
        let budget = RequestBudget(capacity: 1000, clock: clock)
        await budget.observe(remaining: 3, reset: 1100)
        await budget.observe(remaining: 7, reset: 1100)
        #expect(await budget.available == 3)
    }

    @Test("the client paces its requests through the shared budget")
    func clientUsesBudget() async throws {
        let clock = TestClock(1_700_000_000)
        let budget = RequestBudget(capacity: 2, window: .seconds(4), clock: clock)
        let transport = ScriptedTransport([], fallback: json(200, #"{"id": "f", "name": "a"}"#))
        let client = try makeClient(transport, clock: clock, budget: budget)
        for _ in 0..<4 { _ = try await client.reader.file(id: "f") }
        #expect(transport.requests.count == 4)
        #expect(clock.sleeps == [.seconds(2), .seconds(2)])
    }
}
