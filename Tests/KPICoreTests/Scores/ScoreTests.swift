import Testing
@testable import KPICore

@Suite struct ScoreTests {
    /// a3's month: first response 24 s over 20 sessions, inquiry conversion
    /// 30/100, order success 72/100, agent sales 123456.78.
    func month(agent: String = "a3", final: Bool = true, satisfaction: MetricValue = .number(nil),
               sales: Int64 = 12_345_678) -> KPISnapshot {
        Hand.snapshot(Hand.agent(agent), Hand.month(closed: final), at: local(2026, 12, 2), final: final, [
            ("first_response_s", Hand.firstResponse(totalMillis: 480_000, sessions: 20)),
            ("inquiry_conversion_rate", .number(Fraction(30, 100))),
            ("agent_sales", Hand.money(sales)),
            ("agent_order_success_rate", .number(Fraction(72, 100))),
            ("satisfaction", satisfaction),
        ])
    }

    /// Weights 0.4 / 0.3 / 0.3, cap 1.2.
    static let card = Scorecard(entries: [
        .init(metric: "first_response_s", target: .decimal(Fraction(30, 1)), weight: Fraction(4, 10)),
        .init(metric: "inquiry_conversion_rate", target: .decimal(Fraction(40, 100)), weight: Fraction(3, 10)),
        .init(metric: "agent_order_success_rate", target: .decimal(Fraction(80, 100)), weight: Fraction(3, 10)),
    ], cap: Fraction(12, 10))

    @Test func weightedScorecard() {
        // first response ↓: min(30/24 = 1.25, 1.2) × 100 = 120 points × 0.4 = 48
        // inquiry conversion ↑: 0.30/0.40 = 0.75 → 75 × 0.3 = 22.5
        // order success ↑: 0.72/0.80 = 0.9 → 90 × 0.3 = 27
        // score = 48 + 22.5 + 27 = 97.5
        let (score, components) = Self.card.score(month())
        #expect(score == Fraction(9750, 100))
        #expect(components.map(\.points) == [Fraction(120, 1), Fraction(75, 1), Fraction(90, 1)])
    }

    @Test func scoreIsCappedAt100() {
        // Every line at the cap: 120 × (0.4 + 0.3 + 0.3) = 120 → 100.
        let s = Hand.snapshot(Hand.agent("a3"), Hand.month(), at: local(2026, 11, 30), [
            ("first_response_s", Hand.firstResponse(totalMillis: 200_000, sessions: 20)),   // 10 s: 30/10 = 3 → 1.2
            ("inquiry_conversion_rate", .number(Fraction(60, 100))),                          // 1.5 → 1.2
            ("agent_order_success_rate", .number(Fraction(99, 100))),                         // 1.2375 → 1.2
        ])
        #expect(Self.card.score(s).score == Fraction(10_000, 100))   // hundredths
    }

    @Test func scoreRoundsHalfUpToHundredths() {
        // Thirds: 100 + 100 + 50 → 250/3 = 83.333… → 83.33. Then 100 + 50 + 50
        // → 200/3 = 66.666… → 66.67.
        let card = Scorecard(entries: [
            .init(metric: "satisfaction_rate", target: .decimal(Fraction(8, 10)), weight: Fraction(1, 3)),
            .init(metric: "answer_ratio", target: .decimal(Fraction(1, 1)), weight: Fraction(1, 3)),
            .init(metric: "response_within_3m_rate", target: .decimal(Fraction(8, 10)), weight: Fraction(1, 3)),
        ], cap: Fraction(1, 1))
        func s(_ a: Fraction, _ b: Fraction, _ c: Fraction) -> KPISnapshot {
            Hand.snapshot(Hand.agent("a3"), Hand.month(), at: local(2026, 11, 30),
                          [("satisfaction_rate", .number(a)), ("answer_ratio", .number(b)), ("response_within_3m_rate", .number(c))])
        }
        #expect(card.score(s(Fraction(8, 10), Fraction(1, 1), Fraction(4, 10))).score == Fraction(8333, 100))
        #expect(card.score(s(Fraction(8, 10), Fraction(1, 2), Fraction(4, 10))).score == Fraction(6667, 100))
    }

