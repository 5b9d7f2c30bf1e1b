import PlatformAPI
import SyncCore

extension MetadataValue {
    /// The JSON the platform takes for this value.
    var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .int(let i): .int(Int64(i))
        case .float(let d): .double(d)
        case .bool(let b): .bool(b)
        case .null: .null
        }
    }

    /// A platform metadata value; arrays and objects (which a manifest cannot write) become text.
    init(_ json: JSONValue) {
        switch json {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(Int(i))
        case .double(let d): self = .float(d)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        case .array, .object: self = .string(json.description)
        }
    }
}

extension Metadata {
    var json: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for entry in self { out[entry.key] = entry.value.json }
        return out
    }

    init(platform: [String: JSONValue]) {
        self.init(platform.map { ($0.key, MetadataValue($0.value)) })
    }

    /// Whether the platform's metadata holds every key of `self` with the same value
    /// (integers and floats that are equal numbers compare equal).
    func isSatisfied(by platform: [String: JSONValue]) -> Bool {
        allSatisfy { entry in
            // A null asks for no value: an edit's null removes the key on the platform.
            guard let value = platform[entry.key] else { return entry.value == .null }
            switch (entry.value, value) {
            case (.int(let a), .double(let b)): return Double(a) == b
            case (.float(let a), .int(let b)): return a == Double(b)
            default: return MetadataValue(value) == entry.value
            }
        }
    }
}

extension ConflictPolicy {
    /// DESIGN.md "Conflict policy": skip → SKIP, overwrite → OVERWRITE, rename → RENAME.
    var drs: DRSConflictResolution {
        switch self {
        case .skip: .skip
        case .overwrite: .overwrite
        case .rename: .rename
        }
    }

    /// Volume imports: skip → overwrite=false, autorename=false; overwrite → overwrite=true;
    /// rename → autorename=true.
    var volumeFlags: (overwrite: Bool, autorename: Bool) {
        switch self {
        case .skip: (false, false)
        case .overwrite: (true, false)
        case .rename: (false, true)
        }
    }
}

extension PlatformErrorBody {
    /// A name taken by another file: volume jobs FAIL with 409/9108, DRS SKIP answers 409/5003.
    var isNameConflict: Bool {
        status == 409 || code == 9108 || code == 5003
    }
}

extension Address {
    /// Every folder path on the way to this address's folder, shortest first:
    /// `a/b/c.txt` → `["a", "a/b"]`.
    var folderChain: [String] {
        let folder = self.folder
        guard !folder.isEmpty else { return [] }
        var chain: [String] = []
        var current = ""
        for segment in folder.split(separator: "/") {
            current = current.isEmpty ? String(segment) : current + "/" + segment
            chain.append(current)
        }
        return chain
    }
}
