import Testing
@testable import KPICore

/// Event-time sequences of hand-made snapshots through an `AlertBook`.
@Suite struct AlertBookTests {
    typealias Step = (minute: Int, snapshots: [KPISnapshot])

    static let t0 = local(2026, 11, 21, 14)
    static func at(_ m: Int) -> EventTime { t0 + .minutes(Int64(m)) }

    /// Default policy without the no-data watch, for tests whose hand-made
    /// snapshots keep a shop's numbers still (which is silence).
    static let targetsOnly: AlertPolicy = {
        var p = AlertPolicy()
        p.noData = nil
        return p
    }()

    func book(_ rules: [TargetRule], policy: AlertPolicy = AlertPolicy(), teams: TeamDirectory = Hand.teams) -> AlertBook {
        AlertBook(rules: rules, policy: policy, teams: teams, zone: Hand.zone)
    }

    /// Feeds `snapshots(m)` with watermark t0 + m for each minute; returns all alerts.
    func run(_ book: inout AlertBook, minutes: ClosedRange<Int>, lag: (Int) -> Int64 = { _ in 0 },
             _ snapshots: (Int) -> [KPISnapshot]) -> [Alert] {
        var out: [Alert] = []
        for m in minutes { out += book.advance(snapshots(m), watermark: Self.at(m), consumerLag: lag(m)) }
        return out
    }

    func agentResponse(_ agent: String = "a3", minute m: Int, tenthsOfSecond: Int64, sessions: Int64 = 20) -> KPISnapshot {
        Hand.snapshot(Hand.agent(agent), Hand.day(), at: Self.at(m),
                      [("first_response_s", Hand.firstResponse(totalMillis: tenthsOfSecond * 100 * sessions, sessions: sessions))])
    }

    func summary(_ alerts: [Alert]) -> [String] {
        alerts.map { "\(Int(($0.at - Self.t0).millis / 60_000)) \($0.id) \($0.state.name)\($0.isRepeat ? " repeat" : "")" }
    }

