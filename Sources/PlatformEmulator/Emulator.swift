import Foundation

/// An emulated Seven Bridges platform: the state, its rules and the fault switches. Serve it
/// over HTTP with ``withRunningEmulator(_:_:)`` or ``Emulator/run(onReady:)``, or call
/// ``respond(to:)`` directly.
public final class Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    let state: EmulatorState

    /// Builds the emulator: creates the projects and reads the volumes.
    /// - Throws: ``EmulatorSetupError`` for a malformed project/volume id or an unreadable volume.
    public init(configuration: EmulatorConfiguration) throws {
        self.configuration = configuration
        self.state = try EmulatorState(configuration: configuration)
    }

    /// Answers one request: platform calls under `/v2`, admin calls under `/_admin`.
    /// - Parameters:
    ///   - request: the request.
    ///   - baseURL: the `…/v2` URL to put in `href`s when the request has no `Host` header.
    public func respond(to request: EmulatorRequest, baseURL: String = "http://127.0.0.1/v2") async -> EmulatorResponse {
        let base = request.headers["host"].map { "http://\($0)/v2" } ?? baseURL
        if request.pathSegments.first == "_admin" { return await admin(request) }
        let endpoint = EmulatorState.endpoint(of: request)
        switch await state.admit(request, endpoint: endpoint) {
        case .reject(let response):
            return response
        case .proceed(let token, let latency, let drop):
            if latency > 0 { try? await Task.sleep(for: .seconds(latency)) }
            if drop == .beforeApply {
                await state.recordDrop()
                return .dropped
            }
            let response = await state.handle(request, base: base, token: token)
            if drop == .afterApply {
                await state.recordDrop()
                return .dropped
            }
            return response
        }
    }

    // MARK: Inspection and control

    /// Every project with its files and folders, after finishing due jobs.
    public func snapshot() async -> EmulatorSnapshot { await state.snapshot() }

    /// Request and response counts since start (or the last ``resetCounters()``).
    public func counters() async -> EmulatorCounters { await state.currentCounters() }

    public func resetCounters() async { await state.resetCounters() }

    /// Replaces the fault switches.
    public func setFaults(_ faults: EmulatorFaults) async { await state.setFaults(faults) }

    public func faults() async -> EmulatorFaults { await state.currentFaults() }

    /// Creates a project (`owner/slug`); returns false when it already exists.
    /// - Throws: ``EmulatorSetupError`` when the id is malformed.
    @discardableResult
    public func createProject(_ id: String) async throws -> Bool { try await state.createProjectChecked(id) }

    /// Makes `count` random files (of `project`, or of every project) drift, chosen with
    /// `seed`, cycling through `kinds` (all kinds when empty); see `EmulatorDrift`.
    @discardableResult
    public func applyDrift(count: Int, seed: UInt64, project: String? = nil, kinds: [EmulatorDrift.Kind] = []) async -> [EmulatorDrift] {
        await state.applyDrift(count: count, seed: seed, project: project, kinds: kinds)
    }

    // MARK: Admin endpoint

    private func admin(_ request: EmulatorRequest) async -> EmulatorResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        func json(_ value: some Encodable, status: Int = 200) -> EmulatorResponse {
            EmulatorResponse(status: status, headers: [("Content-Type", "application/json")], body: (try? encoder.encode(value)) ?? Data())
        }
        func problem(_ status: Int, _ message: String) -> EmulatorResponse {
            json(["error": message], status: status)
        }
        guard request.fromLoopback else { return problem(403, "admin calls are accepted from loopback only") }
        let path = Array(request.pathSegments.dropFirst())
        switch (request.method, path) {
        case ("GET", ["state"]): return json(await snapshot())
        case ("GET", ["counters"]): return json(await counters())
        case ("POST", ["counters", "reset"]):
            await resetCounters()
            return json(await counters())
        case ("GET", ["faults"]): return json(await faults())
        case ("POST", ["faults"]), ("PUT", ["faults"]):
            do {
                let faults = try JSONDecoder().decode(EmulatorFaults.self, from: request.body.isEmpty ? Data("{}".utf8) : request.body)
                if let outOfRange = EmulatorLimits.problem(in: faults) { return problem(400, outOfRange) }
                await setFaults(faults)
                return json(faults)
            } catch {
                return problem(400, "faults body must be a JSON object with keys latencyMilliseconds, errorRate, dropRate, dropAfterApplyShare, itemFailureRate, rateLimitBurst, editFailureRate: \(error)")
            }
        case ("POST", ["projects"]):
            guard let id = (try? JSONValue.parse(request.body))?["id"]?.stringValue else {
                return problem(400, "body must be {\"id\": \"owner/slug\"}")
            }
            do {
                let created = try await createProject(id)
                return json(["id": JSONValue.string(id), "created": .bool(created)], status: created ? 201 : 200)
            } catch {
                return problem(400, "\(error)")
            }
        case ("GET", ["assumptions"]): return json(EmulatorAssumptions.all)
        case ("POST", ["drift"]):
            struct Body: Decodable { var count: Int; var seed: UInt64?; var project: String?; var kinds: [EmulatorDrift.Kind]? }
            guard let body = try? JSONDecoder().decode(Body.self, from: request.body) else {
                return problem(400, "body must be {\"count\": N, \"seed\": S, \"project\": \"owner/slug\", \"kinds\": "
                    + "[\(EmulatorDrift.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))]} (seed, project, kinds optional)")
            }
            return json(await applyDrift(count: body.count, seed: body.seed ?? 0, project: body.project, kinds: body.kinds ?? []))
        default:
            return problem(404, "unknown admin call \(request.method) /_admin/\(path.joined(separator: "/")); see the README, section 'The platform emulator'")
        }
    }
}
