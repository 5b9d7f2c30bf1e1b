import Foundation

/// Desired state × recorded state → plan. Pure: no I/O, no clock, same input same plan.
///
/// Rules (DESIGN.md "Plan actions"):
/// - desired, not recorded → import;
/// - recorded, not desired → forget (the file stays on the platform);
/// - both, source differs → replace (metadata and tag differences are listed as further reasons);
/// - both, same source, metadata or tags differ → update;
/// - otherwise no-op, counted and not listed.
///
/// What is deliberately not a change:
/// - the conflict policy: it decides what an import does when the name is taken by a file sbsync does
///   not manage; a file sbsync already imported is ours, so a new policy has nothing to act on;
/// - the name the platform gave (`RecordedFile.actualName`): a file renamed on import under the
///   `rename` policy is in sync;
/// - tag order and repeated tags: the platform keeps tags as a set.
public enum Diff {
    /// Computes the plan.
    ///
    /// Linear in the number of files. When both inputs are sorted by address, one merge pass; otherwise
    /// one pass over the recorded files (the state store loads them sorted) with a hash lookup into the
    /// desired ones. The no-op path compares fields in place and allocates nothing; only changes are
    /// collected and sorted.
    ///
    /// - Parameters:
    ///   - desired: the manifest's files, defaults applied, in any order; addresses unique (the first wins).
    ///   - recorded: the state's files, in any order; addresses unique.
    /// - Returns: the plan, ordered by project, then action, then address.
    public static func compute(desired: [DesiredFile], recorded: [RecordedFile]) -> Plan {
        compute(desired: desired, recorded: recorded, lookup: nil)
    }

    /// Computes the plan, looking desired files up through `lookup` (an index the caller already has,
    /// e.g. `DesiredState`'s) instead of building one when `desired` is not sorted by address.
    public static func compute(
        desired: [DesiredFile], recorded: [RecordedFile], lookup: ((Address) -> DesiredFile?)?
    ) -> Plan {
        let recorded = isSorted(recorded, by: \.address) ? recorded : recorded.sorted { $0.address < $1.address }
        if isSorted(desired, by: \.address) {
            return merge(desired: desired, recorded: recorded)
        }
        let find: (Address) -> DesiredFile?
        if let lookup {
            find = lookup
        } else {
            var index: [Address: Int] = [:]
            index.reserveCapacity(desired.count)
            for position in desired.indices where index[desired[position].address] == nil {
                index[desired[position].address] = position
            }
            find = { address in index[address].map { desired[$0] } }
        }

        var builder = PlanBuilder()
        var matched = 0
        for file in recorded {
            if let wanted = find(file.address) {
                matched += 1
                if let change = change(desired: wanted, recorded: file) {
                    builder.add(change)
                } else {
                    builder.addUnchanged(project: file.address.project)
                }
            } else {
                builder.add(forget(file))
            }
        }
        if matched < desired.count {
            var seen = Set<Address>()
            for file in desired where !contains(recorded, file.address) && seen.insert(file.address).inserted {
                builder.add(importing(file))
            }
        }
        return builder.finish()
    }

    /// Both sides sorted: one pass, changes come out in address order.
    static func merge(desired: [DesiredFile], recorded: [RecordedFile]) -> Plan {
        var builder = PlanBuilder()
        var i = 0, j = 0
        while i < desired.count || j < recorded.count {
            let order: Int
            if i == desired.count {
                order = 1
            } else if j == recorded.count {
                order = -1
            } else {
                order = compare(desired[i].address, recorded[j].address)
            }
            if order < 0 {
                // A repeated desired address (invalid input) counts once.
                if i == 0 || compare(desired[i - 1].address, desired[i].address) != 0 {
                    builder.add(importing(desired[i]))
                }
                i += 1
            } else if order > 0 {
                builder.add(forget(recorded[j]))
                j += 1
            } else {
                if let change = change(desired: desired[i], recorded: recorded[j]) {
                    builder.add(change)
                } else {
                    builder.addUnchanged(project: desired[i].address.project)
                }
                i += 1
                j += 1
            }
        }
        return builder.finish()
    }

    static func importing(_ file: DesiredFile) -> PlannedChange {
        PlannedChange(address: file.address, action: .import, reasons: notInState, before: nil, after: file)
    }

    static func forget(_ file: RecordedFile) -> PlannedChange {
        PlannedChange(address: file.address, action: .forget, reasons: noLongerInManifest, before: file, after: nil)
    }

