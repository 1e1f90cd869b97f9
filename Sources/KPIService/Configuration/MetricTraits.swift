import KPICore

/// What a KPI metric measures and which way is good, as the config checks
/// see it: a rate target of 1.5 or a negative count is a typo, not a goal.
///
/// A view of `Metric`'s declaration (KPICore), which is the one source of a
/// metric's unit and direction.
public struct MetricTraits: Sendable, Hashable {
    /// The value kind of a metric, deciding what a target may be.
    public typealias Kind = MetricUnit

    public var kind: Kind
    /// Which way is good.
    public var direction: MetricDirection

    /// Totals that grow through a window: an open window compares them with
    /// the pace (target × elapsed fraction), not the full target.
    public var isCumulative: Bool { kind.kind == .total }

    /// Targets in money (parsed into minor units).
    public var isMoney: Bool { kind == .money || kind == .moneyPerUnit }

    /// The traits of a metric.
    public init(_ metric: Metric) {
        kind = metric.unit
        direction = metric.direction
    }

    /// The traits of a metric name, nil when no scope type has it.
    public static func of(_ metric: String) -> MetricTraits? {
        Metric(name: metric).map(MetricTraits.init)
    }
}
