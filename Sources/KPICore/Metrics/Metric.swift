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
