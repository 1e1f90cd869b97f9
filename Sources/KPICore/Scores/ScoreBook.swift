/// How one team is appraised and paid: its stage and, for `growth`
/// (optional) and `stable` (required), its scorecard.
public struct TeamScheme: Sendable, Hashable {
    public var team: String
    public var stage: TeamStage
    public var scorecard: Scorecard?

    public init(team: String, stage: TeamStage, scorecard: Scorecard? = nil) {
        self.team = team; self.stage = stage; self.scorecard = scorecard
    }

    /// Everything wrong, fields relative to the scheme (`scorecard.cap`).
    public func problems(teams: TeamDirectory) -> [RuleProblem] {
        var out: [RuleProblem] = []
        if !teams.hasTeam(team) { out.append(.init(field: "team", message: "unknown team \"\(team)\"")) }
        func rate(_ r: Fraction) {
            if ExactRatio(r) < .zero || ExactRatio.one < ExactRatio(r) {
                out.append(.init(field: "commission_rate", message: "must be within 0..1"))
            }
        }
        switch stage {
        case .startup(let bonus, let target):
            if bonus.minorUnits < 0 { out.append(.init(field: "bonus", message: "must be ≥ 0")) }
            if target.minorUnits <= 0 { out.append(.init(field: "shop_sales_target", message: "must be > 0")) }
            if scorecard != nil {
                out.append(.init(field: "scorecard", message: "the startup stage has no KPI appraisal (seed 002); remove it"))
            }
        case .growth(let r): rate(r)
        case .stable(let r, _):
            rate(r)
            if scorecard == nil { out.append(.init(field: "scorecard", message: "the stable stage pays by score; needs a scorecard")) }
        }
        if let scorecard {
            out += scorecard.problems().map { RuleProblem(field: "scorecard.\($0.field)", message: $0.message) }
        }
        return out
    }

    /// The payout for a month, rounded half-up to the minor unit once, at
    /// the end. `score` is the published (hundredths) score, so the payout
    /// can be recomputed from the printed numbers.
    func payout(score: Fraction?, agentSales: Money, shopSales: Money?) -> Money {
        switch stage {
        case .startup(let bonus, let target):
            return (shopSales ?? .zero) >= target ? bonus : .zero
        case .growth(let rate):
            return Money(minorUnits: Int64((ExactRatio(rate) * ExactRatio(agentSales.minorUnits)).rounded()))
        case .stable(let rate, let base):
            guard let score else { return .zero }
            let amount = base == .agentSales ? agentSales : (shopSales ?? .zero)
            let exact = ExactRatio(score) / ExactRatio(100) * ExactRatio(rate) * ExactRatio(amount.minorUnits)
            return Money(minorUnits: Int64(exact.rounded()))
        }
    }
}

/// Fills the `"score"` of agent × month snapshots: the performance score and
/// payout of each agent with a team scheme (the first team in config order
/// the agent belongs to that has one). Remembers each shop's month `sales`
/// from the shop × month snapshots it sees (a drained batch lists shop
/// scopes before agents, so the shop's figure of the same drain is used).
public struct ScoreBook: Sendable {
    public let schemes: [TeamScheme]
    public let teams: TeamDirectory
    /// Shop id → month window start → month sales.
    private var shopSales: [String: [Int64: Money]] = [:]

    public init(schemes: [TeamScheme], teams: TeamDirectory) {
        self.schemes = schemes; self.teams = teams
    }

    /// The scheme that applies to an agent, if any.
    public func scheme(ofAgent agent: String) -> TeamScheme? {
        for t in teams.teams(ofAgent: agent) {
            if let s = schemes.first(where: { $0.team == t.name }) { return s }
        }
        return nil
    }

    /// Whether an agent's payout depends on its shop's month sales (a
    /// `stable` stage on `shop_sales`, or a `startup` bonus paid on the
    /// shop's sales target): it changes whenever they do.
    public func followsShopSales(agent: String) -> Bool {
        switch scheme(ofAgent: agent)?.stage {
        case .startup?, .stable(_, .shopSales)?: true
        default: false
        }
    }

    /// Whether any scheme's payout depends on shop month sales.
    public var anyFollowsShopSales: Bool {
        schemes.contains { if case .startup = $0.stage { true } else if case .stable(_, .shopSales) = $0.stage { true } else { false } }
    }

    /// Notes shop month sales and sets `score` on agent month snapshots.
    /// Returns the shop month windows whose sales differ from those noted
    /// before (payouts on them are stale where their agents were not in
    /// `snapshots`), in order.
    @discardableResult
    public mutating func annotate(_ snapshots: inout [KPISnapshot]) -> [WindowKey] {
        var changed: [WindowKey] = []
        for i in snapshots.indices {
            let s = snapshots[i]
            guard s.window.type == .month else { continue }
            if s.scope.type == .shop, case .money(let m)? = s[metric: "sales"] {
                var months = shopSales[s.scope.shopID, default: [:]]
                if let before = months[s.window.start.millis], before != m { changed.append(WindowKey(s)) }
                months[s.window.start.millis] = m
                // Keep the latest three months: the open one and those a late event can still correct.
                if months.count > 3, let oldest = months.keys.min() { months[oldest] = nil }
                shopSales[s.scope.shopID] = months
            } else if s.scope.type == .agent {
                snapshots[i].score = score(s)
            }
        }
        return changed
    }

    /// The score of an agent × month snapshot (nil: no scheme applies, or
    /// not an agent's month), using the shop month sales seen so far.
    public func score(_ s: KPISnapshot) -> PerformanceScore? {
        guard s.scope.type == .agent, s.window.type == .month, let agent = s.scope.id,
              let scheme = scheme(ofAgent: agent) else { return nil }
        let shop = shopSales[s.scope.shopID]?[s.window.start.millis]
        return Self.score(s, scheme: scheme, shopSales: shop)
    }

    /// The score of an agent × month snapshot under `scheme`, pure.
    public static func score(_ s: KPISnapshot, scheme: TeamScheme, shopSales: Money?) -> PerformanceScore {
        var score: Fraction?
        var components: [PerformanceScore.Component] = []
        if case .startup = scheme.stage {} else if let card = scheme.scorecard {
            (score, components) = card.score(s)
        }
        var agentSales = Money.zero
        if case .money(let m)? = s[metric: "agent_sales"] { agentSales = m }
        return PerformanceScore(team: scheme.team, stage: scheme.stage.name, score: score,
                                payout: scheme.payout(score: score, agentSales: agentSales, shopSales: shopSales),
                                final: s.final, components: components)
    }
}
