/// The alerts of one input partition: every rule × scope × window's state
/// machine, the no-data watch, inhibition and quiet hours.
///
/// The service calls `advance` after each drain of the partition's
/// `PartitionKPIState` with the drained snapshots and the partition's
/// watermark, and publishes the returned alerts in order.
///
/// Event time only: alerts are evaluated when the watermark crosses a
/// multiple of `policy.evaluationStep` (default one minute), once, at that
/// tick instant, against the latest snapshot of each window. Snapshots given
/// between ticks are only stored. Hence the reproducibility contract: when
/// the service drains and calls `advance` right after ingesting each record
/// that moves the watermark across a tick (before the next record), a
/// backfill over the same partition input produces the same alerts — ids,
/// states, values, order — as the live run, whatever the wall-clock drain
/// cadence in between. The consumer lag (inhibition) is the one input not
/// in event time; a backfill passes 0.
///
/// Output order within one call: no-data alerts by scope, then target alerts
/// by scope, window type, window start, rule (config order).
public struct AlertBook: Sendable {
    public private(set) var targets: TargetBook
    public let policy: AlertPolicy
    public let fractionDigits: Int

    struct Tracked: Sendable {
        var snapshot: KPISnapshot
        /// Indexes into `targets.rules`, and one machine and listing entry per rule.
        var rules: [Int]
        var machines: [AlertStateMachine]
        var current: [Alert?]
        /// Some rule judges a total, whose status in an open calendar window
        /// moves with time (pace, minimum elapsed) and not only with the metrics.
        var paced: Bool
    }

    struct Silence: Sendable {
        var lastActivity: EventTime
        /// Newest day window seen for the scope (id, start).
        var dayID: String
        var dayStart: Int64
        /// Last metrics per day window start, to tell new data from flag changes.
        var dayMetrics: [Int64: [MetricValue]]
        var machine = AlertStateMachine()
        /// The day window id the current silence episode is filed under.
        var episodeDayID: String?
        var current: Alert?
    }

    /// What receivers last heard before a restart, by alert id; consumed
    /// when the alert's window (or silent scope) is seen again.
    public struct Delivered: Sendable, Hashable {
        public var id: String
        public var state: AlertState
        public var since: EventTime
        public var at: EventTime
        public init(id: String, state: AlertState, since: EventTime, at: EventTime) {
            self.id = id; self.state = state; self.since = since; self.at = at
        }
    }

    var tracked: [WindowKey: Tracked] = [:]
    private var restored: [String: Delivered] = [:]
    /// Machines restored from a checkpoint, by alert id; consumed like `restored`, and before it.
    var resumed: [String: AlertStateMachine] = [:]
    var silences: [Scope: Silence] = [:]
    var lastTick: EventTime?
    private let hysteresis: ExactRatio

    /// `rules` and `teams` from config (validated); `zone`: the configured
    /// time zone (pace shapes, quiet hours, `since` text); `fractionDigits`:
    /// money digits for messages.
    public init(rules: [TargetRule], policy: AlertPolicy = AlertPolicy(), teams: TeamDirectory, zone: ZoneRules,
                fractionDigits: Int = 2) {
        self.targets = TargetBook(rules: rules, teams: teams, zone: zone)
        self.policy = policy
        self.fractionDigits = fractionDigits
        self.hysteresis = ExactRatio(policy.hysteresis)
    }

    /// Stores the snapshots, and when the watermark has crossed a new
    /// evaluation tick, evaluates every alert at that tick. Returns the
    /// notifications to send (firing, resolved, repeats), in order.
    /// `consumerLag`: records the partition's consumer is behind (0 in a backfill).
    public mutating func advance(_ snapshots: [KPISnapshot], watermark: EventTime?, consumerLag: Int64 = 0) -> [Alert] {
        for s in snapshots { store(s, watermark: watermark) }
        guard let watermark else { return [] }
        let step = policy.evaluationStep.millis
        let tick = EventTime(millis: CivilTime.floorDiv(watermark.millis, step) * step)
        if let lastTick, tick <= lastTick { return [] }
        lastTick = tick
        return evaluate(at: tick, consumerLag: consumerLag)
    }

