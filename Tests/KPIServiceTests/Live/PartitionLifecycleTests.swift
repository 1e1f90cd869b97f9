import Testing
@testable import KPIService

/// The live ingester's partition lifecycle, transition by transition, with
/// no broker: what the ingester is told to do, in order, at each step.
@Suite struct PartitionLifecycleTests {
    @Test func aRestoreWithSomethingToReplayGoesLiveOnlyOnceCaughtUp() {
        var p = PartitionLifecycle(partition: 3)
        #expect(p.phase == .assigned)
        #expect(p.assigned() == [.readRestorePoint])
        #expect(p.phase == .restoring)
        #expect(p.restorePointRead(nothingToReplay: false) == [.startReading])
        #expect(p.phase == .replaying)
        #expect(p.caughtUp() == [.goLive])
        #expect(p.phase == .live)
        // Caught up twice, or a stray restore answer, changes nothing.
        #expect(p.caughtUp() == [])
        #expect(p.restorePointRead(nothingToReplay: true) == [])
        #expect(p.phase == .live)
    }

    @Test func aCheckpointAtTheEndGoesLiveAtOnce() {
        var p = PartitionLifecycle(partition: 0)
        _ = p.assigned()
        #expect(p.restorePointRead(nothingToReplay: true) == [.startReading, .goLive])
        #expect(p.phase == .live)
    }

    @Test func failedRestoresAreRetriedBackingOffToThirtySeconds() {
        var p = PartitionLifecycle(partition: 1)
        _ = p.assigned()
        var waits: [Duration] = []
        for i in 1...8 {
            let actions = p.restoreFailed("broker timed out \(i)")
            guard case let .retryRestore(after, reason)? = actions.first, actions.count == 1 else {
                Issue.record("attempt \(i): \(actions)"); return
            }
            #expect(reason == "broker timed out \(i)")
            waits.append(after)
            #expect(p.phase == .restoring)
        }
        #expect(waits == [1, 2, 4, 8, 16, 30, 30, 30].map { Duration.seconds($0) })
        #expect(p.failures == 8)
        // A success resets the count; a later failure starts again at 1 s...
        #expect(p.restorePointRead(nothingToReplay: false) == [.startReading])
        #expect(p.failures == 0)
        // ...but only while restoring: a replaying partition has nothing to retry.
        #expect(p.restoreFailed("late answer") == [])
    }

    @Test func revokingFlushesOnlyWhatHoldsState() {
        var live = PartitionLifecycle(partition: 0)
        _ = live.assigned(); _ = live.restorePointRead(nothingToReplay: false); _ = live.caughtUp()
        #expect(live.revoked() == [.flush, .drop])
        #expect(live.phase == .revoking)
        #expect(live.revoked() == [])

        var replaying = PartitionLifecycle(partition: 1)
        _ = replaying.assigned(); _ = replaying.restorePointRead(nothingToReplay: false)
        #expect(replaying.revoked() == [.flush, .drop])

        // Still restoring: no state of its own yet, its last checkpoint stays in force.
        var restoring = PartitionLifecycle(partition: 2)
        _ = restoring.assigned()
        #expect(restoring.revoked() == [.drop])
        var fresh = PartitionLifecycle(partition: 3)
        #expect(fresh.revoked() == [.drop])
        // A revoked partition is not restored by a late answer.
        #expect(restoring.restorePointRead(nothingToReplay: false) == [])
        #expect(restoring.assigned() == [])
    }
}
