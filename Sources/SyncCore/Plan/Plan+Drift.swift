/// What a refresh found the platform to hold for one recorded file, when it is not what the
/// state records (DESIGN.md "Truth from the platform").
public enum FileDrift: Hashable, Sendable, CustomStringConvertible {
    /// The recorded file id is gone, and nothing else has the name: imported again.
    case deleted
    /// Same id, same folder, another name: renamed back.
    case renamed(to: String)
    /// Same id, another folder (`path` is where it is now, as far as the state knows its folders):
    /// moved back.
    case moved(to: String)
    /// Metadata or tags that the manifest owns were edited on the platform: set back.
    case edited
    /// The recorded file id is gone and another file (`fileID`) has its name, e.g. someone
    /// uploaded over it: the entry's conflict policy decides what an import does.
    case replaced(by: String)

    public var description: String {
        switch self {
        case .deleted: "deleted on the platform"
        case .renamed(let name): "renamed on the platform to '\(name)'"
        case .moved(let path): "moved on the platform to '\(path)'"
        case .edited: "metadata or tags edited on the platform"
        case .replaced(let id): "replaced on the platform by another file (id \(id))"
        }
    }

    /// Whether the file itself is gone (deleted or replaced).
    public var isGone: Bool {
        switch self {
        case .deleted, .replaced: true
        case .renamed, .moved, .edited: false
        }
    }
}

/// Every drift found for one recorded address.
public struct Drift: Hashable, Sendable {
    public var address: Address
    /// One gone drift, or a rename/move and/or an edit.
    public var found: [FileDrift]
    /// The record as the state holds it, with the metadata and tags the platform holds now
    /// (of the keys the record or manifest own) when the file is still there.
    public var current: RecordedFile

    public init(address: Address, found: [FileDrift], current: RecordedFile) {
        self.address = address
        self.found = found
        self.current = current
    }

    /// The first gone drift (deleted or replaced), if the file is gone.
    public var gone: FileDrift? { found.first(where: \.isGone) }

    /// The rename or move, if any.
    public var displaced: FileDrift? {
        found.first { if case .renamed = $0 { true } else if case .moved = $0 { true } else { false } }
    }
}

extension Plan {
    /// The plan with the way back for each drift (DESIGN.md "Plan actions"): a gone file is
    /// imported again (`import`, under the entry's policy), a renamed or moved one is moved back
    /// (`move`, its edits made with it), an edited one is updated back (`update`). A drifted
    /// address the manifest no longer wants keeps its forget; a replace stays a replace.
    /// - Parameter desired: the desired file at an address (`nil`: not desired).
    public func reconciled(with drifts: [Drift], desired: (Address) -> DesiredFile?) -> Plan {
        guard !drifts.isEmpty else { return self }
        var byProject: [String: [Drift]] = [:]
        for drift in drifts { byProject[drift.address.project, default: []].append(drift) }
        var result = self
        for index in result.projects.indices {
            guard let found = byProject[result.projects[index].project] else { continue }
            var project = result.projects[index]
            var position: [Address: Int] = [:]
            for (i, change) in project.changes.enumerated() { position[change.address] = i }
            var changed = false
            for drift in found {
                guard let wanted = desired(drift.address) else { continue }
                let old = position[drift.address].map { project.changes[$0] }
                guard let new = Self.wayBack(drift, desired: wanted, planned: old) else { continue }
                if let old, let i = position[drift.address] {
                    project.counts[old.action] -= 1
                    project.changes[i] = new
                } else {
                    project.counts.unchanged -= 1
                    position[drift.address] = project.changes.count
                    project.changes.append(new)
                }
                project.counts[new.action] += 1
                changed = true
            }
            if changed { project.changes.sort { ($0.action, $0.address) < ($1.action, $1.address) } }
            result.projects[index] = project
        }
        return result
    }

    /// The change that undoes `drift`, or `nil` to keep what the plan had (`planned`).
    static func wayBack(_ drift: Drift, desired: DesiredFile, planned: PlannedChange?) -> PlannedChange? {
        if planned?.action == .replace { return nil }
        if let gone = drift.gone {
            return PlannedChange(address: drift.address, action: .import, reasons: [.drift(gone)], before: drift.current, after: desired)
        }
        let edits = Diff.change(desired: desired, recorded: drift.current)
        if let displaced = drift.displaced {
            var reasons: [ChangeReason] = [.drift(displaced)]
            if let edits { reasons += [.drift(.edited)] + edits.reasons }
            return PlannedChange(address: drift.address, action: .move, reasons: reasons, before: drift.current, after: desired)
        }
        guard let edits, edits.action == .update else { return nil }
        return PlannedChange(address: drift.address, action: .update, reasons: [.drift(.edited)] + edits.reasons,
                             before: drift.current, after: desired)
    }
}