    /// Every alert not idle (pending, firing, resolved) as of the last tick,
    /// in output order: what `GET /api/v1/alerts` lists.
    public var alerts: [Alert] {
        silences.keys.sorted().compactMap { silences[$0]?.current }
            + tracked.keys.sorted().flatMap { tracked[$0]!.current.compactMap { $0 } }
    }

    /// Seeds the machines with the last published state of each alert id
    /// (the service reads `kpi.alerts` back on restore), so a restarted
    /// book neither re-sends a firing nor forgets to send its resolution.
    /// The service should still drop a replayed notification equal (id and
    /// state) to the last one it published.
    public mutating func restore(_ delivered: [Delivered]) {
        for d in delivered { restored[d.id] = d }
    }

    /// Takes in snapshots without evaluating: after a restore from a
    /// checkpoint, the current state of every window, so that windows that
    /// never change again are still judged (and resolved) at later ticks.
    public mutating func learn(_ snapshots: [KPISnapshot], watermark: EventTime?) {
        for s in snapshots { store(s, watermark: watermark) }
    }

    mutating func machine(for id: String) -> AlertStateMachine {
        if let m = resumed.removeValue(forKey: id) {
            restored[id] = nil
            return m
        }
        guard let d = restored.removeValue(forKey: id) else { return AlertStateMachine() }
        return AlertStateMachine(delivered: d.state, since: d.since, at: d.at)
    }

    /// Annotates the snapshots' `targets` (see `TargetBook.annotate`).
    public mutating func annotate(_ snapshots: inout [KPISnapshot]) { targets.annotate(&snapshots) }

    /// The open calendar windows whose last snapshot shows a target status
    /// that no longer holds at `watermark`, although their metrics did not
    /// change: a paced total falls behind (or catches up) as the day goes
    /// on, and a total leaves `insufficient_sample` once `min_elapsed` is
    /// past. The service emits them again (`PartitionKPIState.reissue`) at
    /// each evaluation tick, so that the snapshot and the dashboard show the
    /// status the alerts judge by. `fresh`: this drain's snapshots, already
    /// judged at `watermark` and not stored yet. Pace values alone are not a
    /// change. In output order.
    public mutating func restatused(at watermark: EventTime, fresh: [KPISnapshot]) -> [WindowKey] {
        var stale: [WindowKey] = []
        for (key, t) in tracked where t.paced && !t.snapshot.window.closed && watermark.millis < t.snapshot.window.end.millis {
            var now = t.snapshot
            now.watermark = watermark
            let judged = targets.statuses(for: now)
            if !judged.elementsEqual(t.snapshot.targets, by: { $0.metric == $1.metric && $0.status == $1.status }) {
                stale.append(key)
            }
        }
        guard !stale.isEmpty else { return [] }
        let drained = Set(fresh.map(WindowKey.init))
        return stale.filter { !drained.contains($0) }.sorted()
    }

    // MARK: - Input

    /// `isActivity: false`: the snapshot is re-learned after a restore, not new data.
    mutating func store(_ s: KPISnapshot, watermark: EventTime?, isActivity: Bool = true) {
        if let noData = policy.noData, noData.scopeTypes.contains(s.scope.type), s.window.type == .day {
            noteActivity(s, at: s.watermark ?? watermark ?? s.window.start, isActivity: isActivity)
        }
        let rules = targets.ruleIndexes(selecting: s)
        let key = WindowKey(s)
        if tracked[key] != nil {
            tracked[key]!.snapshot = s
        } else if !rules.isEmpty {
            let machines = rules.map { r in
                machine(for: Alert.id(rule: targets.rules[r].id, scope: s.scope, windowType: s.window.type, windowID: s.window.id))
            }
            let paced = s.window.type.isCalendar
                && rules.contains { (MetricCatalog.kind(of: targets.rules[$0].metric) ?? .total) == .total }
            tracked[key] = Tracked(snapshot: s, rules: rules, machines: machines, current: rules.map { _ in nil },
                                   paced: paced)
        }
    }