    @Test func paceBreachFiresAfterTheHoldAndResolves() {
        // Sales target 10000.00/day. From 12:00 (minute −120) sales stay at
        // 4000.00; pace at 12:00 = 5000.00 → breach, pending; firing 5 min
        // later at 12:05 (hold 5 min, event time), since 12:00. At 14:00 sales
        // jump to 6500.00; pace at 14:00 = 10000.00 × 14/24 = 5833.33, ×1.02 =
        // 5950.00 ≤ 6500.00 → resolved at 14:00.
        var b = book([Hand.salesRule], policy: Self.targetsOnly)
        let alerts = run(&b, minutes: -120...0) { m in
            [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("sales", Hand.money(m < 0 ? 400_000 : 650_000))])]
        }
        #expect(summary(alerts) == [
            "-115 shop-sales|shop|s1||day|2026-11-21 firing",
            "0 shop-sales|shop|s1||day|2026-11-21 resolved",
        ])
        #expect(alerts[0].since == local(2026, 11, 21, 12))
        // At 12:05 the pace is 10000.00 × (12 h 5 min)/24 h = 5034.72.
        #expect(alerts[0].pace == Fraction(4_531_250, 9))   // 1_000_000 × 725/1440 = 503472.2 minor units
        #expect(alerts[0].message == "s1 sales 4000.00, pace 5034.72, target 10000.00 (day 2026-11-21)")
        #expect(alerts[0].leads == ["lead-ops"])
        #expect(alerts[1].since == local(2026, 11, 21, 14))
        #expect(b.alerts.map(\.state) == [.resolved])
    }

    @Test func aSteadyTotalFallsBehindThePaceWithTimeAlone() {
        // Sales target 10000.00/day, even pace. Sales reach 4000.00 at 06:00
        // (minute −480) and no snapshot comes after. The pace passes them
        // when 10000.00 × M/1440 > 4000.00, M minutes after midnight: M = 577,
        // 09:37 (at 09:36 it equals them: not worse). Pending from 09:37,
        // firing 5 minutes later, 09:42 (minute −258), since 09:37, with the
        // pace at 09:42 = 10000.00 × 582/1440 = 4041.67. Nothing before; the
        // repeat 4 hours (the default interval) later, 13:42 (minute −18).
        var b = book([Hand.salesRule], policy: Self.targetsOnly)
        let alerts = run(&b, minutes: -480...0) { m in
            m == -480 ? [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("sales", Hand.money(400_000))])] : []
        }
        #expect(summary(alerts) == ["-258 shop-sales|shop|s1||day|2026-11-21 firing",
                                    "-18 shop-sales|shop|s1||day|2026-11-21 firing repeat"])
        #expect(alerts.first?.since == local(2026, 11, 21, 9) + .minutes(37))
        #expect(alerts.first?.message == "s1 sales 4000.00, pace 4041.67, target 10000.00 (day 2026-11-21)")
        // Evaluated only at the minutes where something can change, the book
        // raises the same: the ticks in between are passed over (a backfill).
        var sparse = book([Hand.salesRule], policy: Self.targetsOnly)
        var again: [Alert] = []
        for m in -480...0 {
            let snapshots = m == -480 ? [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("sales", Hand.money(400_000))])] : []
            if snapshots.isEmpty && sparse.isIdle(through: Self.at(m)) {
                sparse.pass(watermark: Self.at(m))
            } else {
                again += sparse.advance(snapshots, watermark: Self.at(m))
            }
        }
        #expect(summary(again) == summary(alerts))
    }

    @Test func threeChatsNeverPage() {
        // a3 answers 3 sessions in 2 minutes each (120 s ≫ 30 s) all afternoon: sample 3 < 20.
        var b = book([Hand.responseRule])
        let alerts = run(&b, minutes: 0...600) { m in [agentResponse(minute: m, tenthsOfSecond: 1200, sessions: 3)] }
        #expect(alerts.isEmpty)
        #expect(b.alerts.isEmpty)
    }

    @Test func flappingAroundTheTargetFiresOnceAndResolvesOnce() {
        // Hold 0, so every breach would page at once. a3's first response
        // alternates 30.2 s (breach, > 30) and 29.8 s (better, but not by the
        // 2% margin: resolving needs ≤ 29.4 s) for an hour, then 29.0 s.
        var rule = Hand.responseRule
        rule.hold = .seconds(0)
        func value(_ m: Int) -> Int64 { m == 60 ? 290 : (m % 2 == 0 ? 302 : 298) }
        var b = book([rule])
        let alerts = run(&b, minutes: 0...60) { m in [agentResponse(minute: m, tenthsOfSecond: value(m))] }
        #expect(summary(alerts) == [
            "0 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
            "60 cs-first-response|agent|s1|a3|day|2026-11-21 resolved",
        ])
        // Without hysteresis the same numbers page every minute: firing at
        // the even minutes 0..58, resolved at the odd ones 1..59 = 60; 29.0
        // at minute 60 finds it already resolved.
        var policy = AlertPolicy()
        policy.hysteresis = Fraction(0, 1)
        var noMargin = book([rule], policy: policy)
        #expect(run(&noMargin, minutes: 0...60) { m in [agentResponse(minute: m, tenthsOfSecond: value(m))] }.count == 60)
    }

    @Test func breachClearingDuringPendingSendsNothing() {
        // 45.2 s from 14:00 to 14:03, back to 20 s at 14:04: the 5-minute hold never passes.
        var b = book([Hand.responseRule])
        let alerts = run(&b, minutes: 0...30) { m in [agentResponse(minute: m, tenthsOfSecond: m < 4 ? 452 : 200)] }
        #expect(alerts.isEmpty)
        #expect(b.alerts.isEmpty)
    }

    @Test func holdTimeInEventTimeAndRepeat() {
        // Breached from 14:00; snapshots arrive only when the value changes
        // (here: once), yet the ticks keep evaluating: firing at 14:05;
        // repeat every 2 h → 16:05, 18:05.
        var policy = AlertPolicy()
        policy.repeatInterval = .hours(2)
        var b = book([Hand.responseRule], policy: policy)
        let alerts = run(&b, minutes: 0...250) { m in m == 0 ? [agentResponse(minute: m, tenthsOfSecond: 452)] : [] }
        #expect(summary(alerts) == [
            "5 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
            "125 cs-first-response|agent|s1|a3|day|2026-11-21 firing repeat",
            "245 cs-first-response|agent|s1|a3|day|2026-11-21 firing repeat",
        ])
        #expect(alerts.allSatisfy { $0.since == Self.at(0) })
    }

    @Test func evaluationHappensOncePerTickInEventTime() {
        // Watermarks 14:00:10, 14:00:50, 14:01:00: ticks 14:00 (evaluated),
        // 14:00 again (only stored), 14:01 (evaluated).
        var b = book([Hand.responseRule])
        _ = b.advance([agentResponse(minute: 0, tenthsOfSecond: 452)], watermark: Self.at(0) + .seconds(10))
        #expect(b.alerts.map(\.state) == [.pending])
        #expect(b.alerts.first?.since == Self.at(0))
        _ = b.advance([], watermark: Self.at(0) + .seconds(50))
        #expect(b.lastTick == Self.at(0))
        _ = b.advance([], watermark: Self.at(1))
        #expect(b.lastTick == Self.at(1))
    }

    @Test func closedWindowFiresWithoutHold() {
        // The day closed at 9999.99 of 10000.00: firing at the first tick after midnight.
        var b = book([Hand.salesRule])
        let closed = Hand.snapshot(Hand.shop(), Hand.day(closed: true), at: local(2026, 11, 22, 0, 0, 30), [("sales", Hand.money(999_999))])
        let alerts = b.advance([closed], watermark: local(2026, 11, 22, 0, 0, 30))
        #expect(alerts.map(\.state) == [.firing])
        #expect(alerts.first?.pace == nil)
        #expect(alerts.first?.message == "s1 sales 9999.99, target 10000.00 (day 2026-11-21)")
    }

    @Test func noDataFiresAndSilenceNeverResolvesIt() {
        // s1 has traffic until 14:00, then nothing; s2 keeps the partition's
        // watermark moving. Silence 30 min → firing at 14:30, since 14:00.
        // Hours of silence later: still firing, never resolved. Data at
        // 17:00 resolves it.
        var b = book([])
        func s1(_ pv: Int64, _ m: Int) -> KPISnapshot {
            Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("pv", .count(pv))])
        }
        func s2(_ m: Int) -> KPISnapshot {
            Hand.snapshot(Hand.shop("s2"), Hand.day(), at: Self.at(m), [("pv", .count(Int64(1000 + m)))])
        }
        let alerts = run(&b, minutes: -10...200) { m in
            var out = [s2(m)]
            if m <= 0 { out.insert(s1(Int64(100 + m), m), at: 0) }
            // A flag-only revision (the same metrics) is not data.
            if m == 100 { out.insert(s1(100, m), at: 0) }
            if m == 180 { out.insert(s1(101, m), at: 0) }
            return out
        }
        #expect(summary(alerts) == [
            "30 no-data|shop|s1||day|2026-11-21 firing",
            "180 no-data|shop|s1||day|2026-11-21 resolved",
        ])
        #expect(alerts[0].since == Self.at(0))
        #expect(alerts[0].message == "s1 no data for 30 min, limit 30 min (day 2026-11-21)")
        #expect(alerts[0].value == .count(1800))
        #expect(alerts[0].target == .count(1800))
        #expect(alerts[1].since == Self.at(180))
    }

    @Test func agentAlertsOfASilentShopAreHeld() {
        // s1's last data is at 13:00; s2 keeps the watermark moving. At the
        // 14:00 tick s1 has been silent 60 min ≥ 30 → no-data firing. a3's
        // snapshot says 45.2 s from 14:00: pending, due to fire at 14:05 — held
        // while the shop's no-data fires. s1's data returns at 15:00: no-data
        // resolved, and the agent alert, still breached, is sent then, once,
        // since 14:00.
        var b = book([Hand.responseRule])
        _ = b.advance([Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(-60), [("pv", .count(100))])], watermark: Self.at(-60))
        let alerts = run(&b, minutes: 0...70) { m in
            var out: [KPISnapshot] = []
            if m == 60 { out.append(Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("pv", .count(200))])) }
            if m == 0 { out.append(agentResponse(minute: m, tenthsOfSecond: 452)) }
            out.append(Hand.snapshot(Hand.shop("s2"), Hand.day(), at: Self.at(m), [("pv", .count(Int64(m)))]))
            return out
        }
        #expect(summary(alerts) == [
            "0 no-data|shop|s1||day|2026-11-21 firing",
            "60 no-data|shop|s1||day|2026-11-21 resolved",
            "60 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
        ])
        #expect(alerts[2].since == Self.at(0))
        // The held alert is visible in the listing meanwhile.
        var c = book([Hand.responseRule])
        _ = c.advance([Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(-60), [("pv", .count(100))])], watermark: Self.at(-60))
        _ = run(&c, minutes: 0...10) { m in m == 0 ? [agentResponse(minute: m, tenthsOfSecond: 452)] : [] }
        #expect(c.alerts.map(\.state) == [.firing, .firing])
    }

    @Test func agentAlertsFireNormallyBeforeTheShopIsSilentLongEnough() {
        // Same, but s1's data stops at 14:00: the agent alert fires at 14:05
        // as usual (no ingest problem yet); no-data fires at 14:30.
        var b = book([Hand.responseRule])
        let alerts = run(&b, minutes: 0...70) { m in
            var out: [KPISnapshot] = []
            if m == 0 || m == 60 { out.append(Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("pv", .count(Int64(100 + m)))])) }
            if m == 0 { out.append(agentResponse(minute: m, tenthsOfSecond: 452)) }
            out.append(Hand.snapshot(Hand.shop("s2"), Hand.day(), at: Self.at(m), [("pv", .count(Int64(m)))]))
            return out
        }
        #expect(summary(alerts) == [
            "5 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
            "30 no-data|shop|s1||day|2026-11-21 firing",
            "60 no-data|shop|s1||day|2026-11-21 resolved",
        ])
    }

    @Test func consumerLagHoldsAgentAlertsButNotShopAlerts() {
        var b = book([Hand.responseRule, Hand.salesRule])
        let alerts = run(&b, minutes: 0...20, lag: { $0 < 15 ? 50_000 : 0 }) { m in
            m == 0 ? [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(0), [("sales", Hand.money(100_000))]),
                      agentResponse(minute: 0, tenthsOfSecond: 452)] : []
        }
        #expect(summary(alerts) == [
            "5 shop-sales|shop|s1||day|2026-11-21 firing",
            "15 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
        ])
    }

    @Test func quietHours() {
        // Team cs-a is off shift 00:00–08:00. a3 breaches from 03:00: held;
        // at 08:00 the alert (firing since 03:00) is sent once.
        let teams = TeamDirectory(teams: [Hand.cs], quietHours: ["cs-a": [QuietHours(from: "00:00", to: "08:00")!]])
        var b = book([Hand.responseRule], teams: teams)
        let night = run(&b, minutes: -660...(-350)) { m in m == -660 ? [agentResponse(minute: m, tenthsOfSecond: 452)] : [] }
        #expect(summary(night) == ["-360 cs-first-response|agent|s1|a3|day|2026-11-21 firing"])
        #expect(night.first?.since == local(2026, 11, 21, 3))
        #expect(night.first?.at == local(2026, 11, 21, 8))
        // A breach 03:00–05:00 that recovers before 08:00 reaches nobody.
        var c = book([Hand.responseRule], teams: teams)
        let blip = run(&c, minutes: -660...(-300)) { m in
            m == -660 ? [agentResponse(minute: m, tenthsOfSecond: 452)]
                : m == -540 ? [agentResponse(minute: m, tenthsOfSecond: 200)] : []
        }
        #expect(blip.isEmpty)
        // Quiet hours wrap midnight.
        let wrap = QuietHours(from: "22:00", to: "07:00")!
        #expect(wrap.contains(minuteOfDay: 23 * 60) && wrap.contains(minuteOfDay: 0) && wrap.contains(minuteOfDay: 6 * 60 + 59))
        #expect(!wrap.contains(minuteOfDay: 7 * 60) && !wrap.contains(minuteOfDay: 21 * 60 + 59))
    }

    @Test func sameInputAtAnyDrainCadenceGivesTheSameAlerts() {
        // Live: a snapshot drained at every change (several per minute,
        // watermarks between ticks). Backfill: one drain per tick with the
        // latest snapshot of each window. Same ids, states, values, order.
        let rules = [Hand.responseRule, Hand.salesRule]
        func changes() -> [(EventTime, KPISnapshot)] {
            var out: [(EventTime, KPISnapshot)] = []
            for s in 0..<(6 * 180) {   // every 10 s for 3 hours from 12:00
                let t = local(2026, 11, 21, 12) + .seconds(Int64(10 * s))
                let tenths: Int64 = [200, 452, 452, 310, 280][s / 220]
                out.append((t, Hand.snapshot(Hand.agent("a3"), Hand.day(), at: t,
                                             [("first_response_s", Hand.firstResponse(totalMillis: tenths * 100 * 20, sessions: 20))])))
                out.append((t, Hand.snapshot(Hand.shop(), Hand.day(), at: t, [("sales", Hand.money(Int64(300_000 + 500 * s)))])))
            }
            return out
        }
        var live = book(rules)
        var liveAlerts: [Alert] = []
        for (t, s) in changes() { liveAlerts += live.advance([s], watermark: t) }
        var backfill = book(rules)
        var backfillAlerts: [Alert] = []
        var pending: [KPISnapshot] = []
        var lastTick: Int64?
        for (t, s) in changes() {
            pending.append(s)
            let tick = t.millis / 60_000
            if tick != lastTick {   // the record that moved the watermark across a tick
                backfillAlerts += backfill.advance(pending, watermark: t)
                pending = []
                lastTick = tick
            }
        }
        #expect(!liveAlerts.isEmpty)
        #expect(liveAlerts == backfillAlerts)
        #expect(live.alerts == backfill.alerts)
    }

    @Test func alertJSONBytes() {
        // The interfaces.md example, built by hand.
        let a = Alert(id: Alert.id(rule: "cs-first-response", scope: Hand.agent("a3"), windowType: .day, windowID: "2026-11-21"),
                      state: .firing, rule: "cs-first-response", scope: Hand.agent("a3"), windowType: .day, windowID: "2026-11-21",
                      metric: "first_response_s", direction: .lowerIsBetter, value: .number(Fraction(904_000, 20_000)),
                      target: .decimal(Fraction(30, 1)), pace: nil, since: local(2026, 11, 21, 14, 2), at: local(2026, 11, 21, 14, 7),
                      leads: ["lead-cs-1"], message: "a3 first response 45.2 s, target 30 s (day 2026-11-21)")
        let expected = #"{"kind":"kpi_alert","id":"cs-first-response|agent|s1|a3|day|2026-11-21","#
            + #""state":"firing","rule":"cs-first-response","#
            + #""scope":{"type":"agent","shop_id":"s1","id":"a3"},"#
            + #""window":{"type":"day","id":"2026-11-21"},"#
            + #""metric":"first_response_s","direction":"lower_is_better","#
            + #""value":45.2,"target":30,"pace":null,"#
            + #""since":"2026-11-21T14:02:00+08:00","leads":["lead-cs-1"],"#
            + #""message":"a3 first response 45.2 s, target 30 s (day 2026-11-21)"}"#
        #expect(String(decoding: AlertJSON.encode(a, fractionDigits: 2, zone: Hand.zone), as: UTF8.self) == expected)
    }

    @Test func theBookBuildsTheExampleAlert() {
        // The same alert out of the book: 45.2 s from 14:02, firing at 14:07.
        var b = book([Hand.responseRule])
        let alerts = run(&b, minutes: 2...7) { m in m == 2 ? [agentResponse(minute: m, tenthsOfSecond: 452)] : [] }
        #expect(alerts.count == 1)
        guard let a = alerts.first else { return }
        #expect(a.id == "cs-first-response|agent|s1|a3|day|2026-11-21")
        #expect(a.since == local(2026, 11, 21, 14, 2))
        #expect(a.leads == ["lead-cs-1"])
        #expect(a.message == "a3 first response 45.2 s, target 30 s (day 2026-11-21)")
        let json = String(decoding: AlertJSON.encode(a, fractionDigits: 2, zone: Hand.zone), as: UTF8.self)
        #expect(json.contains(#""value":45.2,"target":30,"pace":null,"since":"2026-11-21T14:02:00+08:00","#))
    }

    @Test func windowsAreForgottenAfterTwoPeriods() {
        var b = book([Hand.salesRule], policy: Self.targetsOnly)
        let closed = Hand.snapshot(Hand.shop(), Hand.day(closed: true), at: local(2026, 11, 22, 0, 1), [("sales", Hand.money(1))])
        _ = b.advance([closed], watermark: local(2026, 11, 22, 0, 1))
        #expect(b.alerts.count == 1)
        _ = b.advance([], watermark: local(2026, 11, 23, 23, 59))
        #expect(b.alerts.count == 1)
        _ = b.advance([], watermark: local(2026, 11, 24))   // end + 2 days
        #expect(b.alerts.isEmpty)
    }

    /// A day first seen when it is already two days over (a straggler
    /// weeks old that was a partition's first event) raises nothing: the
    /// book forgets it at once, so a firing alert could never resolve. A day
    /// that closed yesterday still fires.
    @Test func aWindowFirstSeenPastTheForgetHorizonRaisesNothing() {
        var b = book([Hand.salesRule], policy: Self.targetsOnly)
        let ancient = Hand.snapshot(Hand.shop(), Hand.day(1, closed: true), at: local(2026, 11, 21, 14), [("sales", Hand.money(4_080))])
        let yesterday = Hand.snapshot(Hand.shop(), Hand.day(20, closed: true), at: local(2026, 11, 21, 14), [("sales", Hand.money(4_080))])
        // Day 1 ended 11-02 00:00, forgotten from 11-04 00:00; day 20 ends 11-21 00:00, forgotten from 11-23.
        let alerts = b.advance([ancient, yesterday], watermark: local(2026, 11, 21, 14))
        #expect(alerts.map(\.id) == [Alert.id(rule: "shop-sales", scope: Hand.shop(), windowType: .day, windowID: "2026-11-20")])
        #expect(alerts.map(\.state) == [.firing])
        #expect(b.alerts.count == 1)
    }
}

