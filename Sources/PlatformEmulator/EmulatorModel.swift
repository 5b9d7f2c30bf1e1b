import Foundation

/// A file or folder on the platform.
struct FileNode: Sendable {
    /// Creation order, for listing.
    var serial: Int
    var id: String
    var name: String
    var isFolder: Bool
    var project: String
    /// Folder id; root items have the project's hidden root folder here.
    var parent: String
    var size: Int?
    var createdOn: Date
    var modifiedOn: Date
    var storage: JSONValue
    var tags: [String]
    var metadata: [String: JSONValue]
}

struct Project: Sendable {
    var id: String
    var rootFolder: String
    var createdOn: Date
}

/// A volume's objects, sorted by location for prefix listing.
struct Volume: Sendable {
    var id: String
    var locations: [String]
    var sizes: [String: Int]
    var createdOn: Date

    init(id: String, objects: [String: Int], createdOn: Date) {
        self.id = id
        self.sizes = objects
        self.locations = objects.keys.sorted()
        self.createdOn = createdOn
    }

    /// Index of the first location ≥ `key`.
    func lowerBound(_ key: String) -> Int {
        var low = 0
        var high = locations.count
        while low < high {
            let mid = (low + high) / 2
            if locations[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// Where an import puts its file.
struct Destination: Sendable {
    var project: String?
    var parent: String?
    var name: String?
}

enum JobOutcome: Sendable {
    case completed(fileID: String)
    case failed(PlatformError)
}

struct ImportJob: Sendable {
    var id: String
    var volume: String
    var location: String
    var destination: Destination
    /// Folder the file lands in (project root or `parent`), resolved at submission.
    var directory: String
    var overwrite: Bool
    var autorename: Bool
    var preserveFolderStructure: Bool?
    var submittedOn: Date
    var finishesOn: Date
    var failure: PlatformError?
    var outcome: JobOutcome?
}

struct DRSItem: Sendable {
    var uri: String
    var destination: Destination
    var directory: String?
    var metadata: [String: JSONValue]
    var startsOn: Date
    var finishesOn: Date
    /// Error decided at submission (bad URI, missing object, injected failure, bad destination).
    var failure: PlatformError?
    var outcome: JobOutcome?
}

struct DRSJob: Sendable {
    var id: String
    var submittedOn: Date
    var conflictResolution: String
    var tags: [String]
    var items: [DRSItem]
}

/// Per-token fixed rate window.
struct RateWindow: Sendable {
    var start: Date
    var count: Int
}
