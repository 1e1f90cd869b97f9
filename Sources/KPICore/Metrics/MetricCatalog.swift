/// What the metric formulas read: the counters of a scope × window plus its
/// distinct counts (exact or estimated) and converted inquiries.
struct AggregateView {
    var counters: Counters
    var visitors: Int64 = 0
    var buyers: Int64 = 0
    var inquiries: Int64 = 0
    var convertedInquiries: Int64 = 0
    var attributedPayers: Int64 = 0
}

/// The metrics of each scope type, in their fixed output order, and their
/// formulas (kpis.md "Definitions").
///
/// Order: `shop` = shop operations (kpis.md table order) then customer
/// service; `agent`/`team` = customer service; `channel`/`campaign` =
/// promotion — each in the order of its kpis.md table.
public enum MetricCatalog {
    public static let shopOperations = [
        "pv", "uv", "pv_per_uv", "avg_stay_s", "bounce_rate", "orders_created", "orders_paid", "buyers",
        "sales", "refunds", "net_sales", "conversion_rate", "aov", "order_success_rate", "ship_on_time_rate",
    ]
    public static let customerService = [
        "inquiries", "sessions", "first_response_s", "avg_response_s", "unanswered_sessions",
        "inquiry_conversion_rate", "response_within_3m_rate", "answer_ratio", "agent_orders_created",
        "agent_orders_paid", "agent_sales", "agent_aov", "agent_order_success_rate", "satisfaction",
        "satisfaction_rate",
    ]
    public static let promotion = [
        "uv", "impressions", "clicks", "ctr", "arrivals", "arrival_rate", "click_arrival_rate", "bounce_rate",
        "spend", "cost_per_uv", "orders_paid", "sales", "cost_per_order", "roas",
    ]

    /// Metric names of a scope type, in output order.
    public static func names(for type: ScopeType) -> [String] {
        switch type {
        case .shop: shopOperations + customerService
        case .agent, .team: customerService
        case .channel, .campaign: promotion
        }
    }

    static func values(for type: ScopeType, _ v: AggregateView) -> [MetricValue] {
        switch type {
        case .shop: operationsValues(v) + serviceValues(v)
        case .agent, .team: serviceValues(v)
        case .channel, .campaign: promotionValues(v)
        }
    }

    static func operationsValues(_ v: AggregateView) -> [MetricValue] {
        let c = v.counters
        return [
            .count(c[.pageViews]),
            .count(v.visitors),
            .ratio(c[.pageViews], v.visitors),
            .ratio(c[.dwellSumMillis], c[.dwellCount] * 1000),
            .ratio(c[.bouncedSessions], c[.browseSessions]),
            .count(c[.ordersCreated]),
            .count(c[.ordersPaid]),
            .count(v.buyers),
            .money(Money(minorUnits: c[.sales])),
            .money(Money(minorUnits: c[.refunds])),
            .money(Money(minorUnits: c[.sales] - c[.refunds])),
            .ratio(v.buyers, v.visitors),
            .moneyPer(c[.sales], v.buyers),
            .ratio(c[.ordersPaid], c[.ordersCreated]),
            .ratio(c[.shippedOnTime], c[.shippedWithPromise]),
        ]
    }

    static func serviceValues(_ v: AggregateView) -> [MetricValue] {
        let c = v.counters
        return [
            .count(v.inquiries),
            .count(c[.chatSessions]),
            .ratio(c[.firstResponseSumMillis], c[.firstTurnsAnswered] * 1000),
            .ratio(c[.responseSumMillis], c[.turnsAnswered] * 1000),
            .count(c[.unansweredSessions]),
            .ratio(v.convertedInquiries, v.inquiries),
            .ratio(c[.answeredWithinTarget], c[.turnsDecided]),
            .ratio(c[.agentMessages], c[.buyerMessages]),
            .count(c[.agentOrdersCreated]),
            .count(c[.agentOrdersPaid]),
            .money(Money(minorUnits: c[.agentSales])),
            .moneyPer(c[.agentSales], v.attributedPayers),
            .ratio(c[.agentOrdersPaid], c[.agentOrdersCreated]),
            .ratio(c[.ratingSum], c[.ratings]),
            .ratio(c[.ratingsGood], c[.ratings]),
        ]
    }

