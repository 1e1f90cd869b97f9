/// Which scopes a target rule applies to (kpis.md: "one, a list, or all of a kind").
public enum ScopeSelector: Sendable, Hashable {
    /// Scopes of `type` with these ids (one or several). For `shop` the ids
    /// are shop ids; for `team` they are team names.
    case ids(ScopeType, [String])
    /// The `agent` scopes of the agents of a configured team.
    case teamAgents(String)
    /// Every scope of `type`.
    case every(ScopeType)

    /// The scope type the selector picks.
    public var scopeType: ScopeType {
        switch self {
        case .ids(let t, _), .every(let t): t
        case .teamAgents: .agent
        }
    }
}

/// The relative weight of each local hour of the day (index 0 = 00:00–01:00
/// local), for pacing cumulative totals: a shop that sells mostly in the
/// evening should not be "behind pace" at 09:00. Weights are relative
/// non-negative integers (e.g. per-mille of a typical day); a week or month
/// window repeats the day's shape on each of its days.
public struct PaceShape: Sendable, Hashable {
    public var hourlyWeights: [Int64]
    public init(hourlyWeights: [Int64]) { self.hourlyWeights = hourlyWeights }
    /// Every hour alike: the pace grows linearly with elapsed event time.
    public static let even = PaceShape(hourlyWeights: Array(repeating: 1, count: 24))
}

/// One configured target (kpis.md "Targets, alerts and the performance
/// score"): a metric of the selected scopes over one window type must not be
/// worse than `target`. Built by the config parser; check with `problems`.
public struct TargetRule: Sendable, Hashable {
    /// Stable rule id; the first field of the alert id (`cs-first-response`).
    public var id: String
    /// A metric name of `MetricCatalog`.
    public var metric: String
    public var scope: ScopeSelector
    /// Restricts the rule to these shops; nil: every shop.
    public var shops: [String]?
    public var window: WindowType
    public var target: TargetValue
    /// Free text passed through to the alert (`"critical"`); nil: not written.
    public var severity: String?
    /// Rates, means and ratios are judged only once their sample reaches this.
    public var minSample: Int64
    /// Hour-of-day weights for the pace of cumulative totals; nil: even.
    public var paceShape: PaceShape?
    /// An open window's cumulative total is judged only after this much of
    /// the window has elapsed (the first minutes after midnight carry too
    /// little of the day to page anyone).
    public var minElapsed: EventTime.Duration
    /// Overrides the policy's hold time (both open and closed windows).
    public var hold: EventTime.Duration?
    /// Receivers added to the leads routed from the teams (e.g. the shop
    /// operator for `shop` and `campaign` scopes, which have no team).
    public var extraLeads: [String]

    public init(id: String, metric: String, scope: ScopeSelector, shops: [String]? = nil, window: WindowType,
                target: TargetValue, severity: String? = nil, minSample: Int64 = 20, paceShape: PaceShape? = nil,
                minElapsed: EventTime.Duration = .hours(1), hold: EventTime.Duration? = nil, extraLeads: [String] = []) {
        self.id = id; self.metric = metric; self.scope = scope; self.shops = shops; self.window = window
        self.target = target; self.severity = severity; self.minSample = minSample; self.paceShape = paceShape
        self.minElapsed = minElapsed; self.hold = hold; self.extraLeads = extraLeads
    }

    /// The metric's direction (↑ when the metric is unknown; `problems` reports that).
    public var direction: MetricDirection { MetricCatalog.direction(of: metric) ?? .higherIsBetter }

    /// Whether this rule judges `scope`'s snapshots of `windowType`.
    public func selects(_ scope: Scope, windowType: WindowType, teams: TeamDirectory) -> Bool {
        guard windowType == window, scope.type == self.scope.scopeType else { return false }
        if let shops, !shops.contains(scope.shopID) { return false }
        switch self.scope {
        case .every: return true
        case .ids(let type, let ids): return ids.contains(type == .shop ? scope.shopID : scope.id ?? "")
        case .teamAgents(let team): return teams.agents(of: team).contains(scope.id ?? "")
        }
    }
}