    /// Data is new when a day window's metrics differ from the last seen
    /// ones (a flag-only revision, e.g. `closed` or `final`, is not data).
    mutating func noteActivity(_ s: KPISnapshot, at time: EventTime, isActivity: Bool = true) {
        let values = s.metrics.map(\.value)
        let start = s.window.start.millis
        guard var silence = silences[s.scope] else {
            var fresh = Silence(lastActivity: time, dayID: s.window.id, dayStart: start, dayMetrics: [start: values])
            // A silence alert published before a restart resolves with this data.
            if let rule = policy.noData {
                let prefix = Alert.id(rule: rule.id, scope: s.scope, windowType: .day, windowID: "")
                let mine = restored.values.filter { $0.id.hasPrefix(prefix) }
                for d in mine { restored[d.id] = nil }
                if let d = mine.filter({ $0.state == .firing }).max(by: { ($0.since, $0.id) < ($1.since, $1.id) }) {
                    fresh.machine = AlertStateMachine(delivered: d.state, since: d.since, at: d.at)
                    fresh.episodeDayID = String(d.id.dropFirst(prefix.count))
                }
            }
            silences[s.scope] = fresh
            return
        }
        if silence.dayMetrics[start] != values {
            silence.dayMetrics[start] = values
            if isActivity && time > silence.lastActivity { silence.lastActivity = time }
        }
        if start >= silence.dayStart { silence.dayStart = start; silence.dayID = s.window.id }
        silences[s.scope] = silence
    }

    // MARK: - Evaluation

    mutating func evaluate(at tick: EventTime, consumerLag: Int64) -> [Alert] {
        var out: [Alert] = []
        var troubled = Set<String>()
        if let noData = policy.noData {
            for scope in silences.keys.sorted() {
                var s = silences[scope]!
                let silent = tick - s.lastActivity
                let condition: TargetCondition = silent >= noData.silence ? .breached : .recovered
                let wasFiring = s.machine.state == .firing
                let action = s.machine.observe(condition, at: tick, hold: .init(millis: 0),
                                               repeatInterval: policy.repeatInterval, held: false)
                if !wasFiring && s.machine.state == .firing { s.episodeDayID = s.dayID }
                if s.machine.state == .firing && scope.type == .shop { troubled.insert(scope.shopID) }
                if let state = s.machine.state {
                    let alert = silenceAlert(scope, s, rule: noData, state: state, at: tick, silent: silent, action: action)
                    s.current = alert
                    if action != nil { out.append(alert) }
                }
                silences[scope] = s
            }
        }
        let lagging = policy.consumerLagBound.map { consumerLag > $0 } ?? false
        let minute = Int((CivilTime.floorDiv(tick.millis + Int64(targets.zone.utcOffsetSeconds(at: tick)) * 1000, 60_000) % 1440 + 1440) % 1440)
        for key in tracked.keys.sorted() {
            var t = tracked[key]!
            // A window already past the forget horizon is dropped below: an
            // alert raised on it now could never resolve (e.g. a straggler
            // weeks old, counted as a partition's first event).
            if isForgotten(t.snapshot.window, at: tick) { continue }
            let snapshot = t.snapshot
            let closed = snapshot.window.closed || (snapshot.window.type.isCalendar && tick >= snapshot.window.end)
            let inhibited = policy.inhibitedScopeTypes.contains(key.scope.type)
                && (lagging || troubled.contains(key.scope.shopID))
            let held = inhibited || targets.teams.isQuiet(key.scope, minuteOfDay: minute)
            for (j, r) in t.rules.enumerated() {
                let rule = targets.rules[r]
                let reading = rule.read(snapshot, at: tick, closed: closed, hysteresis: hysteresis) {
                    targets.paces.fraction(start: snapshot.window.start, end: snapshot.window.end, at: tick,
                                           shape: rule.paceShape, zone: targets.zone)
                }
                let hold = rule.hold ?? (closed ? policy.closedHold : policy.openHold)
                let action = t.machines[j].observe(reading.condition, at: tick, hold: hold,
                                                   repeatInterval: policy.repeatInterval, held: held)
                if let state = t.machines[j].state {
                    // A resolved alert's listing entry keeps the values it resolved with.
                    if state == .resolved && action == nil && t.current[j]?.state == .resolved { continue }
                    let alert = targetAlert(rule, snapshot, reading, state: state,
                                            since: action?.since ?? t.machines[j].since ?? tick, at: tick, action: action)
                    t.current[j] = alert
                    if action != nil { out.append(alert) }
                } else {
                    t.current[j] = nil
                }
            }
            tracked[key] = t
        }
        forget(at: tick)
        return out
    }