    // One shared buffer each: a first plan of a million imports allocates no reason array.
    private static let notInState: [ChangeReason] = [.notInState]
    private static let noLongerInManifest: [ChangeReason] = [.noLongerInManifest]

    /// Binary search in files sorted by address.
    static func contains(_ files: [RecordedFile], _ address: Address) -> Bool {
        var low = 0, high = files.count
        while low < high {
            let mid = (low + high) / 2
            switch compare(files[mid].address, address) {
            case 0: return true
            case ..<0: low = mid + 1
            default: high = mid
            }
        }
        return false
    }

    /// The change for an address both sides hold, or `nil` when they agree.
    public static func change(desired: DesiredFile, recorded: RecordedFile) -> PlannedChange? {
        isUnchanged(desired: desired, recorded: recorded) ? nil : changing(desired: desired, recorded: recorded)
    }

    /// The change for an address both sides hold, for a pair `isUnchanged` already found to differ.
    static func changing(desired: DesiredFile, recorded: RecordedFile) -> PlannedChange {
        let sameSource = desired.source == recorded.source
        let sameMetadata = desired.metadata == recorded.metadata
        let sameTags = desired.tags == recorded.tags || sameTagSet(desired.tags, recorded.tags)

        var reasons: [ChangeReason] = []
        if !sameSource {
            reasons.append(.sourceChanged(from: recorded.source, to: desired.source))
        }
        if recorded.specDigest == SpecDigest.editUnconfirmed {
            // The record holds the old and the new keys at once: a difference with it says nothing.
            reasons.append(.editUnconfirmed)
        } else {
            if !sameMetadata {
                reasons += metadataReasons(from: recorded.metadata, to: desired.metadata)
            }
            if !sameTags {
                let (added, removed) = tagDifference(from: recorded.tags, to: desired.tags)
                reasons.append(.tagsChanged(added: added, removed: removed))
            }
        }
        return PlannedChange(address: desired.address, action: sameSource ? .update : .replace,
                             reasons: reasons, before: recorded, after: desired)
    }

    /// Whether the recorded file already is what the manifest wants: the one definition of
    /// "unchanged", used by every path that compares (plan, apply, the state's scan).
    ///
    /// 1. Equal spec digests (`SpecDigest`, which the state stores for every row) and the same
    ///    source: unchanged, without looking at a value.
    /// 2. Otherwise, field by field, as values: the same source, equal metadata (typed values,
    ///    Unicode canonical equivalence for strings, -0.0 equal to 0.0) and the same set of tags
    ///    (order and repeats do not count). Digests differ for such equal values spelled with
    ///    other bytes, so step 1 alone would report them as changes.
    ///
    /// A record without a digest (one read "light", see the state's scan) takes step 2 only.
    public static func isUnchanged(desired: DesiredFile, recorded: RecordedFile) -> Bool {
        // An edit whose answer never came: what the platform holds is not known.
        if recorded.specDigest == SpecDigest.editUnconfirmed { return false }
        if !recorded.specDigest.isEmpty, desired.source == recorded.source, recorded.specDigest == desired.specDigest {
            return true
        }
        return sameFields(desired: desired, recorded: recorded)
    }

    /// A recorded row's source columns as stored (UTF-8, `nil` for NULL): the kind (`volume` or
    /// `drs`), the volume id or DRS URI, and the object's location (NULL for DRS).
    public typealias StoredSource = (kind: UnsafeBufferPointer<UInt8>?, source: UnsafeBufferPointer<UInt8>?,
                                     location: UnsafeBufferPointer<UInt8>?)

    /// Step 1 of `isUnchanged(desired:recorded:)` for a recorded row not decoded yet: `true`
    /// when the stored digest (hex, as the state stores it) equals the desired file's and the
    /// row's source columns hold the desired source byte for byte; `false` means "decode the
    /// row and ask `isUnchanged`".
    /// - Parameter scratch: a buffer reused between calls (no allocation per row).
    public static func digestShowsUnchanged(_ desired: DesiredState, at position: Int, storedDigest: UnsafeBufferPointer<UInt8>,
                                            storedSource: StoredSource, scratch: inout [UInt8]) -> Bool {
        // No index: a store that compares row by row (PostgreSQL) pays nothing for one.
        desired.withLookup(indexed: false) {
            digestShowsUnchanged($0, at: position, storedDigest: storedDigest, storedSource: storedSource, scratch: &scratch)
        }
    }

