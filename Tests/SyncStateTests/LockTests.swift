import Foundation
import Synchronization
import Testing
import TestSupport
import SyncCore
@testable import SyncState

@Suite struct LockTests {
    @Test func aSecondWriterIsToldWhoHoldsTheLock() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let first = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100, host: "ws1"))
        let second = try StateStore.open(at: path, create: false, options: .testing(clock: clock, pid: 200, host: "ws1"))
        let held = try first.acquireLock(operation: "apply")
        #expect(held.pid == 100 && held.host == "ws1" && held.operation == "apply" && held.createdAt == clock.seconds)
        #expect(throws: StateError.locked(path: path, holder: held)) { try second.acquireLock(operation: "state rm") }
        #expect(throws: StateError.notLocked(path: path)) { try second.record([sampleFile(1)]) }
        #expect(try second.currentLock() == held)
        let message = StateError.locked(path: path, holder: held).description
        #expect(message.contains("pid 100 on host 'ws1'"))
        #expect(message.contains("sbsync force-unlock \(held.holder)"))

        try first.record([sampleFile(1)])
        try first.releaseLock()
        #expect(try first.currentLock() == nil)
        let taken = try second.acquireLock(operation: "state rm")
        #expect(taken.pid == 200)
        try second.forget([sampleFile(1).address])
        #expect(try first.fileCount() == 0)
    }

    @Test func aLockWithAStaleHeartbeatExpiresAndIsTakenOver() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        // Different hosts: the pid cannot be probed, only the heartbeat tells.
        let first = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100, host: "ws1"))
        let second = try StateStore.open(at: path, create: false, options: .testing(clock: clock, pid: 200, host: "ws2"))
        let held = try first.acquireLock(operation: "apply")

        clock.advance(by: 100)
        try first.refreshLock()
        clock.advance(by: 100)  // 100 s since the last heartbeat: within the 120 s TTL
        #expect(throws: StateError.self) { try second.acquireLock(operation: "apply") }
        #expect(try second.currentLock()?.heartbeatAt == held.createdAt + 100)
        #expect(second.isExpired(try #require(try second.currentLock())) == false)

        clock.advance(by: 21)  // 121 s: expired
        #expect(second.isExpired(try #require(try second.currentLock())))
        let taken = try second.acquireLock(operation: "apply")
        #expect(taken.host == "ws2")

        // The first holder finds out before it writes anything more.
        #expect(throws: StateError.lockLost(path: path, current: taken)) { try first.record([sampleFile(1)]) }
        #expect(first.heldLock == nil)
        #expect(try first.fileCount() == 0)
        // Its release leaves the new holder's lock alone.
        try first.releaseLock()
        #expect(try second.currentLock() == taken)
    }

    @Test func aLockOfADeadProcessOnThisHostIsTakenOverAtOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let dead = Locked<Set<Int32>>([])
        let options = StateStore.Options.testing(clock: clock, pid: 300, host: "ws1", alive: { pid in !dead.withLock { $0.contains(pid) } })
        let crashed = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100, host: "ws1"))
        try crashed.acquireLock(operation: "apply")
        let next = try StateStore.open(at: path, create: false, options: options)
        #expect(throws: StateError.self) { try next.acquireLock(operation: "apply") }
        dead.withLock { _ = $0.insert(100) }
        let taken = try next.acquireLock(operation: "apply")
        #expect(taken.pid == 300)
    }

    @Test func aLockOnAnotherHostIsNotJudgedByPid() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let remote = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100, host: "ws1"))
        try remote.acquireLock(operation: "apply")
        let local = try StateStore.open(at: path, create: false, options: .testing(clock: clock, pid: 300, host: "ws2", alive: { _ in false }))
        #expect(throws: StateError.self) { try local.acquireLock(operation: "apply") }
    }

    @Test func theRealProcessProbeKnowsThisProcess() {
        #expect(StateStore.processIsAlive(getpid()))
        #expect(!StateStore.processIsAlive(0))
    }

    @Test func forceUnlockShowsAndRemovesOnlyTheNamedLock() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        let holder = try StateStore.open(at: path, create: true, options: .testing(clock: clock, pid: 100))
        let admin = try StateStore.open(at: path, create: false, options: .testing(clock: clock, pid: 200))
        #expect(throws: StateError.noLock(path: path)) { try admin.forceUnlock(holderID: "x") }
        let held = try holder.acquireLock(operation: "apply")
        #expect(throws: StateError.lockIDMismatch(path: path, given: "wrong", holder: held)) { try admin.forceUnlock(holderID: "wrong") }
        #expect(try admin.currentLock() == held)
        let removed = try admin.forceUnlock(holderID: held.holder.uppercased())
        #expect(removed == held)
        #expect(try admin.currentLock() == nil)
        #expect(throws: StateError.lockLost(path: path, current: nil)) { try holder.refreshLock() }
    }

    @Test func withLockReleasesOnError() throws {
        struct Boom: Error {}
        let dir = TemporaryDirectory()
        let store = try StateStore.open(at: dir.file("s.state"), create: true, options: .testing(clock: TestClock()))
        #expect(throws: Boom.self) { try store.withLock(operation: "test") { throw Boom() } }
        #expect(try store.currentLock() == nil)
        #expect(store.heldLock == nil)
    }

    @Test func concurrentWritersGetTheLockOneAtATime() async throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.state")
        let clock = TestClock()
        _ = try StateStore.open(at: path, create: true, options: .testing(clock: clock))
        let stores = try (0..<6).map { i in
            try StateStore.open(at: path, create: false, options: .testing(clock: clock, pid: Int32(100 + i)))
        }
        // Everyone tries at once; exactly one wins, the others are told who did.
        let outcomes = await withTaskGroup(of: Result<LockInfo, StateError>.self) { group in
            for store in stores {
                group.addTask { Result { () throws(StateError) -> LockInfo in try store.acquireLock(operation: "apply") } }
            }
            var all: [Result<LockInfo, StateError>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let winners = outcomes.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        let winner = try #require(winners.first)
        for case .failure(let error) in outcomes {
            #expect(error == .locked(path: path, holder: winner))
        }
        // Each then writes in turn: every write lands, none is lost.
        for store in stores { try store.releaseLock() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, store) in stores.enumerated() {
                group.addTask {
                    while true {
                        do {
                            try store.acquireLock(operation: "apply")
                            break
                        } catch StateError.locked {
                            await Task.yield()
                        }
                    }
                    try store.record((0..<50).map { sampleFile(i * 1000 + $0) })
                    try store.releaseLock()
                }
            }
            try await group.waitForAll()
        }
        #expect(try stores[0].fileCount() == 300)
        #expect(try stores[0].serial() == 6)
    }
}
