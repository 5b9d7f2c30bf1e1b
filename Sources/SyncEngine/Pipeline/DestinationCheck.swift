import Foundation
public import PlatformAPI
public import SyncCore
public import SyncState

/// Before an import is planned for a destination the state does not know, the platform is asked
/// what it holds there (DESIGN.md "Truth from the platform"): a file from the same source is
/// adopted (action `adopt`, no import call), any other file or a folder is a conflict shown in
/// the plan and settled by the entry's policy, and only a free address stays a plain import.
///
/// Cost: the destination folders are walked top-down from each project's root, and a folder
/// that is not there prunes everything below it. An existing folder costs one listing page, plus
/// one per further 100 children, or, when fewer requests do it, `name=` filtered pages for the
/// names still wanted (50 per page). Never one request per file; a brand-new project costs one
/// request (its root listing is empty).
public enum DestinationCheck {
    /// What the check found, for the plan's notes.
    public struct Summary: Sendable, Hashable {
        /// Imports checked.
        public var checked = 0
        public var adopted = 0
        /// Adopted by name only (DRS files whose source the platform does not show).
        public var adoptedByName = 0
        /// Imports whose address is taken by another file or a folder.
        public var conflicts = 0
        /// Listing requests made.
        public var requests = 0
        /// The destination folders found on the platform, with their ids, as the state records
        /// them (apply and rebuild do, so a later refresh can tell a moved file by its folder).
        public var folders: [FolderRecord] = []

        public init() {}
    }

    /// The imports of `plan` (desired, not in the state) checked against the platform: some
    /// become adopts, some get a conflict reason. Other actions are left as they are.
    /// - Throws: `PlatformError` when a listing fails (nothing is changed then); `CancellationError`.
    public static func check(_ plan: Plan, reader: PlatformReader) async throws -> (plan: Plan, summary: Summary) {
        var summary = Summary()
        var projects = plan.projects
        for index in projects.indices {
            // Every import carries its desired file (`settle` reads it); the action alone picks them,
            // without copying a million desired files to look.
            let imports = projects[index].changes.withUnsafeBufferPointer { changes in
                changes.indices.filter { changes[$0].action == .import }
            }
            guard !imports.isEmpty else { continue }
            summary.checked += imports.count
            var walk = Walk(reader: reader, changes: projects[index].changes)
            try await walk.run(imports, project: projects[index].project)
            summary.requests += walk.requests
            summary.adopted += walk.adopted
            summary.adoptedByName += walk.adoptedByName
            summary.conflicts += walk.conflicts
            summary.folders += walk.folderIDs.map {
                FolderRecord(project: projects[index].project, path: $0.key, id: $0.value, createdBySbsync: false)
            }
                .sorted { $0.path < $1.path }
            var counts = projects[index].counts
            counts.imports -= walk.adopted
            counts.adopts += walk.adopted
            projects[index].counts = counts
            if walk.adopted > 0 {
                projects[index].changes = walk.changes.sorted { ($0.action, $0.address) < ($1.action, $1.address) }
            } else if walk.conflicts > 0 {
                projects[index].changes = walk.changes  // reasons added, order kept
            }
        }
        var checked = plan
        checked.projects = projects
        return (checked, summary)
    }

    /// The notes a checked plan carries.
    static func notes(_ summary: Summary) -> [String] {
        var notes: [String] = []
        if summary.adoptedByName > 0 {
            notes.append("warning: \(summary.adoptedByName) DRS \(summary.adoptedByName == 1 ? "file is" : "files are") adopted by name only: "
                + "the platform does not show their DRS URI (platform-api.md §14.6), so a file of the same name from another "
                + "source would be adopted too")
        }
        if summary.conflicts > 0 {
            notes.append("\(summary.conflicts) \(summary.conflicts == 1 ? "import goes" : "imports go") to an address the platform "
                + "already holds from another source; each entry's conflict policy decides")
        }
        return notes
    }

    /// The note of a plan whose destinations were not checked.
    static func uncheckedNote(imports: Int, reason: String) -> String {
        "\(imports) \(imports == 1 ? "import was" : "imports were") not checked against the platform: \(reason); "
            + "apply checks, and adopts a file already there from the same source"
    }

    /// Whether `file` comes from `source`; `nil` when the platform does not show a DRS file's source.
    static func sameSource(_ file: PlatformFile, _ source: FileSource) -> Bool? {
        switch source {
        case .volume(let volume, let location):
            return file.storage?.volume == volume && file.storage?.location == location
        case .drs(let uri):
            if let shown = file.storage?.drsURI { return shown == uri }
            if file.storage?.volume != nil { return false }
            return nil
        }
    }

    /// The walk of one project's destination folders.
    struct Walk {
        let reader: PlatformReader
        var changes: [PlannedChange]
        var requests = 0
        var adopted = 0
        var adoptedByName = 0
        var conflicts = 0
        /// The ids of the wanted folders found, by path.
        var folderIDs: [String: String] = [:]

        /// Wanted names by folder path ("" = root): files (change indices) and sub-folders.
        private var files: [String: [String: [Int]]] = [:]
        private var folders: [String: Set<String>] = [:]

        init(reader: PlatformReader, changes: [PlannedChange]) {
            self.reader = reader
            self.changes = changes
        }