    /// `digestShowsUnchanged(_:at:…)` through a lookup, for a scan of many rows.
    public static func digestShowsUnchanged(_ desired: DesiredState.Lookup, at position: Int, storedDigest: UnsafeBufferPointer<UInt8>,
                                            storedSource: StoredSource, scratch: inout [UInt8]) -> Bool {
        guard let digests = desired.digests else {
            return digestShowsUnchanged(desired: desired.files[position], storedDigest: storedDigest, storedSource: storedSource,
                                        scratch: &scratch)
        }
        return SpecDigests.matches(digests, position, hex: storedDigest) && desired.files[position].source.isStored(as: storedSource)
    }

    /// `digestShowsUnchanged(_:at:…)` for one desired file.
    public static func digestShowsUnchanged(desired: DesiredFile, storedDigest: UnsafeBufferPointer<UInt8>,
                                            storedSource: StoredSource, scratch: inout [UInt8]) -> Bool {
        guard storedDigest.count == 64 else { return false }
        let same = SpecDigest.withHex(source: desired.source, metadata: desired.metadata, tags: desired.tags,
                                      scratch: &scratch) { memcmp($0.baseAddress!, storedDigest.baseAddress!, 64) == 0 }
        return same && desired.source.isStored(as: storedSource)
    }

    /// Step 2 of `isUnchanged(desired:recorded:)`: the fields compared as values.
    static func sameFields(desired: DesiredFile, recorded: RecordedFile) -> Bool {
        desired.source == recorded.source && desired.metadata == recorded.metadata
            && (desired.tags == recorded.tags || sameTagSet(desired.tags, recorded.tags))
    }

    /// One reason per key that differs, in key order (both sides are sorted by key).
    static func metadataReasons(from old: Metadata, to new: Metadata) -> [ChangeReason] {
        var reasons: [ChangeReason] = []
        var i = 0, j = 0
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i].key < new[j].key) {
                reasons.append(.metadataRemoved(key: old[i].key, value: old[i].value))
                i += 1
            } else if i == old.count || new[j].key < old[i].key {
                reasons.append(.metadataAdded(key: new[j].key, value: new[j].value))
                j += 1
            } else {
                if old[i].value != new[j].value {
                    reasons.append(.metadataChanged(key: old[i].key, from: old[i].value, to: new[j].value))
                }
                i += 1
                j += 1
            }
        }
        return reasons
    }

    /// Tags the manifest adds (in its order) and tags it drops (in the state's order).
    static func tagDifference(from old: [String], to new: [String]) -> (added: [String], removed: [String]) {
        let oldSet = Set(old), newSet = Set(new)
        var seen = Set<String>()
        let added = new.filter { !oldSet.contains($0) && seen.insert($0).inserted }
        seen.removeAll()
        let removed = old.filter { !newSet.contains($0) && seen.insert($0).inserted }
        return (added, removed)
    }

    static func sameTagSet(_ a: [String], _ b: [String]) -> Bool {
        // Small arrays: quadratic containment beats building sets.
        if a.count <= 8 && b.count <= 8 {
            return a.allSatisfy(b.contains) && b.allSatisfy(a.contains)
        }
        return Set(a) == Set(b)
    }

    /// -1, 0, 1: one comparison per pair in the merge, equal addresses settled by `==` alone.
    @inline(__always)
    static func compare(_ a: Address, _ b: Address) -> Int {
        if a.project == b.project {
            if a.path == b.path { return 0 }
            return a.path < b.path ? -1 : 1
        }
        return a.project < b.project ? -1 : 1
    }

    static func isSorted<T>(_ items: [T], by key: (T) -> Address) -> Bool {
        guard items.count > 1 else { return true }
        var previous = key(items[0])
        for index in 1..<items.count {
            let current = key(items[index])
            if compare(previous, current) > 0 { return false }
            previous = current
        }
        return true
    }
}

/// Collects changes per project and action; `finish` puts them in plan order. Consecutive events
/// for the same project (the usual case: inputs come sorted) skip the project lookup.
struct PlanBuilder {
    private struct Group {
        var counts = PlanCounts()
        var buckets: [[PlannedChange]] = Array(repeating: [], count: PlanAction.allCases.count)
        /// Bit `rank` set: that bucket was handed over whole and sorted, and nothing came since.
        var sortedBuckets: UInt32 = 0
    }

