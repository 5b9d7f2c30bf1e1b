import Foundation
import PlatformAPI
import PlatformEmulator
import SyncCore
import SyncEngine
import SyncState
import Synchronization
import Testing

private func objects(_ count: Int, prefix: String = "runs/") -> [String: Int] {
    var result: [String: Int] = [:]
    for i in 0..<count { result["\(prefix)f\(i).bam"] = 100 + i }
    return result
}

@Suite("Executor against the emulator in process")
struct ExecutorTests {
    @Test("imports volume and DRS files into nested folders, records them, and a second apply does nothing")
    func importsAndConverges() async throws {
        let h = try Harness(objects: objects(230))
        var desired = (0..<230).map { volumeFile("raw/batch\($0 % 3)/f\($0).bam", location: "runs/f\($0).bam",
                                                  metadata: Metadata([("sample", .string("S\($0)")), ("n", .int($0))]), tags: ["raw"]) }
        desired += (0..<150).map { drsFile("drs/d\($0).cram", metadata: Metadata([("case", .int($0))]), tags: $0 % 2 == 0 ? ["even"] : []) }
        let (plan, report) = try await h.apply(desired)
        #expect(plan.counts.imports == 380)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.outcomes[.imported] == 380)

        let files = await h.platformFiles()
        #expect(await h.platformFileList().count == 380)
        let recorded = try h.store.loadAllFiles()
        #expect(recorded.count == 380)
        for file in recorded {
            let onPlatform = try #require(files[file.address.path], "\(file.address) missing on the platform")
            #expect(onPlatform.id == file.fileID)
            #expect(Set(onPlatform.tags) == Set(file.tags))
        }
        #expect(files["raw/batch1/f1.bam"]?.metadata["sample"] == .string("S1"))
        #expect(files["drs/d4.cram"]?.tags == ["even"])
        #expect(try h.store.unfinishedBatches().isEmpty)
        // Folders recorded once each.
        #expect(Set(try h.store.allFolders().map(\.path)) == ["raw", "raw/batch0", "raw/batch1", "raw/batch2", "drs"])

        // Bulk: ≤ 100 items per call.
        let counters = await h.emulator.counters().requestsByEndpoint
        #expect(counters["POST /bulk/storage/imports/create"] == 3)
        #expect(counters["POST /bulk/drs/imports/create"] == 2)

        let calls = await h.importCalls()
        let (again, second) = try await h.apply(desired)
        #expect(!again.hasChanges)
        #expect(second.counts.total == 0)
        #expect(await h.importCalls() == calls)
    }

    @Test("folders: one request for each folder made, a lookup only where the parent was there before")
    func foldersCostOneRequestEach() async throws {
        let h = try Harness(objects: [:])
        _ = try await h.client.createFolder(named: "old", in: .project(Harness.project))
        let desired = (0..<30).flatMap { [drsFile("new/P\($0)/a.cram"), drsFile("old/P\($0)/b.cram")] }
        let before = await h.emulator.counters().requestsByEndpoint
        let (_, report) = try await h.apply(desired)
        #expect(report.problems.isEmpty, "\(report.problems)")
        let after = await h.emulator.counters().requestsByEndpoint
        func delta(_ endpoint: String) -> Int { (after[endpoint] ?? 0) - (before[endpoint] ?? 0) }
        // 'new' and 'old' looked up at the root; 'old' found, 'new' made. The 30 folders in the
        // new one are made without a lookup; the 30 in 'old' are looked up, then made.
        #expect(delta("GET /files") == 2 + 30)
        #expect(delta("POST /files") == 1 + 30 + 30)
        let folders = try h.store.allFolders()
        #expect(folders.count == 62)
        #expect(folders.filter { !$0.createdBySbsync }.map(\.path) == ["old"])
        #expect(await h.platformFileList().count == 60)
    }

