import Foundation
public import SyncCore
public import SyncState

/// The diff stage of the pipeline: the desired state against the recorded one, streamed from
/// the state store (never held whole) and compared on every core for a large manifest.
///
/// Each recorded row is judged by SyncCore's one rule (`Diff.isUnchanged`): the state's scan
/// counts a row whose stored spec digest and source match its desired file without decoding
/// it; every other row is decoded and goes through `StreamingDiff`.
public enum StateDiff {
    /// The plan, and where the state stood when it was read.
    public struct Outcome: Sendable {
        public var plan: Plan
        /// The state's lineage; `nil` when there is no state file yet.
        public var lineage: String?
        /// The serial the files were read at (0 without a state file).
        public var serial: Int64
        /// Recorded files left out because an unexpanded prefix may still want them.
        public var setAside: Int
        /// How many files the state recorded (every row the scan read).
        public var recordedFiles: Int
    }

    /// Desired files from which the state is compared on every core.
    public static let parallelMinimum = 50_000

    /// Compares `desired` with the state file at `path`; a missing file is an empty state
    /// (nothing imported yet), and is not created.
    /// - Throws: `StateError` for a state that cannot be read.
    public static func compare(_ desired: DesiredState, manifest: Manifest, statePath path: String,
                               parts: Int? = nil) throws(StateError) -> Outcome {
        let store: any StateBackend
        do throws(StateError) {
            store = try StateBackends.open(path)
        } catch {
            if case .notFound = error {
                return Outcome(plan: StreamingDiff(desired: desired).finish(), lineage: nil, serial: 0, setAside: 0, recordedFiles: 0)
            }
            throw error
        }
        return try compare(desired, manifest: manifest, store: store, parts: parts)
    }

    /// Compares `desired` with what `store` records, from one snapshot of it.
    /// - Parameter parts: threads to read and compare on; by default one per core (up to 4)
    ///   for a large manifest, else one.
    public static func compare(_ desired: DesiredState, manifest: Manifest, store: any StateBackend,
                               parts: Int? = nil) throws(StateError) -> Outcome {
        let prefixes = desired.unexpandedPrefixes.map { (reference: $0, prefix: manifest.volumes[$0.group].prefixes[$0.index]) }
        let parts = parts ?? (desired.count >= parallelMinimum ? min(4, ProcessInfo.processInfo.activeProcessorCount) : 1)
        // Worked out once, on every core, rather than row by row in the scan.
        let desired = desired.count >= parallelMinimum ? desired.withSpecDigests() : desired
        let diffs = DiffParts(count: parts, desired: desired)
        let serial = try store.forEachFile(parts: parts, comparingWith: desired, unchanged: { part, position in
            let mine = diffs.parts[part]
            mine.pointee.scanned += 1
            mine.pointee.diff.addUnchanged(position: position, project: desired.files[position].address.project)
        }) { part, file, complete in
            let mine = diffs.parts[part]
            mine.pointee.scanned += 1
            // A recorded file that an unexpanded prefix may still want is not forgotten:
            // without the listing, nobody can know.
            if !prefixes.isEmpty, case .volume(let volume, let location) = file.source, desired[file.address] == nil,
               prefixes.contains(where: { $0.reference.volume == volume && $0.prefix.includes(location: location) }) {
                mine.pointee.setAside += 1
            } else {
                mine.pointee.diff.add(file, complete: complete)
            }
        }
        let (plan, setAside, scanned) = diffs.finish()
        return Outcome(plan: plan, lineage: store.lineage, serial: serial, setAside: setAside, recordedFiles: scanned)
    }

    /// One streaming diff (and set-aside count) per part of a state read in parts; each part's
    /// thread touches only its own part.
    private final class DiffParts: @unchecked Sendable {  // Unchecked: disjoint parts, read after the join.
        struct Part {
            var diff: StreamingDiff
            var setAside = 0
            /// Rows read.
            var scanned = 0
        }

        /// Each part on cache lines of its own: parts written row by row from two cores must not
        /// share a line, or every write moves it from one core to the other.
        let parts: UnsafeMutableBufferPointer<UnsafeMutablePointer<Part>>
        private static let alignment = 128
        private static let stride = (MemoryLayout<Part>.stride + alignment - 1) / alignment * alignment

        init(count: Int, desired: DesiredState) {
            parts = .allocate(capacity: count)
            for i in 0..<count {
                let raw = UnsafeMutableRawPointer.allocate(byteCount: Self.stride, alignment: Self.alignment)
                let part = raw.bindMemory(to: Part.self, capacity: 1)
                part.initialize(to: Part(diff: StreamingDiff(desired: desired)))
                parts[i] = part
            }
        }

        private var finished = false

        deinit {
            for part in parts {
                if !finished { part.deinitialize(count: 1) }
                UnsafeMutableRawPointer(part).deallocate()
            }
            parts.deallocate()
        }

        /// The one plan; called once. The parts are moved out, not copied, so the changes they
        /// collected stay uniquely referenced (no copy-on-write of a million changes).
        func finish() -> (Plan, Int, Int) {
            precondition(!finished, "DiffParts.finish is called once")
            finished = true
            var setAside = 0, scanned = 0
            var diff: StreamingDiff?
            for part in parts {
                let taken = part.move()
                setAside += taken.setAside
                scanned += taken.scanned
                if diff == nil { diff = taken.diff } else { diff!.merge(taken.diff) }
            }
            return (diff!.finish(), setAside, scanned)
        }
    }
}
