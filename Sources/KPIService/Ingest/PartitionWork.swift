import KPICore

/// Everything that appraises one input partition, the same in backfill and
/// live: its KPI state, its alert book (targets and alerts) and score book
/// (month scores and payouts).
///
/// Alerts are evaluated in event time: each time the partition's watermark
/// crosses an evaluation tick, right after the event that moved it, the
/// alert book takes the watched windows that changed since the last tick
/// and evaluates what changed or fell due, so a backfill raises exactly the
/// alerts a live run raised (same ids, states and order) whatever the read
/// speed. Snapshots are built only when emitted: by the live service's
/// drains, or once at the end of a backfill.
///
/// A class, used by one thread: the state and the books are large values
/// mutated in place on every event, never copied.
final class PartitionWork {
    var state: PartitionKPIState
    /// Targets and the no-data watch; `appraises` says whether any apply.
    private var alerts: AlertBook
    private let appraises: Bool
    private var scores: ScoreBook?
    private let tickMillis: Int64
    private var lastTick: Int64?
    /// `KPIConfiguration.idleTimeout` and `allowedLateness`, in ms.
    private let idleMillis: Int64
    private let latenessMillis: Int64
    /// Alert notifications in the order they were raised, not yet taken.
    private(set) var raised: [Alert] = []
    /// Grows whenever the alert book may list something else (an evaluated
    /// tick, a resume): the live service lists the book again when it moved.
    private(set) var bookVersion = 0

    /// `emits`: snapshots are drained as they change (live); false: only
    /// taken at the end (`finalSnapshots`, a backfill).
    init(state: PartitionKPIState, alerts: AlertBook?, scores: ScoreBook?, tick: EventTime.Duration, emits: Bool = true) {
        self.state = state
        self.appraises = alerts != nil
        self.alerts = alerts ?? AlertBook(rules: [], policy: AlertPolicy(), teams: TeamDirectory(teams: []), zone: state.zone)
        self.scores = scores
        self.tickMillis = max(1, tick.millis)
        self.idleMillis = state.configuration.idleTimeout.millis
        self.latenessMillis = state.configuration.allowedLateness.millis
        self.state.tracksEmissions = emits
        if let alerts { self.state.watch = alerts.watch }
    }

    /// Announces an event to be ingested soon (`PartitionKPIState.prefetch`).
    func prefetch(_ event: borrowing ShopEvent) { state.prefetch(event) }

    /// Counts one event, then evaluates the alerts when the watermark crossed a tick.
    /// `seen`: see `PartitionKPIState.ingest(_:recordTimestamp:seen:)`.
    ///
    /// A record that comes after a gap of `idleTimeout` since the partition's
    /// previous one (record timestamps) first moves time on to its own
    /// timestamp − the allowed lateness, as a consumer reading the records as
    /// they were written would have (the partition was idle meanwhile): a
    /// replay or a backfill closes days, fires no-data alerts and turns paced
    /// targets red where the live service did.
    func ingest(_ event: ShopEvent, recordTimestamp: EventTime?, seen: Int64 = .min, consumerLag: Int64 = 0) -> IngestOutcome {
        if let r = recordTimestamp?.millis, r > state.lastRecordTime ?? .min {
            if idleMillis > 0, let last = state.lastRecordTime, r - last >= idleMillis {
                advanceTime(to: EventTime(millis: r - latenessMillis), consumerLag: consumerLag)
            }
            state.lastRecordTime = r
        }
        let outcome = state.ingest(event, recordTimestamp: recordTimestamp, seen: seen)
        if appraises, let wm = state.watermark {
            let tick = CivilTime.floorDiv(wm.millis, tickMillis)
            if tick != lastTick {
                lastTick = tick
                evaluateTick(consumerLag: consumerLag)
            }
        }
        return outcome
    }

    /// Moves the partition's time on without events (never back): the
    /// watermark to `target`, crossing each evaluation tick on the way as
    /// events would have, so that holds, repeats and no-data alerts fall due
    /// at the ticks they would in a stream. Nothing before the first event.
    func advanceTime(to target: EventTime, consumerLag: Int64 = 0) {
        guard let wm = state.watermark, target > wm else { return }
        if appraises {
            var tick = CivilTime.floorDiv(wm.millis, tickMillis) + 1
            let end = CivilTime.floorDiv(target.millis, tickMillis)
            while tick <= end {
                state.advanceWatermark(to: EventTime(millis: tick * tickMillis))
                lastTick = tick
                evaluateTick(consumerLag: consumerLag)
                tick += 1
            }
        }
        state.advanceWatermark(to: target)
    }

    /// The input's end (a backfill's `--until`, else its last record) plays
    /// the consumer's clock: a partition idle by then (its last record
    /// `idleTimeout` or more before it) has its time moved on to it.
    func inputEnded(at end: Int64) {
        guard idleMillis > 0, let last = state.lastRecordTime, end - last >= idleMillis else { return }
        advanceTime(to: EventTime(millis: end - latenessMillis))
    }

