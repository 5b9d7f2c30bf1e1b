public import Foundation
import Synchronization

/// Where a volume's objects come from.
public enum VolumeSource: Sendable, Equatable {
    /// Every regular file under the directory is an object; its location is the path relative to
    /// the directory (with `/` separators) and its size is the file's size.
    case directory(URL)
    /// A text file with one object per line: `location` or `location<TAB>size` (size in bytes,
    /// default 0). Blank lines and lines starting with `#` are skipped. Meant for volumes with
    /// hundreds of thousands of objects that would be slow to create on disk.
    case listing(URL)
    /// Objects given in memory: location → size. Convenient for tests.
    case objects([String: Int])
}

/// The emulator's notion of "now". Inject a ``ManualClock`` in tests so job life cycles and
/// rate-limit windows move only when the test says so.
public struct EmulatorClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    /// The wall clock.
    public static let system = EmulatorClock(now: { Date() })
}

/// A clock that moves only when ``advance(by:)`` is called.
public final class ManualClock: Sendable {
    private let time: Mutex<Date>

    public init(start: Date = Date(timeIntervalSince1970: 1_780_000_000)) { time = Mutex(start) }

    public var now: Date { time.withLock { $0 } }

    /// Moves the clock forward by `seconds` of real (unscaled) time.
    public func advance(by seconds: TimeInterval) { time.withLock { $0 += seconds } }

    /// An ``EmulatorClock`` reading this clock.
    public var clock: EmulatorClock { EmulatorClock(now: { [self] in self.now }) }
}

/// Fault switches. All draws come from the emulator's seeded random generator, so a run with the
/// same seed and the same sequence of requests sees the same faults.
public struct EmulatorFaults: Sendable, Equatable, Codable {
    /// Delay added before every platform request is handled, in milliseconds (real time).
    public var latencyMilliseconds: Int
    /// Share (0…1) of platform requests answered with a 5xx error (503 code 90005 or 500 code 90004,
    /// alternately). Never 503 with code 0, which would make SBP sleep 300 s.
    public var errorRate: Double
    /// Share (0…1) of platform requests whose connection is closed without any response.
    public var dropRate: Double
    /// Of the dropped requests, the share (0…1) dropped *after* the request was applied
    /// ("applied but response lost"); the rest are dropped before anything happens.
    public var dropAfterApplyShare: Double
    /// Share (0…1) of bulk/import items that fail with a per-item error (503 code 9000).
    public var itemFailureRate: Double
    /// The next N platform requests are answered 429 code 1000 (a burst), whatever the budget.
    public var rateLimitBurst: Int
    /// Share (0…1) of bulk file edit/update items that fail with a per-item error (503 code
    /// 9000), leaving that file unchanged.
    public var editFailureRate: Double

    public init(
        latencyMilliseconds: Int = 0, errorRate: Double = 0, dropRate: Double = 0,
        dropAfterApplyShare: Double = 0.5, itemFailureRate: Double = 0, rateLimitBurst: Int = 0,
        editFailureRate: Double = 0
    ) {
        self.latencyMilliseconds = latencyMilliseconds
        self.errorRate = errorRate
        self.dropRate = dropRate
        self.dropAfterApplyShare = dropAfterApplyShare
        self.itemFailureRate = itemFailureRate
        self.rateLimitBurst = rateLimitBurst
        self.editFailureRate = editFailureRate
    }

    /// No faults.
    public static let none = EmulatorFaults()

    public init(from decoder: any Decoder) throws {
        // Every key is optional so the admin endpoint can take partial updates over `.none`.
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let base = EmulatorFaults()
        latencyMilliseconds = try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? base.latencyMilliseconds
        errorRate = try container.decodeIfPresent(Double.self, forKey: .errorRate) ?? base.errorRate
        dropRate = try container.decodeIfPresent(Double.self, forKey: .dropRate) ?? base.dropRate
        dropAfterApplyShare = try container.decodeIfPresent(Double.self, forKey: .dropAfterApplyShare) ?? base.dropAfterApplyShare
        itemFailureRate = try container.decodeIfPresent(Double.self, forKey: .itemFailureRate) ?? base.itemFailureRate
        rateLimitBurst = try container.decodeIfPresent(Int.self, forKey: .rateLimitBurst) ?? base.rateLimitBurst
        editFailureRate = try container.decodeIfPresent(Double.self, forKey: .editFailureRate) ?? base.editFailureRate
    }
}

/// Everything the emulator needs to start.
public struct EmulatorConfiguration: Sendable {
    /// Accepted platform tokens (`X-SBG-Auth-Token` or `Authorization: Bearer`). Anything else → 401.
    public var tokens: Set<String>
    /// Projects (`owner/slug`) that exist at start.
    public var projects: [String]
    /// Volumes (`owner/name`) and where their objects come from.
    public var volumes: [String: VolumeSource]
    /// DRS URIs that fail to resolve (per-item error); every other valid DRS URI resolves to a
    /// synthetic object.
    public var missingDRSURIs: Set<String>
    /// Platform seconds from submission until an import job (or one DRS item) finishes.
    public var jobDuration: TimeInterval
    /// Platform time runs this many times faster than real time: every duration and window
    /// (job duration, rate window, DRS window) is divided by it.
    public var timeScale: Double
    /// Requests allowed per token per rate window (platform: 1000).
    public var rateLimit: Int
    /// Length of the rate window in platform seconds (platform: 300).
    public var rateWindow: TimeInterval
    /// DRS files started per DRS window (platform: 500).
    public var drsPace: Int
    /// Length of the DRS window in platform seconds (platform: 300).
    public var drsWindow: TimeInterval
    /// Send `Retry-After` on 429 responses (SBP's urllib3 then retries GETs by itself).
    public var sendRetryAfter: Bool
    /// Fault switches at start; change them later with ``Emulator/setFaults(_:)`` or the admin endpoint.
    public var faults: EmulatorFaults
    /// Seed of the random generator behind ids and faults.
    public var seed: UInt64
    /// Address to bind.
    public var host: String
    /// Port to bind; 0 picks a free port.
    public var port: Int
    /// Source of "now".
    public var clock: EmulatorClock

    public init(
        tokens: Set<String> = [],
        projects: [String] = [],
        volumes: [String: VolumeSource] = [:],
        missingDRSURIs: Set<String> = [],
        jobDuration: TimeInterval = 6,
        timeScale: Double = 1,
        rateLimit: Int = 1000,
        rateWindow: TimeInterval = 300,
        drsPace: Int = 500,
        drsWindow: TimeInterval = 300,
        sendRetryAfter: Bool = false,
        faults: EmulatorFaults = .none,
        seed: UInt64 = 1,
        host: String = "127.0.0.1",
        port: Int = 0,
        clock: EmulatorClock = .system
    ) {
        self.tokens = tokens
        self.projects = projects
        self.volumes = volumes
        self.missingDRSURIs = missingDRSURIs
        self.jobDuration = jobDuration
        self.timeScale = timeScale
        self.rateLimit = rateLimit
        self.rateWindow = rateWindow
        self.drsPace = drsPace
        self.drsWindow = drsWindow
        self.sendRetryAfter = sendRetryAfter
        self.faults = faults
        self.seed = seed
        self.host = host
        self.port = port
        self.clock = clock
    }
}

/// SplitMix64: small, fast, and reproducible from a seed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `share` (0…1).
    mutating func chance(_ share: Double) -> Bool {
        guard share > 0 else { return false }
        return Double.random(in: 0..<1, using: &self) < share
    }
}