    private var groups: [Group] = []
    private var index: [String: Int] = [:]
    private var names: [String] = []
    private var last: (project: String, group: Int)?

    mutating func add(_ change: PlannedChange) {
        let group = enter(change.address.project)
        groups[group].counts[change.action] += 1
        groups[group].buckets[change.action.rank].append(change)
        groups[group].sortedBuckets &= ~(1 << change.action.rank)
    }

    /// Adds `changes`, all of `action` in `project` and sorted by address; into an empty
    /// bucket they go as they are, and are not sorted again.
    mutating func add(sorted changes: [PlannedChange], _ action: PlanAction, in project: String) {
        let group = enter(project)
        groups[group].counts[action] += changes.count
        if groups[group].buckets[action.rank].isEmpty {
            groups[group].buckets[action.rank] = changes
            groups[group].sortedBuckets |= 1 << action.rank
        } else {
            groups[group].buckets[action.rank] += changes
            groups[group].sortedBuckets &= ~(1 << action.rank)
        }
    }

    mutating func addUnchanged(project: String) {
        groups[enter(project)].counts.unchanged += 1
    }

    /// Adds everything `other` holds (buckets are sorted at `finish`, so order does not matter).
    mutating func merge(_ other: PlanBuilder) {
        for (position, name) in other.names.enumerated() {
            let group = enter(name)
            let theirs = other.groups[position]
            groups[group].counts.unchanged += theirs.counts.unchanged
            for (rank, bucket) in theirs.buckets.enumerated() where !bucket.isEmpty {
                for change in bucket { groups[group].counts[change.action] += 1 }
                groups[group].buckets[rank] += bucket
                groups[group].sortedBuckets &= ~(1 << rank)
            }
        }
    }

    /// The plan. Buckets are sorted in place and moved, never copied: a project whose changes
    /// are all one action (a first plan) hands its bucket over as it is.
    consuming func finish() -> Plan {
        let order = names.indices.sorted { names[$0] < names[$1] }
        var projects: [ProjectPlan] = []
        projects.reserveCapacity(order.count)
        for position in order {
            var buckets: [[PlannedChange]] = []
            swap(&buckets, &groups[position].buckets)
            let known = groups[position].sortedBuckets
            for rank in buckets.indices where known & (1 << rank) == 0 && !Diff.isSorted(buckets[rank], by: \.address) {
                buckets[rank].sort { Diff.compare($0.address, $1.address) < 0 }
            }
            var changes: [PlannedChange]
            if buckets.count(where: { !$0.isEmpty }) <= 1 {
                changes = buckets.first(where: { !$0.isEmpty }) ?? []
            } else {
                changes = []
                changes.reserveCapacity(groups[position].counts.changes)
                for rank in buckets.indices {
                    changes += buckets[rank]
                    buckets[rank] = []
                }
            }
            projects.append(ProjectPlan(project: names[position], counts: groups[position].counts, changes: changes))
        }
        return Plan(projects: projects)
    }

    private mutating func enter(_ project: String) -> Int {
        if let last, last.project == project { return last.group }
        let group: Int
        if let existing = index[project] {
            group = existing
        } else {
            group = groups.count
            groups.append(Group())
            names.append(project)
            index[project] = group
        }
        last = (project, group)
        return group
    }
}

extension Diff {
    /// Computes the plan of a desired state against the recorded files, using the state's own
    /// address index (no second index is built for the manifest's order).
    public static func compute(desired: DesiredState, recorded: [RecordedFile]) -> Plan {
        compute(desired: desired.files, recorded: recorded, lookup: { desired[$0] })
    }
}

/// The diff fed one recorded file at a time (as the state store streams them), so the recorded
/// state is never held whole: memory is the desired state, the recorded addresses and the changes.
///
/// ```swift
/// var diff = StreamingDiff(desired: desired)
/// try store.forEachFile { diff.add($0) }
/// let plan = diff.finish()
/// ```
/// Gives the same plan as `Diff.compute(desired:recorded:)` over the same files.
public struct StreamingDiff {
    private let desired: DesiredState
    private var builder = PlanBuilder()
    private var matched = 0
    /// Which desired files the state holds (by position in `desired.files`): the imports are
    /// the rest, found at the end without keeping the recorded addresses.
    private var seen: [Bool]

