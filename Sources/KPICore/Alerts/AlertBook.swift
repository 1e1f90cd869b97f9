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

    /// What one rule judges of a window: its metric's value and sample.
    struct Reading: Sendable, Hashable {
        var value: MetricValue?
        /// The sample behind a rate, mean or ratio (`MetricCatalog.sampleSize`); nil for totals.
        var sample: Int64?
    }

    /// One rule × scope × window's machines (one per rule judging it).
    struct Tracked: Sendable {
        let key: WindowKey
        var window: WindowRef
        /// Indexes into `targets.rules`, and one reading, machine and resolved listing entry per rule.
        var rules: [Int]
        var readings: [Reading]
        var machines: [AlertStateMachine]
        /// The listing entry of a resolved alert: the values it resolved with.
        var resolved: [Alert?]
        /// Some rule judges a total, whose status in an open calendar window
        /// moves with time (pace, minimum elapsed) and not only with the metrics.
        var paced: Bool
        /// The next time at which time alone may change something (a hold
        /// ending, a repeat due, the window closing or being forgotten, a
        /// notification held back); `.max`: none. Scheduled in `dueQueue`.
        var due: Int64 = .max
        /// In the next tick's candidates already.
        var touched = false
        /// The statuses of the last snapshot emitted for the window (`annotate`),
        /// for `restatused`; nil before the first.
        var emittedStatuses: [TargetStatus.Status]?
        /// The window's key in the partition's `PartitionKPIState`, when fed by it (`engineKey`).
        var engineKey: UInt64?
        /// False once forgotten (the slot is free).
        var alive = true
        /// Held while these quiet hours hold (`TeamDirectory.quietRanges`); empty: never.
        var quiet: [[QuietHours]] = []
        /// The silence slot of the scope's shop (inhibition), once it exists.
        var shopSilence: Int32 = -1
        /// Per rule, its alert id and leads, made at the window's first alert
        /// (empty before): not at every notification.
        var alertIDs: [String] = []
        var leads: [[String]] = []
    }

    /// The no-data watch of one scope.
    struct Silence: Sendable {
        let scope: Scope
        var lastActivity: EventTime
        /// Newest day window seen for the scope (id, start).
        var dayID: String
        var dayStart: Int64
        /// Last metrics per day window start, to tell new data from flag
        /// changes, when fed snapshots (`store`); the engine tells it itself.
        var dayMetrics: [Int64: [MetricValue]] = [:]
        var machine = AlertStateMachine()
        /// The day window id the current silence episode is filed under.
        var episodeDayID: String?
        var due: Int64 = .max
        var touched = false
        /// The alert id of the day window last alerted on (`alertDayID`), and
        /// the leads: made once, not at every repeat of a long silence.
        var alertID = ""
        var alertDayID = ""
        var leads: [String]?
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

    // Windows: slots (a freed slot is reused), by key and by engine key.
    var entries: [Tracked] = []
    var slotOf: [WindowKey: Int32] = [:]
    var engineSlots: [UInt64: Int32] = [:]
    private var freeSlots: [Int32] = []
    // Silences: slots (never freed), by scope and by engine scope index.
    var silenceEntries: [Silence] = []
    var silenceSlot: [Scope: Int32] = [:]
    var silenceEngine: [Int32: Int32] = [:]

    private var restored: [String: Delivered] = [:]
    /// Machines restored from a checkpoint, by alert id; consumed like `restored`, and before it.
    var resumed: [String: AlertStateMachine] = [:]
    var lastTick: EventTime?
    private let hysteresis: ExactRatio

    // Work proportional to change: the windows and scopes to evaluate at the
    // next tick are those touched since the last one and those due by then.
    private var touchedWindows: [Int32] = []
    private var touchedSilences: [Int32] = []
    private var dueQueue = DueSchedule()
    private var silenceDue = DueSchedule()
    /// How many shops' no-data alerts are firing (their agent and team alerts are held).
    var troubledShops = 0
    /// Local day (of the last tick) at which pace tables and day metrics were last trimmed.
    private var trimmedDay: Int64 = .min
    /// The rules (also in `targets`; apart so that judging one while the
    /// pace cache in `targets` changes copies nothing), their label and
    /// unit for messages, and the scope types inhibited, as bits.
    private let ruleList: [TargetRule]
    private let ruleKinds: [MetricKind]
    private let ruleDirections: [MetricDirection]
    private let inhibitedTypes: UInt8
    /// Scope types the no-data watch follows, as bits.
    let silenceTypes: UInt8
    /// The policy's durations, copied out (the policy holds sets, whose copy costs retains).
    let timing: Timing

    struct Timing: Sendable {
        var closedHold: EventTime.Duration
        var openHold: EventTime.Duration
        var repeatInterval: EventTime.Duration
        var forgetAfterPeriods: Int64
    }
    private var offsets = ZoneOffsetCache()
    /// Metric of each rule and how its sample is read, resolved once.
    private let ruleMetrics: [Metric?]
    private let ruleSamples: [(MetricSample?, Metric?)]
    /// Tracked rolling windows fed by the engine (read again when the watermark hour moves), and that hour.
    var rollingSlots: [Int32] = []
    var readHour: Int32?

    /// `rules` and `teams` from config (validated); `zone`: the configured
    /// time zone (pace shapes, quiet hours, `since` text); `fractionDigits`:
    /// money digits for messages.
    public init(rules: [TargetRule], policy: AlertPolicy = AlertPolicy(), teams: TeamDirectory, zone: ZoneRules,
                fractionDigits: Int = 2) {
        self.targets = TargetBook(rules: rules, teams: teams, zone: zone)
        self.policy = policy
        self.fractionDigits = fractionDigits
        self.hysteresis = ExactRatio(policy.hysteresis)
        self.ruleList = rules
        self.ruleKinds = rules.map { MetricCatalog.kind(of: $0.metric) ?? .total }
        self.ruleDirections = rules.map(\.direction)
        self.inhibitedTypes = policy.inhibitedScopeTypes.reduce(0) { $0 | 1 << $1.rawValue }
        self.silenceTypes = (policy.noData?.scopeTypes ?? []).reduce(0) { $0 | 1 << $1.rawValue }
        self.timing = Timing(closedHold: policy.closedHold, openHold: policy.openHold, repeatInterval: policy.repeatInterval,
                             forgetAfterPeriods: policy.forgetAfterPeriods)
        self.ruleMetrics = rules.map { Metric(rawValue: $0.metric) }
        self.ruleSamples = rules.map { rule in
            let sample = MetricCatalog.sample(of: rule.metric)
            if case .metric(let other)? = sample { return (sample, Metric(rawValue: other)) }
            return (sample, nil)
        }
    }

    /// The windows this book reads as they change (`PartitionKPIState.watch`).
    public var watch: WindowWatch {
        WindowWatch(targets: targets.rules.isEmpty ? nil : targets, silenceScopeTypes: policy.noData?.scopeTypes ?? [])
    }

    /// Stores the snapshots, and when the watermark has crossed a new
    /// evaluation tick, evaluates every alert at that tick. Returns the
    /// notifications to send (firing, resolved, repeats), in order.
    /// `consumerLag`: records the partition's consumer is behind (0 in a backfill).
    public mutating func advance(_ snapshots: [KPISnapshot], watermark: EventTime?, consumerLag: Int64 = 0) -> [Alert] {
        for s in snapshots { store(s, watermark: watermark) }
        return advance(watermark: watermark, consumerLag: consumerLag)
    }

    /// Evaluates at the watermark's tick if it is a new one (what changed was
    /// given before, by `store` or `take(from:)`).
    public mutating func advance(watermark: EventTime?, consumerLag: Int64 = 0) -> [Alert] {
        guard let watermark else { return [] }
        let step = policy.evaluationStep.millis
        let tick = EventTime(millis: CivilTime.floorDiv(watermark.millis, step) * step)
        if let lastTick, tick <= lastTick { return [] }
        lastTick = tick
        return evaluate(at: tick, consumerLag: consumerLag)
    }

    /// Whether an evaluation at `tick` would find nothing to do: no window
    /// or scope touched since the last one and nothing due by then. Such a
    /// tick need not be evaluated (`pass(tick:)`): its outcome is known.
    public func isIdle(through tick: EventTime) -> Bool {
        touchedWindows.isEmpty && touchedSilences.isEmpty
            && dueQueue.earliest > tick.millis && silenceDue.earliest > tick.millis
    }

    /// Moves the last tick on to the watermark's without evaluating, when
    /// `isIdle` says there is nothing to evaluate (the listing's `at`
    /// follows it, as after an evaluation).
    public mutating func pass(watermark: EventTime) {
        let step = policy.evaluationStep.millis
        let tick = EventTime(millis: CivilTime.floorDiv(watermark.millis, step) * step)
        if let lastTick, tick <= lastTick { return }
        lastTick = tick
    }

    /// The tracked windows in output order.
    var trackedInOrder: [Tracked] {
        slotOf.keys.sorted().map { entries[Int(slotOf[$0]!)] }
    }

    /// Every alert not idle (pending, firing, resolved) as of the last tick,
    /// in output order: what `GET /api/v1/alerts` lists.
    public var alerts: [Alert] {
        get {
            guard let tick = lastTick else { return [] }
            var paces = targets.paces
            var out: [Alert] = []
            if let rule = policy.noData {
                for scope in silenceSlot.keys.sorted() {
                    let s = silenceEntries[Int(silenceSlot[scope]!)]
                    guard let state = s.machine.state else { continue }
                    out.append(silenceAlert(scope, s, rule: rule, state: state, at: tick, silent: tick - s.lastActivity, action: nil))
                }
            }
            for t in trackedInOrder {
                let closed = t.window.closed || (t.window.type.isCalendar && tick >= t.window.end)
                for (j, r) in t.rules.enumerated() {
                    switch t.machines[j].state {
                    case .resolved?:
                        if let a = t.resolved[j] { out.append(a) }
                    case let state?:
                        let reading = judge(r, t.readings[j], t.window, at: tick, closed: closed, hysteresis: hysteresis,
                                            paces: &paces)
                        out.append(targetAlert(targets.rules[r], t.key.scope, t.window, reading, state: state,
                                               since: t.machines[j].since ?? tick, at: tick, action: nil))
                    case nil:
                        break
                    }
                }
            }
            return out
        }
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
        for s in snapshots { store(s, watermark: watermark, isActivity: false) }
    }

    mutating func machine(for id: String) -> AlertStateMachine {
        if let m = resumed.removeValue(forKey: id) {
            restored[id] = nil
            return m
        }
        guard let d = restored.removeValue(forKey: id) else { return AlertStateMachine() }
        return AlertStateMachine(delivered: d.state, since: d.since, at: d.at)
    }

    /// Annotates the snapshots' `targets` (see `TargetBook.annotate`), and
    /// remembers the statuses emitted for windows whose status moves with time.
    public mutating func annotate(_ snapshots: inout [KPISnapshot]) {
        targets.annotate(&snapshots)
        for s in snapshots where !s.targets.isEmpty {
            if let slot = slotOf[WindowKey(s)], entries[Int(slot)].paced {
                entries[Int(slot)].emittedStatuses = s.targets.map(\.status)
            }
        }
    }

    /// The open calendar windows whose last emitted snapshot shows a target
    /// status that no longer holds at `watermark`, although their metrics did
    /// not change: a paced total falls behind (or catches up) as the day goes
    /// on, and a total leaves `insufficient_sample` once `min_elapsed` is
    /// past. The service emits them again (`PartitionKPIState.reissue`), so
    /// that the snapshot and the dashboard show the status the alerts judge
    /// by. `fresh`: windows emitted now anyway. Pace values alone are not a
    /// change. In output order.
    public mutating func restatused(at watermark: EventTime, fresh: [KPISnapshot]) -> [WindowKey] {
        var stale: [WindowKey] = []
        for i in entries.indices where entries[i].alive && entries[i].paced {
            let t = entries[i]
            guard !t.window.closed && watermark.millis < t.window.end.millis, let emitted = t.emittedStatuses else { continue }
            var judged: [TargetStatus.Status] = []
            var metrics: [String] = []
            for (j, r) in t.rules.enumerated() where !metrics.contains(targets.rules[r].metric) {
                metrics.append(targets.rules[r].metric)
                judged.append(read(r, t.readings[j], t.window, at: watermark, closed: false, hysteresis: .zero).status)
            }
            if judged != emitted { stale.append(t.key) }
        }
        guard !stale.isEmpty else { return [] }
        let drained = Set(fresh.map(WindowKey.init))
        return stale.filter { !drained.contains($0) }.sorted()
    }

    // MARK: - Input

    /// `isActivity: false`: the snapshot is re-learned after a restore, not new data.
    mutating func store(_ s: KPISnapshot, watermark: EventTime?, isActivity: Bool = true) {
        if s.window.type == .day, watch.mask(for: s.scope) & WindowWatch.silenceBit != 0 {
            let values = s.metrics.map(\.value)
            let start = s.window.start.millis
            let slot = silenceSlot[s.scope]
            let changed = slot.map { silenceEntries[Int($0)].dayMetrics[start] != values } ?? true
            let i = observeDay(slot, s.scope, dayID: s.window.id, dayStart: start, changed: changed,
                               at: s.watermark ?? watermark ?? s.window.start, isActivity: isActivity)
            silenceEntries[Int(i)].dayMetrics[start] = values
        }
        let key = WindowKey(s)
        let slot: Int32
        if let existing = slotOf[key] {
            slot = existing
        } else {
            let rules = targets.ruleIndexes(selecting: s)
            guard !rules.isEmpty else { return }
            slot = startTracking(key, window: s.window, rules: rules)
        }
        var changed = false
        for (j, r) in entries[Int(slot)].rules.enumerated() {
            let metric = targets.rules[r].metric
            let reading = Reading(value: s[metric: metric], sample: MetricCatalog.sampleSize(of: metric, in: s))
            if entries[Int(slot)].readings[j] != reading { entries[Int(slot)].readings[j] = reading; changed = true }
        }
        if entries[Int(slot)].window.closed != s.window.closed {
            entries[Int(slot)].window.closed = s.window.closed
            changed = true
        }
        if changed {
            if !s.window.type.isCalendar { entries[Int(slot)].window = s.window }
            touch(slot)
        }
    }

    /// The rules judging a scope's windows of a type (config order); empty when none.
    public func ruleIndexes(scope: Scope, windowType: WindowType) -> [Int] {
        targets.ruleIndexes(scope: scope, windowType: windowType)
    }

    /// Starts tracking a window (its machines from what was restored, if
    /// anything); it is evaluated at the next tick.
    mutating func startTracking(_ key: WindowKey, window: WindowRef, rules: [Int], engineKey: UInt64? = nil) -> Int32 {
        let machines = rules.map { r in
            machine(for: Alert.id(rule: targets.rules[r].id, scope: key.scope, windowType: window.type, windowID: window.id))
        }
        let paced = window.type.isCalendar
            && rules.contains { (MetricCatalog.kind(of: targets.rules[$0].metric) ?? .total) == .total }
        var t = Tracked(key: key, window: window, rules: rules, readings: rules.map { _ in Reading() }, machines: machines,
                        resolved: rules.map { _ in nil }, paced: paced, engineKey: engineKey)
        t.quiet = targets.teams.quietRanges(key.scope)
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            entries[Int(slot)] = t
        } else {
            slot = Int32(entries.count)
            entries.append(t)
        }
        slotOf[key] = slot
        if let engineKey { engineSlots[engineKey] = slot }
        touch(slot)
        return slot
    }

    /// Stops tracking a window (forgotten).
    mutating func free(_ slot: Int32) {
        let t = entries[Int(slot)]
        slotOf[t.key] = nil
        if let k = t.engineKey { engineSlots[k] = nil }
        entries[Int(slot)].alive = false
        entries[Int(slot)].rules = []
        entries[Int(slot)].readings = []
        entries[Int(slot)].machines = []
        entries[Int(slot)].resolved = []
        entries[Int(slot)].due = .max
        freeSlots.append(slot)
    }

    /// The reading of rule `r` in a view (the metric's value and sample).
    func reading(_ r: Int, _ view: AggregateView) -> Reading {
        guard let metric = ruleMetrics[r] else { return Reading() }
        let value = metric.value(view)
        switch ruleSamples[r].0 {
        case nil: return Reading(value: value, sample: nil)
        case .metric?:
            if let m = ruleSamples[r].1, case .count(let n) = m.value(view) { return Reading(value: value, sample: n) }
            return Reading(value: value, sample: 0)
        case .denominator(let divisor)?:
            switch value {
            case .number(let f?), .moneyRatio(let f?): return Reading(value: value, sample: f.denominator / divisor)
            default: return Reading(value: value, sample: 0)
            }
        }
    }

    /// The view parts the rules of a tracked window read.
    func viewParts(_ slot: Int32) -> ViewParts {
        var parts = ViewParts()
        for r in entries[Int(slot)].rules {
            if let m = ruleMetrics[r] { parts.formUnion(m.viewParts) }
            if let m = ruleSamples[r].1 { parts.formUnion(m.viewParts) }
        }
        return parts
    }

    mutating func touch(_ slot: Int32) {
        guard !entries[Int(slot)].touched else { return }
        entries[Int(slot)].touched = true
        touchedWindows.append(slot)
    }

    /// A day window of a scope the no-data watch follows was seen; `changed`:
    /// its metrics differ from the last seen ones (new data; a flag-only
    /// revision, e.g. `closed` or `final`, is not data). `slot`: the
    /// scope's silence, nil when new. Returns the silence's slot.
    @discardableResult
    mutating func observeDay(_ slot: Int32?, _ scope: @autoclosure () -> Scope, dayID: @autoclosure () -> String,
                             dayStart start: Int64, changed: Bool, at time: EventTime, isActivity: Bool = true) -> Int32 {
        guard let slot else {
            let scope = scope()
            var fresh = Silence(scope: scope, lastActivity: time, dayID: dayID(), dayStart: start)
            // A silence alert published before a restart resolves with this data.
            if let rule = policy.noData {
                let prefix = Alert.id(rule: rule.id, scope: scope, windowType: .day, windowID: "")
                let mine = restored.values.filter { $0.id.hasPrefix(prefix) }
                for d in mine { restored[d.id] = nil }
                if let d = mine.filter({ $0.state == .firing }).max(by: { ($0.since, $0.id) < ($1.since, $1.id) }) {
                    fresh.machine = AlertStateMachine(delivered: d.state, since: d.since, at: d.at)
                    fresh.episodeDayID = String(d.id.dropFirst(prefix.count))
                }
            }
            return addSilence(fresh)
        }
        let i = Int(slot)
        if changed && isActivity && time > silenceEntries[i].lastActivity {
            silenceEntries[i].lastActivity = time
            touchSilence(slot)
        }
        if start > silenceEntries[i].dayStart {
            silenceEntries[i].dayStart = start
            silenceEntries[i].dayID = dayID()
        }
        return slot
    }

    /// Adds a scope's silence; it is evaluated at the next tick.
    @discardableResult
    mutating func addSilence(_ s: Silence) -> Int32 {
        let slot = Int32(silenceEntries.count)
        silenceEntries.append(s)
        if s.scope.type == .shop && s.machine.state == .firing { troubledShops += 1 }
        silenceSlot[s.scope] = slot
        touchSilence(slot)
        return slot
    }

    private mutating func touchSilence(_ slot: Int32) {
        guard !silenceEntries[Int(slot)].touched else { return }
        silenceEntries[Int(slot)].touched = true
        touchedSilences.append(slot)
    }

    // MARK: - Evaluation

    mutating func evaluate(at tick: EventTime, consumerLag: Int64) -> [Alert] {
        var out: [Alert] = []
        // Locals and static helpers below: a method of `self` called here, with
        // `self` being mutated, would copy the whole book.
        let policy = timing
        let teams = targets.teams
        let digits = fractionDigits
        let step = self.policy.evaluationStep.millis
        if let noData = self.policy.noData {
            var candidates: [Int32] = []
            // A scope with data again whose watch is idle and owes receivers
            // nothing stays idle: only its next due time moves (most
            // evaluations: every event of a scope touches its watch). The
            // rest are evaluated in full, in scope order.
            for slot in touchedSilences {
                let i = Int(slot)
                let m = silenceEntries[i].machine
                silenceEntries[i].touched = false
                if case .idle = m.breach, !(m.delivered == .firing && m.resolvedAt != nil),
                   tick - silenceEntries[i].lastActivity < noData.silence {
                    let due = (silenceEntries[i].lastActivity + noData.silence).millis
                    silenceEntries[i].due = max(due, tick.millis + 1)
                    silenceDue.schedule(slot, at: silenceEntries[i].due)
                } else {
                    candidates.append(slot)
                }
            }
            touchedSilences.removeAll(keepingCapacity: true)
            silenceEntries.withUnsafeBufferPointer { e in
                silenceDue.take(through: tick.millis, dueTime: { e[Int($0)].due }, into: &candidates)
            }
            if candidates.count > 1 { Self.sort(&candidates, by: silenceEntries) }
            var previous: Int32 = -1
            for slot in candidates where slot != previous {
                previous = slot
                var s = silenceEntries[Int(slot)]
                s.touched = false
                let silent = tick - s.lastActivity
                let condition: TargetCondition = silent >= noData.silence ? .breached : .recovered
                let wasFiring = s.machine.state == .firing
                let action = s.machine.observe(condition, at: tick, hold: .init(millis: 0),
                                               repeatInterval: policy.repeatInterval, held: false)
                if !wasFiring && s.machine.state == .firing { s.episodeDayID = s.dayID }
                if s.scope.type == .shop && wasFiring != (s.machine.state == .firing) {
                    troubledShops += wasFiring ? -1 : 1
                }
                if action != nil, let state = s.machine.state {
                    let windowID = s.episodeDayID ?? s.dayID
                    if s.alertDayID != windowID || s.alertID.isEmpty {
                        s.alertID = Alert.id(rule: noData.id, scope: s.scope, windowType: .day, windowID: windowID)
                        s.alertDayID = windowID
                    }
                    if s.leads == nil { s.leads = teams.leads(for: s.scope, rule: noData.id, extra: noData.extraLeads) }
                    out.append(Self.silenceAlert(s.scope, s, rule: noData, state: state, at: tick, silent: silent,
                                                 action: action, teams: teams, id: s.alertID, leads: s.leads))
                }
                // Next: when the silence reaches the limit, or a repeat is due.
                var due = Int64.max
                if condition != .breached {
                    due = (s.lastActivity + noData.silence).millis
                } else if case .firing = s.machine.breach, s.machine.delivered == .firing, policy.repeatInterval.millis > 0,
                          let at = s.machine.deliveredAt {
                    due = (at + policy.repeatInterval).millis
                }
                s.due = due == .max ? .max : max(due, tick.millis + 1)
                silenceDue.schedule(slot, at: s.due)
                silenceEntries[Int(slot)] = s
            }
        }
        let lagging = self.policy.consumerLagBound.map { consumerLag > $0 } ?? false
        let local = offsets.localMillis(tick, targets.zone)
        let minute = Int((CivilTime.floorDiv(local, 60_000) % 1440 + 1440) % 1440)
        var candidates = touchedWindows
        touchedWindows.removeAll(keepingCapacity: true)
        entries.withUnsafeBufferPointer { e in
            dueQueue.take(through: tick.millis, dueTime: { e[Int($0)].due }, into: &candidates)
        }
        if candidates.count > 1 { Self.sort(&candidates, by: entries) }
        var previous: Int32 = -1
        for slot in candidates where slot != previous {
            previous = slot
            let i = Int(slot)
            guard entries[i].alive else { continue }
            entries[i].touched = false
            // A window already past the forget horizon is dropped: an alert
            // raised on it now could never resolve (e.g. a straggler weeks
            // old, counted as a partition's first event).
            if Self.isForgotten(entries[i].window, at: tick, policy) {
                free(slot)
                continue
            }
            let window = entries[i].window
            let scope = entries[i].key.scope
            let closed = window.closed || (window.type.isCalendar && tick >= window.end)
            var inhibited = false
            if inhibitedTypes & (1 << scope.type.rawValue) != 0 {
                if !lagging && troubledShops > 0 && entries[i].shopSilence < 0 {
                    entries[i].shopSilence = silenceSlot[Scope(type: .shop, shopID: scope.shopID)] ?? -1
                }
                let shop = entries[i].shopSilence
                inhibited = lagging || (shop >= 0 && silenceEntries[Int(shop)].machine.state == .firing)
            }
            let held = inhibited
                || (!entries[i].quiet.isEmpty && entries[i].quiet.allSatisfy { $0.contains { $0.contains(minuteOfDay: minute) } })
            var due = Int64.max
            if window.type.isCalendar {
                if !closed { due = window.end.millis }
                due = min(due, Self.forgetTime(window, policy))
            }
            let paced = entries[i].paced && !closed
            for j in entries[i].rules.indices {
                let r = entries[i].rules[j]
                let reading = read(r, entries[i].readings[j], window, at: tick, closed: closed, hysteresis: hysteresis)
                if paced && ruleKinds[r] == .total {
                    due = min(due, conditionChange(r, entries[i].readings[j], window, from: reading.condition,
                                                   after: tick, step: step))
                }
                let hold = ruleList[r].hold ?? (closed ? policy.closedHold : policy.openHold)
                let before = entries[i].machines[j].state
                let action = entries[i].machines[j].observe(reading.condition, at: tick, hold: hold,
                                                            repeatInterval: policy.repeatInterval, held: held)
                let machine = entries[i].machines[j]
                due = min(due, Self.nextDue(machine, hold: hold, after: tick, step: step, policy: policy))
                guard let state = machine.state else { continue }
                // A resolved alert's listing entry keeps the values it resolved with.
                let relist = state == .resolved && (action != nil || before != .resolved)
                guard action != nil || relist else { continue }
                if entries[i].alertIDs.isEmpty {
                    entries[i].alertIDs = entries[i].rules.map {
                        Alert.id(rule: ruleList[$0].id, scope: scope, windowType: window.type, windowID: window.id)
                    }
                    entries[i].leads = entries[i].rules.map {
                        teams.leads(for: scope, rule: ruleList[$0].id, extra: ruleList[$0].extraLeads)
                    }
                }
                let alert = Self.targetAlert(ruleList[r], scope, window, reading, state: state,
                                             since: action?.since ?? machine.since ?? tick, at: tick, action: action,
                                             teams: teams, fractionDigits: digits,
                                             id: entries[i].alertIDs[j], leads: entries[i].leads[j])
                if relist { entries[i].resolved[j] = alert }
                if action != nil { out.append(alert) }
            }
            entries[i].due = due == .max ? .max : max(due, tick.millis + 1)
            dueQueue.schedule(slot, at: entries[i].due)
        }
        trim(at: tick, local: local)
        return out
    }

    /// Slots in output order (static: a closure reading `self` would copy the whole book).
    static func sort(_ slots: inout [Int32], by entries: borrowing [Tracked]) {
        entries.withUnsafeBufferPointer { e in slots.sort { e[Int($0)].key < e[Int($1)].key } }
    }

    static func sort(_ slots: inout [Int32], by silences: borrowing [Silence]) {
        silences.withUnsafeBufferPointer { e in slots.sort { e[Int($0)].scope < e[Int($1)].scope } }
    }

    /// The next time, after `tick`, at which time alone changes what a
    /// machine does: its hold ends, a repeat is due, or a notification held
    /// back (quiet hours, inhibition) may go out (every tick while held).
    static func nextDue(_ m: AlertStateMachine, hold: EventTime.Duration, after tick: EventTime, step: Int64,
                        policy: Timing) -> Int64 {
        switch m.breach {
        case .pending(let since):
            return (since + hold).millis
        case .firing:
            if m.delivered != .firing { return tick.millis + step }
            if policy.repeatInterval.millis > 0, let at = m.deliveredAt { return (at + policy.repeatInterval).millis }
            return .max
        case .idle:
            return m.delivered == .firing && m.resolvedAt != nil ? tick.millis + step : .max
        }
    }

    /// The first evaluation tick after `tick`, before the window ends, at
    /// which rule `r` judges the same reading otherwise than `condition`;
    /// `.max`: none. Only a paced total's condition moves with time alone,
    /// and one way: its pace only grows, so on a steady value it passes
    /// unknown (before `minElapsed`), then recovered, within and breached
    /// (higher is better; the reverse for lower), each at most once. A
    /// binary search over the ticks left finds the change: the window need
    /// not be judged again at every tick until then.
    mutating func conditionChange(_ r: Int, _ reading: Reading, _ window: WindowRef, from condition: TargetCondition,
                                  after tick: EventTime, step: Int64) -> Int64 {
        // Ticks are multiples of `step`; the window's end is a due time of its own.
        var low = CivilTime.floorDiv(tick.millis, step) + 1
        var high = CivilTime.floorDiv(window.end.millis - 1, step)
        guard low <= high else { return .max }
        func differs(_ k: Int64) -> Bool {
            read(r, reading, window, at: EventTime(millis: k * step), closed: false, hysteresis: hysteresis).condition
                != condition
        }
        guard differs(high) else { return .max }
        while low < high {
            let middle = low + (high - low) / 2
            if differs(middle) { high = middle } else { low = middle + 1 }
        }
        return low * step
    }

    /// Judges rule `r` on a window's reading at `time`.
    mutating func read(_ r: Int, _ reading: Reading, _ window: WindowRef, at time: EventTime, closed: Bool,
                       hysteresis: ExactRatio) -> TargetReading {
        // Static, with the pace cache alone in place: a method of `self` here would copy the whole book.
        Self.judge(ruleList[r], targets.zone, reading, window, at: time, closed: closed, hysteresis: hysteresis,
                   kind: ruleKinds[r], direction: ruleDirections[r], paces: &targets.paces)
    }

    func judge(_ r: Int, _ reading: Reading, _ window: WindowRef, at time: EventTime, closed: Bool,
               hysteresis: ExactRatio, paces: inout PaceCache) -> TargetReading {
        Self.judge(targets.rules[r], targets.zone, reading, window, at: time, closed: closed, hysteresis: hysteresis,
                   paces: &paces)
    }

    static func judge(_ rule: TargetRule, _ zone: ZoneRules, _ reading: Reading, _ window: WindowRef, at time: EventTime,
                      closed: Bool, hysteresis: ExactRatio, kind: MetricKind? = nil, direction: MetricDirection? = nil,
                      paces: inout PaceCache) -> TargetReading {
        rule.read(value: reading.value, sample: reading.sample, window: window, at: time, closed: closed,
                  hysteresis: hysteresis, kind: kind, direction: direction) {
            paces.fraction(start: window.start, end: window.end, at: time, shape: rule.paceShape, zone: zone)
        }
    }

    /// Once per local day: forgets the pace tables of windows over and the
    /// no-data watch's day metrics older than the forget horizon.
    mutating func trim(at tick: EventTime, local: Int64) {
        let day = CivilTime.floorDiv(local, 86_400_000)
        guard day != trimmedDay else { return }
        trimmedDay = day
        let periods = policy.forgetAfterPeriods
        for i in silenceEntries.indices where !silenceEntries[i].dayMetrics.isEmpty {
            silenceEntries[i].dayMetrics = silenceEntries[i].dayMetrics.filter {
                $0.key >= tick.millis - (periods + 1) * 86_400_000
            }
        }
        targets.paces.forget(endingBy: tick)
    }

    /// When a calendar window is forgotten: `forgetAfterPeriods` lengths past its end.
    static func forgetTime(_ w: WindowRef, _ policy: Timing) -> Int64 {
        w.end.millis + policy.forgetAfterPeriods * (w.end.millis - w.start.millis)
    }

    /// A calendar window `forgetAfterPeriods` lengths past its end at `tick`.
    static func isForgotten(_ w: WindowRef, at tick: EventTime, _ policy: Timing) -> Bool {
        w.type.isCalendar && tick.millis >= forgetTime(w, policy)
    }

    // MARK: - Alert values

    func targetAlert(_ rule: TargetRule, _ scope: Scope, _ window: WindowRef, _ reading: TargetReading, state: AlertState,
                     since: EventTime, at tick: EventTime, action: AlertStateMachine.Action?) -> Alert {
        Self.targetAlert(rule, scope, window, reading, state: state, since: since, at: tick, action: action,
                         teams: targets.teams, fractionDigits: fractionDigits)
    }

    /// `id`, `leads`: made before (else made here).
    static func targetAlert(_ rule: TargetRule, _ scope: Scope, _ window: WindowRef, _ reading: TargetReading,
                            state: AlertState, since: EventTime, at tick: EventTime, action: AlertStateMachine.Action?,
                            teams: TeamDirectory, fractionDigits: Int, id: String? = nil, leads: [String]? = nil) -> Alert {
        let pace = reading.pace?.fraction
        let who = scope.id ?? scope.shopID
        let (label, unit) = Self.labels[rule.metric] ?? Self.label(rule.metric)
        var text = "\(who) \(label) \(TargetJSON.text(reading.value, fractionDigits: fractionDigits))\(unit)"
        if let pace { text += ", pace \(TargetJSON.text(pace: pace, metric: rule.metric, fractionDigits: fractionDigits))\(unit)" }
        text += ", target \(TargetJSON.text(rule.target, fractionDigits: fractionDigits))\(unit) (\(window.type.name) \(window.id))"
        if state == .resolved { text = "resolved: " + text }
        return Alert(id: id ?? Alert.id(rule: rule.id, scope: scope, windowType: window.type, windowID: window.id),
                     state: state, rule: rule.id, scope: scope, windowType: window.type, windowID: window.id,
                     metric: rule.metric, direction: rule.direction, value: reading.value, target: rule.target,
                     pace: pace, since: since, at: tick,
                     leads: leads ?? teams.leads(for: scope, rule: rule.id, extra: rule.extraLeads), message: text,
                     severity: rule.severity, isRepeat: action?.isRepeat ?? false)
    }

    func silenceAlert(_ scope: Scope, _ s: Silence, rule: NoDataRule, state: AlertState, at tick: EventTime,
                      silent: EventTime.Duration, action: AlertStateMachine.Action?) -> Alert {
        Self.silenceAlert(scope, s, rule: rule, state: state, at: tick, silent: silent, action: action, teams: targets.teams)
    }

    /// `id`, `leads`: made before (else made here).
    static func silenceAlert(_ scope: Scope, _ s: Silence, rule: NoDataRule, state: AlertState, at tick: EventTime,
                             silent: EventTime.Duration, action: AlertStateMachine.Action?, teams: TeamDirectory,
                             id: String? = nil, leads: [String]? = nil) -> Alert {
        let windowID = s.episodeDayID ?? s.dayID
        let who = scope.id ?? scope.shopID
        let minutes = rule.silence.millis / 60_000
        let text = state == .resolved
            ? "resolved: \(who) data again, silent limit \(minutes) min (day \(windowID))"
            : "\(who) no data for \(silent.millis / 60_000) min, limit \(minutes) min (day \(windowID))"
        // Firing: silent since the last data; resolved: when data came back.
        let since = state == .firing ? s.lastActivity : (action?.since ?? s.machine.since ?? tick)
        return Alert(id: id ?? Alert.id(rule: rule.id, scope: scope, windowType: .day, windowID: windowID), state: state,
                     rule: rule.id, scope: scope, windowType: .day, windowID: windowID, metric: "silence_s",
                     direction: .lowerIsBetter, value: .count(Swift.max(0, silent.millis / 1000)),
                     target: .count(rule.silence.millis / 1000), pace: nil, since: since, at: tick,
                     leads: leads ?? teams.leads(for: scope, rule: rule.id, extra: rule.extraLeads), message: text,
                     isRepeat: action?.isRepeat ?? false)
    }

    /// `label` of every metric, made once.
    static let labels: [String: (String, String)] = Dictionary(uniqueKeysWithValues: Metric.allCases.map { ($0.name, label($0.name)) })

    /// `first_response_s` → ("first response", " s"); `conversion_rate` → ("conversion rate", "").
    static func label(_ metric: String) -> (String, String) {
        var name = Substring(metric)
        var unit = ""
        if name.hasSuffix("_s") { name = name.dropLast(2); unit = " s" }
        return (name.replacingOccurrences(of: "_" as Character, with: " " as Character), unit)
    }
}

private extension Substring {
    func replacingOccurrences(of a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
