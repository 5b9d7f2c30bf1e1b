import SyncCore
import SyncEngine
import Testing

/// What a retry can fix, and what it cannot.
@Suite struct RetryAdviceTests {
    static let address = Address(project: "o/p", path: "a.bam")

    static func problem(_ message: String, outcome: ItemOutcome = .failed, recorded: Bool = false) -> ItemProblem {
        ItemProblem(address: address, source: nil, outcome: outcome, message: message, recorded: recorded)
    }

    @Test("platform errors, timeouts, failed jobs and lost answers: a retry can fix them", arguments: [
        "Error communicating with the storage service. (HTTP 503, code 9000)",
        "POST /bulk/storage/imports/create: the platform answered 500 (code 0): Internal error",
        "GET /bulk/drs/imports/x: no answer from the platform after 6 attempts: no response in time: read timeout",
        "the import job failed",
        "the platform's answer to the import call was lost and the file is not at the destination (yet); the next apply checks again and submits it if needed",
    ])
    func retryable(message: String) {
        #expect(Self.problem(message).retryAdvice == .retry)
        #expect(Self.problem(message).retryAdvice.fixedByRetry)
    }

    @Test("missing sources, permissions and invalid requests: a retry cannot fix them", arguments: [
        ("Location 'x' on volume not found. (HTTP 404, code 9105)", RetryAdvice.notFound),
        ("POST /bulk/storage/imports/create: the platform answered 404 (code 9007): Volume 'a/b' does not exist.", .notFound),
        ("DRS object 'drs://h/1' does not exist or is not accessible. (HTTP 404, code 9109)", .notFound),
        ("Insufficient privileges. (HTTP 403, code 90002)", .permission),
        ("POST /bulk/drs/imports/create: the platform answered 401: Unauthorized", .permission),
        ("Bad request. (HTTP 400, code 9100)", .invalid),
    ])
    func permanent(message: String, advice: RetryAdvice) {
        #expect(Self.problem(message).retryAdvice == advice)
        #expect(!advice.fixedByRetry)
        #expect(advice.action.hasPrefix("a retry will not help: "))
    }

    @Test func skippedByPolicyAndRecordedFiles() {
        #expect(Self.problem("skipped: the name 'a.bam' is taken", outcome: .skipped).retryAdvice == .skippedByPolicy)
        #expect(RetryAdvice.skippedByPolicy.action.contains("conflict to 'overwrite' or 'rename'"))
        // Recorded without its metadata: the next apply sets it, whatever the status was.
        #expect(Self.problem("imported and recorded, but setting its metadata and tags failed: (HTTP 404)", recorded: true).retryAdvice == .retry)
    }
}
