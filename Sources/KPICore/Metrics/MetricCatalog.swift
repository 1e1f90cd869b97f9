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

/// A table of kpis.md "Definitions": the metrics one role is appraised on,
/// in the table's order, which is the order of their columns and of their
/// values in a snapshot.
public enum MetricGroup: String, CaseIterable, Sendable, Hashable {
    /// 网店运营, scope `shop`.
    case shopOperations = "shop_operations"
    /// 客服, scopes `agent`, `team` and `shop`.
    case customerService = "customer_service"
    /// 推广, scopes `channel` and `campaign`.
    case promotion

    /// The group's metrics in kpis.md table order. A metric in several tables
    /// (`uv`, `bounce_rate`, `orders_paid`, `sales`) is one metric, one formula.
    public var metrics: [Metric] {
        switch self {
        case .shopOperations:
            [.pv, .uv, .pvPerUV, .avgStay, .bounceRate, .ordersCreated, .ordersPaid, .buyers,
             .sales, .refunds, .netSales, .conversionRate, .aov, .orderSuccessRate, .shipOnTimeRate]
        case .customerService:
            [.inquiries, .sessions, .firstResponse, .avgResponse, .unansweredSessions,
             .inquiryConversionRate, .responseWithin3mRate, .answerRatio, .agentOrdersCreated,
             .agentOrdersPaid, .agentSales, .agentAOV, .agentOrderSuccessRate, .satisfaction,
             .satisfactionRate]
        case .promotion:
            [.uv, .impressions, .clicks, .ctr, .arrivals, .arrivalRate, .clickArrivalRate, .bounceRate,
             .spend, .costPerUV, .ordersPaid, .sales, .costPerOrder, .roas]
        }
    }

    /// The groups a scope type's snapshots carry, in output order: a shop
    /// has its operations then its customer service.
    public static func groups(of type: ScopeType) -> [MetricGroup] {
        switch type {
        case .shop: [.shopOperations, .customerService]
        case .agent, .team: [.customerService]
        case .channel, .campaign: [.promotion]
        }
    }

    /// The group's title, in `language` (the seeds' words in Chinese).
    public func title(in language: Language) -> String {
        switch (self, language) {
        case (.shopOperations, .en): "Operations"
        case (.shopOperations, .zhCN): "网店运营"
        case (.customerService, .en): "Customer service"
        case (.customerService, .zhCN): "客服"
        case (.promotion, .en): "Promotion"
        case (.promotion, .zhCN): "推广"
        }
    }
}

/// What a metric's value measures, which decides how it is written, what a
/// target on it may be, and how it accumulates (`MetricKind`).
public enum MetricUnit: String, Sendable, Hashable, CaseIterable {
    /// An integer count (`pv`, `inquiries`); a cumulative total.
    case count
    /// A money total (`sales`, `spend`); a cumulative total; target is money.
    case money
    /// Money per unit (`aov`, `cost_per_uv`); target is money.
    case moneyPerUnit = "money_per_unit"
    /// A share in 0...1 (`conversion_rate`, `bounce_rate`).
    case rate
    /// Seconds, ≥ 0 (`first_response_s`).
    case seconds
    /// A non-negative ratio without upper bound (`pv_per_uv`, `roas`).
    case ratio
    /// The mean chat rating, 1...5.
    case ratingScore = "rating_score"

    /// Counts and money totals grow through a window; rates compare directly;
    /// everything else is a mean or ratio.
    public var kind: MetricKind {
        switch self {
        case .count, .money: .total
        case .rate: .rate
        case .moneyPerUnit, .seconds, .ratio, .ratingScore: .average
        }
    }

    /// The `MetricValue` case a value of this unit is written with.
    public var valueShape: MetricValueShape {
        switch self {
        case .count: .count
        case .money: .money
        case .moneyPerUnit: .moneyRatio
        case .rate, .seconds, .ratio, .ratingScore: .number
        }
    }
}

/// The metrics of each scope type, in their fixed output order, and lookups
/// by wire name — all derived from `Metric` and `MetricGroup`.
///
/// Order: `shop` = shop operations then customer service; `agent`/`team` =
/// customer service; `channel`/`campaign` = promotion — each in the order
/// of its kpis.md table.
public enum MetricCatalog {
    static let shopMetrics = metrics(of: .shop)
    static let customerServiceMetrics = metrics(of: .agent)
    static let promotionMetrics = metrics(of: .channel)

    public static let shopOperations = MetricGroup.shopOperations.metrics.map(\.name)
    public static let customerService = MetricGroup.customerService.metrics.map(\.name)
    public static let promotion = MetricGroup.promotion.metrics.map(\.name)
    static let shopNames = shopMetrics.map(\.name)

    private static func metrics(of type: ScopeType) -> [Metric] {
        MetricGroup.groups(of: type).flatMap(\.metrics)
    }

    /// The metrics of a scope type, in output order.
    public static func metrics(for type: ScopeType) -> [Metric] {
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

    /// Every metric by wire name.
    static let byName: [String: Metric] = Dictionary(uniqueKeysWithValues: Metric.allCases.map { ($0.rawValue, $0) })

    static let groupsByMetric: [Metric: [MetricGroup]] = Dictionary(grouping: MetricGroup.allCases.flatMap { g in
        g.metrics.map { (metric: $0, group: g) }
    }, by: \.metric).mapValues { $0.map(\.group) }

    static let scopeTypesByMetric: [Metric: [ScopeType]] = Dictionary(uniqueKeysWithValues: Metric.allCases.map { m in
        (m, ScopeType.allCases.filter { metrics(for: $0).contains(m) })
    })

    /// The label of a metric by wire name in `language`; nil for an unknown name.
    public static func label(of name: String, in language: Language) -> String? {
        Metric(name: name)?.label(in: language)
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
    /// Every metric name of every scope type.
    public static let allNames: Set<String> = Set(byName.keys)

    /// The direction of a metric; nil for an unknown name. A name shared by
    /// several scope types (`uv`, `sales`, ...) has one direction everywhere.
    public static func direction(of name: String) -> MetricDirection? {
        byName[name]?.direction
    }

    /// The kind of a metric; nil for an unknown name.
    public static func kind(of name: String) -> MetricKind? {
        byName[name]?.kind
    }

    /// The scope types whose snapshots carry the metric.
    public static func scopeTypes(carrying name: String) -> [ScopeType] {
        byName[name]?.scopeTypes ?? []
    }
}
