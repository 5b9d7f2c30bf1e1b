import Foundation
import SyncCore
import Testing
import TestSupport
@testable import SyncState

@Suite("Verification times: least recently verified first")
struct VerificationTests {
    @Test func neverVerifiedFirstThenOldestAndTheSummaryCountsOnlyRecordedFiles() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("state.db").path
            let files = (0..<6).map { sampleFile($0) }
            let store = try newState(at: path, holding: files)
            // No table yet: address order, nothing verified.
            #expect(try store.leastRecentlyVerifiedFiles().map(\.address) == files.map(\.address))
            #expect(try store.verificationSummary() == .init(files: 6, verified: 0, oldest: nil, newest: nil))

            try store.withLock(operation: "test") {
                try store.recordVerification(addresses: [files[0].address, files[1].address], at: 100)
                try store.recordVerification(addresses: [files[2].address], at: 50)
            }
            let order = try store.leastRecentlyVerifiedFiles().map(\.address)
            #expect(order == [files[3], files[4], files[5], files[2], files[0], files[1]].map(\.address))
            #expect(try store.leastRecentlyVerifiedFiles(limit: 2).map(\.address) == [files[3], files[4]].map(\.address))
            #expect(try store.verificationSummary() == .init(files: 6, verified: 3, oldest: 50, newest: 100))
            #expect(try store.verificationTimes()[files[2].address] == 50)

            // A forgotten file's time no longer counts; recording needs the lock.
            _ = try store.withLock(operation: "test") { try store.forget([files[0].address]) }
            #expect(try store.verificationSummary() == .init(files: 5, verified: 2, oldest: 50, newest: 100))
            #expect(throws: StateError.self) { try store.recordVerification(addresses: [files[1].address], at: 200) }
            // Records and their checksums are untouched: the store still verifies.
            try store.verify()
        }
    }
}
