/// Who a KPI is about (kpis.md "Scopes"). Declaration order is the output sort order.
public enum ScopeType: UInt8, CaseIterable, Comparable, Sendable, Hashable {
    case shop, agent, team, channel, campaign

    /// `scope.type` in the snapshot JSON.
    public var name: String {
        switch self {
        case .shop: "shop"
        case .agent: "agent"
        case .team: "team"
        case .channel: "channel"
        case .campaign: "campaign"
        }
    }

    public static func < (a: ScopeType, b: ScopeType) -> Bool { a.rawValue < b.rawValue }
}

/// One scope inside one shop: the shop itself (`id` nil), an agent, a team
/// (config name), a channel or a campaign.
public struct Scope: Sendable, Hashable, Comparable {
    public var type: ScopeType
    public var shopID: String
    public var id: String?

    public init(type: ScopeType, shopID: String, id: String? = nil) {
        self.type = type; self.shopID = shopID; self.id = id
    }

    /// Output order: scope type, shop, id (by UTF-8 bytes, locale-independent).
    public static func < (a: Scope, b: Scope) -> Bool {
        if a.type != b.type { return a.type < b.type }
        if a.shopID != b.shopID { return a.shopID.utf8.lexicographicallyPrecedes(b.shopID.utf8) }
        return (a.id ?? "").utf8.lexicographicallyPrecedes((b.id ?? "").utf8)
    }
}
