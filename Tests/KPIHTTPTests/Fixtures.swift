import KPICore
@testable import KPIHTTP

/// Hand-made snapshots with realistic values, for the HTTP tests.
enum Fixtures {
    static let zone = try! ZoneRules(identifier: "Asia/Shanghai")
    /// 2026-11-21T00:00:00+08:00.
    static let dayStart: Int64 = 1_795_190_400_000
    static let hour: Int64 = 3_600_000

    static func store(historyLength: Int = 60, windowsKept: Int = 3) -> LiveKPIStore {
        LiveKPIStore(fractionDigits: 2, zone: zone, historyLength: historyLength, windowsKept: windowsKept)
    }

    static func day(_ offsetDays: Int64 = 0) -> WindowRef {
        let start = dayStart + offsetDays * 24 * hour
        let ids = ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
        return WindowRef(type: .day, id: ids[Int(offsetDays) + 2], start: EventTime(millis: start),
                         end: EventTime(millis: start + 24 * hour), closed: false)
    }

    static let week = WindowRef(type: .week, id: "2026-W47", start: EventTime(millis: dayStart - 5 * 24 * hour),
                                end: EventTime(millis: dayStart + 2 * 24 * hour), closed: false)

    static func snapshot(_ type: ScopeType, shop: String = "s1", id: String? = nil, window: WindowRef = day(),
                         revision: Int = 1, values: [String: MetricValue] = [:]) -> KPISnapshot {
        let base = defaults(type)
        let metrics = MetricCatalog.names(for: type).map { name in
            KPIMetric(name: name, value: values[name] ?? base[name] ?? .count(0))
        }
        return KPISnapshot(scope: Scope(type: type, shopID: shop, id: id), window: window, revision: revision,
                           complete: true, final: false,
                           watermark: EventTime(millis: dayStart + 15 * hour + 131_000),
                           emittedAt: EventTime(millis: dayStart + 15 * hour + 431_402 + Int64(revision) * 1000),
                           metrics: metrics)
    }

    static func money(_ minor: Int64) -> MetricValue { .money(Money(minorUnits: minor)) }
    static func rate(_ n: Int64, _ d: Int64) -> MetricValue { .number(Fraction(n, d)) }

    /// Plausible values for every metric of a scope type.
    static func defaults(_ type: ScopeType) -> [String: MetricValue] {
        switch type {
        case .shop:
            return [
                "pv": .count(48_210), "uv": .count(9_840), "pv_per_uv": rate(48_210, 9_840), "avg_stay_s": rate(4_125, 100),
                "bounce_rate": rate(3_120, 8_700), "orders_created": .count(412), "orders_paid": .count(356),
                "buyers": .count(331), "sales": money(1_523_050), "refunds": money(41_990), "net_sales": money(1_481_060),
                "conversion_rate": rate(331, 9_840), "aov": .moneyRatio(Fraction(1_523_050, 331)),
                "order_success_rate": rate(356, 412), "ship_on_time_rate": rate(298, 310),
            ].merging(service(inquiries: 640, firstResponseTenths: 212, sales: 812_300)) { a, _ in a }
        case .agent, .team:
            return service(inquiries: 120, firstResponseTenths: 184, sales: 153_040)
        case .channel, .campaign:
            return [
                "uv": .count(2_310), "impressions": .count(88_000), "clicks": .count(2_640), "ctr": rate(2_640, 88_000),
                "arrivals": .count(2_120), "arrival_rate": rate(2_120, 88_000), "click_arrival_rate": rate(2_120, 2_640),
                "bounce_rate": rate(900, 2_100), "spend": money(98_000), "cost_per_uv": .moneyRatio(Fraction(98_000, 2_310)),
                "orders_paid": .count(74), "sales": money(402_500), "cost_per_order": .moneyRatio(Fraction(98_000, 74)),
                "roas": rate(402_500, 98_000),
            ]
        }
    }

    static func service(inquiries: Int64, firstResponseTenths: Int64, sales: Int64) -> [String: MetricValue] {
        [
            "inquiries": .count(inquiries), "sessions": .count(inquiries + 9),
            "first_response_s": rate(firstResponseTenths, 10), "avg_response_s": rate(firstResponseTenths * 3 / 2, 10),
            "unanswered_sessions": .count(3), "inquiry_conversion_rate": rate(49, 120),
            "response_within_3m_rate": rate(940, 1_000), "answer_ratio": rate(1_210, 1_000),
            "agent_orders_created": .count(58), "agent_orders_paid": .count(49), "agent_sales": money(sales),
            "agent_aov": .moneyRatio(Fraction(sales, 49)), "agent_order_success_rate": rate(49, 58),
            "satisfaction": rate(462, 100), "satisfaction_rate": rate(91, 100),
        ]
    }

    static func alertJSON(id: String, state: String, shop: String = "s1", agent: String = "a3") -> [UInt8] {
        Array(#"{"kind":"kpi_alert","id":"\#(id)","state":"\#(state)","rule":"cs-first-response","scope":{"type":"agent","shop_id":"\#(shop)","id":"\#(agent)"},"window":{"type":"day","id":"2026-11-21"},"metric":"first_response_s","direction":"lower_is_better","value":45.2,"target":30,"pace":null,"since":"2026-11-21T14:02:00+08:00","leads":["lead-cs-1"],"message":"\#(agent) first response 45.2 s, target 30 s (day 2026-11-21)"}"#.utf8)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