extension AlertBookTests {
    @Test func restoreNeitherResendsNorForgetsTheResolution() {
        // Before the restart: a3 fires at 14:05 (since 14:00), s1 no-data at 14:30.
        var before = book([Hand.responseRule])
        let sent = run(&before, minutes: 0...40) { m in
            m == 0 ? [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(0), [("pv", .count(1))]),
                      agentResponse(minute: m, tenthsOfSecond: 452)] : []
        }
        #expect(summary(sent) == [
            "5 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
            "30 no-data|shop|s1||day|2026-11-21 firing",
        ])
        // After: a new book told what was published. a3 still breached → no
        // re-send (the repeat interval has not passed); at 15:00 a3 is at
        // 20 s and s1 has data → both resolutions are sent.
        var after = book([Hand.responseRule])
        after.restore(sent.map { AlertBook.Delivered(id: $0.id, state: $0.state, since: $0.since, at: $0.at) })
        let replay = run(&after, minutes: 41...70) { m in
            m == 41 ? [agentResponse(minute: m, tenthsOfSecond: 452)]
                : m == 60 ? [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("pv", .count(2))]),
                             agentResponse(minute: m, tenthsOfSecond: 200)] : []
        }
        #expect(summary(replay) == [
            "60 no-data|shop|s1||day|2026-11-21 resolved",
            "60 cs-first-response|agent|s1|a3|day|2026-11-21 resolved",
        ])
        // A fresh book without the restore would never resolve them.
        var amnesiac = book([Hand.responseRule])
        #expect(run(&amnesiac, minutes: 60...70) { m in
            m == 60 ? [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("pv", .count(2))]),
                       agentResponse(minute: m, tenthsOfSecond: 200)] : []
        }.isEmpty)
    }

    /// A restart that resumes from a checkpoint (the inputs before it are not
    /// read again) must go on exactly as the uninterrupted book.
    @Test func aBookResumedFromItsCheckpointGoesOnAsIfUninterrupted() throws {
        // a3 breaches from 14:00 (45.2 s > 30 s), hold 5 min, repeat 2 h; s1's
        // shop numbers stop at 14:00 (no data after 30 min); s2 keeps the
        // watermark moving. Uninterrupted: a3 firing at 14:05 (since 14:00);
        // no-data firing at 14:30 (since 14:00), repeated at 16:30; a3's
        // repeats (16:05, 18:05) are held: s1's no-data inhibits its agents.
        var policy = AlertPolicy()
        policy.repeatInterval = .hours(2)
        func snapshots(_ m: Int) -> [KPISnapshot] {
            var out = [Hand.snapshot(Hand.shop("s2"), Hand.day(), at: Self.at(m), [("pv", .count(Int64(1000 + m)))])]
            if m == 0 {
                out.append(Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(m), [("pv", .count(100))]))
                out.append(agentResponse(minute: m, tenthsOfSecond: 452))
            }
            return out
        }
        var whole = book([Hand.responseRule], policy: policy)
        let expected = run(&whole, minutes: 0...250, snapshots)
        #expect(summary(expected) == [
            "5 cs-first-response|agent|s1|a3|day|2026-11-21 firing",
            "30 no-data|shop|s1||day|2026-11-21 firing",
            "150 no-data|shop|s1||day|2026-11-21 firing repeat",
        ])

        // Interrupted at 14:03, while a3's alert is pending and s1 silent for
        // 3 min. The resumed book gets the current snapshot of every window
        // (as the restored KPI state gives them) and only later input.
        var first = book([Hand.responseRule], policy: policy)
        var alerts = run(&first, minutes: 0...3, snapshots)
        let checkpoint = first.checkpoint()
        var resumed = book([Hand.responseRule], policy: policy)
        let current = [Hand.snapshot(Hand.shop(), Hand.day(), at: Self.at(3), [("pv", .count(100))]),
                       Hand.snapshot(Hand.shop("s2"), Hand.day(), at: Self.at(3), [("pv", .count(1003))]),
                       agentResponse(minute: 3, tenthsOfSecond: 452)]
        try resumed.resume(checkpoint: checkpoint, current: current)
        alerts += run(&resumed, minutes: 3...250, snapshots)
        #expect(summary(alerts) == summary(expected))
        #expect(alerts.map(\.since) == expected.map(\.since))

        // Without the checkpoint the same restart gets it wrong: pending
        // again from 14:03, firing at 14:08, and the silence counted from 14:03.
        var forgetful = book([Hand.responseRule], policy: policy)
        forgetful.learn(current, watermark: Self.at(3))
        let wrong = run(&forgetful, minutes: 3...250, snapshots)
        #expect(summary(wrong) != summary(Array(expected)))

        // A damaged checkpoint is refused, not half-applied silently.
        var damaged = checkpoint
        damaged[damaged.count / 2] ^= 0xFF
        var refused = book([Hand.responseRule], policy: policy)
        #expect(throws: KPICoreError.self) { try refused.resume(checkpoint: damaged, current: current) }
    }
}
