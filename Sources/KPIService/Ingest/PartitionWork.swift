import KPICore

/// Everything that appraises one input partition, the same in backfill and
/// live: its KPI state, its alert book (targets and alerts) and score book
/// (month scores and payouts).
///
/// Alerts are evaluated in event time: the snapshots are drained and judged
/// each time the partition's watermark crosses an evaluation tick, right
/// after the event that moved it, so a backfill raises exactly the alerts a
/// live run raised (same ids, states and order) whatever the read speed.
struct PartitionWork {
    var state: PartitionKPIState
    private var alerts: AlertBook?
    private var scores: ScoreBook?
    private let tickMillis: Int64
    private var lastTick: Int64?
    /// Drained snapshots not yet emitted: the latest per scope × window.
    private var pending: [WindowKey: KPISnapshot] = [:]
    /// Alert notifications in the order they were raised, not yet taken.
    private(set) var raised: [Alert] = []

    init(state: PartitionKPIState, alerts: AlertBook?, scores: ScoreBook?, tick: EventTime.Duration) {
        self.state = state
        self.alerts = alerts
        self.scores = scores
        self.tickMillis = max(1, tick.millis)
    }

    /// Whether targets or scorecards apply (otherwise snapshots are only drained for emission).
    private var appraises: Bool { alerts != nil || scores != nil }

    /// Announces an event to be ingested soon (`PartitionKPIState.prefetch`).
    mutating func prefetch(_ event: borrowing ShopEvent) { state.prefetch(event) }

    /// Counts one event, then evaluates when the watermark crossed a tick.
    mutating func ingest(_ event: ShopEvent, recordTimestamp: EventTime?, emittedAt: () -> EventTime, consumerLag: Int64 = 0) -> IngestOutcome {
        let outcome = state.ingest(event, recordTimestamp: recordTimestamp)
        if appraises, let wm = state.watermark {
            let tick = CivilTime.floorDiv(wm.millis, tickMillis)
            if tick != lastTick {
                lastTick = tick
                evaluate(emittedAt: emittedAt(), consumerLag: consumerLag, atTick: true)
            }
        }
        return outcome
    }

    /// Drains what changed, annotates targets and scores, and advances the
    /// alerts. `atTick`: the watermark just crossed an evaluation tick, so
    /// windows whose target status changed with time alone are emitted
    /// again (in event time, hence the same in live and backfill).
    mutating func evaluate(emittedAt: EventTime, consumerLag: Int64 = 0, atTick: Bool = false) {
        var batch = state.drainChanged(emittedAt: emittedAt)
        // Mutated in place through the optionals: a copy of a book per tick would cost its whole size.
        alerts?.annotate(&batch)
        if atTick, let wm = state.watermark, let stale = alerts?.restatused(at: wm, fresh: batch), !stale.isEmpty {
            var again = state.reissue(stale, emittedAt: emittedAt)
            alerts?.annotate(&again)
            batch.append(contentsOf: again)
            batch.sort(by: KPISnapshot.outputOrder)
        }
        scores?.annotate(&batch)
        if let new = alerts?.advance(batch, watermark: state.watermark, consumerLag: consumerLag) {
            raised.append(contentsOf: new)
        }
        for s in batch { pending[WindowKey(s)] = s }
    }

    /// The snapshots changed since the last call (evaluating first), in output order.
    mutating func takeSnapshots(emittedAt: EventTime) -> [KPISnapshot] {
        evaluate(emittedAt: emittedAt)
        let out = pending.values.sorted(by: KPISnapshot.outputOrder)
        pending.removeAll(keepingCapacity: true)
        return out
    }

    /// The alert notifications raised since the last call.
    mutating func takeAlerts() -> [Alert] {
        defer { raised.removeAll(keepingCapacity: true) }
        return raised
    }

    /// The appraisal's part of a checkpoint (the alert book; scores are
    /// derived from the snapshots alone). Empty without alerts.
    func appraisalCheckpoint() -> [UInt8] { alerts?.checkpoint() ?? [] }

    /// After a restore from a checkpoint (the inputs before it are not read
    /// again): the alert book resumes from its checkpointed machines when
    /// there is one (`appraisal`), else from the notifications already
    /// published (read back from the alerts topic); and the books learn every
    /// window's current state without emitting anything, so windows that do
    /// not change again are still judged, resolved and scored. The tick the
    /// checkpoint was taken in is not evaluated again.
    mutating func resume(appraisal: [UInt8], delivered: [AlertBook.Delivered], at now: EventTime) {
        if let wm = state.watermark { lastTick = CivilTime.floorDiv(wm.millis, tickMillis) }
        guard appraises else { return }
        var current = state.currentSnapshots(emittedAt: now)
        // Judged now, so that the next tick re-emits only windows whose status then changes.
        alerts?.annotate(&current)
        scores?.annotate(&current)
        alerts?.restore(delivered)
        if !appraisal.isEmpty {
            do {
                try alerts?.resume(checkpoint: appraisal, current: current)
                return
            } catch {
                // A damaged appraisal part: the published notifications seed the machines instead.
            }
        }
        alerts?.learn(current, watermark: state.watermark)
    }
}

extension ServiceConfiguration {
    /// The appraisal of one partition as this configuration defines it.
    func partitionWork(state: PartitionKPIState) -> PartitionWork {
        let rules = targetRules
        let policy = alertPolicy
        let useAlerts = !rules.isEmpty || policy.noData != nil
        return PartitionWork(
            state: state,
            alerts: useAlerts ? alertBook(zone: state.zone) : nil,
            scores: teamSchemes.isEmpty ? nil : scoreBook,
            tick: policy.evaluationStep)
    }
}