    @Test func eachLineMayHaveItsOwnCap() {
        // Sales line capped at 1.5, satisfaction at the card's 1.0; weights ½.
        // Sales 20000.00 of 10000.00 → ratio 2 → capped 1.5 → 150 points × ½ = 75.
        // Satisfaction 5 of 4.5 → 1.11… → capped 1.0 → 100 × ½ = 50. Sum 125 → 100.
        // Sales 12000.00 → 1.2 → 120 × ½ = 60; satisfaction 4.5 → 100 × ½ = 50 → 110 → 100.
        // Sales 8000.00 → 80 × ½ = 40; satisfaction 4.5 → 50 → 90.
        // With the card's cap for sales too (1.0): 12000.00 → 100 × ½ = 50 + 45 (4.05/4.5 = 0.9) = 95.
        let card = Scorecard(entries: [
            .init(metric: "agent_sales", target: .money(Money(minorUnits: 1_000_000)), weight: Fraction(1, 2), cap: Fraction(3, 2)),
            .init(metric: "satisfaction", target: .decimal(Fraction(45, 10)), weight: Fraction(1, 2)),
        ], cap: Fraction(1, 1))
        func s(_ sales: Int64, _ stars: Fraction) -> KPISnapshot {
            Hand.snapshot(Hand.agent("a3"), Hand.month(), at: local(2026, 11, 30),
                          [("agent_sales", .money(Money(minorUnits: sales))), ("satisfaction", .number(stars))])
        }
        #expect(card.score(s(2_000_000, Fraction(5, 1))).components.map(\.points) == [Fraction(150, 1), Fraction(100, 1)])
        #expect(card.score(s(2_000_000, Fraction(5, 1))).score == Fraction(10_000, 100))
        #expect(card.score(s(800_000, Fraction(45, 10))).score == Fraction(9_000, 100))
        var even = card
        even.entries[0].cap = nil
        #expect(even.score(s(1_200_000, Fraction(405, 100))).score == Fraction(9_500, 100))
        #expect(card.score(s(1_200_000, Fraction(405, 100))).score == Fraction(10_000, 100))   // 60 + 45 = 105 → 100
        var wrong = card
        wrong.entries[1].cap = Fraction(9, 10)
        #expect(wrong.problems().map { "\($0.field): \($0.message)" } == ["entries[1].cap: must be ≥ 1"])
    }

    @Test func nullActualEarnsNothingAndZeroLowerIsBetterEarnsTheCap() {
        let card = Scorecard(entries: [
            .init(metric: "satisfaction", target: .decimal(Fraction(45, 10)), weight: Fraction(1, 2)),
            .init(metric: "unanswered_sessions", target: .count(5), weight: Fraction(1, 2)),
        ], cap: Fraction(12, 10))
        // No rating all month → 0; no unanswered session → cap 120 × 0.5 = 60.
        let s = Hand.snapshot(Hand.agent("a3"), Hand.month(), at: local(2026, 11, 30),
                              [("satisfaction", .number(nil)), ("unanswered_sessions", .count(0))])
        #expect(card.score(s).score == Fraction(6_000, 100))
        #expect(card.score(s).components.map(\.points) == [Fraction(0, 1), Fraction(120, 1)])
    }

    @Test func stablePayoutFromTheSeedFormula() {
        // 绩效金额 = (绩效得分/100) × (1% × 营业额): score 85 (satisfaction 4.25
        // of 5 → 85 points, weight 1), sales 123456.78:
        // 0.85 × 0.01 × 12_345_678 minor = 104_938.263 → 104_938 → 1049.38.
        let card = Scorecard(entries: [.init(metric: "satisfaction", target: .decimal(Fraction(5, 1)), weight: Fraction(1, 1))])
        let scheme = TeamScheme(team: "cs-a", stage: .stable(), scorecard: card)
        let p = ScoreBook.score(month(satisfaction: .number(Fraction(85, 20))), scheme: scheme, shopSales: nil)
        #expect(p.score == Fraction(8_500, 100))
        #expect(p.payout == Money(minorUnits: 104_938))
        // The 0.4/0.3/0.3 card: 97.5 × 1% × 123456.78 = 120_370.3605 minor → 1203.70.
        let q = ScoreBook.score(month(), scheme: TeamScheme(team: "cs-a", stage: .stable(), scorecard: Self.card), shopSales: nil)
        #expect(q.payout == Money(minorUnits: 120_370))
        // Base = shop sales 1,000,000.00: 0.975 × 0.01 × 100_000_000 = 975_000 → 9750.00.
        let shopBased = TeamScheme(team: "cs-a", stage: .stable(commissionRate: Fraction(1, 100), base: .shopSales), scorecard: Self.card)
        #expect(ScoreBook.score(month(), scheme: shopBased, shopSales: Money(minorUnits: 100_000_000)).payout == Money(minorUnits: 975_000))
    }

    @Test func growthPayoutIsCommissionOnAgentSales() {
        // 3% of 12345.50 = 370.365 → 37_036.5 minor → half-up → 37_037 → 370.37.
        let scheme = TeamScheme(team: "cs-a", stage: .growth(commissionRate: Fraction(3, 100)))
        let p = ScoreBook.score(month(sales: 1_234_550), scheme: scheme, shopSales: nil)
        #expect(p.payout == Money(minorUnits: 37_037))
        #expect(p.score == nil)   // no scorecard configured
        // 3% of 12345.49 = 37_036.47 minor → 37_036 (down).
        #expect(ScoreBook.score(month(sales: 1_234_549), scheme: scheme, shopSales: nil).payout == Money(minorUnits: 37_036))
        // With a scorecard the score is shown; the payout does not depend on it.
        let scored = TeamScheme(team: "cs-a", stage: .growth(commissionRate: Fraction(3, 100)), scorecard: Self.card)
        let s = ScoreBook.score(month(sales: 1_234_550), scheme: scored, shopSales: nil)
        #expect(s.score == Fraction(9750, 100) && s.payout == Money(minorUnits: 37_037))
    }

