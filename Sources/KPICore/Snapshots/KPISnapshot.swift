/// The state of one scope × window at one moment: what is emitted on
/// `kpi.snapshots` (interfaces.md "Snapshot"). Encode with `SnapshotJSON`.
public struct KPISnapshot: Sendable, Hashable {
    public var scope: Scope
    public var window: WindowRef
    /// Grows by one each time the metrics, the `closed`/`complete`/`final`
    /// flags, or (judged at each alert evaluation tick) a target status change.
    public var revision: Int
    /// The input reached back to the window's start (`coverageStart`).
    public var complete: Bool
    /// The watermark passed every horizon that can still change the window.
    public var final: Bool
    public var watermark: EventTime?
    public var emittedAt: EventTime
    /// In the fixed order of `MetricCatalog.names(for: scope.type)`.
    public var metrics: [KPIMetric]
    /// `"targets"`: the status of each metric that has a target rule for this
    /// scope × window (set by `TargetBook.annotate`); empty → `{}`.
    public var targets: [TargetStatus]
    /// `"score"`: the performance score and payout of an agent's month (set by
    /// `ScoreBook.annotate`); nil → `null`.
    public var score: PerformanceScore?

    public init(scope: Scope, window: WindowRef, revision: Int, complete: Bool, final: Bool,
                watermark: EventTime?, emittedAt: EventTime, metrics: [KPIMetric],
                targets: [TargetStatus] = [], score: PerformanceScore? = nil) {
        self.scope = scope; self.window = window; self.revision = revision; self.complete = complete
        self.final = final; self.watermark = watermark; self.emittedAt = emittedAt; self.metrics = metrics
        self.targets = targets; self.score = score
    }

    /// The value of a metric by name.
    public subscript(metric name: String) -> MetricValue? {
        metrics.first(where: { $0.name == name })?.value
    }

    /// The `kpi.snapshots` record key of a scope × window (`recordKey`).
    public static func recordKey(_ scope: Scope, _ type: WindowType, _ id: String) -> String {
        RecordKey.join([scope.type.name, scope.shopID, scope.id ?? "", type.name, id])
    }

    /// Output order: scope type, shop, id, window type, window start.
    public static func outputOrder(_ a: KPISnapshot, _ b: KPISnapshot) -> Bool {
        if a.scope != b.scope { return a.scope < b.scope }
        if a.window.type != b.window.type { return a.window.type < b.window.type }
        return a.window.start < b.window.start
    }

    /// `snapshots` in output order (stable): their positions are sorted,
    /// then each is moved once (a snapshot is large: sorting them in place
    /// copied each many times, a tenth of a wide backfill's time).
    public static func inOutputOrder(_ snapshots: [KPISnapshot]) -> [KPISnapshot] {
        guard snapshots.count > 1 else { return snapshots }
        let order = snapshots.withUnsafeBufferPointer { b in
            (0..<b.count).sorted { i, j in outputOrder(b[i], b[j]) }
        }
        return order.map { snapshots[$0] }
    }
}

/// One scope × window, whatever its revision: a calendar window by its
/// start, a rolling window by its kind alone (there is one per scope).
public struct WindowKey: Sendable, Hashable, Comparable {
    public var scope: Scope
    public var type: WindowType
    /// Window start for calendar windows; 0 for rolling windows.
    public var start: Int64

    public init(scope: Scope, type: WindowType, start: Int64) {
        self.scope = scope; self.type = type; self.start = start
    }

    public init(_ s: KPISnapshot) {
        self.init(scope: s.scope, type: s.window.type, start: s.window.type.isCalendar ? s.window.start.millis : 0)
    }

    /// The order of `KPISnapshot.outputOrder`.
    public static func < (a: WindowKey, b: WindowKey) -> Bool {
        if a.scope != b.scope { return a.scope < b.scope }
        if a.type != b.type { return a.type < b.type }
        return a.start < b.start
    }
}
