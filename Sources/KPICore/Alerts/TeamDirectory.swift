/// A local time-of-day range in which a team is off shift, `start ..< end`
/// in minutes after local midnight; wraps midnight when `end <= start`
/// (`22:00–07:00`). `start == end` means the whole day.
public struct QuietHours: Sendable, Hashable {
    public var startMinute: Int
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute; self.endMinute = endMinute
    }

    /// From `"HH:MM"` texts (`"22:00"`, `"07:30"`; `"24:00"` as an end); nil when malformed.
    public init?(from start: String, to end: String) {
        guard let s = Self.minute(start), let e = Self.minute(end), s < 1440 else { return nil }
        self.init(startMinute: s, endMinute: e % 1440)
    }

    static func minute(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m),
              h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    /// Whether the local minute of day (0..<1440) falls inside.
    public func contains(minuteOfDay m: Int) -> Bool {
        if startMinute == endMinute { return true }
        if startMinute < endMinute { return m >= startMinute && m < endMinute }
        return m >= startMinute || m < endMinute
    }
}

/// One alert route of the configuration (`alerts.routes`): which alerts it
/// matches (every field given must match; one left out matches everything)
/// and the leads it tells.
public struct AlertRoute: Sendable, Hashable {
    /// The team's agents and the team scope itself.
    public var team: String?
    public var scopeType: ScopeType?
    public var shops: [String]?
    /// Rule ids (`no-data` for the silence alert).
    public var rules: [String]?
    public var leads: [String]

    public init(team: String? = nil, scopeType: ScopeType? = nil, shops: [String]? = nil, rules: [String]? = nil,
                leads: [String] = []) {
        self.team = team; self.scopeType = scopeType; self.shops = shops; self.rules = rules; self.leads = leads
    }
}

/// Who leads whom, from the configured teams: the agents of a team, the
/// leads an alert about a scope is routed to, and the teams' quiet hours.
public struct TeamDirectory: Sendable, Hashable {
    public let teams: [KPIConfiguration.Team]
    /// Per team name: local ranges when its agents are off shift.
    public let quietHours: [String: [QuietHours]]
    /// The configured routes: an alert's leads are those of the routes that match it.
    public let routes: [AlertRoute]

    private let teamsByName: [String: Int]
    private let teamsByAgent: [String: [Int]]

    public init(teams: [KPIConfiguration.Team], quietHours: [String: [QuietHours]] = [:], routes: [AlertRoute] = []) {
        self.teams = teams; self.quietHours = quietHours; self.routes = routes
        var byName: [String: Int] = [:]
        var byAgent: [String: [Int]] = [:]
        for (i, t) in teams.enumerated() {
            if byName[t.name] == nil { byName[t.name] = i }
            for a in t.agents where byAgent[a]?.contains(i) != true { byAgent[a, default: []].append(i) }
        }
        teamsByName = byName; teamsByAgent = byAgent
    }

    public func hasTeam(_ name: String) -> Bool { teamsByName[name] != nil }

    public func agents(of team: String) -> [String] { teamsByName[team].map { teams[$0].agents } ?? [] }

    /// The teams an agent belongs to, in config order.
    public func teams(ofAgent agent: String) -> [KPIConfiguration.Team] {
        (teamsByAgent[agent] ?? []).map { teams[$0] }
    }

    /// Whether `route` matches an alert of rule `rule` about `scope`.
    public func matches(_ route: AlertRoute, rule: String, scope: Scope) -> Bool {
        if let rules = route.rules, !rules.contains(rule) { return false }
        if let t = route.scopeType, t != scope.type { return false }
        if let shops = route.shops, !shops.contains(scope.shopID) { return false }
        if let team = route.team {
            switch scope.type {
            case .team: return scope.id == team
            case .agent: return agents(of: team).contains(scope.id ?? "")
            case .shop, .channel, .campaign: return false
            }
        }
        return true
    }

    /// Who is told of an alert of rule `rule` about `scope`, in order without
    /// repeats: the leads of the teams covering the scope (an agent's teams,
    /// or the team itself: a team's leads hear of its alerts), then those of
    /// every route that matches the alert, in config order, then `extra`.
    /// A route that does not match adds nobody.
    public func leads(for scope: Scope, rule: String, extra: [String] = []) -> [String] {
        var out: [String] = []
        func add(_ names: [String]) { for n in names where !out.contains(n) { out.append(n) } }
        switch scope.type {
        case .agent: for t in teams(ofAgent: scope.id ?? "") { add(t.leads) }
        case .team: if let i = teamsByName[scope.id ?? ""] { add(teams[i].leads) }
        case .shop, .channel, .campaign: break
        }
        for r in routes where matches(r, rule: rule, scope: scope) { add(r.leads) }
        add(extra)
        return out
    }

    /// Whether notifications about `scope` are held at this local minute of
    /// day: an agent when every team it belongs to is in quiet hours (one team
    /// on shift is enough to page its leads), a team when it is. Shop,
    /// channel and campaign scopes have no shift.
    public func isQuiet(_ scope: Scope, minuteOfDay: Int) -> Bool {
        func quiet(_ team: String) -> Bool {
            (quietHours[team] ?? []).contains { $0.contains(minuteOfDay: minuteOfDay) }
        }
        switch scope.type {
        case .agent:
            let ts = teams(ofAgent: scope.id ?? "")
            return !ts.isEmpty && ts.allSatisfy { quiet($0.name) }
        case .team: return quiet(scope.id ?? "")
        case .shop, .channel, .campaign: return false
        }
    }

    /// What `isQuiet` checks for `scope`, resolved once: per team whose
    /// quiet hours decide (all of them must be quiet), its ranges. Empty
    /// when the scope is never held.
    public func quietRanges(_ scope: Scope) -> [[QuietHours]] {
        switch scope.type {
        case .agent:
            let ts = teams(ofAgent: scope.id ?? "")
            let ranges = ts.map { quietHours[$0.name] ?? [] }
            // One team on shift is enough: a team without quiet hours never holds.
            return ts.isEmpty || ranges.contains(where: \.isEmpty) ? [] : ranges
        case .team:
            let r = quietHours[scope.id ?? ""] ?? []
            return r.isEmpty ? [] : [r]
        case .shop, .channel, .campaign:
            return []
        }
    }

    /// Problems of the quiet-hours map: unknown team names.
    public func problems() -> [RuleProblem] {
        quietHours.keys.sorted().filter { !hasTeam($0) }.map {
            RuleProblem(field: "quiet_hours.\($0)", message: "unknown team \"\($0)\"")
        }
    }
}