    @Test("each batch makes its own folders just before it starts, so imports begin before the last folder is made; batches side by side make a shared folder once",
          arguments: [1, 4])
    func foldersAreMadeBatchByBatch(jobs: Int) async throws {
        let h = try Harness(objects: [:])
        let events = Mutex<[ExecutorEvent]>([])
        let executor = Executor(client: h.client, store: h.store, options: ExecutorOptions(maxJobsInFlight: jobs), clock: h.clock) { event in
            events.withLock { $0.append(event) }
        }
        let desired = (0..<300).map { drsFile("cohort/P\($0)/x.cram") }
        let report = try await executor.execute(h.plan(desired).changes)
        #expect(report.problems.isEmpty, "\(report.problems)")
        let seen = events.withLock { $0 }
        #expect(seen.contains(.folders(total: 301)))
        let folderEvents = seen.indices.filter { if case .folder = seen[$0] { true } else { false } }
        let submissions = seen.indices.filter { if case .submitted = seen[$0] { true } else { false } }
        #expect(folderEvents.count == 301 && submissions.count == 3)
        #expect(submissions.first! < folderEvents.last!)
        // 'cohort' looked up once at the root; every folder made once.
        let counters = await h.emulator.counters().requestsByEndpoint
        #expect(counters["GET /files"] == 1)
        #expect(counters["POST /files"] == 301)
    }

    @Test("a folder that cannot be made fails the files under it, and the folders to make are told again, fewer")
    func aFolderInTheWayLowersTheFolderTotal() async throws {
        let h = try Harness(objects: [:])
        try await h.apply([drsFile("blocked")])  // a file where a folder is wanted
        let events = Mutex<[ExecutorEvent]>([])
        let executor = Executor(client: h.client, store: h.store, clock: h.clock) { event in events.withLock { $0.append(event) } }
        let desired = [drsFile("blocked"), drsFile("ok/a.cram"), drsFile("blocked/b.cram"), drsFile("blocked/sub/c.cram")]
        let report = try await executor.execute(h.plan(desired).changes)
        #expect(report.failures.map(\.address.path).sorted() == ["blocked/b.cram", "blocked/sub/c.cram"])
        #expect(report.failures.allSatisfy { $0.message.contains("a file named 'blocked' is in the way") }, "\(report.failures)")
        let folderEvents = events.withLock { $0 }.filter {
            switch $0 {
            case .folders, .folder: true
            default: false
            }
        }
        #expect(folderEvents == [.folders(total: 3), .folder(project: Harness.project, path: "ok", created: true), .folders(total: 1)])
    }

    @Test("update, replace and forget", arguments: [FileSource.Kind.volume, .drs])
    func updateReplaceForget(kind: FileSource.Kind) async throws {
        let h = try Harness(objects: objects(4))
        func file(_ i: Int, location: Int? = nil, metadata: Metadata = Metadata(), tags: [String] = []) -> DesiredFile {
            kind == .volume ? volumeFile("x/f\(i).bam", location: "runs/f\(location ?? i).bam", metadata: metadata, tags: tags)
                : drsFile("x/f\(i).bam", uri: "drs://drs.example.org/obj\(location ?? i)", metadata: metadata, tags: tags)
        }
        try await h.apply([file(0), file(1), file(2)])
        let before = try h.store.loadAllFiles()
        let id1 = try #require(before.first { $0.address.path == "x/f1.bam" }?.fileID)
        let calls = await h.importCalls()

        // Update: metadata and tags, no import.
        let desired = [file(0, metadata: Metadata([("k", .string("v"))]), tags: ["t"]), file(1, location: 3), file(2)].prefix(2)
        let (plan, report) = try await h.apply(Array(desired))
        #expect(plan.counts.updates == 1 && plan.counts.replaces == 1 && plan.counts.forgets == 1)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.outcomes[.updated] == 1 && report.outcomes[.replaced] == 1 && report.outcomes[.forgotten] == 1)
        #expect(await h.importCalls() == calls + 1)

        let files = await h.platformFiles()
        #expect(files["x/f0.bam"]?.metadata["k"] == .string("v"))
        #expect(files["x/f0.bam"]?.tags == ["t"])
        // Replace overwrote the file: one file, a new id, the new source.
        #expect(files["x/f1.bam"] != nil && files["x/f1.bam"]?.id != id1)
        #expect(await h.platformFileList().filter { $0.name == "f1.bam" }.count == 1)
        // Forget: gone from the state, still on the platform.
        #expect(files["x/f2.bam"] != nil)
        #expect(try h.store.file(at: Address(project: Harness.project, path: "x/f2.bam")) == nil)
        #expect(!(try h.plan(Array(desired)).hasChanges))
    }

