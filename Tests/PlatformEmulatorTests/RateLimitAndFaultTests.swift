import Foundation
import PlatformEmulator
import Testing

@Suite struct RateLimitTests {
    @Test func budgetRunsOutWith429AndResetsWithTheWindow() async throws {
        let h = try Harness { $0.rateLimit = 3; $0.rateWindow = 300; $0.timeScale = 100 }  // 3 real seconds
        for _ in 0..<3 { #expect(await h.call("GET", "/storage/volumes/alice/vol").status == 200) }
        let limited = await h.call("GET", "/storage/volumes/alice/vol")
        #expect(limited.status == 429)
        #expect(limited.json["code"] == 1000)
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        #expect(limited.header("Retry-After") == nil)
        let reset = try #require(Int(limited.header("X-RateLimit-Reset") ?? ""))
        #expect(reset == Int(h.clock.now().rounded(.up)) + 3)
        // GET /rate_limit is not counted and still answers.
        let status = await h.call("GET", "/rate_limit")
        #expect(status.status == 200)
        #expect(status.json["rate"]?["remaining"] == 0)
        #expect(status.json["rate"]?["limit"] == 3)

        h.clock.advance(by: 3)
        let again = await h.call("GET", "/storage/volumes/alice/vol")
        #expect(again.status == 200)
        #expect(again.header("X-RateLimit-Remaining") == "2")
        #expect(await h.emulator.counters().responses(status: 429) == 1)
    }

    @Test func limitsArePerToken() async throws {
        let h = try Harness { $0.tokens = ["a", "b"]; $0.rateLimit = 1 }
        #expect(await h.call("GET", "/storage/volumes", token: "a").status == 200)
        #expect(await h.call("GET", "/storage/volumes", token: "a").status == 429)
        #expect(await h.call("GET", "/storage/volumes", token: "b").status == 200)
    }

    @Test func retryAfterWhenConfigured() async throws {
        let h = try Harness { $0.rateLimit = 1; $0.sendRetryAfter = true; $0.rateWindow = 10 }
        await h.call("GET", "/storage/volumes")
        let limited = await h.call("GET", "/storage/volumes")
        #expect(limited.header("Retry-After") == "10")
    }
}

@Suite struct FaultTests {
    @Test func latencyDelaysTheAnswer() async throws {
        let h = try Harness { $0.faults = EmulatorFaults(latencyMilliseconds: 30) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await h.call("GET", "/storage/volumes").status == 200)
        #expect(clock.now - start >= .milliseconds(30))
    }

    @Test func burstOf429sThenNormalService() async throws {
        let h = try Harness { $0.faults = EmulatorFaults(rateLimitBurst: 2) }
        let burst = await h.call("GET", "/storage/volumes")
        #expect(burst.status == 429)
        #expect(burst.json["code"] == 1000)
        #expect(burst.header("X-RateLimit-Remaining") == "0")
        #expect(burst.header("X-RateLimit-Reset") == String(Int(h.clock.now().rounded(.up)) + 1))
        #expect(await h.call("GET", "/storage/volumes").status == 429)
        #expect(await h.call("GET", "/storage/volumes").status == 200)
        #expect(await h.emulator.faults().rateLimitBurst == 0)
    }

    @Test func errorRateInjects5xxWithErrorBodies() async throws {
        let h = try Harness { $0.faults = EmulatorFaults(errorRate: 1) }
        let first = await h.call("GET", "/storage/volumes")
        let second = await h.call("GET", "/storage/volumes")
        #expect(first.status == 503)
        #expect(second.status == 500)
        #expect(first.json["code"] == 90005)
        #expect(second.json["code"] == 90004)
        #expect(first.header("X-Request-Id") != nil)
        await h.emulator.setFaults(.none)
        #expect(await h.call("GET", "/storage/volumes").status == 200)
        #expect(await h.emulator.counters().injectedErrors == 2)
    }