        mutating func run(_ imports: [Int], project: String) async throws {
            // The root first: in a new (or unrelated) project nothing wanted is there, and the
            // million-file plan is spared building the folder maps.
            var rootNames = Set<String>()
            changes.withUnsafeBufferPointer { changes in
                // Sorted by address, so the first segments come in runs: one string per run.
                var last: Substring.UTF8View?
                for index in imports {
                    let path = changes[index].address.path
                    let first = path.utf8.firstIndex(of: UInt8(ascii: "/")).map { path.utf8[..<$0] } ?? path.utf8[...]
                    if let last, last.elementsEqual(first) { continue }
                    rootNames.insert(String(Substring(first)))
                    last = first
                }
            }
            let root = try await list(.project(project), wanted: rootNames)
            guard !root.isEmpty else { return }
            for index in imports {
                let address = changes[index].address
                files[address.folder, default: [:]][address.name, default: []].append(index)
                var parent = ""
                for segment in address.folder.split(separator: "/") where !address.folder.isEmpty {
                    folders[parent, default: []].insert(String(segment))
                    parent = parent.isEmpty ? String(segment) : parent + "/" + segment
                }
            }
            var queue: [(FileParent, String, [PlatformFile]?)] = [(.project(project), "", root)]
            while let (parent, path, listed) = queue.popLast() {
                try Task.checkCancellation()
                let wantedFiles = files[path] ?? [:], wantedFolders = folders[path] ?? []
                var found = listed ?? []
                if listed == nil { found = try await list(parent, wanted: Set(wantedFiles.keys).union(wantedFolders)) }
                for entry in found {
                    if entry.isFolder, wantedFolders.contains(entry.name) {
                        let folderPath = path.isEmpty ? entry.name : path + "/" + entry.name
                        folderIDs[folderPath] = entry.id
                        queue.append((.folder(entry.id), folderPath, nil))
                    }
                    for index in wantedFiles[entry.name] ?? [] { settle(index, against: entry) }
                }
            }
        }

        /// The entries of `parent` whose names are in `wanted`: one plain page first, then
        /// the cheaper of the remaining pages and `name=` filtered pages.
        private mutating func list(_ parent: FileParent, wanted: Set<String>) async throws -> [PlatformFile] {
            guard !wanted.isEmpty else { return [] }
            let pageSize = PlatformAssumptions.maxPageLimit
            requests += 1
            var page = try await reader.listFiles(FileQuery(in: parent), offset: 0, limit: pageSize)
            var found = page.items.filter { wanted.contains($0.name) }
            guard page.nextURL != nil, !page.items.isEmpty else { return found }
            let missing = wanted.subtracting(found.map(\.name)).sorted()
            let namesPerPage = 50
            let byName = (missing.count + namesPerPage - 1) / namesPerPage
            let total = page.totalCount ?? Int.max
            let remainingPages = total == Int.max ? Int.max : (total - page.items.count + pageSize - 1) / pageSize
            if byName < remainingPages {
                for group in missing.chunked(namesPerPage) {
                    requests += 1
                    let named = try await reader.listFiles(FileQuery(in: parent, names: Array(group)), offset: 0, limit: pageSize)
                    found += named.items.filter { wanted.contains($0.name) }
                }
                return found
            }
            while let next = try await reader.nextPage(after: page) {
                requests += 1
                found += next.items.filter { wanted.contains($0.name) }
                page = next
            }
            return found
        }

        /// One import whose address the platform holds `entry` at.
        private mutating func settle(_ index: Int, against entry: PlatformFile) {
            guard let desired = changes[index].after else { return }
            let policy = desired.policy
            if entry.isFolder {
                changes[index].reasons = [.notInState, .destinationTaken(what: "a folder", policy: policy)]
                conflicts += 1
                return
            }
            switch DestinationCheck.sameSource(entry, desired.source) {
            case true?:
                adopt(index, entry, reason: .foundOnPlatform)
            case nil where desired.metadata.isSatisfied(by: entry.metadata):
                adopt(index, entry, reason: .foundOnPlatformByName)
                adoptedByName += 1
            default:
                let what: String
                if let volume = entry.storage?.volume {
                    what = "a file from volume \(volume):\(entry.storage?.location ?? "")"
                } else if let uri = entry.storage?.drsURI {
                    what = "a file from \(uri)"
                } else {
                    what = "a file of another source"
                }
                changes[index].reasons = [.notInState, .destinationTaken(what: what, policy: policy)]
                conflicts += 1
            }
        }

        private mutating func adopt(_ index: Int, _ entry: PlatformFile, reason: ChangeReason) {
            guard let desired = changes[index].after else { return }
            let carried = Executor.carried(desired, by: entry)
            let recorded = RecordedFile(
                address: desired.address, source: desired.source, metadata: carried.metadata, tags: carried.tags,
                specDigest: SpecDigest.compute(source: desired.source, metadata: carried.metadata, tags: carried.tags),
                fileID: entry.id, actualName: entry.name, jobID: nil, createdAt: 0, updatedAt: 0)
            changes[index] = PlannedChange(address: desired.address, action: .adopt, reasons: [reason], before: recorded, after: desired)
            adopted += 1
        }
    }
}
