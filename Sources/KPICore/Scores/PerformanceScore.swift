/// How a team's members are paid (seed 002, kpis.md "Performance score").
public enum TeamStage: Sendable, Hashable {
    /// 发展初期: no KPI appraisal; `bonus` to every member when the shop's
    /// month `sales` reach `shopSalesTarget`, else nothing.
    case startup(bonus: Money, shopSalesTarget: Money)
    /// 发展中期: `commissionRate × agent_sales`.
    case growth(commissionRate: Fraction)
    /// 发展稳定期: `(score / 100) × commissionRate × base`
    /// (绩效金额 = (绩效得分/100) × (1% × 营业额)).
    case stable(commissionRate: Fraction = Fraction(1, 100), base: PayoutBase = .agentSales)

    /// `stage` in the score JSON.
    public var name: String {
        switch self {
        case .startup: "startup"
        case .growth: "growth"
        case .stable: "stable"
        }
    }
}

/// The sales a stable-stage payout is a share of (营业额).
public enum PayoutBase: Sendable, Hashable {
    /// The agent's attributed month sales (`agent_sales`).
    case agentSales
    /// The whole shop's month sales (`sales` of the shop scope).
    case shopSales
}

/// An agent's performance score (绩效得分) and payout for one month: the
/// snapshot's `"score"` field.
///
/// JSON (keys in this order; `score` is null for a startup-stage team, which
/// has no scorecard):
/// `{"team":"cs-a","stage":"stable","score":85,"payout":"1049.38","final":true,
///   "components":[{"metric":"first_response_s","weight":0.4,"target":30,"actual":18.4,"points":120}]}`
public struct PerformanceScore: Sendable, Hashable {
    /// One scorecard line.
    public struct Component: Sendable, Hashable {
        public var metric: String
        public var weight: Fraction
        public var target: TargetValue
        /// nil: the metric was null (no data), which earns no points.
        public var actual: MetricValue?
        /// `min(actual/target, cap) × 100` (↑) or `min(target/actual, cap) × 100` (↓), exact.
        public var points: Fraction

        public init(metric: String, weight: Fraction, target: TargetValue, actual: MetricValue?, points: Fraction) {
            self.metric = metric; self.weight = weight; self.target = target; self.actual = actual; self.points = points
        }
    }

    public var team: String
    public var stage: String
    /// 0...100 in hundredths (`Fraction(8547, 100)` = 85.47); nil without a scorecard.
    public var score: Fraction?
    public var payout: Money
    /// The month snapshot was final: the numbers will not change any more.
    public var final: Bool
    public var components: [Component]

    public init(team: String, stage: String, score: Fraction?, payout: Money, final: Bool, components: [Component]) {
        self.team = team; self.stage = stage; self.score = score; self.payout = payout; self.final = final
        self.components = components
    }
}

/// Writes a `PerformanceScore` (see its doc comment for the shape).
enum ScoreJSON {
    static func append(_ s: PerformanceScore, fractionDigits: Int, to out: inout [UInt8]) {
        SnapshotJSON.raw(#"{"team":"#, &out)
        SnapshotJSON.string(s.team, &out)
        SnapshotJSON.raw(#","stage":"#, &out)
        SnapshotJSON.string(s.stage, &out)
        SnapshotJSON.raw(#","score":"#, &out)
        if let score = s.score { DecimalText.appendNumber(score, to: &out) } else { SnapshotJSON.raw("null", &out) }
        SnapshotJSON.raw(#","payout":""#, &out)
        DecimalText.appendMoney(s.payout.minorUnits, fractionDigits: fractionDigits, to: &out)
        SnapshotJSON.raw(#"","final":"#, &out)
        SnapshotJSON.raw(s.final ? "true" : "false", &out)
        SnapshotJSON.raw(#","components":["#, &out)
        for (i, c) in s.components.enumerated() {
            if i > 0 { out.append(0x2C) }
            SnapshotJSON.raw(#"{"metric":"#, &out)
            SnapshotJSON.string(c.metric, &out)
            SnapshotJSON.raw(#","weight":"#, &out)
            DecimalText.appendNumber(c.weight, to: &out)
            SnapshotJSON.raw(#","target":"#, &out)
            TargetJSON.appendTarget(c.target, fractionDigits: fractionDigits, to: &out)
            SnapshotJSON.raw(#","actual":"#, &out)
            if let a = c.actual { SnapshotJSON.value(a, fractionDigits: fractionDigits, &out) } else { SnapshotJSON.raw("null", &out) }
            SnapshotJSON.raw(#","points":"#, &out)
            DecimalText.appendNumber(c.points, to: &out)
            out.append(0x7D)
        }
        SnapshotJSON.raw("]}", &out)
    }
}