    @Test func startupBonusOnlyWhenTheShopReachesItsTarget() {
        // Bonus 500.00 to each member when the shop sells 200000.00 in the month.
        let scheme = TeamScheme(team: "cs-a", stage: .startup(bonus: Money(minorUnits: 50_000),
                                                              shopSalesTarget: Money(minorUnits: 20_000_000)))
        let reached = ScoreBook.score(month(), scheme: scheme, shopSales: Money(minorUnits: 20_000_000))
        #expect(reached.payout == Money(minorUnits: 50_000) && reached.score == nil && reached.components.isEmpty)
        #expect(ScoreBook.score(month(), scheme: scheme, shopSales: Money(minorUnits: 19_999_999)).payout == .zero)
        #expect(ScoreBook.score(month(), scheme: scheme, shopSales: nil).payout == .zero)
    }

    @Test func scoreBookAnnotatesAgentMonthsWithTheShopsSales() {
        let teams = TeamDirectory(teams: [Hand.cs, .init(name: "cs-b", agents: ["a9"], leads: ["lead-cs-2"])])
        var book = ScoreBook(schemes: [TeamScheme(team: "cs-a", stage: .startup(bonus: Money(minorUnits: 50_000),
                                                                                shopSalesTarget: Money(minorUnits: 20_000_000)))],
                             teams: teams)
        var batch = [
            Hand.snapshot(Hand.shop(), Hand.month(), at: local(2026, 11, 30), [("sales", Hand.money(25_000_000))]),
            month(final: false),
            month(agent: "a9", final: false),   // cs-b has no scheme
            Hand.snapshot(Hand.agent("a3"), Hand.day(), at: local(2026, 11, 30), [("agent_sales", Hand.money(1))]),
        ]
        book.annotate(&batch)
        #expect(batch[0].score == nil)
        #expect(batch[1].score?.payout == Money(minorUnits: 50_000))
        #expect(batch[1].score?.final == false)
        #expect(batch[2].score == nil)
        #expect(batch[3].score == nil)   // not a month window
    }

    @Test func scoreJSON() {
        let p = ScoreBook.score(month(), scheme: TeamScheme(team: "cs-a", stage: .stable(), scorecard: Self.card), shopSales: nil)
        var s = month()
        s.score = p
        let json = String(decoding: SnapshotJSON.encode(s, fractionDigits: 2, zone: Hand.zone), as: UTF8.self)
        let expected = #""score":{"team":"cs-a","stage":"stable","score":97.5,"payout":"1203.70","final":true,"components":["#
            + #"{"metric":"first_response_s","weight":0.4,"target":30,"actual":24,"points":120},"#
            + #"{"metric":"inquiry_conversion_rate","weight":0.3,"target":0.4,"actual":0.3,"points":75},"#
            + #"{"metric":"agent_order_success_rate","weight":0.3,"target":0.8,"actual":0.72,"points":90}]}}"#
        #expect(json.hasSuffix(expected))
        // Startup: no scorecard, score null.
        let startup = ScoreBook.score(month(), scheme: TeamScheme(team: "cs-a", stage: .startup(
            bonus: Money(minorUnits: 50_000), shopSalesTarget: Money(minorUnits: 1))), shopSales: Money(minorUnits: 1))
        s.score = startup
        #expect(String(decoding: SnapshotJSON.encode(s, fractionDigits: 2, zone: Hand.zone), as: UTF8.self)
            .hasSuffix(#""score":{"team":"cs-a","stage":"startup","score":null,"payout":"500.00","final":true,"components":[]}}"#))
    }

    @Test func schemeAndScorecardProblems() {
        let teams = Hand.teams
        let bad = Scorecard(entries: [
            .init(metric: "sales", target: .money(Money(minorUnits: 1)), weight: Fraction(1, 2)),        // shop metric
            .init(metric: "agent_sales", target: .decimal(Fraction(1, 1)), weight: Fraction(1, 2)),      // money needed
            .init(metric: "nope", target: .count(1), weight: Fraction(0, 1)),
        ], cap: Fraction(9, 10))
        #expect(bad.problems().map(\.description) == [
            "entries[0].metric: sales is not computed for agents",
            "entries[1].target: agent_sales needs money as target",
            "entries[2].metric: unknown metric \"nope\"",
            "entries[2].weight: must be > 0",
            "cap: must be ≥ 1",
        ])
        let uneven = Scorecard(entries: [.init(metric: "satisfaction", target: .decimal(Fraction(5, 1)), weight: Fraction(9, 10))])
        #expect(uneven.problems().map(\.description) == ["entries: weights must sum to 1, sum to 0.9"])
        #expect(Self.card.problems().isEmpty)
        #expect(TeamScheme(team: "cs-x", stage: .stable(), scorecard: nil).problems(teams: teams).map(\.description) == [
            "team: unknown team \"cs-x\"", "scorecard: the stable stage pays by score; needs a scorecard",
        ])
        #expect(TeamScheme(team: "cs-a", stage: .growth(commissionRate: Fraction(3, 2))).problems(teams: teams).map(\.field) == ["commission_rate"])
    }
}
