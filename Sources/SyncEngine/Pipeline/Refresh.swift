import Foundation
public import PlatformAPI
public import SyncCore
public import SyncState

/// The refresh stage (DESIGN.md "Truth from the platform"): asks the platform about recorded
/// files, read-only, and reports each one's drift for the diff (`Plan.reconciled(with:desired:)`).
///
/// Cost: one `GET /projects/{id}` per project (it also proves the token and the project), then
/// `POST /bulk/files/get` by recorded id, 100 per request, least recently verified first; a file
/// whose id is gone costs one more listing of its folder by name (100 names a request, one per
/// folder with gone files) to tell "deleted" from "replaced". A budget caps the requests.
///
/// Safety: any error that is not "this one file id is gone" (401/403, 5xx, timeout, a project or
/// folder answering 404, an error record other than 404) stops the refresh with `Failure`, and
/// nothing is reported, so nothing reaches the state: a wrong token never makes files look deleted.
public enum Refresh {
    typealias FolderKey = Executor.FolderKey

    /// What a refresh found.
    public struct Report: Sendable {
        /// Files in the state.
        public var recorded: Int
        /// Checked and found as recorded.
        public var verified: [Address]
        /// Checked and found drifted.
        public var drifts: [Drift]
        /// Not checked this run: beyond the budget, or recorded without a file id.
        public var unchecked: Int
        /// Requests made.
        public var requests: Int

        /// Files checked (as recorded or drifted).
        public var checked: Int { verified.count + drifts.count }

        /// The share of checked files that drifted (0 when none was checked).
        public var driftShare: Double { checked == 0 ? 0 : Double(drifts.count) / Double(checked) }
    }

    /// Why a refresh stopped; the state must not be changed from a refresh that failed.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// A call failed (`what` says which): token, server, network.
        case platform(what: String, PlatformError)
        /// A whole project answered 404.
        case projectNotFound(String)
        /// A recorded folder answered 404.
        case folderNotFound(project: String, path: String)
        /// A bulk record held an error other than "not found" for a file.
        case fileError(Address, PlatformErrorBody)
        /// The state could not be read.
        case state(StateError)

        public var description: String {
            switch self {
            case .platform(let what, let error):
                // Most errors name their request already: say it once.
                "\(error)".hasPrefix(what) ? "refresh stopped, the state is unchanged: \(error)"
                    : "refresh stopped, the state is unchanged: \(what) failed: \(error)"
            case .projectNotFound(let project):
                "refresh stopped, the state is unchanged: project '\(project)' answered 404 (not found, or the token "
                    + "cannot see it); no file is taken for deleted because of that"
            case .folderNotFound(let project, let path):
                "refresh stopped, the state is unchanged: folder '\(path)' of project '\(project)' answered 404; "
                    + "no file is taken for deleted because of that"
            case .fileError(let address, let error):
                "refresh stopped, the state is unchanged: the platform answered for \(address): \(error)"
            case .state(let error):
                "cannot read the state: \(error)"
            }
        }

