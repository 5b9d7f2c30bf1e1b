/// The values the emulator's settings accept, for its command line and its admin endpoint.
/// Outside them a setting means nothing (a negative rate limit) or overflows when it becomes a
/// date or a sleep (`--rate-window inf`, `latencyMilliseconds: 9e18`), which would crash the
/// emulator instead of refusing the value.
public enum EmulatorLimits {
    public static let port = 0...65535
    /// Platform seconds; a year at most.
    public static let jobDuration = 0.0...31_536_000.0
    public static let timeScale = 0.001...1_000_000.0
    public static let rateLimit = 1...1_000_000_000
    /// Platform seconds; a year at most.
    public static let rateWindow = 0.001...31_536_000.0
    public static let drsPace = 1...1_000_000_000
    /// Platform seconds; a year at most.
    public static let drsWindow = 0.001...31_536_000.0
    /// An hour at most.
    public static let latencyMilliseconds = 0...3_600_000
    /// The fault shares.
    public static let share = 0.0...1.0
    public static let rateLimitBurst = 0...1_000_000_000

    /// `NAME must be a number from LOW to HIGH, not 'VALUE'`, or `nil` when `value` is in `range`
    /// (NaN is in no range).
    public static func problem<Value: Comparable & CustomStringConvertible>(
        _ name: String, _ value: Value, in range: ClosedRange<Value>
    ) -> String? {
        range.contains(value) ? nil : "\(name) must be a number from \(range.lowerBound) to \(range.upperBound), not '\(value)'"
    }

    /// The first fault setting outside its limits, named by its JSON key.
    static func problem(in faults: EmulatorFaults) -> String? {
        problem("latencyMilliseconds", faults.latencyMilliseconds, in: latencyMilliseconds)
            ?? problem("errorRate", faults.errorRate, in: share)
            ?? problem("dropRate", faults.dropRate, in: share)
            ?? problem("dropAfterApplyShare", faults.dropAfterApplyShare, in: share)
            ?? problem("itemFailureRate", faults.itemFailureRate, in: share)
            ?? problem("rateLimitBurst", faults.rateLimitBurst, in: rateLimitBurst)
    }
}
