import KPICore

/// From the YAML configuration to the KPI core's appraisal types: target
/// rules, the alert policy, teams with their quiet hours, and the scorecards
/// and stages that turn month snapshots into scores and payouts.
extension ServiceConfiguration {
    /// Teams with their leads and quiet hours, for routing and scoring.
    public var teamDirectory: TeamDirectory {
        let quiet = alerts.quietHours.mapValues { [KPICore.QuietHours(startMinute: $0.fromMinute, endMinute: $0.toMinute)] }
        return TeamDirectory(teams: kpi.teams, quietHours: quiet, routes: alerts.routes.map(\.core))
    }

    /// The configured targets as the core's rules, in config order.
    public var targetRules: [TargetRule] {
        targets.map { t in
            let scope: ScopeSelector
            switch t.selection {
            case .all: scope = .every(t.scopeType)
            case .ids(let ids): scope = .ids(t.scopeType, ids)
            case .agentsOfTeam(let team): scope = .teamAgents(team)
            }
            // Leads come from the routes that match each alert (`TeamDirectory.leads`).
            return TargetRule(
                id: t.rule, metric: t.metric, scope: scope, shops: t.shops, window: t.window,
                target: coreTarget(t.value, metric: t.metric), severity: t.severity.rawValue, minSample: Int64(t.minSample),
                paceShape: t.paceShape.map { PaceShape(hourlyWeights: $0.map { $0.minorUnits(fractionDigits: 6) ?? 0 }) })
        }
    }

    /// Hold times, hysteresis, repeat interval and the no-data rule.
    public var alertPolicy: AlertPolicy {
        var p = AlertPolicy()
        p.openHold = alerts.holdTimeOpen
        p.closedHold = alerts.holdTimeClosed
        p.hysteresis = alerts.hysteresis.fraction
        p.repeatInterval = alerts.repeatInterval
        p.consumerLagBound = alerts.consumerLagBound
        if let silence = alerts.noDataAfter {
            // Every scope that has a target (of every type a target names), and every shop.
            p.noData = NoDataRule(scopeTypes: Set([.shop] + targets.map(\.scopeType)), silence: silence)
        } else {
            p.noData = nil
        }
        return p
    }

    /// Every team's stage and scorecard (weights in percent in the config).
    public var teamSchemes: [TeamScheme] {
        stages.keys.sorted().map { team in
            let stage: TeamStage
            switch stages[team]! {
            case .startup(let bonus, let target): stage = .startup(bonus: bonus, shopSalesTarget: target)
            case .growth(let rate): stage = .growth(commissionRate: rate.fraction)
            case .stable(let rate, let base): stage = .stable(commissionRate: rate.fraction, base: base == .shopSales ? .shopSales : .agentSales)
            }
            let items = scorecards[team] ?? []
            let card = items.isEmpty ? nil : Scorecard(
                entries: items.map { Scorecard.Entry(metric: $0.metric, target: coreTarget($0.target, metric: $0.metric),
                                                     weight: Fraction($0.weight.units, DecimalValue.pow10($0.weight.scale) * 100),
                                                     cap: $0.cap.fraction) })
            return TeamScheme(team: team, stage: stage, scorecard: card)
        }
    }

    /// A book of alerts and target statuses for one partition.
    public func alertBook(zone: ZoneRules) -> AlertBook {
        AlertBook(rules: targetRules, policy: alertPolicy, teams: teamDirectory, zone: zone, fractionDigits: kpi.fractionDigits)
    }

    /// A book of month scores and payouts for one partition.
    public var scoreBook: ScoreBook { ScoreBook(schemes: teamSchemes, teams: teamDirectory) }

    private func coreTarget(_ v: TargetValue, metric: String? = nil) -> KPICore.TargetValue {
        switch v {
        case .money(let m): return .money(m)
        case .number(let d):
            if let metric, MetricCatalog.kind(of: metric) == .total, d.scale == 0 { return .count(d.units) }
            return .decimal(d.fraction)
        }
    }
}