        /// The platform's hint (e.g. for a 401), or what to do about a missing folder.
        public var hint: String? {
            switch self {
            case .platform(_, let error): return error.hint
            case .folderNotFound(let project, let path):
                return "if '\(path)' was deleted on purpose, 'sbsync state rm' the files recorded under it in \(project) "
                    + "(the next apply imports them again), then refresh"
            default: return nil
            }
        }
    }

    /// The requests a refresh of `files` recorded files in `projects` projects costs, and how
    /// long they take at the platform's rate limit (`PlatformAssumptions.requestsPerWindow` per
    /// `rateLimitWindow`): one project call each, ⌈files/100⌉ bulk gets, plus one folder listing
    /// per 100 of them for the files found gone (an allowance: deletions are rare).
    public struct Cost: Sendable, Hashable {
        public var files: Int
        public var requests: Int
        public var seconds: Double

        public init(files: Int, projects: Int) {
            self.files = files
            let bulk = (files + PlatformAssumptions.maxBulkItems - 1) / PlatformAssumptions.maxBulkItems
            requests = projects + bulk + (bulk + 99) / 100
            let window = Double(PlatformAssumptions.rateLimitWindow.components.seconds)
            let rate = Double(PlatformAssumptions.requestsPerWindow)
            // The first window's requests go at once; each further full window waits its length.
            seconds = requests <= PlatformAssumptions.requestsPerWindow ? 0 : Double(requests) / rate * window
        }

        /// `refreshing 1,000,000 files: about 10,100 requests, about 51 min at 1,000 requests / 5 min`
        public var line: String {
            let eta = seconds < 60 ? "under a minute" : "about \(Self.duration(seconds))"
            return "refreshing \(Self.grouped(files)) \(files == 1 ? "file" : "files"): about \(Self.grouped(requests)) "
                + "\(requests == 1 ? "request" : "requests"), \(eta) at \(Self.rateLimit)"
        }

        /// The platform's rate limit as the cost lines name it: `1,000 requests / 5 min`.
        static var rateLimit: String {
            "\(grouped(PlatformAssumptions.requestsPerWindow)) requests / \(PlatformAssumptions.rateLimitWindow.components.seconds / 60) min"
        }

        static func duration(_ seconds: Double) -> String {
            let minutes = Int((seconds / 60).rounded())
            return minutes < 120 ? "\(minutes) min" : String(format: "%.1f h", seconds / 3600)
        }

        static func grouped(_ n: Int) -> String {
            let digits = Array(String(n))
            var out = ""
            for (i, digit) in digits.enumerated() {
                if i > 0, (digits.count - i) % 3 == 0 { out += "," }
                out.append(digit)
            }
            return out
        }
    }

    /// The files a refresh with `budget` would check, and what that costs (before it starts).
    public static func cost(store: any StateBackend, budget: Int?) throws(StateError) -> Cost {
        let files = try store.leastRecentlyVerifiedFiles().filter { $0.fileID != nil }
        let selected = select(files, budget: budget)
        return Cost(files: selected.files.count, projects: selected.projects.count)
    }

    /// Checks recorded files against the platform through read-only calls.
    /// - Parameters:
    ///   - budget: the most requests to make (`nil`: check every recorded file).
    /// - Throws: `Failure`, or `CancellationError`.
    public static func run(store: any StateBackend, reader: PlatformReader, budget: Int?) async throws -> Report {
        let all: [RecordedFile]
        let folders: [FolderRecord]
        do throws(StateError) {
            all = try store.leastRecentlyVerifiedFiles()
            folders = try store.allFolders()
        } catch {
            throw Failure.state(error)
        }
        let withID = all.filter { $0.fileID != nil }
        let selection = select(withID, budget: budget)
        var requests = 0

        // The projects: each proves the token and that the project is there, and gives its root.
        var roots: [String: String] = [:]
        for project in selection.projects {
            try Task.checkCancellation()
            requests += 1
            do {
                roots[project] = try await reader.project(id: project).rootFolder ?? ""
            } catch let error as PlatformError {
                if error.status == 404 { throw Failure.projectNotFound(project) }
                throw Failure.platform(what: "GET /projects/\(project)", error)
            }
        }
        var folderID: [FolderKey: String] = [:]
        var folderPath: [String: FolderKey] = [:]
        for folder in folders {
            folderID[FolderKey(project: folder.project, path: folder.path)] = folder.id
            folderPath[folder.id] = FolderKey(project: folder.project, path: folder.path)
        }
        for (project, root) in roots {
            folderID[FolderKey(project: project, path: "")] = root
            folderPath[root] = FolderKey(project: project, path: "")
        }

        var verified: [Address] = []
        var drifts: [Drift] = []
        var gone: [RecordedFile] = []
        for chunk in selection.files.chunked(PlatformAssumptions.maxBulkItems) {
            try Task.checkCancellation()
            let batch = Array(chunk)
            requests += 1
            let records: [BulkRecord<PlatformFile>]
            do {
                records = try await reader.files(ids: batch.map { $0.fileID ?? "" })
            } catch let error as PlatformError {
                throw Failure.platform(what: "POST /bulk/files/get", error)
            }
            for (recorded, record) in zip(batch, records) {
                switch record {
                case .error(let error):
                    guard error.status == PlatformAssumptions.bulkGetMissingStatus else { throw Failure.fileError(recorded.address, error) }
                    gone.append(recorded)
                case .resource(let file):
                    if let parent = file.parent, folderPath[parent] == nil, within(budget, requests) {
                        requests += 1
                        folderPath[parent] = try await place(of: parent, reader: reader, known: folderPath)
                    }
                    let expected = folderID[FolderKey(project: recorded.address.project, path: recorded.address.folder)]
                    if let drift = compare(recorded, with: file, expectedParent: expected, folderPath: folderPath) {
                        drifts.append(drift)
                    } else {
                        verified.append(recorded.address)
                    }
                }
            }
        }

        // Gone ids: is another file there under the name (replaced), or nothing (deleted)? Beyond
        // the budget they stay unchecked (neither verified nor drifted) and go first next time.
        var unchecked = all.count - selection.files.count
        let byFolder = Dictionary(grouping: gone) { FolderKey(project: $0.address.project, path: $0.address.folder) }
        for (key, files) in byFolder.sorted(by: { ($0.key.project, $0.key.path) < ($1.key.project, $1.key.path) }) {
            guard let parent = folderID[key] else {
                // A folder the state has no id for cannot be listed: deleted, as far as anyone can tell.
                drifts += files.map { Drift(address: $0.address, found: [.deleted], current: $0) }
                continue
            }
            for chunk in files.chunked(PlatformAssumptions.maxPageLimit) {
                try Task.checkCancellation()
                guard within(budget, requests) else {
                    unchecked += chunk.count
                    continue
                }
                requests += 1
                let page: Page<PlatformFile>
                do {
                    page = try await reader.listFiles(FileQuery(in: .folder(parent), names: chunk.map(\.actualName)),
                                                      limit: PlatformAssumptions.maxPageLimit)
                } catch let error as PlatformError {
                    if error.status == 404 { throw Failure.folderNotFound(project: key.project, path: key.path) }
                    throw Failure.platform(what: "GET /files (folder '\(key.path)')", error)
                }
                var byName: [String: String] = [:]
                for file in page.items { byName[file.name] = file.id }
                for file in chunk {
                    let found: FileDrift = byName[file.actualName].map { .replaced(by: $0) } ?? .deleted
                    drifts.append(Drift(address: file.address, found: [found], current: file))
                }
            }
        }
        drifts.sort { $0.address < $1.address }
        return Report(recorded: all.count, verified: verified, drifts: drifts, unchecked: unchecked, requests: requests)
    }

    /// Whether one more request fits the budget.
    static func within(_ budget: Int?, _ requests: Int) -> Bool {
        budget.map { requests < $0 } ?? true
    }

    /// Where a folder the state does not know is (one `GET /files/{id}`): its path under a
    /// known parent, or its name alone.
    static func place(of folder: String, reader: PlatformReader, known: [String: FolderKey]) async throws -> FolderKey {
        let found: PlatformFile
        do {
            found = try await reader.file(id: folder)
        } catch let error as PlatformError {
            throw Failure.platform(what: "GET /files/\(folder)", error)
        }
        let above = found.parent.flatMap { known[$0] }
        let path = above.map { $0.path.isEmpty ? found.name : "\($0.path)/\(found.name)" } ?? found.name
        return FolderKey(project: found.project ?? above?.project ?? "", path: path)
    }

    /// The drift of one recorded file that the platform still has, or `nil` when it is as recorded.
    static func compare(_ recorded: RecordedFile, with file: PlatformFile, expectedParent: String?,
                        folderPath: [String: FolderKey]) -> Drift? {
        var found: [FileDrift] = []
        var current = recorded
        if let expectedParent, let parent = file.parent, parent != expectedParent {
            let path = folderPath[parent].map { $0.path.isEmpty ? file.name : "\($0.path)/\(file.name)" }
                ?? "folder \(parent)/\(file.name)"
            found.append(.moved(to: path))
        } else if file.name != recorded.actualName {
            found.append(.renamed(to: file.name))
        }
        // The metadata keys the record owns, as the platform holds them; and the tags.
        var metadata = Metadata()
        for entry in recorded.metadata {
            if let value = file.metadata[entry.key] { metadata[entry.key] = MetadataValue(value) }
        }
        let tagsSame = Set(recorded.tags) == Set(file.tags)
        if !recorded.metadata.isSatisfied(by: file.metadata) || !tagsSame {
            found.append(.edited)
            current.metadata = metadata
            current.tags = file.tags
            current.specDigest = SpecDigest.compute(source: current.source, metadata: current.metadata, tags: current.tags)
        }
        return found.isEmpty ? nil : Drift(address: recorded.address, found: found, current: current)
    }

    /// The files a budget covers, least recently verified first, and their projects in order.
    static func select(_ files: [RecordedFile], budget: Int?) -> (files: [RecordedFile], projects: [String]) {
        guard let budget else {
            var seen = Set<String>()
            return (files, files.map(\.address.project).filter { seen.insert($0).inserted })
        }
        // Requests: one per project, one per 100 files, and a tenth of the budget (at least one)
        // kept for listing the folders of files found gone.
        let reserve = budget >= 2 ? max(1, budget / 10) : 0
        var projects: [String] = []
        var seen = Set<String>()
        var count = 0
        for file in files {
            let newProject = !seen.contains(file.address.project)
            let cost = projects.count + (newProject ? 1 : 0) + (count + 1 + 99) / 100 + reserve
            guard cost <= budget else { break }
            if newProject {
                seen.insert(file.address.project)
                projects.append(file.address.project)
            }
            count += 1
        }
        return (Array(files.prefix(count)), projects)
    }

    // MARK: Recording

    /// `sbsync refresh`: writes what was found into the state and imports nothing: files found
    /// as recorded get their verification time; a gone file (deleted or replaced) is forgotten,
    /// so the next plan imports it under its entry's policy; an edited file is recorded with the
    /// platform's metadata and tags, so the next plan updates it back. A renamed or moved file
    /// stays as recorded (the state holds no place but its address): `apply --refresh` moves it
    /// back. Verification is written in parts; a run stopped between them keeps what was written.
    public static func record(_ report: Report, in store: any StateBackend, at time: Int64) throws(StateError) {
        let gone = report.drifts.filter { $0.gone != nil }.map(\.address)
        let edited = report.drifts.filter { $0.gone == nil && $0.displaced == nil }.map(\.current)
        if !gone.isEmpty || !edited.isEmpty { try store.record(edited, removing: gone) }
        try recordVerification(report.verified + edited.map(\.address), in: store, at: time)
    }

    /// Verification times, 10,000 addresses per transaction.
    public static func recordVerification(_ addresses: [Address], in store: any StateBackend, at time: Int64) throws(StateError) {
        for chunk in addresses.chunked(10_000) { try store.recordVerification(addresses: Array(chunk), at: time) }
    }

    // MARK: Freshness

    /// The plan note that says how old the state's knowledge is, or `nil` with no recorded file:
    /// `last verified against the platform: never (…)` or `…: 3 days ago, 40% of files`.
    public static func freshnessNote(_ summary: VerificationSummary, now: Int64) -> String? {
        guard summary.files > 0 else { return nil }
        guard summary.verified > 0, let newest = summary.newest else {
            return "last verified against the platform: never (the plan trusts the state; 'sbsync plan --refresh' checks)"
        }
        let share = Int((Double(summary.verified) / Double(summary.files) * 100).rounded(.down))
        let percent = summary.verified == summary.files ? "all files" : "\(max(share, summary.verified > 0 ? 1 : 0))% of files"
        return "last verified against the platform: \(age(now - newest)), \(percent)"
    }

    /// `just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`.
    static func age(_ seconds: Int64) -> String {
        func ago(_ n: Int64, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s") ago" }
        switch max(seconds, 0) {
        case ..<60: return "just now"
        case ..<3_600: return ago(seconds / 60, "minute")
        case ..<86_400: return ago(seconds / 3_600, "hour")
        default: return ago(seconds / 86_400, "day")
        }
    }
}

