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
