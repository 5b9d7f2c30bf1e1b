import Foundation
import PlatformEmulator
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Tests through a real HTTP server on 127.0.0.1, port 0.
@Suite struct ServerTests {
    static func configuration() -> EmulatorConfiguration {
        EmulatorConfiguration(
            tokens: ["T"], projects: ["alice/p1"], volumes: ["alice/vol": .objects(["a/b.txt": 3])])
    }

    static func send(_ method: String, _ url: URL, body: String? = nil, token: String? = "T") async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue(token, forHTTPHeaderField: "X-SBG-Auth-Token") }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return (data, try #require(response as? HTTPURLResponse))
    }

    @Test func servesOnAFreePortWithAbsoluteHrefs() async throws {
        try await withRunningEmulator(Self.configuration()) { running in
            #expect(running.port > 0)
            #expect(running.baseURL.absoluteString == "http://127.0.0.1:\(running.port)/v2")
            let url = URL(string: "\(running.baseURL.absoluteString)/storage/volumes/alice/vol/list?prefix=a%2F")!
            let (data, response) = try await Self.send("GET", url)
            #expect(response.statusCode == 200)
            #expect(response.value(forHTTPHeaderField: "X-RateLimit-Limit") == "1000")
            #expect(response.value(forHTTPHeaderField: "X-Request-Id") != nil)
            let json = try JSONDecoder().decode(JSONValue.self, from: data)
            #expect(json["href"] == .string(url.absoluteString))
            #expect(json["items"]?.arrayValue?.first?["location"] == "a/b.txt")

            let (_, unauthorized) = try await Self.send("GET", url, token: "nope")
            #expect(unauthorized.statusCode == 401)

            let (created, createdResponse) = try await Self.send(
                "POST", running.baseURL.appendingPathComponent("files"), body: #"{"name":"qc","type":"folder","project":"alice/p1"}"#)
            #expect(createdResponse.statusCode == 201)
            let id = try #require(try JSONDecoder().decode(JSONValue.self, from: created)["id"]?.stringValue)
            let (_, deleted) = try await Self.send("DELETE", running.baseURL.appendingPathComponent("files/\(id)"), body: "{}")
            #expect(deleted.statusCode == 204)
        }
    }

    @Test func droppedConnectionGivesNoResponseAndServerKeepsServing() async throws {
        var configuration = Self.configuration()
        configuration.faults = EmulatorFaults(dropRate: 1, dropAfterApplyShare: 1)
        try await withRunningEmulator(configuration) { running in
            await #expect(throws: (any Error).self) {
                _ = try await Self.send(
                    "POST", running.baseURL.appendingPathComponent("files"), body: #"{"name":"qc","type":"folder","project":"alice/p1"}"#)
            }
            // Applied although the response was lost.
            #expect(await running.emulator.snapshot().project("alice/p1")?.files.map(\.name) == ["qc"])
            await running.emulator.setFaults(.none)
            let (_, response) = try await Self.send("GET", running.baseURL.appendingPathComponent("files/\(String(repeating: "0", count: 24))"))
            #expect(response.statusCode == 404)
            #expect(await running.emulator.counters().droppedConnections >= 1)
        }
    }

    @Test func adminEndpointOverHTTP() async throws {
        try await withRunningEmulator(Self.configuration()) { running in
            let admin = URL(string: "http://127.0.0.1:\(running.port)/_admin/projects")!
            let (_, response) = try await Self.send("POST", admin, body: #"{"id":"bob/q"}"#, token: nil)
            #expect(response.statusCode == 201)
            #expect(await running.emulator.snapshot().projects.map(\.id) == ["alice/p1", "bob/q"])
        }
    }

    @Test func badConfigurationIsReported() async throws {
        var configuration = Self.configuration()
        configuration.projects = ["no-slash"]
        await #expect(throws: EmulatorSetupError.self) {
            try await withRunningEmulator(configuration) { _ in }
        }
    }
}