extension PlanPipeline {
    /// The freshness note for the state at `statePath` (nothing without a state or recorded files).
    /// - Parameter recordedFiles: how many files the plan's scan found, if it just counted them.
    public static func freshnessNote(statePath: String, recordedFiles: Int? = nil, now: Int64 = StateStore.systemNow()) -> String? {
        guard let store = try? StateBackends.open(statePath),
              let summary = try? store.verificationSummary(fileCount: recordedFiles) else { return nil }
        return Refresh.freshnessNote(summary, now: now)
    }

    /// `plan --refresh`: the plan of `plan(…)` (prefixes listed through `reader`), with the way
    /// back for every drift the refresh found.
    /// - Throws: `Failure`, `Refresh.Failure`, `CancellationError`.
    /// - Parameters:
    ///   - reader: the refresh's reads; `prefixReader` lists volume prefixes (it may retry).
    ///   - onCost: told the refresh's cost before it starts.
    public static func refreshedPlan(_ manifest: Manifest, _ desired: DesiredState, reader: PlatformReader,
                                     prefixReader: PlatformReader, statePath: String, budget: Int?,
                                     onCost: (Refresh.Cost) -> Void) async throws -> (result: Result, report: Refresh.Report?) {
        let expanded = try await expand(manifest, desired, using: prefixReader)
        var result = try await plan(manifest, expanded, prefixes: .unexpanded(reason: "listed"), statePath: statePath)
        let store: any StateBackend
        do throws(StateError) {
            store = try StateBackends.open(statePath)
        } catch {
            if case .notFound = error { return (result, nil) }
            throw Failure.state(error)
        }
        do {
            onCost(try Refresh.cost(store: store, budget: budget))
        } catch {
            throw Failure.state(error)
        }
        let report = try await Refresh.run(store: store, reader: reader, budget: budget)
        result.plan = result.plan.reconciled(with: report.drifts) { expanded[$0] }
        return (result, report)
    }
}
