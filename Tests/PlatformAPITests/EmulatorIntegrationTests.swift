import Foundation
import Logging
import PlatformEmulator
import Testing

@testable import PlatformAPI
import TestSupport

private let emulatorToken = "emu-t0ken-9f8e7d6c5b4a"
private let project = "rfranklin/my-project"
private let volumeID = "rfranklin/my_volume"
private let objects = ["runs/a.bam": 100, "runs/b.bam": 200, "runs/c.bam": 300, "runs/d.bam": 400, "runs/e.bam": 500, "runs/qc/x.txt": 1]

/// Runs `body` against an emulator served in process on port 0, with a client on AsyncHTTPClient.
private func withEmulatorClient(
    rateLimit: Int = 1000, faults: EmulatorFaults = .none, logs: LogCapture? = nil, token: String = emulatorToken,
    _ body: (PlatformClient, RunningEmulator, TestClock) async throws -> Void
) async throws {
    let emulatorClock = TestClock(1_700_000_000)
    let configuration = EmulatorConfiguration(
        tokens: [emulatorToken], projects: [project], volumes: [volumeID: .objects(objects)],
        jobDuration: 6, rateLimit: rateLimit, faults: faults, seed: 7, clock: emulatorClock.emulatorClock)
    try await withRunningEmulator(configuration) { running in
        try await AsyncHTTPTransport.withTransport { transport in
            let clock = emulatorClock
            var logger = logs?.logger() ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            logger.logLevel = .trace
            let client = PlatformClient(
                config: PlatformConfig(endpoint: try PlatformEndpoint(parsing: running.baseURL.absoluteString), token: AuthToken(token)),
                transport: transport, budget: RequestBudget(clock: clock), clock: clock,
                options: PlatformClientOptions(requestTimeout: .seconds(20)), logger: logger)
            try await body(client, running, emulatorClock)
        }
    }
}

private func importRequest(_ location: String, name: String? = nil) -> ImportRequest {
    ImportRequest(
        source: PlatformAPI.VolumeSource(volume: volumeID, location: location),
        destination: ImportDestination(.project(project), name: name))
}

@Suite("PlatformAPI against the emulator in process", .serialized)
struct EmulatorIntegrationTests {
    @Test("every call: imports, bulk imports, DRS, files, folders, metadata, tags, volumes, rate limit")
    func everyCall() async throws {
        try await withEmulatorClient { client, running, emulatorClock in
            let reader = client.reader
            // Rate limit.
            let rate = try await reader.rateLimit()
            #expect(rate.limit == 1000 && rate.remaining <= 1000)

            // Volumes.
            let volume = try await reader.volume(id: volumeID)
            #expect(volume.id == volumeID)
            let listing = try await reader.listVolume(volumeID, prefix: "runs/", limit: 100)
            #expect(listing.items.map(\.location) == ["runs/a.bam", "runs/b.bam", "runs/c.bam", "runs/d.bam", "runs/e.bam"])
            #expect(listing.prefixes.map(\.prefix) == ["runs/qc/"])
            #expect(listing.items.first?.size == 100)

            // Single volume import: create, get, list.
            let job = try await client.startImport(importRequest("runs/a.bam"))
            #expect(job.state == .pending && job.source?.location == "runs/a.bam")
            #expect(try await reader.importJob(id: job.id).id == job.id)
            let jobs = try await reader.listImportJobs(project: project, volume: volumeID)
            #expect(jobs.items.map(\.id) == [job.id] && jobs.totalCount == 1)

            // Bulk volume import: create (one good item, one bad location), get.
            let records = try await client.startBulkImport([importRequest("runs/b.bam"), importRequest("runs/nope.bam")])
            #expect(records.count == 2)
            let bulkJob = try #require(records[0].resource)
            #expect(records[1].error?.code == 9105)

            emulatorClock.advance(by: 7)
            let polled = try await reader.importJobs(ids: [job.id, bulkJob.id])
            #expect(polled.map { $0.resource?.state } == [.completed, .completed])
            let fileA = try #require(polled[0].resource?.result)
            #expect(fileA.name == "a.bam" && fileA.storage?.volume == volumeID && fileA.storage?.location == "runs/a.bam")

            // Files: get, bulk get, list by project with a name filter.
            #expect(try await reader.file(id: fileA.id).name == "a.bam")
            let bulkFiles = try await reader.files(ids: [fileA.id, "000000000000000000000000"])
            #expect(bulkFiles[0].resource?.id == fileA.id && bulkFiles[1].error != nil)
            let named = try await reader.listFiles(FileQuery(in: .project(project), names: ["b.bam", "zzz"]))
            #expect(named.items.map(\.name) == ["b.bam"])

            // Folder create, list by parent, conflict on a second create.
            let folder = try await client.createFolder(named: "qc", in: .project(project))
            #expect(folder.isFolder)
            let again = await #expect(throws: PlatformError.self) { try await client.createFolder(named: "qc", in: .project(project)) }
            #expect(again?.status == 409)
            let inFolder = try await reader.listFiles(FileQuery(in: .folder(folder.id)))
            #expect(inFolder.items.isEmpty)

            // Metadata merge and replace; tags.
            let merged = try await client.mergeMetadata(fileID: fileA.id, ["sample_id": .string("S1"), "lane": .int(2)])
            #expect(merged["sample_id"] == .string("S1") && merged["lane"] == .int(2))
            let replaced = try await client.replaceMetadata(fileID: fileA.id, ["study": .string("ICDC")])
            #expect(replaced == ["study": .string("ICDC")])
            #expect(try await client.replaceTags(fileID: fileA.id, ["raw", "batch-7"]) == ["raw", "batch-7"])
            let reread = try await reader.file(id: fileA.id)
            #expect(reread.metadata == ["study": .string("ICDC")] && reread.tags == ["raw", "batch-7"])

            // Bulk DRS import: create, get until FINISHED, then resolve the files.
            let drs = try await client.startDRSImport([
                DRSImportItem(drsURI: "drs://drs.example.org/0b1c2d3e-0001", destination: .project(project), name: "tumor.cram",
                              metadata: ["sample_id": .string("S1")]),
                DRSImportItem(drsURI: "drs://dg.ABCD:0b1c2d3e-0002", destination: .folder(folder.id)),
            ], conflictResolution: .skip, tags: ["drs"])
            #expect(!drs.id.isEmpty && drs.state != .finished)
            emulatorClock.advance(by: 60)
            let finished = try await reader.drsImportJob(id: drs.id)
            #expect(finished.state == .finished)
            let ids = finished.result.compactMap(\.resource?.id)
            #expect(ids.count == 2)
            let drsFiles = try await reader.files(ids: ids)
            #expect(drsFiles.compactMap(\.resource?.name).contains("tumor.cram"))
            #expect(drsFiles.allSatisfy { $0.resource?.tags.contains("drs") == true })
            _ = running
        }
    }