    @Test("conflict policies against a file sbsync does not manage", arguments: [
        (FileSource.Kind.volume, ConflictPolicy.skip), (.volume, .overwrite), (.volume, .rename),
        (.drs, .skip), (.drs, .overwrite), (.drs, .rename),
    ])
    func conflictPolicies(kind: FileSource.Kind, policy: ConflictPolicy) async throws {
        let h = try Harness(objects: objects(2))
        // An unmanaged file already named "taken.bam" at the project root.
        let foreign = try await h.client.startImport(ImportRequest(
            source: PlatformAPI.VolumeSource(volume: Harness.volume, location: "runs/f1.bam"),
            destination: ImportDestination(project: Harness.project, name: "taken.bam")))
        h.emulatorClock.advance(by: 60)
        let foreignID = try #require(try await h.client.reader.importJob(id: foreign.id).result?.id)

        let file = kind == .volume ? volumeFile("taken.bam", location: "runs/f0.bam", policy: policy)
            : drsFile("taken.bam", uri: "drs://drs.example.org/zzz", policy: policy)
        let (_, report) = try await h.apply([file])
        let files = await h.platformFileList()
        let recorded = try h.store.file(at: file.address)
        switch policy {
        case .skip:
            #expect(report.skips.count == 1 && report.failures.isEmpty)
            #expect(recorded == nil)
            #expect(files.count == 1 && files[0].id == foreignID)
        case .overwrite:
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(files.count == 1 && files[0].name == "taken.bam" && files[0].id != foreignID)
            #expect(recorded?.fileID == files[0].id)
        case .rename:
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(files.count == 2)
            let mine = try #require(files.first { $0.id != foreignID })
            #expect(mine.name != "taken.bam" && mine.name.hasSuffix("taken.bam"))
            #expect(recorded?.actualName == mine.name && recorded?.fileID == mine.id)
            // A renamed file is in sync on the next plan; the next apply imports nothing.
            #expect(!(try h.plan([file]).hasChanges))
            let calls = await h.importCalls()
            try await h.apply([file])
            #expect(await h.importCalls() == calls)
        }
    }

    @Test("a batch whose POST went through but whose ids were lost is adopted, not resubmitted", arguments: [FileSource.Kind.volume, .drs])
    func settlesLostResponse(kind: FileSource.Kind) async throws {
        let h = try Harness(objects: objects(30))
        let desired = (0..<30).map { i in
            kind == .volume ? volumeFile("in/f\(i).bam", location: "runs/f\(i).bam", tags: ["t"])
                : drsFile("in/f\(i).bam", tags: ["t"])
        }
        // A first run that crashed right after the POST: journal `submitting`, the jobs exist.
        let folder = try await h.client.createFolder(named: "in", in: .project(Harness.project))
        try h.store.record(folders: [FolderRecord(project: Harness.project, path: "in", id: folder.id, createdBySbsync: true)])
        let sent = Array(desired.prefix(20))
        let items = sent.map { JournalItem(address: $0.address, source: $0.source, requestedName: $0.address.name,
                                           destinationProject: Harness.project, destinationParent: folder.id) }
        _ = try h.store.beginBatch(kind: kind, policy: .skip, tags: kind == .drs ? ["t"] : [], items: items)
        if kind == .volume {
            _ = try await h.client.startBulkImport(sent.map {
                guard case .volume(let v, let l) = $0.source else { fatalError() }
                return ImportRequest(source: PlatformAPI.VolumeSource(volume: v, location: l), destination: ImportDestination(parent: folder.id, name: $0.address.name))
            })
        } else {
            _ = try await h.client.startDRSImport(sent.map {
                guard case .drs(let uri) = $0.source else { fatalError() }
                return DRSImportItem(drsURI: uri, destination: .folder(folder.id), name: $0.address.name)
            }, conflictResolution: .skip, tags: ["t"])
            h.emulatorClock.advance(by: 120)  // DRS items are found at the destination once done
        }
        // And a second batch that crashed before its POST.
        let unsent = Array(desired.suffix(10))
        _ = try h.store.beginBatch(kind: kind, policy: .skip, tags: [], items: unsent.map {
            JournalItem(address: $0.address, source: $0.source, requestedName: $0.address.name,
                        destinationProject: Harness.project, destinationParent: folder.id)
        })

        let executor = h.executor()
        let settled = try await executor.settle(desired: Dictionary(uniqueKeysWithValues: desired.map { ($0.address, $0) }))
        #expect(settled.batches == 2 && settled.adopted == 20 && settled.notSubmitted == 10)
        #expect(try h.store.unfinishedBatches().isEmpty)
        let plan = try h.plan(desired)
        #expect(plan.counts.imports == 10 && plan.counts.updates == 0)
        let report = try await executor.execute(plan.changes)
        #expect(report.problems.isEmpty, "\(report.problems)")
        let files = await h.platformFileList()
        #expect(files.count == 30)
        #expect(Set(files.map(\.path)).count == 30)
        #expect(try h.store.loadAllFiles().count == 30)
        #expect(files.allSatisfy { $0.tags == ["t"] })
    }