    static func promotionValues(_ v: AggregateView) -> [MetricValue] {
        let c = v.counters
        return [
            .count(v.visitors),
            .count(c[.impressions]),
            .count(c[.clicks]),
            .ratio(c[.clicks], c[.impressions]),
            .count(c[.arrivals]),
            .ratio(c[.arrivals], c[.impressions]),
            .ratio(c[.arrivals], c[.clicks]),
            .ratio(c[.bouncedSessions], c[.browseSessions]),
            .money(Money(minorUnits: c[.spend])),
            .moneyPer(c[.spend], v.visitors),
            .count(c[.ordersPaid]),
            .money(Money(minorUnits: c[.sales])),
            .moneyPer(c[.spend], c[.ordersPaid]),
            .ratio(c[.sales], c[.spend]),
        ]
    }
}

/// Which way is good for a metric (kpis.md "dir" column).
public enum MetricDirection: Sendable, Hashable {
    /// ↑: more is better (sales, conversion).
    case higherIsBetter
    /// ↓: less is better (response time, bounce rate, spend).
    case lowerIsBetter

    /// `direction` in the alert JSON.
    public var name: String {
        switch self {
        case .higherIsBetter: "higher_is_better"
        case .lowerIsBetter: "lower_is_better"
        }
    }
}

/// How a metric accumulates over a window, which decides how a target is
/// compared with it (kpis.md "Targets, alerts and the performance score").
public enum MetricKind: Sendable, Hashable {
    /// A count or sum that only grows while the window is open (`sales`,
    /// `pv`, `uv`): compared with the pace while open.
    case total
    /// A proportion in 0...1 (`conversion_rate`, `bounce_rate`): compared
    /// directly once its denominator reaches the minimum sample.
    case rate
    /// A mean or an unbounded ratio (`first_response_s`, `aov`, `roas`,
    /// `answer_ratio`): compared directly once the sample is large enough.
    case average
}

extension MetricCatalog {
    /// Metrics where lower is better (kpis.md "dir" ↓); every other metric is ↑.
    static let lowerIsBetter: Set<String> = [
        "bounce_rate", "refunds", "first_response_s", "avg_response_s", "unanswered_sessions",
        "spend", "cost_per_uv", "cost_per_order",
    ]

    /// Metrics that are proportions in 0...1.
    static let rates: Set<String> = [
        "bounce_rate", "conversion_rate", "order_success_rate", "ship_on_time_rate",
        "inquiry_conversion_rate", "response_within_3m_rate", "agent_order_success_rate",
        "satisfaction_rate", "ctr", "arrival_rate", "click_arrival_rate",
    ]

    /// Means and unbounded ratios.
    static let averages: Set<String> = [
        "pv_per_uv", "avg_stay_s", "aov", "first_response_s", "avg_response_s", "answer_ratio",
        "agent_aov", "satisfaction", "cost_per_uv", "cost_per_order", "roas",
    ]

    /// Every metric name of every scope type.
    public static let allNames: Set<String> = Set(shopOperations + customerService + promotion)

    /// The direction of a metric; nil for an unknown name. A name shared by
    /// several scope types (`uv`, `sales`, ...) has one direction everywhere.
    public static func direction(of name: String) -> MetricDirection? {
        guard allNames.contains(name) else { return nil }
        return lowerIsBetter.contains(name) ? .lowerIsBetter : .higherIsBetter
    }

    /// The kind of a metric; nil for an unknown name.
    public static func kind(of name: String) -> MetricKind? {
        guard allNames.contains(name) else { return nil }
        if rates.contains(name) { return .rate }
        if averages.contains(name) { return .average }
        return .total
    }

    /// The scope types whose snapshots carry the metric.
    public static func scopeTypes(carrying name: String) -> [ScopeType] {
        ScopeType.allCases.filter { names(for: $0).contains(name) }
    }
}
