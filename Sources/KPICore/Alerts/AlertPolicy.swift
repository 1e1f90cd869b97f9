/// When alerts fire, resolve, repeat and are held (kpis.md "Targets, alerts
/// and the performance score"; config "alert routing"). All spans are event
/// time, compared with the watermark, never a wall clock.
public struct AlertPolicy: Sendable, Hashable {
    /// How long an open window must stay breached before firing.
    public var openHold: EventTime.Duration = .minutes(5)
    /// Same for a closed window: its numbers are final, no reason to wait.
    public var closedHold: EventTime.Duration = .seconds(0)
    /// A firing alert resolves only when better than target by this share
    /// of it (`2/100`: ↑ at ≥ 1.02 × target, ↓ at ≤ 0.98 × target).
    public var hysteresis: Fraction = Fraction(2, 100)
    /// A still-firing alert is re-sent at most this often; 0: never.
    public var repeatInterval: EventTime.Duration = .hours(4)
    /// Alerts are evaluated when the watermark crosses a multiple of this
    /// (from the epoch), at that instant: how late a lead can learn, and
    /// the grid that makes a backfill reproduce the live alerts.
    public var evaluationStep: EventTime.Duration = .minutes(1)
    /// The silence alert; nil: off.
    public var noData: NoDataRule? = NoDataRule()
    /// Above this consumer lag (records behind, as fed to
    /// `AlertBook.advance`) every shop of the partition has an ingest
    /// problem and its `inhibitedScopeTypes` alerts are held; nil: off.
    public var consumerLagBound: Int64? = 10_000
    /// Scope types whose alerts are held while their shop has an ingest problem.
    public var inhibitedScopeTypes: Set<ScopeType> = [.agent, .team]
    /// A calendar window's alerts are forgotten (silently) once the
    /// watermark is this many window lengths past its end (matches the
    /// default retention of 2 periods).
    public var forgetAfterPeriods: Int64 = 2

    public init() {}

    /// Everything out of range; empty when valid.
    public func problems() -> [RuleProblem] {
        var out: [RuleProblem] = []
        if openHold.millis < 0 { out.append(.init(field: "hold", message: "must be ≥ 0")) }
        if closedHold.millis < 0 { out.append(.init(field: "closed_hold", message: "must be ≥ 0")) }
        if ExactRatio(hysteresis) < .zero || !(ExactRatio(hysteresis) < .one) {
            out.append(.init(field: "hysteresis", message: "must be within 0 ..< 1"))
        }
        if repeatInterval.millis < 0 { out.append(.init(field: "repeat_interval", message: "must be ≥ 0")) }
        if evaluationStep.millis <= 0 { out.append(.init(field: "evaluation_step", message: "must be > 0")) }
        if let noData, noData.silence.millis <= 0 {
            out.append(.init(field: "no_data.silence", message: "must be > 0"))
        }
        if let b = consumerLagBound, b < 0 { out.append(.init(field: "consumer_lag_bound", message: "must be ≥ 0")) }
        if forgetAfterPeriods < 1 { out.append(.init(field: "forget_after_periods", message: "must be ≥ 1")) }
        return out
    }
}

/// The silence alert: a scope that had traffic and then shows none for
/// `silence` of event time (other shops of its partition moving the
/// watermark on) fires `rule: "no-data"`. Only new data resolves it —
/// silence never does.
public struct NoDataRule: Sendable, Hashable {
    /// The alert's `rule`.
    public var id: String = "no-data"
    /// Scope types watched (agents fall silent at the end of every shift, so
    /// by default only whole shops).
    public var scopeTypes: Set<ScopeType> = [.shop]
    public var silence: EventTime.Duration = .minutes(30)
    /// Receivers besides the leads routed for the scope.
    public var extraLeads: [String] = []

    public init(id: String = "no-data", scopeTypes: Set<ScopeType> = [.shop], silence: EventTime.Duration = .minutes(30),
                extraLeads: [String] = []) {
        self.id = id; self.scopeTypes = scopeTypes; self.silence = silence; self.extraLeads = extraLeads
    }
}