    public init(desired: DesiredState) {
        self.desired = desired
        self.seen = [Bool](repeating: false, count: desired.count)
    }

    /// Compares one recorded file with the manifest.
    public mutating func add(_ file: RecordedFile) {
        add(file) { file }
    }

    /// Compares one recorded file with the manifest, when `file` holds only what the comparison
    /// needs (address, source, metadata, tags): `complete` gives the whole record, and is called
    /// only for a file that changes or is forgotten (the plan shows it as "before").
    public mutating func add(_ file: RecordedFile, complete: () -> RecordedFile) {
        if let position = desired.position(of: file.address) {
            see(position)
            let wanted = desired.files[position]
            if Diff.isUnchanged(desired: wanted, recorded: file) {
                builder.addUnchanged(project: file.address.project)
            } else {
                // `complete` adds no field the rule compares: the full record differs as the light one does.
                builder.add(Diff.changing(desired: wanted, recorded: complete()))
            }
        } else {
            builder.add(Diff.forget(complete()))
        }
    }

    /// Counts a recorded file the caller found to hold exactly what the desired file at
    /// `position` wants (`Diff.isUnchanged` would say so); `project` is the recorded file's.
    public mutating func addUnchanged(position: Int, project: String) {
        see(position)
        builder.addUnchanged(project: project)
    }

    /// Notes that the state holds the desired file at `position` (counted once).
    private mutating func see(_ position: Int) {
        if !seen[position] {
            seen[position] = true
            matched += 1
        }
    }

    /// Takes in what `other` (the same desired state, fed other recorded files) found, so a
    /// state read in parts on several cores gives the one plan.
    public mutating func merge(_ other: StreamingDiff) {
        builder.merge(other.builder)
        for position in other.seen.indices where other.seen[position] { see(position) }
    }

    /// An import for each of `positions` of `files`, in that order, built on every core.
    private static func imports(of positions: ArraySlice<Int>, in files: [DesiredFile]) -> [PlannedChange] {
        [PlannedChange](unsafeUninitializedCapacity: positions.count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            let chunks = Parallel.chunks(count: positions.count, minChunk: 16_384)
            files.withUnsafeBufferPointer { files in
                positions.withUnsafeBufferPointer { positions in
                    Parallel.forEach(chunks.count) { c in
                        for i in chunks[c] { (base + i).initialize(to: Diff.importing(files[positions[i]])) }
                    }
                }
            }
            initialized = positions.count
        }
    }

    /// The plan: the changes so far, plus an import for every desired file never seen.
    /// Imports are added in address order (positions sorted, not the changes: a first plan of
    /// a million files sorts eight-byte positions instead of moving its changes), each
    /// project's run handed to its bucket whole, so their plan order costs no second pass.
    public consuming func finish() -> Plan {
        if matched < desired.count {
            let files = desired.files
            var missing: [Int] = []
            missing.reserveCapacity(files.count - matched)
            for position in files.indices where !seen[position] { missing.append(position) }
            if !Diff.isSorted(missing, by: { files[$0].address }) {
                // Addresses are unique here (the desired state's index keeps one per address).
                Parallel.sort(&missing, minChunk: 50_000) { Diff.compare(files[$0].address, files[$1].address) < 0 }
            }
            // Sorted by address, so each project's imports are one run: built on every core,
            // straight into the bucket the plan keeps.
            var start = 0
            while start < missing.count {
                let project = files[missing[start]].address.project
                var end = start + 1
                while end < missing.count, files[missing[end]].address.project == project { end += 1 }
                builder.add(sorted: Self.imports(of: missing[start..<end], in: files), .import, in: project)
                start = end
            }
        }
        return builder.finish()
    }
}

extension FileSource {
    /// Whether `stored` (a row's source columns) holds exactly this source's bytes.
    func isStored(as stored: Diff.StoredSource) -> Bool {
        switch self {
        case .volume(let volume, let location):
            return Self.same(stored.kind, "volume") && Self.same(stored.source, volume) && Self.same(stored.location, location)
        case .drs(let uri):
            return Self.same(stored.kind, "drs") && Self.same(stored.source, uri) && stored.location == nil
        }
    }

    private static func same(_ bytes: UnsafeBufferPointer<UInt8>?, _ text: String) -> Bool {
        bytes.map { UTF8Bytes.equal(text, $0) } ?? false
    }
}
