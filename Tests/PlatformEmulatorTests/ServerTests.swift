import Foundation
import PlatformEmulator
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
import TestSupport
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

@Suite struct ServerLifecycleTests {
    @Test func portInUseIsAnErrorNotAHang() async throws {
        try await withRunningEmulator(ServerTests.configuration()) { running in
            var second = ServerTests.configuration()
            second.port = running.port
            await #expect(throws: (any Error).self) {
                try await withRunningEmulator(second) { _ in }
            }
        }
    }
}

/// The built `sbsync-emulator` binary: ready line, flags, clean exit on SIGTERM.
@Suite struct EmulatorBinaryTests {
    /// Next to the test executable (same build directory, whatever the scratch path), else
    /// `.build/debug`.
    static var binary: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("sbsync-emulator")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return SBPAcceptanceTests.packageRoot.appendingPathComponent(".build/debug/sbsync-emulator")
    }

    @Test(.timeLimit(.minutes(1))) func printsTheReadyLineServesAndStopsOnSIGTERM() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build sbsync-emulator first (swift build)")
        let scratch = TemporaryDirectory()
        let directory = scratch.url
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("d"), withIntermediateDirectories: true)
        try Data("abc".utf8).write(to: directory.appendingPathComponent("d/x.txt"))

        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["--token", "T", "--project", "alice/p1", "--volume", "alice/vol=\(directory.path)", "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        let lines = AsyncStream.makeStream(of: String.self)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { lines.continuation.finish() } else { lines.continuation.yield(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
        var text = ""
        for await chunk in lines.stream {
            text += chunk
            if text.contains("\n") { break }
        }
        let line = try #require(text.split(separator: "\n").first.map(String.init))
        let match = try #require(line.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\/v2/))
        let port = try #require(Int(match.1))

        let url = URL(string: "http://127.0.0.1:\(port)/v2/storage/volumes/alice/vol/list?prefix=d%2F")!
        let (data, response) = try await ServerTests.send("GET", url)
        #expect(response.statusCode == 200)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data)["items"]?.arrayValue?.first?["location"] == "d/x.txt")

        process.terminate()  // SIGTERM
        var iterator = exited.stream.makeAsyncIterator()
        let status = await iterator.next()
        output.fileHandleForReading.readabilityHandler = nil
        #expect(status == 0)
    }

    @Test func badFlagValuesAreUsageErrors() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build sbsync-emulator first (swift build)")
        for arguments in [["--volume", "novolume"], ["--error-rate", "2"], ["--project", "x"]] {
            let (status, output) = try await runToEnd(Self.binary.path, arguments)
            #expect(status != 0, "\(arguments) was accepted")
            #expect(output.lowercased().contains("error"), "\(arguments): \(output)")
        }
    }
}
