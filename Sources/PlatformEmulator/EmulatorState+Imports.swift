import Foundation

extension EmulatorState {
    // MARK: Volume imports

    func importState(_ job: ImportJob) -> String {
        switch job.outcome {
        case .completed: return "COMPLETED"
        case .failed: return "FAILED"
        case nil:
            let half = job.submittedOn.addingTimeInterval(job.finishesOn.timeIntervalSince(job.submittedOn) / 2)
            return now < half ? "PENDING" : "RUNNING"
        }
    }

    func importJSON(_ job: ImportJob, base: String) -> JSONValue {
        let state = importState(job)
        let half = job.submittedOn.addingTimeInterval(job.finishesOn.timeIntervalSince(job.submittedOn) / 2)
        var result: JSONValue = nil
        var error: JSONValue = nil
        switch job.outcome {
        case .completed(let fileID): result = files[fileID].map { fileJSON($0, base: base) } ?? nil
        case .failed(let failure): error = failure.json
        case nil: break
        }
        return [
            "href": .string("\(base)/storage/imports/\(job.id)"),
            "id": .string(job.id),
            "state": .string(state),
            "overwrite": .bool(job.overwrite),
            "autorename": .bool(job.autorename),
            "preserve_folder_structure": .bool(job.preserveFolderStructure ?? false),
            "source": ["volume": .string(job.volume), "location": .string(job.location)],
            "destination": [
                "project": .optional(job.destination.project), "parent": .optional(job.destination.parent),
                "name": .optional(job.destination.name),
            ],
            "started_on": state == "PENDING" ? nil : .string(timestamp(half)),
            "finished_on": job.outcome == nil ? nil : .string(timestamp(job.finishesOn)),
            "result": result,
            "error": error,
        ]
    }

    /// Validates one import body and queues the job.
    func submitImport(_ body: JSONValue) throws(PlatformError) -> ImportJob {
        guard body.objectValue != nil else { throw PlatformError.badRequest("Import body must be a JSON object.") }
        guard let volume = body["source"]?["volume"]?.stringValue else {
            throw PlatformError.badRequest("'source.volume' is required.")
        }
        guard let location = body["source"]?["location"]?.stringValue, !location.isEmpty else {
            throw PlatformError.badRequest("'source.location' is required.")
        }
        let destination = Destination(
            project: body["destination"]?["project"]?.stringValue, parent: body["destination"]?["parent"]?.stringValue,
            name: body["destination"]?["name"]?.stringValue)
        for key in ["overwrite", "autorename", "preserve_folder_structure"] {
            if let value = body[key], !value.isNull, value.boolValue == nil {
                throw PlatformError.badRequest("'\(key)' must be a boolean.")
            }
        }
        guard let found = volumes[volume] else { throw PlatformError.volumeNotFound(volume) }
        if location.hasSuffix("/") {
            throw PlatformError.badRequest("Folder imports ('\(location)') are not supported by the emulator.")
        }
        guard found.sizes[location] != nil else { throw PlatformError.locationNotFound(location) }
        let name = destination.name ?? String(location.split(separator: "/").last ?? "")
        guard !name.isEmpty, !name.contains("/"), name.count <= 255 else {
            throw PlatformError.badRequest("Invalid name parameter '\(name)'.", code: 5024)
        }
        let folder = try directory(project: destination.project, parent: destination.parent).folder
        let submitted = now
        let job = ImportJob(
            id: newImportJobID(), volume: volume, location: location, destination: destination, directory: folder,
            overwrite: body["overwrite"]?.boolValue ?? false, autorename: body["autorename"]?.boolValue ?? false,
            preserveFolderStructure: body["preserve_folder_structure"]?.boolValue, submittedOn: submitted,
            finishesOn: submitted.addingTimeInterval(scaled(configuration.jobDuration)),
            failure: random.chance(faults.itemFailureRate) ? .injectedItemFailure : nil, outcome: nil)
        importJobs[job.id] = job
        importOrder.append(job.id)
        importQueue.append(job.id)
        return job
    }

    func completeImport(_ id: String) {
        guard var job = importJobs[id], job.outcome == nil else { return }
        defer { importJobs[id] = job }
        if let failure = job.failure {
            job.outcome = .failed(failure)
            return
        }
        guard let project = files[job.directory]?.project ?? rootAsNode(job.directory)?.project else {
            job.outcome = .failed(PlatformError(status: 404, code: 5026, message: "Destination folder '\(job.directory)' not found."))
            return
        }
        let name = job.destination.name ?? String(job.location.split(separator: "/").last ?? "")
        let policy: ConflictPolicy = job.overwrite ? .overwrite : job.autorename ? .rename : .fail
        do {
            let fileID = try place(
                name: name, in: job.directory, project: project, policy: policy,
                size: volumes[job.volume]?.sizes[job.location] ?? 0,
                storage: ["type": "VOLUME", "volume": .string(job.volume), "location": .string(job.location)],
                tags: [], metadata: [:],
                skipError: PlatformError(status: 409, code: EmulatorAssumptions.conflictCode, message: EmulatorAssumptions.conflictMessage))
            job.outcome = .completed(fileID: fileID)
        } catch {
            job.outcome = .failed(error)
        }
    }