    /// Feeds what changed to the alert book and evaluates at the watermark's tick.
    private func evaluateTick(consumerLag: Int64) {
        bookVersion &+= 1
        // Most ticks of a sparse history find nothing new and nothing due:
        // passed over at the cost of a few comparisons.
        if let wm = state.watermark, alerts.hasNothingToTake(from: state), alerts.isIdle(through: wm) {
            alerts.pass(watermark: wm)
            return
        }
        alerts.take(from: &state)
        raised.append(contentsOf: alerts.advance(watermark: state.watermark, consumerLag: consumerLag))
    }

    /// The snapshots changed since the last call, annotated with targets and
    /// scores, in output order (live emission). Windows whose target status
    /// changed with time alone (a day's sales falling behind the pace while
    /// no order comes in) are emitted again.
    func takeSnapshots(emittedAt: EventTime) -> [KPISnapshot] {
        var batch = state.drainChanged(emittedAt: emittedAt)
        guard appraises || scores != nil else { return batch }
        alerts.annotate(&batch)
        if appraises, let wm = state.watermark, case let stale = alerts.restatused(at: wm, fresh: batch), !stale.isEmpty {
            var again = state.reissue(stale, emittedAt: emittedAt)
            alerts.annotate(&again)
            batch.append(contentsOf: again)
            batch.sort(by: KPISnapshot.outputOrder)
        }
        if let stale = scores?.annotate(&batch), !stale.isEmpty, scores?.anyFollowsShopSales == true {
            // A payout on the shop's month sales follows them: its agent's month is emitted again.
            let fresh = Set(batch.map(WindowKey.init))
            var keys: [WindowKey] = []
            for shopMonth in stale {
                for agent in state.scopes(ofShop: shopMonth.scope.shopID, type: .agent)
                where scores!.followsShopSales(agent: agent.id ?? "") {
                    let key = WindowKey(scope: agent, type: .month, start: shopMonth.start)
                    if !fresh.contains(key) { keys.append(key) }
                }
            }
            var again = state.reissue(keys, emittedAt: emittedAt)
            alerts.annotate(&again)
            scores?.annotate(&again)
            batch.append(contentsOf: again)
            batch.sort(by: KPISnapshot.outputOrder)
        }
        return batch
    }

    /// Every window's snapshot as it stands (those evicted from retention on
    /// the way included), annotated, in output order: a backfill's output.
    func finalSnapshots(emittedAt: EventTime) -> [KPISnapshot] {
        var all = state.currentSnapshots(emittedAt: emittedAt)
        alerts.annotate(&all)
        scores?.annotate(&all)
        return all
    }

    /// Every alert of the book not idle as of its last tick (pending,
    /// firing, including those whose notification is held by quiet hours or
    /// inhibition, and resolved), in output order: `GET /api/v1/alerts`.
    func currentAlerts() -> [Alert] { appraises ? alerts.alerts : [] }

    /// The alert notifications raised since the last call.
    func takeAlerts() -> [Alert] {
        // Not keeping the capacity: a backfill's partitions may have held thousands.
        defer { raised = [] }
        return raised
    }

    /// The appraisal's part of a checkpoint (the alert book; scores are
    /// derived from the snapshots alone). Empty without alerts.
    func appraisalCheckpoint() -> [UInt8] { appraises ? alerts.checkpoint() : [] }

    /// After a restore from a checkpoint (the inputs before it are not read
    /// again): the alert book resumes from its checkpointed machines when
    /// there is one (`appraisal`), else from the notifications already
    /// published (read back from the alerts topic); and the books learn every
    /// window's current state without emitting anything, so windows that do
    /// not change again are still judged, resolved and scored. The tick the
    /// checkpoint was taken in is not evaluated again.
    func resume(appraisal: [UInt8], delivered: [AlertBook.Delivered], at now: EventTime) {
        if let wm = state.watermark { lastTick = CivilTime.floorDiv(wm.millis, tickMillis) }
        if scores != nil {
            // The score book learns each shop's month sales.
            var current = state.currentSnapshots(emittedAt: now)
            scores?.annotate(&current)
        }
        guard appraises else { return }
        bookVersion &+= 1
        alerts.restore(delivered)
        if !appraisal.isEmpty {
            do {
                try alerts.resume(checkpoint: appraisal)
            } catch {
                // A damaged appraisal part: the published notifications seed the machines instead.
            }
        }
        // What the checkpoint holds is the books' starting point, not new data.
        state.primeWatchedFingerprints()
        alerts.take(from: &state)
    }
}

extension ServiceConfiguration {
    /// The appraisal of one partition as this configuration defines it.
    func partitionWork(state: PartitionKPIState, emits: Bool = true) -> PartitionWork {
        let rules = targetRules
        let policy = alertPolicy
        let useAlerts = !rules.isEmpty || policy.noData != nil
        return PartitionWork(
            state: state,
            alerts: useAlerts ? alertBook(zone: state.zone) : nil,
            scores: teamSchemes.isEmpty ? nil : scoreBook,
            tick: policy.evaluationStep,
            emits: emits)
    }
}
