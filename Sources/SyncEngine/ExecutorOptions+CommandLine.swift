/// The executor's settings as `sbsync apply` takes them from its command line, range-checked:
/// a value out of range (negative, zero where that means nothing, infinite, NaN, beyond any
/// sensible wait) is the user's mistake, reported as such, never a trap when it becomes a
/// `Duration`.
extension ExecutorOptions {
    /// The values each option accepts.
    public enum Limits {
        /// `--jobs`: bulk jobs in flight (more only queue behind the platform's rate limit).
        public static let jobs = 1...100
        /// `--poll-interval`, seconds: up to an hour.
        public static let pollInterval = 0.001...3600.0
        /// `--drs-pace`: DRS items per window.
        public static let drsPace = 1...10_000_000
        /// `--drs-window`, seconds: up to a day.
        public static let drsWindow = 0.001...86_400.0
    }

    /// The options for `apply --jobs --poll-interval --drs-pace --drs-window`.
    /// - Throws: `OptionRangeError` naming the first option out of its range.
    public static func commandLine(jobs: Int, pollInterval: Double, drsPace: Int, drsWindow: Double)
        throws(OptionRangeError) -> ExecutorOptions
    {
        try OptionRangeError.check("--jobs", jobs, in: Limits.jobs)
        try OptionRangeError.check("--poll-interval", pollInterval, in: Limits.pollInterval, unit: "seconds")
        try OptionRangeError.check("--drs-pace", drsPace, in: Limits.drsPace)
        try OptionRangeError.check("--drs-window", drsWindow, in: Limits.drsWindow, unit: "seconds")
        func duration(_ seconds: Double) -> Duration { .microseconds(Int64((seconds * 1_000_000).rounded())) }
        return ExecutorOptions(
            maxJobsInFlight: jobs,
            pollInterval: duration(pollInterval), maxPollInterval: duration(max(30, pollInterval)),
            drsPace: drsPace, drsWindow: duration(drsWindow))
    }
}

/// A numeric option outside the values it accepts (a usage error: exit 64).
public struct OptionRangeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The option as typed, e.g. `--poll-interval`.
    public var option: String
    /// The value given, as it reads back (`inf`, `1e+300`, `-3`).
    public var value: String
    /// The smallest and largest values accepted, as shown.
    public var lowest: String
    public var highest: String
    /// What the number counts, e.g. `seconds`; empty for a plain count.
    public var unit: String

    public var description: String {
        "\(option) must be \(unit.isEmpty ? "a number" : "a number of \(unit)") from \(lowest) to \(highest), not '\(value)'"
    }

    /// Throws when `value` is outside `range` (NaN is outside every range).
    public static func check<Value: Comparable & CustomStringConvertible>(
        _ option: String, _ value: Value, in range: ClosedRange<Value>, unit: String = ""
    ) throws(OptionRangeError) {
        guard !range.contains(value) else { return }
        throw OptionRangeError(option: option, value: value.description, lowest: shown(range.lowerBound),
                               highest: shown(range.upperBound), unit: unit)
    }

    /// `3600` rather than `3600.0`.
    private static func shown(_ bound: some CustomStringConvertible) -> String {
        let text = bound.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