    func createImport(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        let job = try submitImport(body)
        return .json(201, importJSON(job, base: base))
    }

    func getImport(_ id: String, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let job = importJobs[id] else { throw PlatformError.jobNotFound(id) }
        return .json(200, importJSON(job, base: base))
    }

    func listImports(_ request: EmulatorRequest, base: String) throws(PlatformError) -> EmulatorResponse {
        let volume = request.queryValue("volume")
        let project = request.queryValue("project")
        let states = Set(request.queryValues("state").flatMap { $0.split(separator: ",").map(String.init) })
        let jobs = importOrder.compactMap { importJobs[$0] }.filter { job in
            if let volume, job.volume != volume { return false }
            if let project, (files[job.directory]?.project ?? rootAsNode(job.directory)?.project) != project { return false }
            if !states.isEmpty && !states.contains(importState(job)) { return false }
            return true
        }
        return try page(jobs, request: request, base: base) { importJSON($0, base: base) }
    }

    func bulkCreateImports(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let items = body["items"]?.arrayValue else { throw PlatformError.badRequest("Body must be {\"items\": [...]}.") }
        guard items.count <= 100 else { throw PlatformError.badRequest("At most 100 items per bulk call.") }
        let records: [JSONValue] = items.map { item in
            do throws(PlatformError) {
                return ["resource": importJSON(try submitImport(item), base: base)]
            } catch {
                return ["error": error.json]
            }
        }
        return .json(200, ["items": .array(records)])
    }

    func bulkGetImports(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let ids = body["import_ids"]?.arrayValue else { throw PlatformError.badRequest("Body must be {\"import_ids\": [...]}.") }
        guard ids.count <= 100 else { throw PlatformError.badRequest("At most 100 import ids per bulk call.") }
        let records: [JSONValue] = ids.map { value in
            guard let id = value.stringValue, let job = importJobs[id] else {
                return ["error": PlatformError.jobNotFound(value.stringValue ?? "?").json]
            }
            return ["resource": importJSON(job, base: base)]
        }
        return .json(200, ["items": .array(records)])
    }

    // MARK: DRS imports

    /// Whether `uri` is a DRS URI the emulator accepts (hostname-based or compact identifier).
    static func isValidDRSURI(_ uri: String) -> Bool {
        guard uri.hasPrefix("drs://") else { return false }
        let rest = uri.dropFirst("drs://".count)
        guard !rest.isEmpty, !rest.contains(where: \.isWhitespace) else { return false }
        let colon = rest.firstIndex(of: ":")
        let slash = rest.firstIndex(of: "/")
        if let colon, slash == nil || colon < slash! {
            // Compact identifier: [provider/]namespace:accession.
            return colon != rest.startIndex && rest.index(after: colon) != rest.endIndex
        }
        guard let slash else { return false }
        return slash != rest.startIndex && rest.index(after: slash) != rest.endIndex
    }

    /// The object name a DRS URI resolves to: the last path segment of the id or accession.
    static func drsObjectName(_ uri: String) -> String {
        let rest = uri.dropFirst("drs://".count)
        let id = rest.split(separator: ":", maxSplits: 1).count == 2 && (rest.firstIndex(of: ":")! < (rest.firstIndex(of: "/") ?? rest.endIndex))
            ? rest.split(separator: ":", maxSplits: 1)[1] : rest.split(separator: "/", maxSplits: 1).last ?? rest
        let decoded = String(id).removingPercentEncoding ?? String(id)
        return decoded.split(separator: "/").last.map(String.init) ?? decoded
    }

