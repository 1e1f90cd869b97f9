import KPICore

/// What a KPI metric measures and which way is good (kpis.md "Definitions"),
/// so the config can check that a target makes sense for its metric: a rate
/// target of 1.5 or a negative count is a typo, not a goal.
///
/// `MetricCatalog` owns which metrics exist per scope type; this adds the
/// value kind and direction for the names it lists.
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

    /// Which way is good.
    public enum Direction: String, Sendable, Hashable {
        case higherIsBetter = "higher_is_better"
        case lowerIsBetter = "lower_is_better"
    }

    public var kind: Kind
    public var direction: Direction

    /// Totals that grow through a window: an open window compares them with
    /// the pace (target × elapsed fraction), not the full target.
    public var isCumulative: Bool { kind == .count || kind == .money }

    /// Targets in money (parsed into minor units).
    public var isMoney: Bool { kind == .money || kind == .moneyPerUnit }

    /// The traits of a metric name, nil when no scope type has it.
    public static func of(_ metric: String) -> MetricTraits? { table[metric] }

    /// Scope types whose snapshots carry `metric`.
    public static func scopeTypes(having metric: String) -> [ScopeType] {
        ScopeType.allCases.filter { MetricCatalog.names(for: $0).contains(metric) }
    }

    private static let table: [String: MetricTraits] = {
        var t: [String: MetricTraits] = [:]
        func add(_ kind: Kind, _ direction: Direction, _ names: String...) {
            for n in names { t[n] = MetricTraits(kind: kind, direction: direction) }
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
