import Foundation

extension EmulatorState {
    func volumeJSON(_ volume: Volume, base: String) -> JSONValue {
        let name = String(volume.id.split(separator: "/").last ?? "")
        return [
            "href": .string("\(base)/storage/volumes/\(volume.id)"),
            "id": .string(volume.id),
            "name": .string(name),
            "description": "",
            "access_mode": "RO",
            "service": [
                "type": "S3", "bucket": .string(name.replacingOccurrences(of: "_", with: "-")), "prefix": "",
                "endpoint": "s3.amazonaws.com", "credentials": [:], "properties": [:],
            ],
            "created_on": .string(timestamp(volume.createdOn)),
            "modified_on": .string(timestamp(volume.createdOn)),
            "active": true,
        ]
    }

    func objectJSON(_ volume: Volume, location: String, base: String) -> JSONValue {
        [
            "href": .string("\(base)/storage/volumes/\(volume.id)/object?location=\(formEncode(location))"),
            "location": .string(location),
            "volume": .string(volume.id),
            "type": "s3",
            "metadata": ["size": .int(volume.sizes[location] ?? 0)],
        ]
    }

    func volume(owner: String, name: String) throws(PlatformError) -> Volume {
        guard let volume = volumes["\(owner)/\(name)"] else { throw PlatformError.volumeNotFound("\(owner)/\(name)") }
        return volume
    }

    func listVolumes(_ request: EmulatorRequest, base: String) throws(PlatformError) -> EmulatorResponse {
        try page(volumes.keys.sorted().compactMap { volumes[$0] }, request: request, base: base) { volumeJSON($0, base: base) }
    }

    /// One level of a volume, S3-delimiter style, paged by continuation token (platform-api.md §9.3).
    func listVolumeContents(_ volume: Volume, request: EmulatorRequest, base: String) throws(PlatformError) -> EmulatorResponse {
        let prefix = request.queryValue("prefix") ?? ""
        let limit = try integerQuery(request, "limit", default: 50, range: 1...100)
        var after: String?
        if let token = request.queryValue("continuation_token"), !token.isEmpty {
            guard let data = Data(base64Encoded: token), let key = String(data: data, encoding: .utf8) else {
                throw PlatformError.badRequest("Invalid continuation_token '\(token)'.")
            }
            after = key
        }
        var items: [JSONValue] = []
        var prefixes: [JSONValue] = []
        var lastKey: String?
        var index = volume.lowerBound(after ?? prefix)
        // Skip the entry the token names: an object key, or every key under a common prefix.
        if let after {
            if after.hasSuffix("/") {
                index = volume.lowerBound(String(after.dropLast()) + "0")
            } else if index < volume.locations.count, volume.locations[index] == after {
                index += 1
            }
        }
        var more = false
        while index < volume.locations.count {
            let location = volume.locations[index]
            guard location.hasPrefix(prefix) else { break }
            if items.count + prefixes.count == limit {
                more = true
                break
            }
            let rest = location.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") {
                let common = prefix + rest[..<slash] + "/"
                prefixes.append([
                    "href": .string("\(base)/storage/volumes/\(volume.id)/list?prefix=\(formEncode(common))"),
                    "prefix": .string(common), "volume": .string(volume.id),
                ])
                lastKey = common
                index = volume.lowerBound(String(common.dropLast()) + "0")
            } else {
                items.append(objectJSON(volume, location: location, base: base))
                lastKey = location
                index += 1
            }
        }
        let query = request.rawQuery
        let path = "\(base)/storage/volumes/\(volume.id)/list"
        var links: [JSONValue] = []
        if more, let lastKey {
            var pairs = request.queryItems.filter { $0.name != "continuation_token" }
            pairs.append(("continuation_token", Data(lastKey.utf8).base64EncodedString()))
            links.append(["next": .string(path + "?" + queryString(pairs))])
        }
        return .json(200, [
            "href": .string(path + (query.isEmpty ? "" : "?" + query)),
            "items": .array(items), "prefixes": .array(prefixes), "links": .array(links),
        ])
    }

    func volumeObject(_ volume: Volume, request: EmulatorRequest, base: String) throws(PlatformError) -> EmulatorResponse {
        guard let location = request.queryValue("location"), volume.sizes[location] != nil else {
            throw PlatformError.locationNotFound(request.queryValue("location") ?? "")
        }
        return .json(200, objectJSON(volume, location: location, base: base))
    }
}