    @Test func partialErrorRateIsReproducibleFromTheSeed() async throws {
        func run(seed: UInt64) async throws -> [Int] {
            let h = try Harness { $0.faults = EmulatorFaults(errorRate: 0.5); $0.seed = seed }
            var statuses: [Int] = []
            for _ in 0..<40 { statuses.append(await h.call("GET", "/storage/volumes").status) }
            return statuses
        }
        let a = try await run(seed: 7)
        #expect(a == (try await run(seed: 7)))
        #expect(a.contains(200) && a.contains { $0 >= 500 })
    }

    @Test(arguments: [(0.0, false), (1.0, true)])
    func droppedCreateIsAppliedOnlyWhenDroppedAfterApply(afterShare: Double, applied: Bool) async throws {
        let h = try Harness { $0.faults = EmulatorFaults(dropRate: 1, dropAfterApplyShare: afterShare) }
        let response = await h.call("POST", "/files", ["name": "qc", "type": "folder", "project": "alice/p1"])
        #expect(response.dropConnection)
        #expect(await h.names() == (applied ? ["qc"] : []))
        #expect(await h.emulator.counters().droppedConnections == 1)
    }

    @Test func itemFailuresFailJobsAndDRSItems() async throws {
        let h = try Harness { $0.faults = EmulatorFaults(itemFailureRate: 1) }
        let job = await h.call("POST", "/storage/imports", [
            "source": ["volume": "alice/vol", "location": "top.txt"], "destination": ["project": "alice/p1"], "overwrite": false,
        ])
        let drs = await h.call("POST", "/bulk/drs/imports/create", ["items": [["drs_uri": "drs://h.org/a", "project": "alice/p1"]]])
        h.clock.advance(by: 10)
        let done = await h.call("GET", "/storage/imports/\(job.json["id"]?.stringValue ?? "")")
        #expect(done.json["state"] == "FAILED")
        #expect(done.json["error"]?["code"] == 9000)
        let drsDone = await h.call("GET", "/bulk/drs/imports/\(drs.json["id"]?.stringValue ?? "")")
        #expect(drsDone.json["state"] == "FINISHED")
        #expect(drsDone.json["result"]?.arrayValue?.first?["error"]?["code"] == 9000)
        #expect(await h.names().isEmpty)
    }

    @Test func adminEndpointControlsFaultsProjectsAndCounters() async throws {
        let h = try Harness()
        func admin(_ method: String, _ path: String, _ body: String = "") async -> EmulatorResponse {
            await h.emulator.respond(to: EmulatorRequest(method: method, target: "/_admin/" + path, body: Data(body.utf8)))
        }
        let set = await admin("POST", "faults", #"{"rateLimitBurst": 1, "latencyMilliseconds": 0}"#)
        #expect(set.status == 200)
        #expect(await h.emulator.faults().rateLimitBurst == 1)
        #expect(await admin("POST", "faults", "[1]").status == 400)
        #expect(await admin("POST", "projects", #"{"id": "bob/new"}"#).status == 201)
        #expect(await admin("POST", "projects", #"{"id": "bob/new"}"#).status == 200)
        #expect(await admin("POST", "projects", #"{"id": "bad"}"#).status == 400)
        #expect(await h.call("GET", "/files?project=bob%2Fnew").status == 429)
        #expect(await h.call("GET", "/files?project=bob%2Fnew").status == 200)
        let counters = try JSONDecoder().decode(EmulatorCounters.self, from: await admin("GET", "counters").body)
        #expect(counters.requestsByEndpoint["GET /files"] == 2)
        let state = try JSONDecoder().decode(EmulatorSnapshot.self, from: await admin("GET", "state").body)
        #expect(state.projects.map(\.id) == ["alice/p1", "bob/new"])
        #expect(await admin("GET", "nothing").status == 404)
        let remote = await h.emulator.respond(to: EmulatorRequest(method: "GET", target: "/_admin/state", fromLoopback: false))
        #expect(remote.status == 403)
    }
}
