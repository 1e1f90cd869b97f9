import KPICore

/// What a KPI metric measures and which way is good (kpis.md "Definitions"),
/// so the config can check that a target makes sense for its metric: a rate
/// target of 1.5 or a negative count is a typo, not a goal.
///
/// `MetricCatalog` owns which metrics exist per scope type and which way is
/// good; this adds the finer value kind the config checks need.
public struct MetricTraits: Sendable, Hashable {
    /// The value kind of a metric, deciding what a target may be.
    public enum Kind: Sendable, Hashable {
        /// An integer count (`pv`, `inquiries`); a cumulative total.
        case count
        /// A money total (`sales`, `spend`); a cumulative total; target is money.
        case money
        /// Money per unit (`aov`, `cost_per_uv`); target is money.
        case moneyPerUnit
        /// A share in 0...1 (`conversion_rate`, `bounce_rate`).
        case rate
        /// Seconds, ≥ 0 (`first_response_s`).
        case seconds
        /// A non-negative ratio without upper bound (`pv_per_uv`, `roas`).
        case ratio
        /// The mean chat rating, 1...5.
        case ratingScore
    }

    public var kind: Kind
    /// Which way is good (from `MetricCatalog`).
    public var direction: MetricDirection

    /// Totals that grow through a window: an open window compares them with
    /// the pace (target × elapsed fraction), not the full target.
    public var isCumulative: Bool { kind == .count || kind == .money }

    /// Targets in money (parsed into minor units).
    public var isMoney: Bool { kind == .money || kind == .moneyPerUnit }

    /// The traits of a metric name, nil when no scope type has it.
    public static func of(_ metric: String) -> MetricTraits? {
        guard let kind = kinds[metric], let direction = MetricCatalog.direction(of: metric) else { return nil }
        return MetricTraits(kind: kind, direction: direction)
    }

    /// The value kind of every metric (the direction written beside it is
    /// checked against `MetricCatalog` when the table is built).
    private static let kinds: [String: Kind] = {
        var t: [String: Kind] = [:]
        func add(_ kind: Kind, _ direction: MetricDirection, _ names: String...) {
            for n in names {
                assert(MetricCatalog.direction(of: n) == direction, "\(n): direction differs from MetricCatalog")
                t[n] = kind
            }
        }
        // Shop operations.
        add(.count, .higherIsBetter, "pv", "uv", "orders_created", "orders_paid", "buyers")
        add(.ratio, .higherIsBetter, "pv_per_uv")
        add(.seconds, .higherIsBetter, "avg_stay_s")
        add(.rate, .lowerIsBetter, "bounce_rate")
        add(.money, .higherIsBetter, "sales", "net_sales")
        add(.money, .lowerIsBetter, "refunds")
        add(.rate, .higherIsBetter, "conversion_rate", "order_success_rate", "ship_on_time_rate")
        add(.moneyPerUnit, .higherIsBetter, "aov")
        // Customer service.
        add(.count, .higherIsBetter, "inquiries", "sessions", "agent_orders_created", "agent_orders_paid")
        add(.seconds, .lowerIsBetter, "first_response_s", "avg_response_s")
        add(.count, .lowerIsBetter, "unanswered_sessions")
        add(.rate, .higherIsBetter, "inquiry_conversion_rate", "response_within_3m_rate",
            "agent_order_success_rate", "satisfaction_rate")
        add(.ratio, .higherIsBetter, "answer_ratio")
        add(.money, .higherIsBetter, "agent_sales")
        add(.moneyPerUnit, .higherIsBetter, "agent_aov")
        add(.ratingScore, .higherIsBetter, "satisfaction")
        // Promotion.
        add(.count, .higherIsBetter, "impressions", "clicks", "arrivals")
        add(.rate, .higherIsBetter, "ctr", "arrival_rate", "click_arrival_rate")
        add(.money, .lowerIsBetter, "spend")
        add(.moneyPerUnit, .lowerIsBetter, "cost_per_uv", "cost_per_order")
        add(.ratio, .higherIsBetter, "roas")
        return t
    }()
}
