public import PlatformAPI
public import SyncCore

/// Lists volume objects through the platform for `prefixes:` expansion: walks every
/// sub-prefix (the list call is one level deep) and follows every page.
public struct PlatformVolumeListing: SyncCore.VolumeListing {
    public let reader: PlatformReader

    public init(reader: PlatformReader) {
        self.reader = reader
    }

    public func objectLocations(volume: String, prefix: String) async throws -> [String] {
        var locations: [String] = []
        var queue: [String] = [prefix]
        var seen = Set(queue)
        while let current = queue.popLast() {
            var token: String?
            repeat {
                try Task.checkCancellation()
                let page = try await reader.listVolume(volume, prefix: current.isEmpty ? nil : current, continuationToken: token)
                locations += page.items.map(\.location).filter { !$0.hasSuffix("/") }
                for sub in page.prefixes where seen.insert(sub.prefix).inserted { queue.append(sub.prefix) }
                token = page.continuationToken
            } while token != nil
        }
        return locations
    }
}
