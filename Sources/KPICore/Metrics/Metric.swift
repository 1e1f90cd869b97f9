/// One metric of kpis.md, by its wire name, with its formula over a scope ×
/// window's `AggregateView`. A name shared by several scope types (`uv`,
/// `bounce_rate`, `orders_paid`, `sales`) has one formula everywhere.
public enum Metric: String, CaseIterable, Sendable {
    // Shop operations (kpis.md table order).
    case pv, uv
    case pvPerUV = "pv_per_uv"
    case avgStay = "avg_stay_s"
    case bounceRate = "bounce_rate"
    case ordersCreated = "orders_created"
    case ordersPaid = "orders_paid"
    case buyers, sales, refunds
    case netSales = "net_sales"
    case conversionRate = "conversion_rate"
    case aov
    case orderSuccessRate = "order_success_rate"
    case shipOnTimeRate = "ship_on_time_rate"
    // Customer service.
    case inquiries, sessions
    case firstResponse = "first_response_s"
    case avgResponse = "avg_response_s"
    case unansweredSessions = "unanswered_sessions"
    case inquiryConversionRate = "inquiry_conversion_rate"
    case responseWithin3mRate = "response_within_3m_rate"
    case answerRatio = "answer_ratio"
    case agentOrdersCreated = "agent_orders_created"
    case agentOrdersPaid = "agent_orders_paid"
    case agentSales = "agent_sales"
    case agentAOV = "agent_aov"
    case agentOrderSuccessRate = "agent_order_success_rate"
    case satisfaction
    case satisfactionRate = "satisfaction_rate"
    // Promotion (those not above).
    case impressions, clicks, ctr, arrivals
    case arrivalRate = "arrival_rate"
    case clickArrivalRate = "click_arrival_rate"
    case spend
    case costPerUV = "cost_per_uv"
    case costPerOrder = "cost_per_order"
    case roas

    /// The wire name (`first_response_s`).
    public var name: String { rawValue }

    /// The metric of a wire name (`"first_response_s"` → `.firstResponse`);
    /// nil for a name no scope type has.
    public init?(name: some StringProtocol) {
        guard let m = MetricCatalog.byName[String(name)] else { return nil }
        self = m
    }

