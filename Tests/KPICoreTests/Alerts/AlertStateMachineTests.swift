import Testing
@testable import KPICore

/// The machine alone: a condition per minute from 14:00 local.
@Suite struct AlertStateMachineTests {
    struct Sent: Equatable, CustomStringConvertible {
        var minute: Int
        var state: AlertState
        var sinceMinute: Int
        var isRepeat = false
        var description: String { "\(minute):\(state.name) since \(sinceMinute)\(isRepeat ? " (repeat)" : "")" }
    }

    static let t0 = local(2026, 11, 21, 14)
    static func at(_ m: Int) -> EventTime { t0 + .minutes(Int64(m)) }

    /// Runs `conditions[m]` at minute m; returns what was sent.
    func run(_ conditions: [TargetCondition], hold: EventTime.Duration = .minutes(5),
             repeatInterval: EventTime.Duration = .hours(4), held: (Int) -> Bool = { _ in false },
             machine: inout AlertStateMachine) -> [Sent] {
        var out: [Sent] = []
        for (m, c) in conditions.enumerated() {
            if let a = machine.observe(c, at: Self.at(m), hold: hold, repeatInterval: repeatInterval, held: held(m)) {
                out.append(Sent(minute: m, state: a.state, sinceMinute: Int((a.since - Self.t0).millis / 60_000), isRepeat: a.isRepeat))
            }
        }
        return out
    }

    func run(_ conditions: [TargetCondition], hold: EventTime.Duration = .minutes(5),
             repeatInterval: EventTime.Duration = .hours(4), held: (Int) -> Bool = { _ in false }) -> [Sent] {
        var m = AlertStateMachine()
        return run(conditions, hold: hold, repeatInterval: repeatInterval, held: held, machine: &m)
    }

    let B = TargetCondition.breached, W = TargetCondition.within, R = TargetCondition.recovered, U = TargetCondition.unknown

    @Test func breachClearingDuringPendingSendsNothing() {
        var m = AlertStateMachine()
        // Breached 14:00–14:03 (4 minutes < 5 min hold), then within the target.
        #expect(run([B, B, B, B, W, W], machine: &m).isEmpty)
        #expect(m.state == nil)
        // Recovered or unknown during pending: also silent.
        #expect(run([B, B, R, B, U, W]).isEmpty)
    }

    @Test func holdTime() {
        var m = AlertStateMachine()
        // Breach from 14:00; firing once 5 minutes have passed, at 14:05, since 14:00.
        #expect(run([B, B, B, B, B, B, B, B], machine: &m) == [Sent(minute: 5, state: .firing, sinceMinute: 0)])
        #expect(m.state == .firing)
        // A pending breach that restarts counts the hold from the new start:
        // breached 0–3, clear at 4, breached from 5 → firing at 10.
        #expect(run([B, B, B, B, W, B, B, B, B, B, B]) == [Sent(minute: 10, state: .firing, sinceMinute: 5)])
        // Hold 0 (closed windows): firing at the first breach, no pending step.
        #expect(run([W, B], hold: .seconds(0)) == [Sent(minute: 1, state: .firing, sinceMinute: 1)])
    }

    @Test func pendingIsAStateButNotANotification() {
        var m = AlertStateMachine()
        #expect(run([W, B, B], machine: &m).isEmpty)
        #expect(m.state == .pending)
        #expect(m.since == Self.at(1))
    }

    @Test func firingStaysUntilRecoveredBeyondTheMargin() {
        // Within the margin or without data, a firing alert stays firing.
        let steps: [TargetCondition] = [B, B, B, B, B, B, W, U, B, W, U, W, R, W]
        #expect(run(steps) == [Sent(minute: 5, state: .firing, sinceMinute: 0), Sent(minute: 12, state: .resolved, sinceMinute: 12)])
    }

    @Test func repeatInterval() {
        // Firing at 5; repeat every 60 min → re-sent at 65 and 125, nothing between;
        // resolved at 130.
        let steps = Array(repeating: B, count: 130) + [R]
        #expect(run(steps, repeatInterval: .hours(1)) == [
            Sent(minute: 5, state: .firing, sinceMinute: 0),
            Sent(minute: 65, state: .firing, sinceMinute: 0, isRepeat: true),
            Sent(minute: 125, state: .firing, sinceMinute: 0, isRepeat: true),
            Sent(minute: 130, state: .resolved, sinceMinute: 130),
        ])
        // Repeat interval 0: never re-sent.
        #expect(run(steps, repeatInterval: .seconds(0)).count == 2)
    }

    @Test func heldNotificationsAreSentOnceOnRelease() {
        // Firing at 5 while held until minute 20: sent once at 20, since 0.
        let steps = Array(repeating: B, count: 25)
        #expect(run(steps, held: { $0 < 20 }) == [Sent(minute: 20, state: .firing, sinceMinute: 0)])
        // Fired (5) and resolved (10) while held: nobody hears of it.
        let blip: [TargetCondition] = Array(repeating: B, count: 10) + Array(repeating: R, count: 15)
        #expect(run(blip, held: { $0 < 20 }).isEmpty)
        // Sent firing, then resolved while held: the resolution is sent on release.
        let late: [TargetCondition] = Array(repeating: B, count: 10) + Array(repeating: R, count: 15)
        #expect(run(late, held: { $0 >= 8 && $0 < 20 }) == [
            Sent(minute: 5, state: .firing, sinceMinute: 0), Sent(minute: 20, state: .resolved, sinceMinute: 10),
        ])
    }

    @Test func aNewEpisodeAfterResolution() {
        let steps: [TargetCondition] = [B, B, B, B, B, B, R, B, B, B, B, B, B]
        #expect(run(steps) == [
            Sent(minute: 5, state: .firing, sinceMinute: 0), Sent(minute: 6, state: .resolved, sinceMinute: 6),
            Sent(minute: 12, state: .firing, sinceMinute: 7),
        ])
    }
}
