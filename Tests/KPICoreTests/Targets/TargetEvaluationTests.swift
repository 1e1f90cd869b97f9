import Testing
@testable import KPICore

@Suite struct TargetEvaluationTests {
    func status(_ rules: [TargetRule], _ s: KPISnapshot, zone: ZoneRules = Hand.zone) -> [TargetStatus] {
        var book = TargetBook(rules: rules, teams: Hand.teams, zone: zone)
        return book.statuses(for: s)
    }

    @Test func paceBreachMidDayAndRecovery() {
        // Target 10000.00/day. At 12:00 local half the day has elapsed:
        // pace = 10000.00 × 12/24 = 5000.00. Sales 4000.00 < 5000.00 → breach.
        let noon = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 12), [("sales", Hand.money(400_000))])
        #expect(status([Hand.salesRule], noon) == [
            TargetStatus(rule: "shop-sales", metric: "sales", target: .money(Money(minorUnits: 1_000_000)),
                         status: .breach, pace: Fraction(500_000, 1)),
        ])
        // Same moment, 5000.00 exactly: not worse than pace → ok.
        let even = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 12), [("sales", Hand.money(500_000))])
        #expect(status([Hand.salesRule], even).first?.status == .ok)
        // 18:00: pace = 10000.00 × 18/24 = 7500.00; sales 8000.00 → ok (recovered).
        let evening = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 18), [("sales", Hand.money(800_000))])
        let s = status([Hand.salesRule], evening)
        #expect(s.first?.status == .ok)
        #expect(s.first?.pace == Fraction(750_000, 1))
    }

    @Test func closedWindowFacesTheFullTarget() {
        // 9999.99 at the end of the day: below 10000.00, no pace any more.
        let closed = Hand.snapshot(Hand.shop(), Hand.day(closed: true), at: local(2026, 11, 22, 0, 5),
                                   [("sales", Hand.money(999_999))])
        #expect(status([Hand.salesRule], closed) == [
            TargetStatus(rule: "shop-sales", metric: "sales", target: .money(Money(minorUnits: 1_000_000)), status: .breach),
        ])
    }

    @Test func paceShapeFollowsLocalHours() {
        // Hours 00–07 weigh 0, 08–23 weigh 1 (16 hours). At 12:00 hours 8, 9,
        // 10, 11 have passed: 4/16 → pace 2500.00, and 4000.00 is ok (an even
        // pace, 5000.00, would call it a breach).
        var rule = Hand.salesRule
        rule.paceShape = PaceShape(hourlyWeights: Array(repeating: 0, count: 8) + Array(repeating: 1, count: 16))
        let noon = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 12), [("sales", Hand.money(400_000))])
        let s = status([rule], noon)
        #expect(s.first?.status == .ok)
        #expect(s.first?.pace == Fraction(250_000, 1))
        // 12:30: half of hour 12 on top → 4.5/16 → 10000.00 × 9/32 = 2812.50.
        let later = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 12, 30), [("sales", Hand.money(400_000))])
        #expect(status([rule], later).first?.pace == Fraction(281_250, 1))
        // The week window repeats the shape daily: Monday 2026-11-16 00:00 to
        // 11-23; at Wednesday 12:00, 2 full days (16 each) + 4 = 36 of 7 × 16
        // = 112 → 10000.00 × 36/112 = 3214.2857… → written 3214.29.
        var weekly = rule
        weekly.window = .week
        let week = WindowRef(type: .week, id: "2026-W47", start: local(2026, 11, 16), end: local(2026, 11, 23), closed: false)
        let wed = Hand.snapshot(Hand.shop(), week, at: local(2026, 11, 18, 12), [("sales", Hand.money(400_000))])
        let ws = status([weekly], wed)
        #expect(ws.first?.pace == Fraction(2_250_000, 7))   // 1_000_000 × 36 / 112
        #expect(ws.first?.status == .ok)
        var json: [UInt8] = []
        TargetJSON.appendStatus(ws[0], fractionDigits: 2, to: &json)
        #expect(String(decoding: json, as: UTF8.self) == #"{"target":"10000.00","status":"ok","pace":"3214.29"}"#)
    }

    @Test func paceOnADaylightSavingDayUsesItsRealLength() throws {
        // New York, 2026-11-01: clocks go back at 02:00, the day has 25 hours
        // (04:00Z to 05:00Z next day). Local 12:00 EST = 17:00Z, 13 hours in:
        // pace = 10000.00 × 13/25 = 5200.00.
        let ny = try ZoneRules(identifier: "America/New_York")
        let start = local(2026, 11, 1, offset: -4), end = local(2026, 11, 2, offset: -5)
        #expect(end.millis - start.millis == 25 * 3_600_000)
        let w = WindowRef(type: .day, id: "2026-11-01", start: start, end: end, closed: false)
        let s = Hand.snapshot(Hand.shop(), w, at: local(2026, 11, 1, 12, offset: -5), [("sales", Hand.money(510_000))])
        let st = status([Hand.salesRule], s, zone: ny)
        #expect(st.first?.pace == Fraction(520_000, 1))
        #expect(st.first?.status == .breach)
        // With a shape (weight 1 from local 08:00): local hours 08..11 have
        // passed → 4 of 16 weighted hours (the repeated 01:00 weighs 0) → 2500.00.
        var rule = Hand.salesRule
        rule.paceShape = PaceShape(hourlyWeights: Array(repeating: 0, count: 8) + Array(repeating: 1, count: 16))
        #expect(status([rule], s, zone: ny).first?.pace == Fraction(250_000, 1))
    }

    @Test func totalsAreNotJudgedInTheFirstHour() {
        // 00:30, nothing sold yet: too early (min_elapsed 1 h), not a breach.
        let early = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 0, 30), [("sales", Hand.money(0))])
        #expect(status([Hand.salesRule], early).first?.status == .insufficientSample)
        // 01:00: pace = 10000.00/24 = 416.67; 0 → breach.
        let one = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 1), [("sales", Hand.money(0))])
        #expect(status([Hand.salesRule], one).first?.status == .breach)
    }

    @Test func minimumSampleOfAMean() {
        // 3 answered sessions, 60 s each: far above 30 s, but 3 < 20 → not judged.
        let three = Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 21, 15),
                                  [("first_response_s", Hand.firstResponse(totalMillis: 180_000, sessions: 3))])
        #expect(status([Hand.responseRule], three).first?.status == .insufficientSample)
        // 20 sessions, 904 s in all → 45.2 s > 30 s (↓ lower is better) → breach.
        let twenty = Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 21, 15),
                                   [("first_response_s", Hand.firstResponse(totalMillis: 904_000, sessions: 20))])
        #expect(status([Hand.responseRule], twenty).first?.status == .breach)
        // 20 sessions, 600 s → exactly 30 s: not worse → ok.
        let at = Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 21, 15),
                               [("first_response_s", Hand.firstResponse(totalMillis: 600_000, sessions: 20))])
        #expect(status([Hand.responseRule], at).first?.status == .ok)
        // No answered session at all (null): not judged.
        let none = Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 21, 15), [("first_response_s", .number(nil))])
        #expect(status([Hand.responseRule], none).first?.status == .insufficientSample)
    }

    @Test func rateSampleIsItsDenominatorAndDirectionUp() {
        // conversion_rate target 0.03 (↑); 25 buyers of 1000 visitors = 0.025 → breach.
        let rule = TargetRule(id: "conv", metric: "conversion_rate", scope: .ids(.shop, ["s1"]), window: .day,
                              target: .decimal(Fraction(decimal: "0.03")!))
        let low = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 15), [("conversion_rate", .number(Fraction(25, 1000)))])
        #expect(status([rule], low).first?.status == .breach)
        // 0 buyers of 19 visitors: sample 19 < 20 → not judged (3 visitors never page).
        let small = Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 15), [("conversion_rate", .number(Fraction(0, 19)))])
        #expect(status([rule], small).first?.status == .insufficientSample)
        // Another shop is not selected.
        let other = Hand.snapshot(Hand.shop("s2"), Hand.day(), at: local(2026, 11, 21, 15), [("conversion_rate", .number(Fraction(25, 1000)))])
        #expect(status([rule], other).isEmpty)
    }

    @Test func roasSampleIsPaidOrders() {
        // roas = sales / spend has a money denominator; its sample is orders_paid.
        let rule = TargetRule(id: "roas", metric: "roas", scope: .every(.campaign), window: .day,
                              target: .decimal(Fraction(3, 1)), minSample: 5)
        let c = Scope(type: .campaign, shopID: "s1", id: "cp1")
        let few = Hand.snapshot(c, Hand.day(), at: local(2026, 11, 21, 15), [("orders_paid", .count(4)), ("roas", .number(Fraction(200_00, 100_00)))])
        #expect(status([rule], few).first?.status == .insufficientSample)
        let enough = Hand.snapshot(c, Hand.day(), at: local(2026, 11, 21, 15), [("orders_paid", .count(5)), ("roas", .number(Fraction(200_00, 100_00)))])
        #expect(status([rule], enough).first?.status == .breach)   // 2.0 < 3
    }

    @Test func moneyPerUnitTargets() {
        // cost_per_order (↓) target 25.00: spend 600.00 over 20 orders = 30.00 → breach;
        // over 25 orders = 24.00 → ok.
        let rule = TargetRule(id: "cpo", metric: "cost_per_order", scope: .every(.campaign), window: .day,
                              target: .money(Money(minorUnits: 2500)))
        let c = Scope(type: .campaign, shopID: "s1", id: "cp1")
        let bad = Hand.snapshot(c, Hand.day(), at: local(2026, 11, 21, 15), [("cost_per_order", .moneyRatio(Fraction(60_000, 20)))])
        let good = Hand.snapshot(c, Hand.day(), at: local(2026, 11, 21, 15), [("cost_per_order", .moneyRatio(Fraction(60_000, 25)))])
        #expect(status([rule], bad).first?.status == .breach)
        #expect(status([rule], good).first?.status == .ok)
    }

    @Test func firstRuleOfAMetricWinsInTheSnapshot() {
        var strict = Hand.responseRule
        strict.id = "strict"
        strict.target = .decimal(Fraction(10, 1))
        let s = Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 21, 15),
                              [("first_response_s", Hand.firstResponse(totalMillis: 400_000, sessions: 20))])   // 20 s
        #expect(status([Hand.responseRule, strict], s).map(\.rule) == ["cs-first-response"])
        #expect(status([strict, Hand.responseRule], s).map(\.status) == [.breach])
    }

    @Test func conditionWithHysteresis() {
        let two = ExactRatio(Fraction(2, 100))
        // ↑ threshold 100: 99 breached, 101 within (< 102), 102 recovered.
        #expect(TargetRule.condition(ExactRatio(99), ExactRatio(100), .higherIsBetter, margin: two) == .breached)
        #expect(TargetRule.condition(ExactRatio(101), ExactRatio(100), .higherIsBetter, margin: two) == .within)
        #expect(TargetRule.condition(ExactRatio(102), ExactRatio(100), .higherIsBetter, margin: two) == .recovered)
        // ↓ threshold 30: 30.1 breached, 29.5 within (> 29.4), 29.4 recovered.
        #expect(TargetRule.condition(ExactRatio(Fraction(301, 10)), ExactRatio(30), .lowerIsBetter, margin: two) == .breached)
        #expect(TargetRule.condition(ExactRatio(Fraction(295, 10)), ExactRatio(30), .lowerIsBetter, margin: two) == .within)
        #expect(TargetRule.condition(ExactRatio(Fraction(294, 10)), ExactRatio(30), .lowerIsBetter, margin: two) == .recovered)
    }

    @Test func snapshotJSONCarriesTargets() {
        var s = Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 21, 15, 2, 11),
                              [("first_response_s", .number(Fraction(18_400, 1_000)))])
        s.targets = [TargetStatus(rule: "cs-first-response", metric: "first_response_s", target: .decimal(Fraction(30, 1)), status: .ok)]
        let json = String(decoding: SnapshotJSON.encode(s, fractionDigits: 2, zone: Hand.zone), as: UTF8.self)
        #expect(json.hasSuffix(#""metrics":{"first_response_s":18.4},"targets":{"first_response_s":{"target":30,"status":"ok"}},"score":null}"#))
        s.targets = []
        #expect(String(decoding: SnapshotJSON.encode(s, fractionDigits: 2, zone: Hand.zone), as: UTF8.self)
            .hasSuffix(#""targets":{},"score":null}"#))
    }

    @Test func annotateFillsEverySelectedSnapshot() {
        var book = TargetBook(rules: [Hand.salesRule, Hand.responseRule], teams: Hand.teams, zone: Hand.zone)
        var batch = [
            Hand.snapshot(Hand.shop(), Hand.day(), at: local(2026, 11, 21, 12), [("sales", Hand.money(400_000))]),
            Hand.snapshot(Hand.agent("a9"), Hand.day(), at: local(2026, 11, 21, 12),   // a9 is in no team
                          [("first_response_s", Hand.firstResponse(totalMillis: 904_000, sessions: 20))]),
        ]
        book.annotate(&batch)
        #expect(batch[0].targets.map(\.status) == [.breach])
        #expect(batch[1].targets.isEmpty)
    }
}