    /// Everything said about a metric besides its formula and its place in
    /// the kpis.md tables (`MetricGroup`): one line per metric.
    ///
    /// English labels are the dashboard's column heads; Chinese labels are
    /// the names the seeds and kpis.md give (首次响应时间, 询单转化率, 客单价).
    var declaration: MetricDeclaration {
        switch self {
        // Shop operations.
        case .pv: .init(.count, .higherIsBetter, en: "Page views", zh: "PV量")
        case .uv: .init(.count, .higherIsBetter, en: "Visitors (UV)", zh: "UV量")
        case .pvPerUV: .init(.ratio, .higherIsBetter, en: "Views per visitor", zh: "人均浏览量")
        case .avgStay: .init(.seconds, .higherIsBetter, en: "Avg stay", zh: "平均停留时长")
        case .bounceRate: .init(.rate, .lowerIsBetter, en: "Bounce rate", zh: "跳出率")
        case .ordersCreated: .init(.count, .higherIsBetter, en: "Orders created", zh: "下单数")
        case .ordersPaid: .init(.count, .higherIsBetter, en: "Orders paid", zh: "付款订单数")
        case .buyers: .init(.count, .higherIsBetter, en: "Buyers", zh: "成交人数")
        case .sales: .init(.money, .higherIsBetter, en: "Sales", zh: "销售额")
        case .refunds: .init(.money, .lowerIsBetter, en: "Refunds", zh: "退款额")
        case .netSales: .init(.money, .higherIsBetter, en: "Net sales", zh: "净销售额")
        case .conversionRate: .init(.rate, .higherIsBetter, en: "Conversion rate", zh: "订单转换率")
        case .aov: .init(.moneyPerUnit, .higherIsBetter, en: "Avg order value", zh: "客单价")
        case .orderSuccessRate: .init(.rate, .higherIsBetter, en: "Order success", zh: "下单成功率")
        case .shipOnTimeRate: .init(.rate, .higherIsBetter, en: "Shipped on time", zh: "发货及时率")
        // Customer service.
        case .inquiries: .init(.count, .higherIsBetter, en: "Inquiries", zh: "询单人数")
        case .sessions: .init(.count, .higherIsBetter, en: "Sessions", zh: "会话数")
        case .firstResponse: .init(.seconds, .lowerIsBetter, en: "First response", zh: "首次响应时间")
        case .avgResponse: .init(.seconds, .lowerIsBetter, en: "Avg response", zh: "平均响应时间")
        case .unansweredSessions: .init(.count, .lowerIsBetter, en: "Unanswered", zh: "未回复会话数")
        case .inquiryConversionRate: .init(.rate, .higherIsBetter, en: "Inquiry conv.", zh: "询单转化率")
        case .responseWithin3mRate: .init(.rate, .higherIsBetter, en: "Reply ≤ 3 min", zh: "3分钟响应率")
        case .answerRatio: .init(.ratio, .higherIsBetter, en: "Answer ratio", zh: "答问比")
        case .agentOrdersCreated: .init(.count, .higherIsBetter, en: "Orders created", zh: "客服下单数")
        case .agentOrdersPaid: .init(.count, .higherIsBetter, en: "Orders paid", zh: "客服付款订单数")
        case .agentSales: .init(.money, .higherIsBetter, en: "Sales", zh: "个人销售业绩")
        case .agentAOV: .init(.moneyPerUnit, .higherIsBetter, en: "AOV", zh: "客服客单价")
        case .agentOrderSuccessRate: .init(.rate, .higherIsBetter, en: "Order success", zh: "下单成功率")
        case .satisfaction: .init(.ratingScore, .higherIsBetter, en: "Satisfaction", zh: "满意度")
        case .satisfactionRate: .init(.rate, .higherIsBetter, en: "Satisfied (≥4)", zh: "满意率(≥4分)")
        // Promotion.
        case .impressions: .init(.count, .higherIsBetter, en: "Impressions", zh: "展现量")
        case .clicks: .init(.count, .higherIsBetter, en: "Clicks", zh: "点击量")
        case .ctr: .init(.rate, .higherIsBetter, en: "CTR", zh: "点击率")
        case .arrivals: .init(.count, .higherIsBetter, en: "Arrivals", zh: "到达数")
        case .arrivalRate: .init(.rate, .higherIsBetter, en: "Arrival rate", zh: "到达率")
        case .clickArrivalRate: .init(.rate, .higherIsBetter, en: "Click arrival", zh: "点击到达率")
        case .spend: .init(.money, .lowerIsBetter, en: "Spend", zh: "推广花费")
        case .costPerUV: .init(.moneyPerUnit, .lowerIsBetter, en: "Cost / UV", zh: "UV平均获取成本")
        case .costPerOrder: .init(.moneyPerUnit, .lowerIsBetter, en: "Cost / order", zh: "订单转换成本")
        case .roas: .init(.ratio, .higherIsBetter, en: "ROAS", zh: "投入产出比")
        }
    }

    /// What the value measures (count, money, rate, seconds ...).
    public var unit: MetricUnit { declaration.unit }
    /// Which way is good (kpis.md "dir").
    public var direction: MetricDirection { declaration.direction }
    /// How the metric accumulates over a window (from its unit).
    public var kind: MetricKind { unit.kind }
    /// The `MetricValue` case the metric is written with (from its unit).
    public var valueShape: MetricValueShape { unit.valueShape }

    /// The label people read, in `language` (`首次响应时间`, `First response`).
    public func label(in language: Language) -> String {
        switch language {
        case .en: declaration.en
        case .zhCN: declaration.zh
        }
    }

    /// The kpis.md tables the metric is in, in table order.
    public var groups: [MetricGroup] { MetricCatalog.groupsByMetric[self] ?? [] }

    /// The scope types whose snapshots carry the metric, in `ScopeType` order.
    public var scopeTypes: [ScopeType] { MetricCatalog.scopeTypesByMetric[self] ?? [] }

