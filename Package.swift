// swift-tools-version:6.2
import Foundation
import PackageDescription

let package = Package(
    name: "sbsync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sbsync", targets: ["sbsync"]),
        .executable(name: "sbsync-emulator", targets: ["sbsync-emulator"]),
        .library(name: "PlatformEmulator", targets: ["PlatformEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // System libraries, the SwiftPM way: module.modulemap + a one-line shim header.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // The pipeline, in dependency order (DESIGN.md "Package layout").
        .target(name: "SyncYAML", dependencies: ["CYAML"]),
        .target(name: "SyncCore", dependencies: [
            "SyncYAML",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "PlatformAPI", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SyncState", dependencies: [
            "CSQLite", "SyncCore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SyncEngine", dependencies: [
            "SyncYAML", "SyncCore", "SyncState", "PlatformAPI",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "PlatformEmulator", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SyncCLI", dependencies: [
            "SyncYAML", "SyncCore", "SyncState", "PlatformAPI", "SyncEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "sbsync", dependencies: ["SyncCLI"]),
        .executableTarget(name: "sbsync-emulator", dependencies: [
            "PlatformEmulator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmark: parse a file with SyncYAML only (the "parse only" row of `make bench`).
        .executableTarget(name: "sbsync-yaml-bench", dependencies: ["SyncYAML"], path: "Benchmarks/YAMLBench"),

        // Tests. Fixtures and golden files are read by path (`TestSupport.repositoryRoot`), not
        // bundled, so they are excluded here.
        .target(name: "TestSupport", dependencies: ["PlatformAPI", "PlatformEmulator"], path: "Tests/TestSupport"),
        .testTarget(name: "SyncYAMLTests", dependencies: ["SyncYAML", "TestSupport"], exclude: ["yaml-test-suite"]),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore", "SyncYAML", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "SyncStateTests", dependencies: ["SyncState", "SyncCore", "TestSupport"]),
        .testTarget(name: "PlatformAPITests", dependencies: ["PlatformAPI", "PlatformEmulator", "TestSupport"]),
        .testTarget(name: "PlatformEmulatorTests", dependencies: ["PlatformEmulator", "TestSupport"], exclude: ["sbp"]),
        .testTarget(name: "SyncEngineTests", dependencies: ["SyncEngine", "SyncState", "SyncCore", "PlatformAPI", "PlatformEmulator", "TestSupport"]),
        .testTarget(name: "SyncCLITests", dependencies: ["SyncCLI", "SyncCore", "SyncState", "SyncEngine", "PlatformEmulator", "TestSupport"], exclude: ["Golden"]),

        // Fuzzing the manifest loader: `make fuzz` builds this with `-sanitize=fuzzer,address
        // -DFUZZING` (libFuzzer's entry point); a plain build gives a replayer of saved inputs.
        .executableTarget(name: "sbsync-fuzz", dependencies: ["SyncCore", "SyncYAML"], path: "Fuzz/ManifestFuzzer"),

        // Benchmark: fill and load a large state through SyncState (the state rows of `make bench`).
        .executableTarget(name: "sbsync-state-bench", dependencies: ["SyncState", "SyncCore", "SyncEngine"], path: "Benchmarks/StateBench"),
    ]
)

// Our own targets: Swift 6 language mode, strict concurrency, warnings are errors.
// Each module folder's README.md (what it owns, what it must never do) is documentation, not a resource.
for target in package.targets where target.type != .system {
    let folder = target.path ?? (target.type == .test ? "Tests/" : "Sources/") + target.name
    if FileManager.default.fileExists(atPath: "\(Context.packageDirectory)/\(folder)/README.md") {
        target.exclude.append("README.md")
    }
    var settings = target.swiftSettings ?? []
    settings.append(.treatAllWarnings(as: .error))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
