import Testing
@testable import KPICore

/// Hand-made snapshots for target, alert and score tests (times are
/// Asia/Shanghai wall clock via `local(...)`, UTC+8).
enum Hand {
    static let zone = try! ZoneRules(identifier: "Asia/Shanghai")

    /// The local day window 2026-11-<day>.
    static func day(_ d: Int = 21, closed: Bool = false) -> WindowRef {
        WindowRef(type: .day, id: "2026-11-\(d < 10 ? "0" : "")\(d)", start: local(2026, 11, d), end: local(2026, 11, d + 1),
                  closed: closed)
    }

    static func month(closed: Bool = false) -> WindowRef {
        WindowRef(type: .month, id: "2026-11", start: local(2026, 11, 1), end: local(2026, 12, 1), closed: closed)
    }

    static func snapshot(_ scope: Scope, _ window: WindowRef, at watermark: EventTime, final: Bool = false,
                         _ metrics: [(String, MetricValue)]) -> KPISnapshot {
        KPISnapshot(scope: scope, window: window, revision: 1, complete: true, final: final, watermark: watermark,
                    emittedAt: watermark, metrics: metrics.map { KPIMetric(name: $0.0, value: $0.1) })
    }

    static func shop(_ shop: String = "s1") -> Scope { Scope(type: .shop, shopID: shop) }
    static func agent(_ id: String, shop: String = "s1") -> Scope { Scope(type: .agent, shopID: shop, id: id) }

    /// `first_response_s` as the engine writes it: total milliseconds over
    /// answered sessions × 1000.
    static func firstResponse(totalMillis: Int64, sessions: Int64) -> MetricValue {
        .number(Fraction(totalMillis, sessions * 1000))
    }

    static func money(_ minor: Int64) -> MetricValue { .money(Money(minorUnits: minor)) }

    static let cs = KPIConfiguration.Team(name: "cs-a", agents: ["a1", "a3"], leads: ["lead-cs-1"])
    static let teams = TeamDirectory(teams: [cs], routes: [AlertRoute(scopeType: .shop, leads: ["lead-ops"])])

    static let salesRule = TargetRule(id: "shop-sales", metric: "sales", scope: .every(.shop), window: .day,
                                      target: .money(Money(minorUnits: 1_000_000)))   // 10000.00 per day
    static let responseRule = TargetRule(id: "cs-first-response", metric: "first_response_s", scope: .teamAgents("cs-a"),
                                         window: .day, target: .decimal(Fraction(30, 1)))
}