    @Test("both pagination styles against the server")
    func pagination() async throws {
        try await withEmulatorClient { client, _, emulatorClock in
            let reader = client.reader
            // Continuation token: five objects, two per page.
            var pages = 0
            var locations: [String] = []
            for try await page in reader.volumePages(volumeID, prefix: "runs/", pageSize: 2) {
                pages += 1
                locations += page.items.map(\.location)
            }
            #expect(pages == 3)
            #expect(locations == ["runs/a.bam", "runs/b.bam", "runs/c.bam", "runs/d.bam", "runs/e.bam"])

            // Resume a listing from a saved token.
            let first = try await reader.listVolume(volumeID, prefix: "runs/", limit: 2)
            let token = try #require(first.continuationToken)
            let resumed = try await reader.listVolume(volumeID, prefix: "runs/", continuationToken: token, limit: 2)
            #expect(resumed.items.map(\.location) == ["runs/c.bam", "runs/d.bam"])

            // Offset + links: import five files, list them one page of two at a time.
            let records = try await client.startBulkImport(objects.keys.filter { $0.hasSuffix(".bam") }.sorted().map { importRequest($0) })
            #expect(records.allSatisfy { $0.resource != nil })
            emulatorClock.advance(by: 7)
            var offsets: [Int] = []
            var names: [String] = []
            for try await page in reader.filePages(FileQuery(in: .project(project)), pageSize: 2) {
                offsets.append(page.offset)
                names += page.items.map(\.name)
                #expect(page.totalCount == 5)
            }
            #expect(offsets == [0, 2, 4])
            #expect(names.sorted() == ["a.bam", "b.bam", "c.bam", "d.bam", "e.bam"])
            let jobs = try await reader.importJobPages(project: project, pageSize: 2).allItems()
            #expect(jobs.count == 5 && jobs.allSatisfy { $0.state == .completed })
        }
    }