    /// A size that depends only on the URI.
    static func drsObjectSize(_ uri: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in uri.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % 10_000_000_000) + 1
    }

    /// The start time of the next DRS item submitted at `time`, under the DRS pace.
    func drsSlot(at time: Date) -> Date {
        let window = scaled(configuration.drsWindow)
        if drsWindowStart == nil || time >= drsWindowStart!.addingTimeInterval(window) {
            drsWindowStart = time
            drsWindowCount = 0
        }
        if drsWindowCount >= max(configuration.drsPace, 1) {
            drsWindowStart = drsWindowStart!.addingTimeInterval(window)
            drsWindowCount = 0
        }
        drsWindowCount += 1
        return max(time, drsWindowStart!)
    }

    func createDRSImport(_ body: JSONValue, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let items = body["items"]?.arrayValue, !items.isEmpty else {
            throw PlatformError.badRequest("Body must be {\"items\": [...]} with at least one item.")
        }
        guard items.count <= 100 else { throw PlatformError.badRequest("At most 100 items per bulk call.") }
        let resolution = (body["conflict_resolution"]?.stringValue ?? "SKIP").uppercased()
        guard ["SKIP", "OVERWRITE", "RENAME"].contains(resolution) else {
            throw PlatformError.badRequest("conflict_resolution must be OVERWRITE, RENAME or SKIP, not '\(resolution)'.")
        }
        var tags: [String] = []
        if let tagValues = body["tags"], !tagValues.isNull {
            guard let array = tagValues.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
                throw PlatformError.badRequest("'tags' must be a list of strings or null.")
            }
            tags = array.compactMap(\.stringValue)
        }
        let submitted = now
        let span = scaled(configuration.jobDuration)
        var drsItems: [DRSItem] = []
        for item in items {
            let uri = item["drs_uri"]?.stringValue ?? ""
            let destination = Destination(
                project: item["project"]?.stringValue, parent: item["parent"]?.stringValue, name: item["name"]?.stringValue)
            var failure: PlatformError?
            var folder: String?
            if !Self.isValidDRSURI(uri) {
                failure = .badRequest("Invalid DRS URI '\(uri)'.")
            } else if configuration.missingDRSURIs.contains(uri) {
                failure = PlatformError(status: 404, code: 9109, message: "DRS object '\(uri)' does not exist or is not accessible.")
            } else {
                do {
                    folder = try directory(project: destination.project, parent: destination.parent).folder
                } catch {
                    failure = error
                }
            }
            if failure == nil, let name = destination.name, name.isEmpty || name.contains("/") || name.count > 255 {
                failure = .badRequest("Invalid name parameter '\(name)'.", code: 5024)
            }
            if failure == nil, random.chance(faults.itemFailureRate) { failure = .injectedItemFailure }
            var metadata: [String: JSONValue] = [:]
            if let object = item["metadata"]?.objectValue { metadata = object.filter { !$0.value.isNull } }
            let start = drsSlot(at: submitted)
            drsItems.append(DRSItem(
                uri: uri, destination: destination, directory: folder, metadata: metadata,
                startsOn: start, finishesOn: start.addingTimeInterval(span), failure: failure, outcome: nil))
        }
        let job = DRSJob(id: newDRSJobID(), submittedOn: submitted, conflictResolution: resolution, tags: tags, items: drsItems)
        drsJobs[job.id] = job
        for index in drsItems.indices { drsQueue.append((job.id, index)) }
        return .json(201, drsJSON(job, base: base))
    }

    func completeDRSItem(job jobID: String, item index: Int) {
        guard var job = drsJobs[jobID] else { return }
        var item = job.items[index]
        guard item.outcome == nil else { return }
        defer {
            job.items[index] = item
            drsJobs[jobID] = job
        }
        if let failure = item.failure {
            item.outcome = .failed(failure)
            return
        }
        guard let folder = item.directory, let project = files[folder]?.project ?? rootAsNode(folder)?.project else {
            item.outcome = .failed(PlatformError(status: 404, code: 5026, message: "Destination folder not found."))
            return
        }
        let policy: ConflictPolicy =
            switch job.conflictResolution {
            case "OVERWRITE": .overwrite
            case "RENAME": .rename
            default: .skip
            }
        let name = item.destination.name ?? Self.drsObjectName(item.uri)
        do {
            let fileID = try place(
                name: name, in: folder, project: project, policy: policy, size: Self.drsObjectSize(item.uri),
                storage: ["type": "DRS", "drs_uri": .string(item.uri)], tags: job.tags, metadata: item.metadata,
                skipError: PlatformError(status: 409, code: 5003, message: "File '\(name)' already exists."))
            item.outcome = .completed(fileID: fileID)
        } catch {
            item.outcome = .failed(error)
        }
    }

    func drsJSON(_ job: DRSJob, base: String) -> JSONValue {
        let current = now
        let span = scaled(configuration.jobDuration)
        let firstStart = job.items.map(\.startsOn).min() ?? job.submittedOn
        let finished = job.items.allSatisfy { $0.outcome != nil }
        let state: String =
            if finished { "FINISHED" } else if current < firstStart.addingTimeInterval(span * 0.1) { "SUBMITTED" } else if current < firstStart.addingTimeInterval(span * 0.2) {
                "RESOLVING"
            } else { "RUNNING" }
        var results: [JSONValue] = []
        var completed = 0
        var failed = 0
        for item in job.items {
            switch item.outcome {
            case .completed(let fileID):
                completed += 1
                results.append(["resource": ["href": .string("\(base)/files/\(fileID)"), "id": .string(fileID)]])
            case .failed(let error):
                failed += 1
                results.append(["error": error.json])
            case nil: break
            }
        }
        return [
            "href": .string("\(base)/bulk/drs/imports/\(job.id)"),
            "id": .string(job.id),
            "state": .string(state),
            "started_on": state == "SUBMITTED" ? nil : .string(timestamp(firstStart)),
            "finished_on": finished ? .string(timestamp(job.items.map(\.finishesOn).max() ?? firstStart)) : nil,
            "result": .array(results),
            "total_files": .int(job.items.count),
            "completed_files": .int(completed),
            "failed_files": .int(failed),
        ]
    }

    func getDRSImport(_ id: String, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let job = drsJobs[id] else { throw PlatformError.jobNotFound(id) }
        return .json(200, drsJSON(job, base: base))
    }
}
