import Foundation

/// The platform's state and rules. All mutation happens here, one request at a time; time comes
/// from the injected clock, and jobs progress as a function of elapsed time, applied lazily on
/// every access (no background timers).
actor EmulatorState {
    let configuration: EmulatorConfiguration
    var faults: EmulatorFaults
    var random: SeededGenerator

    var projects: [String: Project] = [:]
    var files: [String: FileNode] = [:]
    /// Folder id → child ids in creation order.
    var children: [String: [String]] = [:]
    /// Folder id → child name → child id (names are unique per folder across files and folders).
    var childByName: [String: [String: String]] = [:]
    var volumes: [String: Volume] = [:]

    var importJobs: [String: ImportJob] = [:]
    var importOrder: [String] = []
    /// Import jobs not yet finished, in finishing order (all share one duration).
    var importQueue: [String] = []
    var importQueueHead = 0

    var drsJobs: [String: DRSJob] = [:]
    /// DRS items not yet finished, in finishing order.
    var drsQueue: [(job: String, item: Int)] = []
    var drsQueueHead = 0
    var drsWindowStart: Date?
    var drsWindowCount = 0

    var rateWindows: [String: RateWindow] = [:]
    var counters = EmulatorCounters()
    var requestSerial = 0
    var fileSerial = 0
    /// Async move jobs by id, as answered (`EmulatorState+Drift.swift`).
    var moveJobs: [String: JSONValue] = [:]

    init(configuration: EmulatorConfiguration) throws {
        self.configuration = configuration
        self.faults = configuration.faults
        var random = SeededGenerator(seed: configuration.seed)
        let now = configuration.clock.now()
        for (id, source) in configuration.volumes {
            volumes[id] = Volume(id: id, objects: try Self.loadObjects(volume: id, from: source), createdOn: now)
        }
        for project in configuration.projects {
            try Self.validateProjectID(project)
            let root = Self.hex(bytes: 12, using: &random)
            projects[project] = Project(id: project, rootFolder: root, createdOn: now)
            children[root] = []
            childByName[root] = [:]
        }
        self.random = random
    }

    var now: Date { configuration.clock.now() }

    /// A platform duration in real seconds.
    func scaled(_ seconds: TimeInterval) -> TimeInterval { seconds / max(configuration.timeScale, 1e-9) }

    // MARK: Ids

    static func hex(bytes: Int, using random: inout SeededGenerator) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
    }

    func hexID(bytes: Int) -> String { Self.hex(bytes: bytes, using: &random) }

    func newFileID() -> String {
        var id = hexID(bytes: 12)
        while files[id] != nil || projects.values.contains(where: { $0.rootFolder == id }) { id = hexID(bytes: 12) }
        return id
    }

    func nextSerial() -> Int {
        fileSerial += 1
        return fileSerial
    }

    func newImportJobID() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var id = ""
        repeat {
            id = String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
        } while importJobs[id] != nil
        return id
    }

    func newDRSJobID() -> String {
        var id = ""
        repeat {
            id = String(UInt64.random(in: 100_000_000_000_000_000...999_999_999_999_999_999, using: &random))
        } while drsJobs[id] != nil
        return id
    }

    // MARK: Projects

    /// Creates a project; false when it already exists.
    @discardableResult
    func createProjectChecked(_ id: String) throws -> Bool {
        try Self.validateProjectID(id)
        guard projects[id] == nil else { return false }
        let root = newFileID()
        projects[id] = Project(id: id, rootFolder: root, createdOn: now)
        children[root] = []
        childByName[root] = [:]
        return true
    }

    static func validateProjectID(_ id: String) throws {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
            throw EmulatorSetupError("project id '\(id)' is not of the form owner/slug")
        }
    }

    // MARK: Volumes

    static func loadObjects(volume: String, from source: VolumeSource) throws -> [String: Int] {
        let parts = volume.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
            throw EmulatorSetupError("volume id '\(volume)' is not of the form owner/name")
        }
        switch source {
        case .objects(let objects):
            return objects
        case .directory(let directory):
            let root = directory.standardizedFileURL.resolvingSymlinksInPath()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw EmulatorSetupError("volume '\(volume)': '\(directory.path)' is not a directory")
            }
            var objects: [String: Int] = [:]
            let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey]
            guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys) else {
                throw EmulatorSetupError("volume '\(volume)': cannot read '\(directory.path)'")
            }
            let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
            for case let url as URL in enumerator {
                let values = try url.resourceValues(forKeys: Set(keys))
                guard values.isRegularFile == true else { continue }
                let path = url.standardizedFileURL.resolvingSymlinksInPath().path
                guard path.hasPrefix(rootPath) else { continue }
                objects[String(path.dropFirst(rootPath.count))] = values.fileSize ?? 0
            }
            return objects
        case .listing(let file):
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw EmulatorSetupError("volume '\(volume)': cannot read listing '\(file.path)': \(error.localizedDescription)")
            }
            var objects: [String: Int] = [:]
            var lineNumber = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                var bytes = line[...]
                if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
                guard let first = bytes.first(where: { $0 != UInt8(ascii: " ") }), first != UInt8(ascii: "#") else { continue }
                let fields = bytes.split(separator: UInt8(ascii: "\t"), maxSplits: 1, omittingEmptySubsequences: false)
                let location = String(decoding: fields[0], as: UTF8.self)
                var size = 0
                if fields.count == 2 {
                    let text = String(decoding: fields[1], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    guard let parsed = Int(text), parsed >= 0 else {
                        throw EmulatorSetupError("\(file.path):\(lineNumber):\(fields[0].count + 2): size '\(text)' is not a non-negative integer")
                    }
                    size = parsed
                }
                objects[location] = size
            }
            return objects
        }
    }

    // MARK: Admission: auth, rate limit and faults

    enum Admission: Sendable {
        /// Answer right away (401, 429, injected 5xx).
        case reject(EmulatorResponse)
        /// Handle the request after `latency` real seconds; maybe drop the connection.
        case proceed(token: String?, latency: TimeInterval, drop: DropPoint)
    }

    enum DropPoint: Sendable { case none, beforeApply, afterApply }

    func token(of request: EmulatorRequest) -> String? {
        if let token = request.headers["x-sbg-auth-token"] { return token }
        if let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst("bearer ".count))
        }
        return nil
    }

    func admit(_ request: EmulatorRequest, endpoint: String) -> Admission {
        counters.record(endpoint: endpoint)
        let isRoot = request.pathSegments.count <= 1 && request.method == "GET"
        if isRoot { return .proceed(token: nil, latency: 0, drop: .none) }
        guard let token = token(of: request), configuration.tokens.contains(token) else {
            return .reject(finish(error: .unauthorized, token: nil))
        }
        let isRateLimitCall = request.pathSegments.dropFirst().first == "rate_limit"
        if !isRateLimitCall {
            if faults.rateLimitBurst > 0 {
                faults.rateLimitBurst -= 1
                return .reject(finish(error: .rateLimited(), token: token, retryAfter: true, burst: true))
            }
            let window = currentWindow(token)
            if window.count >= configuration.rateLimit {
                return .reject(finish(error: .rateLimited(), token: token, retryAfter: true))
            }
            rateWindows[token]?.count += 1
        }
        let latency = Double(max(faults.latencyMilliseconds, 0)) / 1000
        if random.chance(faults.errorRate) {
            counters.injectedErrors += 1
            let error: PlatformError = counters.injectedErrors % 2 == 1 ? .injectedUnavailable : .injectedServerError
            return .reject(finish(error: error, token: token))
        }
        var drop = DropPoint.none
        if random.chance(faults.dropRate) {
            drop = random.chance(faults.dropAfterApplyShare) ? .afterApply : .beforeApply
        }
        return .proceed(token: token, latency: latency, drop: drop)
    }

    func currentWindow(_ token: String) -> RateWindow {
        let span = scaled(configuration.rateWindow)
        let current = now
        if let window = rateWindows[token], current < window.start.addingTimeInterval(span) {
            return window
        }
        let fresh = RateWindow(start: current, count: 0)
        rateWindows[token] = fresh
        return fresh
    }

    /// Rate-limit and request-id headers for a response to `token`.
    /// A `burst` 429 (fault) reports 0 remaining and a reset one second away, so clients that
    /// sleep until the reset recover quickly whatever the rate window.
    func commonHeaders(token: String?, retryAfter: Bool = false, burst: Bool = false) -> [(name: String, value: String)] {
        requestSerial += 1
        let span = scaled(configuration.rateWindow)
        var remaining = configuration.rateLimit
        var reset = now.addingTimeInterval(span)
        if burst {
            remaining = 0
            reset = now.addingTimeInterval(1)
        } else if let token, configuration.tokens.contains(token) {
            let window = currentWindow(token)
            remaining = max(configuration.rateLimit - window.count, 0)
            reset = window.start.addingTimeInterval(span)
        }
        let resetSeconds = Int(reset.timeIntervalSince1970.rounded(.up))
        var headers: [(name: String, value: String)] = [
            ("X-RateLimit-Limit", String(configuration.rateLimit)),
            ("X-RateLimit-Remaining", String(remaining)),
            ("X-RateLimit-Reset", String(resetSeconds)),
            ("X-Request-Id", String(format: "%016llx%016llx", configuration.seed, UInt64(requestSerial))),
        ]
        if retryAfter && configuration.sendRetryAfter {
            let wait = max(resetSeconds - Int(now.timeIntervalSince1970.rounded(.down)), 1)
            headers.append(("Retry-After", String(wait)))
        }
        return headers
    }

    /// Completes a response: adds the common headers and counts its status.
    func finish(_ response: EmulatorResponse, token: String?, retryAfter: Bool = false, burst: Bool = false) -> EmulatorResponse {
        var response = response
        response.headers.append(contentsOf: commonHeaders(token: token, retryAfter: retryAfter, burst: burst))
        counters.record(status: response.status)
        return response
    }

    func finish(error: PlatformError, token: String?, retryAfter: Bool = false, burst: Bool = false) -> EmulatorResponse {
        finish(.json(error.status, error.json), token: token, retryAfter: retryAfter, burst: burst)
    }

    func recordDrop() { counters.droppedConnections += 1 }

    func setFaults(_ faults: EmulatorFaults) { self.faults = faults }

    func currentFaults() -> EmulatorFaults { faults }

    func currentCounters() -> EmulatorCounters { counters }

    func resetCounters() { counters = EmulatorCounters() }

    // MARK: Time passes

    /// Finishes every job and DRS item whose time has come, in finishing order.
    func advance() {
        let current = now
        while true {
            let nextImport: Date? = importQueueHead < importQueue.count ? importJobs[importQueue[importQueueHead]]?.finishesOn : nil
            let nextDRS: Date? = drsQueueHead < drsQueue.count ? drsJobs[drsQueue[drsQueueHead].job]?.items[drsQueue[drsQueueHead].item].finishesOn : nil
            let takeImport: Bool
            switch (nextImport, nextDRS) {
            case (nil, nil): return
            case (let date?, nil): guard date <= current else { return }; takeImport = true
            case (nil, let date?): guard date <= current else { return }; takeImport = false
            case (let a?, let b?):
                guard min(a, b) <= current else { return }
                takeImport = a <= b
            }
            if takeImport {
                let id = importQueue[importQueueHead]
                importQueueHead += 1
                completeImport(id)
            } else {
                let entry = drsQueue[drsQueueHead]
                drsQueueHead += 1
                completeDRSItem(job: entry.job, item: entry.item)
            }
            if importQueueHead > 4096 && importQueueHead * 2 > importQueue.count {
                importQueue.removeFirst(importQueueHead)
                importQueueHead = 0
            }
            if drsQueueHead > 4096 && drsQueueHead * 2 > drsQueue.count {
                drsQueue.removeFirst(drsQueueHead)
                drsQueueHead = 0
            }
        }
    }
}

/// A bad emulator setup (flag or configuration value), reported to whoever started it.
public struct EmulatorSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Request and response counts, for tests and benchmarks.
public struct EmulatorCounters: Sendable, Codable, Equatable {
    /// Requests received, keyed by `METHOD /route-template` (e.g. `GET /files/{id}`), including
    /// those answered 401/429/5xx or dropped.
    public var requestsByEndpoint: [String: Int] = [:]
    /// Responses sent, keyed by HTTP status (as a string, for JSON).
    public var responsesByStatus: [String: Int] = [:]
    /// Connections closed without a response (drop faults).
    public var droppedConnections = 0
    /// 5xx answers injected by the error-rate fault.
    public var injectedErrors = 0

    public init() {}

    /// Requests received in total.
    public var totalRequests: Int { requestsByEndpoint.values.reduce(0, +) }

    /// Responses sent with this status.
    public func responses(status: Int) -> Int { responsesByStatus[String(status)] ?? 0 }

    mutating func record(endpoint: String) { requestsByEndpoint[endpoint, default: 0] += 1 }
    mutating func record(status: Int) { responsesByStatus[String(status), default: 0] += 1 }
}
