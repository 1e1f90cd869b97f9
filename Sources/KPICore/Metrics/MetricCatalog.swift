/// What the metric formulas read: the counters of a scope × window plus its
/// distinct counts (exact or estimated) and converted inquiries.
struct AggregateView {
    var counters: Counters
    var visitors: Int64 = 0
    var buyers: Int64 = 0
    var inquiries: Int64 = 0
    var convertedInquiries: Int64 = 0
    var attributedPayers: Int64 = 0

    /// A 64-bit digest of every figure (two views with the same digest have
    /// the same metrics, up to a 2⁻⁶⁴ chance); never 0.
    var fingerprint: UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        @inline(__always) func mix(_ v: Int64) {
            h = (h ^ UInt64(bitPattern: v)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
        }
        for i in 0..<32 { mix(counters.values[i]) }
        mix(visitors); mix(buyers); mix(inquiries); mix(convertedInquiries); mix(attributedPayers)
        return h == 0 ? 1 : h
    }
}

/// The metrics of each scope type, in their fixed output order, and their
/// formulas (kpis.md "Definitions").
///
/// Order: `shop` = shop operations (kpis.md table order) then customer
/// service; `agent`/`team` = customer service; `channel`/`campaign` =
/// promotion — each in the order of its kpis.md table.
public enum MetricCatalog {
    static let shopOperationMetrics: [Metric] = [
        .pv, .uv, .pvPerUV, .avgStay, .bounceRate, .ordersCreated, .ordersPaid, .buyers,
        .sales, .refunds, .netSales, .conversionRate, .aov, .orderSuccessRate, .shipOnTimeRate,
    ]
    static let customerServiceMetrics: [Metric] = [
        .inquiries, .sessions, .firstResponse, .avgResponse, .unansweredSessions,
        .inquiryConversionRate, .responseWithin3mRate, .answerRatio, .agentOrdersCreated,
        .agentOrdersPaid, .agentSales, .agentAOV, .agentOrderSuccessRate, .satisfaction,
        .satisfactionRate,
    ]
    static let promotionMetrics: [Metric] = [
        .uv, .impressions, .clicks, .ctr, .arrivals, .arrivalRate, .clickArrivalRate, .bounceRate,
        .spend, .costPerUV, .ordersPaid, .sales, .costPerOrder, .roas,
    ]
    static let shopMetrics = shopOperationMetrics + customerServiceMetrics

    public static let shopOperations = shopOperationMetrics.map(\.name)
    public static let customerService = customerServiceMetrics.map(\.name)
    public static let promotion = promotionMetrics.map(\.name)
    static let shopNames = shopOperations + customerService

    /// The metrics of a scope type, in output order.
    static func metrics(for type: ScopeType) -> [Metric] {
        switch type {
        case .shop: shopMetrics
        case .agent, .team: customerServiceMetrics
        case .channel, .campaign: promotionMetrics
        }
    }

    /// Metric names of a scope type, in output order.
    public static func names(for type: ScopeType) -> [String] {
        switch type {
        case .shop: shopNames
        case .agent, .team: customerService
        case .channel, .campaign: promotion
        }
    }

    static func values(for type: ScopeType, _ v: AggregateView) -> [MetricValue] {
        metrics(for: type).map { $0.value(v) }
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
