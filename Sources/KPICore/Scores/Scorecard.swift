/// A weighted KPI scorecard (绩效考核表) for an agent's month (kpis.md
/// "Performance score"): each line scores `min(actual/target, cap) × 100`
/// (↑) or `min(target/actual, cap) × 100` (↓); the weighted sum, capped at
/// 100, is the score.
///
/// Edge rules (documented, not in the seed): a null actual (no data, e.g. no
/// rating all month) earns 0 points — an agent cannot raise the score by
/// avoiding a measured activity; a ↓ metric at 0 (nothing to improve) earns
/// the cap; a negative ratio (negative `net_sales`) earns 0.
///
/// Rounding: each line's weighted points are computed exactly and rounded
/// half-up to 10⁻⁹ point (so any number of lines sums without overflow);
/// the capped sum is rounded half-up to 0.01 — the published score.
public struct Scorecard: Sendable, Hashable {
    /// One KPI line.
    public struct Entry: Sendable, Hashable {
        public var metric: String
        public var target: TargetValue
        /// Share of the score, e.g. `Fraction(4, 10)`; all weights sum to 1.
        public var weight: Fraction
        /// This line's own cap (a multiple of its target); nil: the scorecard's.
        public var cap: Fraction?
        public init(metric: String, target: TargetValue, weight: Fraction, cap: Fraction? = nil) {
            self.metric = metric; self.target = target; self.weight = weight; self.cap = cap
        }
    }

    public var entries: [Entry]
    /// The most one line can score, as a multiple of its target (1.2 → 120 points).
    public var cap: Fraction

    public init(entries: [Entry], cap: Fraction = Fraction(6, 5)) {
        self.entries = entries; self.cap = cap
    }

    /// Everything wrong, fields relative to the scorecard (`entries[1].weight`).
    public func problems() -> [RuleProblem] {
        var out: [RuleProblem] = []
        if entries.isEmpty { out.append(.init(field: "entries", message: "needs at least one KPI")) }
        var sum = ExactRatio.zero
        for (i, e) in entries.enumerated() {
            let f = "entries[\(i)]"
            if let shape = MetricCatalog.valueShape(of: e.metric) {
                if !MetricCatalog.names(for: .agent).contains(e.metric) {
                    out.append(.init(field: "\(f).metric", message: "\(e.metric) is not computed for agents"))
                }
                if !shape.accepts(e.target) {
                    out.append(.init(field: "\(f).target", message: "\(e.metric) needs \(shape.targetCase) as target"))
                } else if !(ExactRatio.zero < e.target.exact) {
                    out.append(.init(field: "\(f).target", message: "must be > 0"))
                } else if MetricCatalog.kind(of: e.metric) == .rate, ExactRatio.one < e.target.exact {
                    out.append(.init(field: "\(f).target", message: "\(e.metric) is a rate; target must be within 0..1"))
                }
            } else {
                out.append(.init(field: "\(f).metric", message: "unknown metric \"\(e.metric)\""))
            }
            if !(ExactRatio.zero < ExactRatio(e.weight)) {
                out.append(.init(field: "\(f).weight", message: "must be > 0"))
            }
            if e.weight.denominator > 0 { sum = sum + ExactRatio(e.weight) }
            if let c = e.cap, ExactRatio(c) < .one { out.append(.init(field: "\(f).cap", message: "must be ≥ 1")) }
        }
        if !entries.isEmpty && sum != .one {
            out.append(.init(field: "entries", message: "weights must sum to 1, sum to \(DecimalText.number(sum.fraction))"))
        }
        if ExactRatio(cap) < .one { out.append(.init(field: "cap", message: "must be ≥ 1")) }
        return out
    }

    static let nano: Int128 = 1_000_000_000

    /// Points of one line, exact: 0 ... cap × 100.
    func points(_ entry: Entry, actual: MetricValue?) -> ExactRatio {
        guard let a = actual?.exact else { return .zero }
        let t = entry.target.exact
        let cap = ExactRatio(entry.cap ?? self.cap)
        let ratio: ExactRatio
        switch MetricCatalog.direction(of: entry.metric) ?? .higherIsBetter {
        case .higherIsBetter:
            guard t != .zero else { return .zero }
            ratio = a / t
        case .lowerIsBetter:
            guard a != .zero else { return cap * ExactRatio(100) }
            ratio = t / a
        }
        if ratio < .zero { return .zero }
        return ExactRatio.min(ratio, cap) * ExactRatio(100)
    }

    /// The score (hundredths, 0...100) of an agent's month snapshot, with its lines.
    func score(_ snapshot: KPISnapshot) -> (score: Fraction, components: [PerformanceScore.Component]) {
        var nanoPoints: Int128 = 0
        var components: [PerformanceScore.Component] = []
        for e in entries {
            let actual = snapshot[metric: e.metric]
            let p = points(e, actual: actual)
            nanoPoints += (p * ExactRatio(e.weight)).rounded(scale: Self.nano)
            components.append(.init(metric: e.metric, weight: e.weight, target: e.target, actual: actual, points: p.fraction))
        }
        let capped = Swift.min(nanoPoints, 100 * Self.nano)
        let hundredths = ExactRatio(capped, Self.nano).rounded(scale: 100)
        return (Fraction(Int64(hundredths), 100), components)
    }
}
