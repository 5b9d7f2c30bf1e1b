public import Foundation
public import PlatformAPI
public import PlatformEmulator
import Synchronization

/// The one test clock: time moves only when a test advances it or when code under test
/// "sleeps" on it (the sleep is recorded and returns at once). It is the client's
/// `PlatformClock`, the emulator's clock (`emulatorClock`) and a state store's `now`
/// (`seconds`) at the same time, so one clock links them all and nothing really sleeps.
public final class TestClock: PlatformClock {
    private let state: Mutex<(now: Double, sleeps: [Duration])>

    /// - Parameter start: Unix seconds.
    public init(_ start: Double = 1_780_000_000) {
        state = Mutex((start, []))
    }

    /// Unix seconds.
    public func now() -> Double { state.withLock { $0.now } }

    /// Whole Unix seconds (what a state store records).
    public var seconds: Int64 { Int64(now().rounded(.down)) }

    public var date: Date { Date(timeIntervalSince1970: now()) }

    /// Records the sleep and moves time forward by `duration`; never waits.
    /// - Throws: `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.sleeps.append(duration)
            $0.now += durationSeconds(duration)
        }
        await Task.yield()
        try Task.checkCancellation()
    }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: Double) { state.withLock { $0.now += seconds } }

    /// Every sleep so far, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }
    public var totalSlept: Double { sleeps.reduce(0) { $0 + durationSeconds($1) } }

    /// This clock as the emulator's clock.
    public var emulatorClock: EmulatorClock { EmulatorClock(now: { [self] in date }) }
}

private func durationSeconds(_ duration: Duration) -> Double {
    let c = duration.components
    return Double(c.seconds) + Double(c.attoseconds) / 1e18
}
