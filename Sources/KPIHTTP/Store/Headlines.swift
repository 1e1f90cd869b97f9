import KPICore

/// The few metrics per scope type whose recent values the store keeps for the
/// dashboard's sparklines. Few on purpose: the history is per scope × window
/// and must stay small next to the snapshots themselves.
public enum Headlines {
    /// The headline metrics of a scope type, most important first.
    public static func metrics(for type: ScopeType) -> [Metric] {
        switch type {
        case .shop: shop
        case .agent, .team: customerService
        case .channel, .campaign: promotion
        }
    }

    /// The wire names of `metrics(for:)`.
    public static func names(for type: ScopeType) -> [String] {
        switch type {
        case .shop: shopNames
        case .agent, .team: customerServiceNames
        case .channel, .campaign: promotionNames
        }
    }

    static let shop: [Metric] = [.sales, .ordersPaid, .conversionRate, .uv, .inquiries, .firstResponse]
    static let customerService: [Metric] = [.inquiries, .firstResponse, .agentSales, .inquiryConversionRate]
    static let promotion: [Metric] = [.spend, .sales, .roas, .ctr]
    static let shopNames = shop.map(\.name)
    static let customerServiceNames = customerService.map(\.name)
    static let promotionNames = promotion.map(\.name)
}

/// One revision's headline values, for a sparkline point.
public struct HeadlinePoint: Sendable, Equatable {
    public var revision: Int
    public var emittedAt: EventTime
    /// In the order of `Headlines.names(for:)`; nil where the metric is null.
    /// Money in major units (`15230.5`), rates as fractions, seconds as seconds.
    public var values: [Double?]
}

/// The recent headline values of one scope × window.
public struct HeadlineHistory: Sendable, Equatable {
    public var scope: Scope
    public var window: WindowRef
    public var names: [String]
    /// Oldest first.
    public var points: [HeadlinePoint]
}
