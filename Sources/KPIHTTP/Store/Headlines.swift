import KPICore

/// The few metrics per scope type whose recent values the store keeps for the
/// dashboard's sparklines. Few on purpose: the history is per scope × window
/// and must stay small next to the snapshots themselves.
public enum Headlines {
    public static func names(for type: ScopeType) -> [String] {
        switch type {
        case .shop: ["sales", "orders_paid", "conversion_rate", "uv", "inquiries", "first_response_s"]
        case .agent, .team: ["inquiries", "first_response_s", "agent_sales", "inquiry_conversion_rate"]
        case .channel, .campaign: ["spend", "sales", "roas", "ctr"]
        }
    }
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
