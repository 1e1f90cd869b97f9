@testable import KPICore
import Testing

@Suite("DueSchedule: when alert slots fall due by time alone")
struct DueScheduleTests {
    /// Runs `take` at `now` with the book's current due times.
    func take(_ schedule: inout DueSchedule, at now: Int64, _ due: [Int32: Int64]) -> [Int32] {
        var out: [Int32] = []
        schedule.take(through: now, dueTime: { due[$0] ?? .max }, into: &out)
        return out
    }

    @Test func aSlotComesDueOnceAtItsTimeNotBefore() {
        var s = DueSchedule()
        s.schedule(3, at: 100)
        s.schedule(1, at: 50)
        let due: [Int32: Int64] = [1: 50, 3: 100]
        #expect(take(&s, at: 49, due) == [])
        #expect(take(&s, at: 60, due) == [1])
        #expect(take(&s, at: 60, due) == [])   // taken once
        #expect(take(&s, at: 1_000, due) == [3])
    }

    @Test func aLaterTimeKeepsTheSlotWaitingUntilThen() {
        // A no-data watch whose limit moves on with every event of its scope.
        var s = DueSchedule()
        var due: [Int32: Int64] = [7: 100]
        s.schedule(7, at: 100)
        due[7] = 130
        s.schedule(7, at: 130)
        due[7] = 160
        s.schedule(7, at: 160)
        #expect(take(&s, at: 100, due) == [])   // its entry at 100 is requeued, not due
        #expect(take(&s, at: 159, due) == [])
        #expect(take(&s, at: 160, due) == [7])
        #expect(take(&s, at: 500, due) == [])   // no stale entry left to fire
    }

    @Test func anEarlierTimeWinsAndTheOldEntryIsDropped() {
        var s = DueSchedule()
        var due: [Int32: Int64] = [2: 300]
        s.schedule(2, at: 300)
        due[2] = 120   // a hold that ends sooner
        s.schedule(2, at: 120)
        #expect(take(&s, at: 120, due) == [2])
        due[2] = .max  // nothing due any more (idle)
        #expect(take(&s, at: 1_000, due) == [])
    }

    @Test func aSlotFreedAndReusedFollowsItsNewWindow() {
        var s = DueSchedule()
        var due: [Int32: Int64] = [0: 200]
        s.schedule(0, at: 200)
        due[0] = 400   // slot 0 now tracks another window, due later
        s.schedule(0, at: 400)
        #expect(take(&s, at: 250, due) == [])
        #expect(take(&s, at: 400, due) == [0])
    }

    @Test func slotsDueTogetherComeInTimeOrder() {
        var s = DueSchedule()
        let due: [Int32: Int64] = [5: 30, 4: 10, 9: 20]
        for (slot, t) in due { s.schedule(slot, at: t) }
        #expect(take(&s, at: 30, due) == [4, 9, 5])
    }
}