    /// Drops calendar windows `forgetAfterPeriods` lengths past their end,
    /// and day metrics of the silence watch older than that.
    mutating func forget(at tick: EventTime) {
        let periods = policy.forgetAfterPeriods
        tracked = tracked.filter { _, t in !isForgotten(t.snapshot.window, at: tick) }
        for scope in silences.keys {
            silences[scope]!.dayMetrics = silences[scope]!.dayMetrics.filter {
                $0.key >= tick.millis - (periods + 1) * 86_400_000
            }
        }
        targets.paces.forget(endingBy: tick)
    }

    /// A calendar window `forgetAfterPeriods` lengths past its end at `tick`.
    func isForgotten(_ w: WindowRef, at tick: EventTime) -> Bool {
        w.type.isCalendar && tick.millis >= w.end.millis + policy.forgetAfterPeriods * (w.end.millis - w.start.millis)
    }

    // MARK: - Alert values

    func targetAlert(_ rule: TargetRule, _ s: KPISnapshot, _ reading: TargetReading, state: AlertState,
                     since: EventTime, at tick: EventTime, action: AlertStateMachine.Action?) -> Alert {
        let pace = reading.pace?.fraction
        let who = s.scope.id ?? s.scope.shopID
        let (label, unit) = Self.label(rule.metric)
        var text = "\(who) \(label) \(TargetJSON.text(reading.value, fractionDigits: fractionDigits))\(unit)"
        if let pace { text += ", pace \(TargetJSON.text(pace: pace, metric: rule.metric, fractionDigits: fractionDigits))\(unit)" }
        text += ", target \(TargetJSON.text(rule.target, fractionDigits: fractionDigits))\(unit) (\(s.window.type.name) \(s.window.id))"
        if state == .resolved { text = "resolved: " + text }
        return Alert(id: Alert.id(rule: rule.id, scope: s.scope, windowType: s.window.type, windowID: s.window.id),
                     state: state, rule: rule.id, scope: s.scope, windowType: s.window.type, windowID: s.window.id,
                     metric: rule.metric, direction: rule.direction, value: reading.value, target: rule.target,
                     pace: pace, since: since, at: tick,
                     leads: targets.teams.leads(for: s.scope, extra: rule.extraLeads), message: text,
                     severity: rule.severity, isRepeat: action?.isRepeat ?? false)
    }

    func silenceAlert(_ scope: Scope, _ s: Silence, rule: NoDataRule, state: AlertState, at tick: EventTime,
                      silent: EventTime.Duration, action: AlertStateMachine.Action?) -> Alert {
        let windowID = s.episodeDayID ?? s.dayID
        let who = scope.id ?? scope.shopID
        let minutes = rule.silence.millis / 60_000
        let text = state == .resolved
            ? "resolved: \(who) data again, silent limit \(minutes) min (day \(windowID))"
            : "\(who) no data for \(silent.millis / 60_000) min, limit \(minutes) min (day \(windowID))"
        // Firing: silent since the last data; resolved: when data came back.
        let since = state == .firing ? s.lastActivity : (action?.since ?? s.machine.since ?? tick)
        return Alert(id: Alert.id(rule: rule.id, scope: scope, windowType: .day, windowID: windowID), state: state,
                     rule: rule.id, scope: scope, windowType: .day, windowID: windowID, metric: "silence_s",
                     direction: .lowerIsBetter, value: .count(Swift.max(0, silent.millis / 1000)),
                     target: .count(rule.silence.millis / 1000), pace: nil, since: since, at: tick,
                     leads: targets.teams.leads(for: scope, extra: rule.extraLeads), message: text,
                     isRepeat: action?.isRepeat ?? false)
    }

    /// `first_response_s` → ("first response", " s"); `conversion_rate` → ("conversion rate", "").
    static func label(_ metric: String) -> (String, String) {
        var name = Substring(metric)
        var unit = ""
        if name.hasSuffix("_s") { name = name.dropLast(2); unit = " s" }
        return (name.replacingOccurrences(of: "_", with: " "), unit)
    }
}

private extension Substring {
    func replacingOccurrences(of a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
