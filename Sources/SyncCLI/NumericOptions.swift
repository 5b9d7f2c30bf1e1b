import ArgumentParser
import SyncEngine

/// Numeric options out of range become usage errors: ArgumentParser prints the message with the
/// usage and exits 64, instead of the value trapping later (`--poll-interval inf`). The ranges
/// and their wording live with the options they feed (`ExecutorOptions.Limits`).
enum NumericOptions {
    /// The value `body` returns, or a `ValidationError` with the range error's message.
    static func checked<Value>(_ body: () throws(OptionRangeError) -> Value) throws(ValidationError) -> Value {
        do throws(OptionRangeError) {
            return try body()
        } catch {
            throw ValidationError(error.description)
        }
    }
}