    @Test("recovers from 429: a burst is waited out, and the budget paces by X-RateLimit-Remaining")
    func rateLimits() async throws {
        try await withEmulatorClient(faults: EmulatorFaults(rateLimitBurst: 2)) { client, running, emulatorClock in
            let start = emulatorClock.date
            let file = try await client.startImport(importRequest("runs/a.bam"))
            #expect(file.state == .pending)
            let counters = await running.emulator.counters()
            #expect(counters.responsesByStatus["429"] == 2)
            #expect(counters.requestsByEndpoint["POST /storage/imports"] == 3)
            // Each burst 429 announces a reset one second away (the emulator's choice, so that
            // sevenbridges-python's sleeper stays short); the client waited out both resets.
            #expect(emulatorClock.date.timeIntervalSince(start) >= 2)
        }
        // A server limit of 3 per window: the client waits for the reset instead of hitting 429.
        try await withEmulatorClient(rateLimit: 3) { client, running, emulatorClock in
            let start = emulatorClock.date
            for _ in 0..<7 { _ = try await client.reader.volume(id: volumeID) }
            let counters = await running.emulator.counters()
            #expect(counters.requestsByEndpoint["GET /storage/volumes/{owner}/{name}"] == 7)
            #expect(counters.responsesByStatus["429"] == nil)
            #expect(emulatorClock.date.timeIntervalSince(start) >= 600)
        }
    }

    @Test("recovers from 5xx bursts and dropped connections on idempotent calls")
    func faults() async throws {
        try await withEmulatorClient(faults: EmulatorFaults(errorRate: 0.3, dropRate: 0.2)) { client, running, _ in
            for _ in 0..<25 {
                let volume = try await client.reader.volume(id: volumeID)
                #expect(volume.id == volumeID)
            }
            _ = try await client.reader.importJobs(ids: ["nope"])
            let counters = await running.emulator.counters()
            #expect(counters.injectedErrors > 0)
            #expect(counters.droppedConnections > 0)
            #expect(counters.totalRequests > 26)
        }
    }

    @Test("a create whose answer is lost is outcome unknown, not resent, and reconcilable")
    func outcomeUnknown() async throws {
        try await withEmulatorClient(faults: EmulatorFaults(dropRate: 1, dropAfterApplyShare: 1)) { client, running, emulatorClock in
            let error = await #expect(throws: PlatformError.self) {
                try await client.startBulkImport([importRequest("runs/a.bam"), importRequest("runs/b.bam")])
            }
            guard case .outcomeUnknown(let request, _)? = error else {
                Issue.record("expected outcomeUnknown, got \(String(describing: error))")
                return
            }
            #expect(request == RequestSummary(method: .post, path: "/bulk/storage/imports/create"))
            #expect(await running.emulator.counters().requestsByEndpoint["POST /bulk/storage/imports/create"] == 1)

            // Reconcile: the server did act; the jobs are there, once.
            await running.emulator.setFaults(.none)
            let jobs = try await client.reader.importJobPages(project: project, volume: volumeID).allItems()
            #expect(jobs.compactMap { $0.source?.location }.sorted() == ["runs/a.bam", "runs/b.bam"])
            emulatorClock.advance(by: 7)
            let files = try await client.reader.listFiles(FileQuery(in: .project(project), names: ["a.bam", "b.bam"]))
            #expect(files.items.count == 2)
        }
    }

    @Test("the token never appears in any log line or error, at trace level, through every failure")
    func redaction() async throws {
        let logs = LogCapture()
        var outputs: [String] = []
        try await withEmulatorClient(faults: EmulatorFaults(errorRate: 0.3, dropRate: 0.3, rateLimitBurst: 1), logs: logs) { client, running, _ in
            for _ in 0..<10 { _ = try? await client.reader.volume(id: volumeID) }
            for location in ["runs/a.bam", "runs/b.bam", "runs/c.bam"] {
                do { _ = try await client.startImport(importRequest(location)) } catch { outputs += ["\(error)", String(reflecting: error)] }
            }
            do { _ = try await client.reader.file(id: "missing") } catch { outputs += ["\(error)", String(reflecting: error)] }
            await running.emulator.setFaults(.none)
            _ = try await client.reader.filePages(FileQuery(in: .project(project)), pageSize: 1).allItems()
        }
        // A wrong token: the 401 must not echo it either.
        let wrong = "wrong-t0ken-1234567890"
        try await withEmulatorClient(logs: logs, token: wrong) { client, _, _ in
            let error = await #expect(throws: PlatformError.self) { try await client.reader.volume(id: volumeID) }
            #expect(error?.status == 401)
            outputs += [String(describing: error), String(reflecting: error)]
        }
        outputs += logs.all
        #expect(logs.all.count > 40)
        #expect(logs.all.contains { $0.contains("X-SBG-Auth-Token: <redacted>") })
        for output in outputs {
            #expect(!output.contains(emulatorToken), "token leaked: \(output)")
            #expect(!output.contains(wrong), "token leaked: \(output)")
        }
    }
}

