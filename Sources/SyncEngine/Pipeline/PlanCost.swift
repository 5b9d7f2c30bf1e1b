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
            for change in project.changes where change.action == .import || change.action == .replace {
                guard let after = change.after else { continue }
                if after.source.kind == .drs { drs += 1 }
                for path in after.address.folderChain { folders.insert(after.address.project + "\u{0}" + path) }
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
                + "(\(Refresh.Cost.grouped(PlatformAssumptions.requestsPerWindow)) requests / "
                + "\(PlatformAssumptions.rateLimitWindow.components.seconds / 60) min)")
        }
        let window = pace.drsWindow.seconds
        let paced = Double((drs - 1) / pace.drsPace) * window
        if drs > pace.drsPace, paced >= 60 {
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