/// One thing wrong with a configured rule, scorecard or stage. `field` is
/// relative to the item (`metric`, `target`, `pace_shape[3]`); the config
/// parser prefixes its own path and line.
public struct RuleProblem: Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { "\(field): \(message)" }
}

extension TargetRule {
    /// Everything wrong with this rule, in field order; empty when valid.
    /// `teams`: the configured team names (for `teamAgents`).
    public func problems(teams: TeamDirectory) -> [RuleProblem] {
        var out: [RuleProblem] = []
        if id.isEmpty { out.append(.init(field: "id", message: "must not be empty")) }
        if id.contains("|") { out.append(.init(field: "id", message: "must not contain \"|\" (the alert id separator)")) }
        if let kind = MetricCatalog.kind(of: metric), let shape = MetricCatalog.valueShape(of: metric) {
            let type = scope.scopeType
            if !MetricCatalog.names(for: type).contains(metric) {
                let carriers = MetricCatalog.scopeTypes(carrying: metric).map(\.name).joined(separator: ", ")
                out.append(.init(field: "metric", message: "\(metric) is not computed for scope \(type.name) (only for \(carriers))"))
            }
            if !shape.accepts(target) {
                out.append(.init(field: "target", message: "\(metric) needs \(shape.targetCase) as target"))
            } else if kind == .rate, case .decimal(let f) = target,
                      ExactRatio(f) < .zero || ExactRatio.one < ExactRatio(f) {
                out.append(.init(field: "target", message: "\(metric) is a rate; target must be within 0..1, is \(DecimalText.number(f))"))
            } else if target.exact < .zero {
                out.append(.init(field: "target", message: "must not be negative"))
            }
            if paceShape != nil && kind != .total {
                out.append(.init(field: "pace_shape", message: "only cumulative totals are paced; \(metric) is compared directly"))
            }
        } else {
            out.append(.init(field: "metric", message: "unknown metric \"\(metric)\""))
        }
        switch scope {
        case .ids(_, let ids) where ids.isEmpty:
            out.append(.init(field: "scope", message: "lists no ids"))
        case .teamAgents(let team) where !teams.hasTeam(team):
            out.append(.init(field: "scope", message: "unknown team \"\(team)\""))
        default: break
        }
        if minSample < 0 { out.append(.init(field: "min_sample", message: "must be ≥ 0")) }
        if minElapsed.millis < 0 { out.append(.init(field: "min_elapsed", message: "must be ≥ 0")) }
        if let hold, hold.millis < 0 { out.append(.init(field: "hold", message: "must be ≥ 0")) }
        if let paceShape {
            if paceShape.hourlyWeights.count != 24 {
                out.append(.init(field: "pace_shape", message: "needs 24 hourly weights, has \(paceShape.hourlyWeights.count)"))
            }
            for (i, w) in paceShape.hourlyWeights.enumerated() where w < 0 {
                out.append(.init(field: "pace_shape[\(i)]", message: "must be ≥ 0"))
            }
            if paceShape.hourlyWeights.allSatisfy({ $0 <= 0 }) {
                out.append(.init(field: "pace_shape", message: "needs at least one positive weight"))
            }
        }
        return out
    }

    /// Problems of a whole rule list: each rule's (field prefixed with its
    /// index, `[2].metric`) plus duplicate ids.
    public static func problems(_ rules: [TargetRule], teams: TeamDirectory) -> [RuleProblem] {
        var out: [RuleProblem] = []
        var seen = Set<String>()
        for (i, rule) in rules.enumerated() {
            if !seen.insert(rule.id).inserted {
                out.append(.init(field: "[\(i)].id", message: "duplicate rule id \"\(rule.id)\""))
            }
            out += rule.problems(teams: teams).map { RuleProblem(field: "[\(i)].\($0.field)", message: $0.message) }
        }
        return out
    }
}