    /// The metric's value in a scope × window (kpis.md "Definitions").
    func value(_ v: borrowing AggregateView) -> MetricValue {
        switch self {
        case .pv: return .count(v.counters[.pageViews])
        case .uv: return .count(v.visitors)
        case .pvPerUV: return .ratio(v.counters[.pageViews], v.visitors)
        case .avgStay: return .ratio(v.counters[.dwellSumMillis], v.counters[.dwellCount] * 1000)
        case .bounceRate: return .ratio(v.counters[.bouncedSessions], v.counters[.browseSessions])
        case .ordersCreated: return .count(v.counters[.ordersCreated])
        case .ordersPaid: return .count(v.counters[.ordersPaid])
        case .buyers: return .count(v.buyers)
        case .sales: return .money(Money(minorUnits: v.counters[.sales]))
        case .refunds: return .money(Money(minorUnits: v.counters[.refunds]))
        case .netSales: return .money(Money(minorUnits: v.counters[.sales] - v.counters[.refunds]))
        case .conversionRate: return .ratio(v.buyers, v.visitors)
        case .aov: return .moneyPer(v.counters[.sales], v.buyers)
        case .orderSuccessRate: return .ratio(v.counters[.ordersPaid], v.counters[.ordersCreated])
        case .shipOnTimeRate: return .ratio(v.counters[.shippedOnTime], v.counters[.shippedWithPromise])
        case .inquiries: return .count(v.inquiries)
        case .sessions: return .count(v.counters[.chatSessions])
        case .firstResponse: return .ratio(v.counters[.firstResponseSumMillis], v.counters[.firstTurnsAnswered] * 1000)
        case .avgResponse: return .ratio(v.counters[.responseSumMillis], v.counters[.turnsAnswered] * 1000)
        case .unansweredSessions: return .count(v.counters[.unansweredSessions])
        case .inquiryConversionRate: return .ratio(v.convertedInquiries, v.inquiries)
        case .responseWithin3mRate: return .ratio(v.counters[.answeredWithinTarget], v.counters[.turnsDecided])
        case .answerRatio: return .ratio(v.counters[.agentMessages], v.counters[.buyerMessages])
        case .agentOrdersCreated: return .count(v.counters[.agentOrdersCreated])
        case .agentOrdersPaid: return .count(v.counters[.agentOrdersPaid])
        case .agentSales: return .money(Money(minorUnits: v.counters[.agentSales]))
        case .agentAOV: return .moneyPer(v.counters[.agentSales], v.attributedPayers)
        case .agentOrderSuccessRate: return .ratio(v.counters[.agentOrdersPaid], v.counters[.agentOrdersCreated])
        case .satisfaction: return .ratio(v.counters[.ratingSum], v.counters[.ratings])
        case .satisfactionRate: return .ratio(v.counters[.ratingsGood], v.counters[.ratings])
        case .impressions: return .count(v.counters[.impressions])
        case .clicks: return .count(v.counters[.clicks])
        case .ctr: return .ratio(v.counters[.clicks], v.counters[.impressions])
        case .arrivals: return .count(v.counters[.arrivals])
        case .arrivalRate: return .ratio(v.counters[.arrivals], v.counters[.impressions])
        case .clickArrivalRate: return .ratio(v.counters[.arrivals], v.counters[.clicks])
        case .spend: return .money(Money(minorUnits: v.counters[.spend]))
        case .costPerUV: return .moneyPer(v.counters[.spend], v.visitors)
        case .costPerOrder: return .moneyPer(v.counters[.spend], v.counters[.ordersPaid])
        case .roas: return .ratio(v.counters[.sales], v.counters[.spend])
        }
    }

    /// The parts of an `AggregateView` beyond its counters that the formula
    /// reads: a rolling window computes only those (its distinct counts and
    /// inquiry conversion are passes over per-buyer or per-visitor tables).
    var viewParts: ViewParts {
        switch self {
        case .uv, .pvPerUV, .costPerUV: .visitors
        case .buyers, .aov: .buyers
        case .conversionRate: [.visitors, .buyers]
        case .inquiries, .inquiryConversionRate: .inquiries
        case .agentAOV: .attributedPayers
        default: []
        }
    }
}

/// One metric's unit, direction and labels (see `Metric.declaration`).
struct MetricDeclaration {
    var unit: MetricUnit
    var direction: MetricDirection
    var en: String
    var zh: String

    init(_ unit: MetricUnit, _ direction: MetricDirection, en: String, zh: String) {
        self.unit = unit; self.direction = direction; self.en = en; self.zh = zh
    }
}

/// Which derived parts of an `AggregateView` to compute (the counters always are).
struct ViewParts: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    static let visitors = ViewParts(rawValue: 1)
    static let buyers = ViewParts(rawValue: 2)
    /// Inquiries and converted inquiries.
    static let inquiries = ViewParts(rawValue: 4)
    static let attributedPayers = ViewParts(rawValue: 8)
    static let all: ViewParts = [.visitors, .buyers, .inquiries, .attributedPayers]
}
