/// Lists the objects of a cloud-storage volume: what `prefixes:` entries need to be expanded.
///
/// SyncCore does no I/O; the platform client implements this (the volume list endpoint is one
/// folder level per call, so an implementation walks the sub-prefixes and follows every page).
/// Tests implement it with a fixed dictionary.
public protocol VolumeListing: Sendable {
    /// The location of every object under `prefix` in `volume`, at any depth, across all pages.
    ///
    /// - Parameters:
    ///   - volume: the volume id, `owner/name`.
    ///   - prefix: "" for the whole volume, or a path ending with `/`.
    /// - Returns: object locations (full keys, starting with `prefix`), in any order.
    /// - Throws: whatever the listing fails with; expansion stops on it.
    func objectLocations(volume: String, prefix: String) async throws -> [String]
}

/// The result of listing a manifest's prefixes: the locations found under each one.
///
/// Built with `PrefixListings.list(_:using:)`, or by hand in tests. A prefix without an entry
/// here is reported as unexpanded by `Manifest.expand(listings:)`.
public struct PrefixListings: Sendable, Hashable {
    private var locations: [Key: [String]] = [:]

    struct Key: Hashable, Sendable {
        var group: Int
        var index: Int
    }

    public init() {}

    /// The locations listed for `prefix`, if it was listed.
    public subscript(prefix: PrefixReference) -> [String]? {
        get { locations[Key(group: prefix.group, index: prefix.index)] }
        set { locations[Key(group: prefix.group, index: prefix.index)] = newValue }
    }

    /// Lists every prefix of `manifest` through `listing`, one prefix at a time, in manifest order.
    ///
    /// - Throws: the first error the listing throws, or `CancellationError`.
    public static func list(_ manifest: Manifest, using listing: some VolumeListing) async throws -> PrefixListings {
        var result = PrefixListings()
        for prefix in manifest.prefixes {
            try Task.checkCancellation()
            result[prefix] = try await listing.objectLocations(volume: prefix.volume, prefix: prefix.prefix)
        }
        return result
    }
}

/// A `VolumeListing` over fixed data: volume id → object locations. For tests and fixtures.
public struct StaticVolumeListing: VolumeListing {
    public var objects: [String: [String]]

    public init(_ objects: [String: [String]]) {
        self.objects = objects
    }

    public func objectLocations(volume: String, prefix: String) async throws -> [String] {
        (objects[volume] ?? []).filter { $0.hasPrefix(prefix) }
    }
}
