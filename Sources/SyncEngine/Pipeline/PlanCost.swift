public import SyncCore
public import SyncState
import PlatformAPI

extension PlanPipeline {
    /// Folders new to the state from which a plan says what they cost.
    public static let folderNoteMinimum = 1_000

    /// What a large apply of `plan` will take that its counts do not show, as plan notes: the
    /// folders its imports land in that the state does not record (one request each, before
    /// their files), and the floor the DRS pace puts on the time of its DRS imports. Empty for a
    /// plan where neither reaches a window of the platform's limits.
    /// - Parameters:
    ///   - recordedFolders: the folders the state records (`nil`: none read).
    ///   - pace: the DRS pace the apply keeps (its `drsPace` and `drsWindow`).
    public static func costNotes(for plan: Plan, recordedFolders: [FolderRecord]?,
                                 pace: ExecutorOptions = ExecutorOptions()) -> [String] {
        var drs = 0
        var folders = Set<String>()
        for project in plan.projects {
            // Changes are in address order: a folder's files are neighbours, so a folder is
            // taken once, not once per file; and its parents only up to the first one already
            // taken (a first plan of a million files in a quarter of a million folders).
            var lastFolder: Substring?
            project.changes.withUnsafeBufferPointer { changes in
                // Read in place: a copy of each change's desired file retains all its parts.
                for i in changes.indices {
                    let change = changes.baseAddress! + i
                    guard change.pointee.action == .import || change.pointee.action == .replace,
                          let path = change.pointee.after?.address.path else { continue }
                    if change.pointee.after?.source.kind == .drs { drs += 1 }
                    // '/' is ASCII: found in the UTF-8 bytes, without walking characters.
                    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { continue }
                    var folder = path[..<slash]
                    if folder == lastFolder { continue }
                    lastFolder = folder
                    while folders.insert(project.project + "\u{0}" + folder).inserted,
                          let up = folder.utf8.lastIndex(of: UInt8(ascii: "/")) {
                        folder = folder[..<up]
                    }
                }
            }
        }
        var notes: [String] = []
        if folders.count >= folderNoteMinimum {
            for folder in recordedFolders ?? [] { folders.remove(folder.project + "\u{0}" + folder.path) }
        }
        if folders.count >= folderNoteMinimum {
            let seconds = Double(folders.count) / Double(PlatformAssumptions.requestsPerWindow)
                * Double(PlatformAssumptions.rateLimitWindow.components.seconds)
            notes.append("apply finds or makes \(Refresh.Cost.grouped(folders.count)) folders the state does not record, "
                + "a request each (two where one must be looked up first): at least \(Refresh.Cost.duration(seconds)) of the platform's rate limit "
                + "(\(Refresh.Cost.rateLimit))")
        }
        let window = pace.drsWindow.seconds
        let paced = pace.paceFloorSeconds(drsItems: drs)
        if paced >= 60 {
            let shownWindow = window.truncatingRemainder(dividingBy: 60) == 0 ? "\(Int(window) / 60) min" : "\(window) s"
            notes.append("\(Refresh.Cost.grouped(drs)) DRS imports take at least \(Refresh.Cost.duration(paced)) at the platform's "
                + "DRS pace (\(pace.drsPace) files / \(shownWindow))")
        }
        return notes
    }

    /// `costNotes(for:recordedFolders:pace:)` with the folders the state at `statePath` records.
    public static func costNotes(for plan: Plan, statePath: String, pace: ExecutorOptions = ExecutorOptions()) -> [String] {
        guard plan.counts.imports + plan.counts.replaces > 0 else { return [] }
        let recorded = try? StateBackends.open(statePath).allFolders()
        return costNotes(for: plan, recordedFolders: recorded, pace: pace)
    }
}