/// Timeouts and refused connections need a little real time (a fraction of a second): these are
/// the only tests that wait on the network's clock, because the timeout is the behaviour under test.
@Suite("PlatformAPI over the network: timeouts and refused connections", .serialized)
struct NetworkFailureTests {
    @Test("a create that times out waiting for the answer is outcome unknown; a GET is retried and reported")
    func timeout() async throws {
        let emulatorClock = TestClock(1_700_000_000)
        let configuration = EmulatorConfiguration(
            tokens: [emulatorToken], projects: [project], volumes: [volumeID: .objects(objects)],
            faults: EmulatorFaults(latencyMilliseconds: 400), clock: emulatorClock.emulatorClock)
        try await withRunningEmulator(configuration) { running in
            try await AsyncHTTPTransport.withTransport { transport in
                let clock = emulatorClock
                let client = PlatformClient(
                    config: PlatformConfig(endpoint: try PlatformEndpoint(parsing: running.baseURL.absoluteString), token: AuthToken(emulatorToken)),
                    transport: transport, budget: RequestBudget(clock: clock), clock: clock,
                    options: PlatformClientOptions(requestTimeout: .milliseconds(100), retry: RetryPolicy(maxAttempts: 2)))
                let error = await #expect(throws: PlatformError.self) { try await client.startImport(importRequest("runs/a.bam")) }
                #expect(error?.isOutcomeUnknown == true)
                let read = await #expect(throws: PlatformError.self) { try await client.reader.volume(id: volumeID) }
                guard case .unreachable(_, let attempts, _)? = read else {
                    Issue.record("expected unreachable, got \(String(describing: read))")
                    return
                }
                #expect(attempts == 2)
            }
        }
    }

    @Test("a refused connection never reached the server: a create is retried quickly, each retry announced, then one sentence")
    func refused() async throws {
        // A port that was just free: an emulator listened there and has stopped.
        let port = try await withRunningEmulator(EmulatorConfiguration(tokens: [emulatorToken])) { $0.port }
        try await AsyncHTTPTransport.withTransport(connectTimeout: .milliseconds(200)) { transport in
            let clock = TestClock(1_700_000_000)
            let notices = RetryNotices()
            let client = PlatformClient(
                config: PlatformConfig(endpoint: try PlatformEndpoint(parsing: "http://127.0.0.1:\(port)/v2"), token: AuthToken(emulatorToken)),
                transport: transport, budget: RequestBudget(clock: clock), clock: clock,
                options: PlatformClientOptions(requestTimeout: .seconds(2), retry: RetryPolicy(random: { $0 }),
                                               onRetry: { notices.append($0) }))
            let error = await #expect(throws: PlatformError.self) { try await client.startImport(importRequest("runs/a.bam")) }
            guard case .cannotConnect(let endpoint, let cause, let attempts)? = error else {
                Issue.record("expected cannotConnect, got \(String(describing: error))")
                return
            }
            #expect(endpoint == "http://127.0.0.1:\(port)/v2")
            #expect(cause == "connection refused")
            #expect(attempts == 3)
            #expect(error?.description == "cannot reach the platform at http://127.0.0.1:\(port)/v2: connection refused (3 attempts)")
            #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
            #expect(notices.all.map(\.description) == [
                "attempt 1 of 3 to reach http://127.0.0.1:\(port)/v2 failed (connection refused); trying again in 0.5 s",
                "attempt 2 of 3 to reach http://127.0.0.1:\(port)/v2 failed (connection refused); trying again in 1.0 s",
            ])
        }
    }

    @Test("a host name that does not resolve (.invalid never does) is given up on as quickly, named in the sentence")
    func unknownHost() async throws {
        try await AsyncHTTPTransport.withTransport(connectTimeout: .seconds(5)) { transport in
            let clock = TestClock(1_700_000_000)
            let client = PlatformClient(
                config: PlatformConfig(endpoint: try PlatformEndpoint(parsing: "https://sbsync-test.invalid/v2"), token: AuthToken(emulatorToken)),
                transport: transport, budget: RequestBudget(clock: clock), clock: clock,
                options: PlatformClientOptions(requestTimeout: .seconds(5), retry: RetryPolicy(random: { $0 })))
            let error = await #expect(throws: PlatformError.self) { try await client.reader.volume(id: volumeID) }
            #expect(error?.description == "cannot reach the platform at https://sbsync-test.invalid/v2: unknown host 'sbsync-test.invalid' (3 attempts)")
            #expect(error?.hint?.contains("host name") == true)
            #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
        }
    }
}
