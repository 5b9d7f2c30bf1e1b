import Foundation
import PlatformEmulator
import TestSupport

/// An emulator driven in process through `respond(to:)` with a manual clock.
struct Harness {
    let emulator: Emulator
    let clock: TestClock

    static let token = "test-token"
    static let project = "alice/p1"
    static let volume = "alice/vol"
    static let objects: [String: Int] = [
        "runs/r1/sample1.bam": 100, "runs/r1/sample2.bam": 200, "runs/r1/sample3.bam": 300,
        "runs/r1/qc/report.txt": 10, "runs/r2/x.bam": 5, "top.txt": 1,
    ]

    init(_ adjust: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        clock = TestClock()
        var configuration = EmulatorConfiguration(
            tokens: [Self.token], projects: [Self.project], volumes: [Self.volume: .objects(Self.objects)],
            missingDRSURIs: ["drs://drs.example.org/missing-1"], jobDuration: 10, clock: clock.emulatorClock)
        adjust(&configuration)
        emulator = try Emulator(configuration: configuration)
    }

    @discardableResult
    func call(_ method: String, _ target: String, _ body: JSONValue? = nil, token: String? = Harness.token) async -> EmulatorResponse {
        var headers = ["Content-Type": "application/json", "Host": "emu.test"]
        if let token { headers["X-SBG-Auth-Token"] = token }
        let data = body.map { $0.serialized() } ?? Data("null".utf8)
        return await emulator.respond(to: EmulatorRequest(method: method, target: "/v2" + target, headers: headers, body: data))
    }

    /// Creates a folder and returns its id.
    @discardableResult
    func folder(_ name: String, project: String = Harness.project, parent: String? = nil) async -> String {
        var body: [String: JSONValue] = ["name": .string(name), "type": "folder"]
        if let parent { body["parent"] = .string(parent) } else { body["project"] = .string(project) }
        return await call("POST", "/files", .object(body)).json["id"]?.stringValue ?? "?"
    }

    func names(in project: String = Harness.project) async -> [String] {
        await emulator.snapshot().project(project)?.files.map(\.path).sorted() ?? []
    }
}

extension JSONValue {
    var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }
}