    @Test("per-item failures are reported, not recorded, and a rerun converges")
    func itemFailures() async throws {
        var faults = EmulatorFaults.none
        faults.itemFailureRate = 0.3
        let h = try Harness(objects: objects(200), faults: faults)
        var desired = (0..<200).map { volumeFile("v/f\($0).bam", location: "runs/f\($0).bam") }
        desired += (0..<100).map { drsFile("d/f\($0).cram") }
        let (_, first) = try await h.apply(desired)
        #expect(!first.failures.isEmpty)
        #expect(first.failures.allSatisfy { !$0.message.isEmpty })
        #expect(try h.store.loadAllFiles().count == 300 - first.failures.count)
        await h.emulator.setFaults(.none)
        let (plan, second) = try await h.apply(desired)
        #expect(plan.counts.imports == first.failures.count)
        #expect(second.problems.isEmpty, "\(second.problems)")
        let files = await h.platformFileList()
        #expect(files.count == 300 && Set(files.map(\.path)).count == 300)
        #expect(try h.store.loadAllFiles().count == 300)
    }

    @Test("DRS items are paced at the configured number per window")
    func drsPace() async throws {
        let h = try Harness(objects: [:], drsPace: 1000)
        let desired = (0..<250).map { drsFile("d/f\($0).cram") }
        let start = h.clock.now()
        let floors = Mutex<[Double]>([])
        let executor = Executor(client: h.client, store: h.store, options: ExecutorOptions(maxJobsInFlight: 1, drsPace: 100, drsWindow: .seconds(300)),
                                clock: h.clock) { event in
            if case .progress(let counts) = event { floors.withLock { $0.append(counts.paceFloorSeconds) } }
        }
        let report = try await executor.execute(h.plan(desired).changes)
        #expect(report.problems.isEmpty)
        #expect(report.counts.pacingSeconds > 0)
        // 250 items at 100 per 5 minutes: the third batch cannot start before 10 minutes.
        #expect(h.clock.now() - start >= 600)
        // The ETA's floor: after the first batch, 150 items wait (one more window); then none.
        #expect(floors.withLock { $0 }.first == 300)
        #expect(floors.withLock { $0 }.last == 0)
    }

    @Test("requestStop stops submitting; what was started is recorded")
    func stopSubmitting() async throws {
        let h = try Harness(objects: objects(500))
        let desired = (0..<500).map { volumeFile("v/f\($0).bam", location: "runs/f\($0).bam") }
        let executor = h.executor(ExecutorOptions(maxJobsInFlight: 1))
        executor.requestStop()
        let report = try await executor.execute(try h.plan(desired).changes)
        #expect(report.interrupted)
        #expect(try h.store.unfinishedBatches().isEmpty)
        #expect(await h.importCalls() == 0)
    }
}
