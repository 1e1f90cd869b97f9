import Testing
@testable import KPICore

@Suite struct TargetRuleTests {
    func rule(_ metric: String, _ scope: ScopeSelector, _ target: TargetValue, id: String = "r") -> TargetRule {
        TargetRule(id: id, metric: metric, scope: scope, window: .day, target: target)
    }

    @Test func validRulesHaveNoProblems() {
        #expect(Hand.salesRule.problems(teams: Hand.teams).isEmpty)
        #expect(Hand.responseRule.problems(teams: Hand.teams).isEmpty)
        #expect(rule("cost_per_order", .ids(.campaign, ["cp1"]), .money(Money(minorUnits: 2500))).problems(teams: Hand.teams).isEmpty)
    }

    @Test func problemsNameTheField() {
        let teams = Hand.teams
        #expect(rule("first_respons_s", .every(.agent), .decimal(Fraction(30, 1))).problems(teams: teams).map(\.description)
            == [#"metric: unknown metric "first_respons_s""#])
        #expect(rule("first_response_s", .every(.channel), .decimal(Fraction(30, 1))).problems(teams: teams).map(\.description)
            == ["metric: first_response_s is not computed for scope channel (only for shop, agent, team)"])
        #expect(rule("conversion_rate", .every(.shop), .decimal(Fraction(decimal: "1.5")!)).problems(teams: teams).map(\.description)
            == ["target: conversion_rate is a rate; target must be within 0..1, is 1.5"])
        #expect(rule("pv", .every(.shop), .money(Money(minorUnits: 100))).problems(teams: teams).map(\.description)
            == ["target: pv needs a count (integer) as target"])
        #expect(rule("sales", .every(.shop), .money(Money(minorUnits: -1))).problems(teams: teams).map(\.description)
            == ["target: must not be negative"])
        #expect(rule("first_response_s", .teamAgents("cs-z"), .decimal(Fraction(30, 1))).problems(teams: teams).map(\.description)
            == [#"scope: unknown team "cs-z""#])
        #expect(rule("sales", .ids(.shop, []), .money(Money(minorUnits: 1)), id: "a|b").problems(teams: teams).map(\.field)
            == ["id", "scope"])
        var shaped = rule("ctr", .every(.campaign), .decimal(Fraction(1, 100)))
        shaped.paceShape = PaceShape(hourlyWeights: [1, -1])
        shaped.minSample = -1
        #expect(shaped.problems(teams: teams).map(\.field) == ["pace_shape", "min_sample", "pace_shape", "pace_shape[1]"])
        // A satisfaction target of 4.5 is a mean, not a rate: no 0..1 bound.
        #expect(rule("satisfaction", .every(.agent), .decimal(Fraction(9, 2))).problems(teams: teams).isEmpty)
    }

    @Test func duplicateIdsInAList() {
        let problems = TargetRule.problems([Hand.salesRule, Hand.responseRule, Hand.salesRule], teams: Hand.teams)
        #expect(problems.map(\.description) == [#"[2].id: duplicate rule id "shop-sales""#])
    }

    @Test func selection() {
        let one = rule("first_response_s", .ids(.agent, ["a3"]), .decimal(Fraction(30, 1)))
        #expect(one.selects(Hand.agent("a3"), windowType: .day, teams: Hand.teams))
        #expect(!one.selects(Hand.agent("a1"), windowType: .day, teams: Hand.teams))
        #expect(!one.selects(Hand.agent("a3"), windowType: .week, teams: Hand.teams))
        #expect(!one.selects(Scope(type: .team, shopID: "s1", id: "a3"), windowType: .day, teams: Hand.teams))
        let team = Hand.responseRule   // team cs-a: a1, a3
        #expect(team.selects(Hand.agent("a1"), windowType: .day, teams: Hand.teams))
        #expect(!team.selects(Hand.agent("a2"), windowType: .day, teams: Hand.teams))
        var shops = rule("sales", .ids(.shop, ["s1", "s2"]), .money(Money(minorUnits: 1)))
        #expect(shops.selects(Hand.shop("s2"), windowType: .day, teams: Hand.teams))
        #expect(!shops.selects(Hand.shop("s3"), windowType: .day, teams: Hand.teams))
        shops.shops = ["s1"]
        #expect(!shops.selects(Hand.shop("s2"), windowType: .day, teams: Hand.teams))
    }

    @Test func catalogDirectionsAndKinds() {
        #expect(MetricCatalog.direction(of: "first_response_s") == .lowerIsBetter)
        #expect(MetricCatalog.direction(of: "bounce_rate") == .lowerIsBetter)
        #expect(MetricCatalog.direction(of: "cost_per_order") == .lowerIsBetter)
        #expect(MetricCatalog.direction(of: "conversion_rate") == .higherIsBetter)
        #expect(MetricCatalog.direction(of: "nope") == nil)
        #expect(MetricCatalog.kind(of: "sales") == .total)
        #expect(MetricCatalog.kind(of: "uv") == .total)
        #expect(MetricCatalog.kind(of: "ctr") == .rate)
        #expect(MetricCatalog.kind(of: "roas") == .average)
        #expect(MetricCatalog.kind(of: "answer_ratio") == .average)   // can exceed 1
        // Every catalog metric has a direction and a kind; the ↓ list matches kpis.md.
        for name in MetricCatalog.allNames {
            #expect(MetricCatalog.direction(of: name) != nil && MetricCatalog.kind(of: name) != nil)
        }
        #expect(MetricCatalog.allNames.filter { MetricCatalog.direction(of: $0) == .lowerIsBetter }.sorted() == [
            "avg_response_s", "bounce_rate", "cost_per_order", "cost_per_uv", "first_response_s", "refunds", "spend",
            "unanswered_sessions",
        ])
    }

    @Test func parsingConfigText() {
        #expect(Fraction(decimal: "0.35") == Fraction(7, 20))
        #expect(Fraction(decimal: "30") == Fraction(30, 1))
        #expect(Fraction(decimal: "-1.50") == Fraction(-3, 2))
        #expect(Fraction(decimal: ".5") == Fraction(1, 2))
        #expect(Fraction(decimal: "1e3") == nil && Fraction(decimal: "") == nil && Fraction(decimal: "1.") == nil)
        #expect(Money(decimal: "10000.00", fractionDigits: 2) == Money(minorUnits: 1_000_000))
        #expect(Money(decimal: "500", fractionDigits: 2) == Money(minorUnits: 50_000))
        #expect(Money(decimal: "0.001", fractionDigits: 2) == nil)
        #expect(TargetValue.parse("10000.00", metric: "sales", fractionDigits: 2) == .money(Money(minorUnits: 1_000_000)))
        #expect(TargetValue.parse("150", metric: "aov", fractionDigits: 2) == .money(Money(minorUnits: 15_000)))
        #expect(TargetValue.parse("500", metric: "pv", fractionDigits: 2) == .count(500))
        #expect(TargetValue.parse("0.5", metric: "pv", fractionDigits: 2) == nil)
        #expect(TargetValue.parse("0.03", metric: "conversion_rate", fractionDigits: 2) == .decimal(Fraction(3, 100)))
        #expect(TargetValue.parse("1", metric: "nope", fractionDigits: 2) == nil)
        #expect(QuietHours(from: "22:00", to: "07:00") == QuietHours(startMinute: 1320, endMinute: 420))
        #expect(QuietHours(from: "00:00", to: "24:00") == QuietHours(startMinute: 0, endMinute: 0))
        #expect(QuietHours(from: "7:00", to: "08:00") == nil && QuietHours(from: "24:00", to: "08:00") == nil)
    }

    @Test func policyProblems() {
        var p = AlertPolicy()
        #expect(p.problems().isEmpty)
        p.hysteresis = Fraction(1, 1)
        p.evaluationStep = .seconds(0)
        #expect(p.problems().map(\.field) == ["hysteresis", "evaluation_step"])
        let d = TeamDirectory(teams: [Hand.cs], quietHours: ["cs-q": []])
        #expect(d.problems().map(\.description) == [#"quiet_hours.cs-q: unknown team "cs-q""#])
    }

    /// An alert's leads: its teams' leads, then those of every route that
    /// matches it (rule, scope type, shops, team), and no others.
    @Test func leadRouting() {
        let d = TeamDirectory(teams: [Hand.cs, .init(name: "cs-night", agents: ["a3"], leads: ["lead-cs-2", "lead-cs-1"])],
                              routes: [AlertRoute(scopeType: .shop, rules: ["shop-sales"], leads: ["lead-ops"]),
                                       AlertRoute(shops: ["s2"], leads: ["lead-s2"]),
                                       AlertRoute(team: "cs-night", rules: ["cs-first-response"], leads: ["night-manager"])])
        #expect(d.leads(for: Hand.agent("a3"), rule: "x") == ["lead-cs-1", "lead-cs-2"])
        #expect(d.leads(for: Hand.agent("a3"), rule: "cs-first-response") == ["lead-cs-1", "lead-cs-2", "night-manager"])
        #expect(d.leads(for: Hand.agent("a1"), rule: "cs-first-response", extra: ["boss"]) == ["lead-cs-1", "boss"])
        #expect(d.leads(for: Scope(type: .team, shopID: "s1", id: "cs-night"), rule: "x") == ["lead-cs-2", "lead-cs-1"])
        #expect(d.leads(for: Hand.shop(), rule: "shop-sales") == ["lead-ops"])
        #expect(d.leads(for: Hand.shop(), rule: "shop-bounce").isEmpty)          // the ops route names other rules
        #expect(d.leads(for: Scope(type: .channel, shopID: "s1", id: "search"), rule: "shop-sales").isEmpty)
        #expect(d.leads(for: Scope(type: .shop, shopID: "s2"), rule: "shop-bounce") == ["lead-s2"])
        #expect(d.leads(for: Hand.agent("a9"), rule: "x").isEmpty)
    }
}
