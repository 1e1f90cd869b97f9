/// How one metric of one snapshot stands against its target: an entry of
/// the snapshot's `"targets"` object
/// (`"first_response_s":{"target":30,"status":"ok"}`).
public struct TargetStatus: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        /// Not worse than the target (or the pace).
        case ok
        /// Worse than the target (or, for an open window's total, the pace).
        case breach
        /// Not judged yet: a rate/mean whose sample is below `minSample`
        /// (including a null value), or an open window's total before
        /// `minElapsed`.
        case insufficientSample

        public var name: String {
            switch self {
            case .ok: "ok"
            case .breach: "breach"
            case .insufficientSample: "insufficient_sample"
            }
        }
    }

    public var rule: String
    public var metric: String
    public var target: TargetValue
    public var status: Status
    /// The pace compared with, in the metric's unit (minor units for money),
    /// when an open window's cumulative total was paced; nil otherwise.
    public var pace: Fraction?

    public init(rule: String, metric: String, target: TargetValue, status: Status, pace: Fraction? = nil) {
        self.rule = rule; self.metric = metric; self.target = target; self.status = status; self.pace = pace
    }
}

/// Where a metric stands relative to its threshold, with the hysteresis
/// margin that keeps a firing alert from flapping.
enum TargetCondition: Sendable, Hashable {
    /// Worse than the threshold.
    case breached
    /// Not worse, but not better by the margin either.
    case within
    /// Better than the threshold by at least the margin.
    case recovered
    /// Cannot be judged (sample too small, null, too early).
    case unknown
}

/// A rule applied to one snapshot at one moment.
struct TargetReading: Sendable, Hashable {
    var status: TargetStatus.Status
    var condition: TargetCondition
    var value: MetricValue?
    /// The paced threshold when paced.
    var pace: ExactRatio?
}

extension TargetRule {
    /// Judges `snapshot` at event time `time` (the watermark, or an alert
    /// evaluation tick). `closed`: the window is over, so totals face the full
    /// target. `fraction`: the elapsed pace fraction, asked for only when the
    /// metric is a total of an open calendar window. Rolling windows always
    /// hold a full span and face the full target.
    func read(_ snapshot: KPISnapshot, at time: EventTime, closed: Bool, hysteresis: ExactRatio,
              fraction: () -> ExactRatio) -> TargetReading {
        read(value: snapshot[metric: metric], sample: MetricCatalog.sampleSize(of: metric, in: snapshot),
             window: snapshot.window, at: time, closed: closed, hysteresis: hysteresis, fraction: fraction)
    }

    /// `read` from the metric's value and sample (`MetricCatalog.sampleSize`;
    /// nil for totals) in `window`.
    func read(value: MetricValue?, sample: Int64?, window: WindowRef, at time: EventTime, closed: Bool,
              hysteresis: ExactRatio, kind: MetricKind? = nil, direction: MetricDirection? = nil,
              fraction: () -> ExactRatio) -> TargetReading {
        let kind = kind ?? MetricCatalog.kind(of: metric) ?? .total
        let direction = direction ?? self.direction
        var threshold = target.exact
        var pace: ExactRatio?
        if kind == .total {
            if !closed && window.type.isCalendar {
                if time - window.start < minElapsed {
                    return TargetReading(status: .insufficientSample, condition: .unknown, value: value, pace: nil)
                }
                threshold = Pace.threshold(target, fraction: fraction())
                pace = threshold
            }
        } else {
            if (sample ?? 0) < minSample {
                return TargetReading(status: .insufficientSample, condition: .unknown, value: value, pace: nil)
            }
        }
        guard let actual = value?.exact else {
            return TargetReading(status: .insufficientSample, condition: .unknown, value: value, pace: pace)
        }
        let condition = Self.condition(actual, threshold, direction, margin: hysteresis)
        return TargetReading(status: condition == .breached ? .breach : .ok, condition: condition, value: value, pace: pace)
    }

    /// ↑: breached below the threshold, recovered at or above threshold × (1 + margin);
    /// ↓: breached above it, recovered at or below threshold × (1 − margin).
    static func condition(_ actual: ExactRatio, _ threshold: ExactRatio, _ direction: MetricDirection,
                          margin: ExactRatio) -> TargetCondition {
        switch direction {
        case .higherIsBetter:
            if actual < threshold { return .breached }
            return actual < threshold * (.one + margin) ? .within : .recovered
        case .lowerIsBetter:
            if threshold < actual { return .breached }
            return threshold * (.one - margin) < actual ? .within : .recovered
        }
    }
}

/// The rules of a configuration indexed for lookup, and the stateless
/// evaluation that fills a snapshot's `targets`.
public struct TargetBook: Sendable {
    public let rules: [TargetRule]
    public let teams: TeamDirectory
    public let zone: ZoneRules
    var paces = PaceCache()
    /// Rule indexes by scope type × window type, in config order.
    private let index: [Int: [Int]]

    public init(rules: [TargetRule], teams: TeamDirectory, zone: ZoneRules) {
        self.rules = rules; self.teams = teams; self.zone = zone
        var index: [Int: [Int]] = [:]
        for (i, r) in rules.enumerated() { index[Self.key(r.scope.scopeType, r.window), default: []].append(i) }
        self.index = index
    }

    static func key(_ s: ScopeType, _ w: WindowType) -> Int { Int(s.rawValue) * 16 + Int(w.rawValue) }

    /// Indexes of the rules judging this snapshot, in config order.
    public func ruleIndexes(selecting snapshot: KPISnapshot) -> [Int] {
        ruleIndexes(scope: snapshot.scope, windowType: snapshot.window.type)
    }

    /// Indexes of the rules judging a scope's windows of a type, in config order.
    public func ruleIndexes(scope: Scope, windowType: WindowType) -> [Int] {
        (index[Self.key(scope.type, windowType)] ?? []).filter {
            rules[$0].selects(scope, windowType: windowType, teams: teams)
        }
    }

    /// The target status of each metric with a rule selecting the snapshot,
    /// judged at the snapshot's watermark; one per metric — the first rule in
    /// config order wins when several judge the same metric — in rule order.
    public mutating func statuses(for snapshot: KPISnapshot) -> [TargetStatus] {
        var out: [TargetStatus] = []
        let time = snapshot.watermark ?? snapshot.window.start
        for i in ruleIndexes(selecting: snapshot) where !out.contains(where: { $0.metric == rules[i].metric }) {
            let rule = rules[i]
            let reading = rule.read(snapshot, at: time, closed: snapshot.window.closed, hysteresis: .zero) {
                paces.fraction(start: snapshot.window.start, end: snapshot.window.end, at: time,
                               shape: rule.paceShape, zone: zone)
            }
            out.append(TargetStatus(rule: rule.id, metric: rule.metric, target: rule.target, status: reading.status,
                                    pace: reading.pace?.fraction))
        }
        return out
    }

    /// Sets `targets` of every snapshot (empty where no rule applies).
    public mutating func annotate(_ snapshots: inout [KPISnapshot]) {
        for i in snapshots.indices { snapshots[i].targets = statuses(for: snapshots[i]) }
        // Only open windows are paced; tables of windows already over are done.
        if let w = snapshots.compactMap(\.watermark).max() { paces.forget(endingBy: w) }
    }
}
