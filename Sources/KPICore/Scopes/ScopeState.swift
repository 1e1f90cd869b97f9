/// What was last emitted for one scope × window: the revision and the values
/// a change is detected against.
struct EmissionRecord: Equatable {
    var revision = 0
    var metrics: [MetricValue] = []
    var closed = false
    var final = false
    var complete = false
    /// `revision` already accounts for what `kpi.snapshots` held at restore
    /// (`PartitionKPIState.revisionFloors`). Not checkpointed: a restored
    /// window is checked again.
    var floorChecked = false
}

/// The state of one calendar window (day, week or month) of one scope.
///
/// Field order is for the cache: what every event's contribution reads or
/// writes (type, day, `dirty`, counters) comes first, together.
struct WindowAggregate {
    let type: WindowType
    /// Something the metrics read changed since the last drain.
    var dirty = true
    /// Something the metrics read changed since the alert book last read it (`takeWatchedChanges`).
    var watchDirty = true
    /// Local day number of the window's first day.
    let startDay: Int64
    let start: Int64
    let end: Int64
    var counters = Counters()
    var visitors = DistinctSet()
    var buyers = DistinctSet()
    /// Inquiring buyer → the buyer's first inquiry in this window to this
    /// scope and whether a payment converted it. Kept exact (not sketched):
    /// `inquiry_conversion_rate` needs each buyer's first inquiry time.
    var inquirers: [UInt64: FirstInquiry] = [:]
    /// How many `inquirers` are converted, kept with every change so a
    /// window's conversion costs no pass over its buyers.
    var convertedInquiries: Int64 = 0
    /// Buyer → number of attributed paid orders in this window (a multiset,
    /// so a re-attribution can take a buyer out again).
    var attributedPayers: [UInt64: Int32] = [:]
    var emitted = EmissionRecord()
    /// `AggregateView.fingerprint` when the no-data watch last looked (0: never).
    // cache: derived, not checkpointed (primed on restore)
    var watchedFingerprint: UInt64 = 0

    init(type: WindowType, startDay: Int64, start: Int64, end: Int64) {
        self.type = type; self.startDay = startDay; self.start = start; self.end = end
    }

    /// Marks the window changed for the next drain and the next watch read.
    @inline(__always)
    mutating func markChanged() {
        dirty = true
        watchDirty = true
    }
}

/// The trailing windows of one scope (`rolling_24h`, `rolling_7d`,
/// `rolling_30d`): hour buckets of counters with running sums per window,
/// plus the distinct visitors and buyers by last-seen hour.
///
/// A rolling window ending at watermark hour H holds the buckets from hour
/// H + 1 − N on, including events already seen beyond the watermark (at most
/// the allowed lateness ahead of it).
struct RollingAggregate {
    static let kinds: [WindowType] = [.rolling24h, .rolling7d, .rolling30d]
    static let lengths: [Int32] = [24, 168, 720]

    // Field order is for the cache: every contribution reads and writes these first ones.
    var dirty = false
    var buckets = HourBuckets()
    /// Sum of the buckets inside each window, for watermark hour `hour`.
    var sums = [Counters](repeating: Counters(), count: 3)
    /// The watermark hour `sums` are positioned at; nil before any watermark.
    var hour: Int32? = nil
    var visitors = RollingDistinct()
    var buyers = RollingDistinct()
    /// Buyer → first inquiry time within each hour the buyer inquired (sorted).
    var inquiries: [UInt64: [Int64]] = [:]
    /// Buyer → hours of its attributed paid orders (sorted multiset).
    var attributedPayerHours: [UInt64: [Int32]] = [:]
    var emitted = [EmissionRecord](repeating: EmissionRecord(), count: 3)

    static func startHour(_ w: Int, at hour: Int32) -> Int32 { hour + 1 - lengths[w] }

    mutating func add(_ d: CounterDelta, hour h: Int32) {
        buckets.add(d, hour: h)
        if let H = hour {
            // The windows nest (24 h ⊂ 7 d ⊂ 30 d); constants rather than
            // `lengths[w]`, a global array read on every event.
            if h > H - 720 {
                sums[2].add(d)
                if h > H - 168 {
                    sums[1].add(d)
                    if h > H - 24 { sums[0].add(d) }
                }
            }
        }
        dirty = true
    }

    /// Moves the running sums to watermark hour `newHour`.
    mutating func position(at newHour: Int32) {
        guard hour != newHour else { return }
        if let old = hour, newHour > old {
            for w in 0..<3 {
                let from = Self.startHour(w, at: old), to = Self.startHour(w, at: newHour)
                if Int(to - from) <= buckets.count {
                    for h in from..<to { if let b = buckets[h] { sums[w].add(b, sign: -1) } }
                } else {
                    for (h, b) in buckets where h >= from && h < to { sums[w].add(b, sign: -1) }
                }
            }
        } else {
            for w in 0..<3 {
                sums[w] = Counters()
                let from = Self.startHour(w, at: newHour)
                for (h, b) in buckets where h >= from { sums[w].add(b, sign: 1) }
            }
        }
        hour = newHour
        dirty = true
    }

    /// The counters of window `w` at watermark hour `H`, without moving the sums.
    func counters(_ w: Int, at H: Int32) -> Counters {
        if hour == H { return sums[w] }
        var c = Counters()
        let from = Self.startHour(w, at: H)
        for (h, b) in buckets where h >= from { c.add(b, sign: 1) }
        return c
    }

    mutating func noteVisitor(_ id: UInt64, hour h: Int32, threshold: Int) {
        if visitors.insert(id, hour: h, threshold: threshold) { dirty = true }
    }

    mutating func noteBuyer(_ id: UInt64, hour h: Int32, threshold: Int) {
        if buyers.insert(id, hour: h, threshold: threshold) { dirty = true }
    }

    mutating func noteInquiry(_ buyer: UInt64, time: Int64) {
        let h = CivilTime.floorDiv(time, 3_600_000)
        dirty = true
        // In place: one hash of the key (not a remove and a re-insert).
        Self.note(time, hour: h, in: &inquiries[buyer, default: []])
    }

    /// One entry per hour: the earliest inquiry in it.
    static func note(_ time: Int64, hour h: Int64, in times: inout [Int64]) {
        var i = times.count
        while i > 0 && times[i - 1] > time { i -= 1 }
        if i > 0 && CivilTime.floorDiv(times[i - 1], 3_600_000) == h {
            // an earlier inquiry of the same hour is already there
        } else if i < times.count && CivilTime.floorDiv(times[i], 3_600_000) == h {
            times[i] = time
        } else {
            times.insert(time, at: i)
        }
    }

    mutating func noteAttributedPayer(_ buyer: UInt64, hour h: Int32, sign: Int64) {
        dirty = true
        var hours = attributedPayerHours.removeValue(forKey: buyer) ?? []
        if sign > 0 {
            var i = hours.count
            while i > 0 && hours[i - 1] > h { i -= 1 }
            hours.insert(h, at: i)
        } else if let i = hours.firstIndex(of: h) {
            hours.remove(at: i)
        }
        if !hours.isEmpty { attributedPayerHours[buyer] = hours }
    }

    /// Forgets everything older than the longest window at watermark hour `H`.
    mutating func prune(at H: Int32) {
        position(at: H)
        let from = Self.startHour(2, at: H)
        buckets.removeBefore(from)
        visitors.prune(from: from)
        buyers.prune(from: from)
        // In place, touching only the buyers with something to forget (their
        // lists are sorted): this runs for every scope every day.
        let fromMillis = Int64(from) * 3_600_000
        var stale: [UInt64] = []
        for (b, times) in inquiries where (times.first ?? .min) < fromMillis { stale.append(b) }
        for b in stale {
            let rest = inquiries[b]!.filter { $0 >= fromMillis }
            inquiries[b] = rest.isEmpty ? nil : rest
        }
        stale.removeAll()
        for (b, hours) in attributedPayerHours where (hours.first ?? .min) < from { stale.append(b) }
        for b in stale {
            let rest = attributedPayerHours[b]!.filter { $0 >= from }
            attributedPayerHours[b] = rest.isEmpty ? nil : rest
        }
    }
}

/// One scope's state: its retained calendar windows and its rolling windows.
///
/// Field order is for the cache: every contribution reads the windows and
/// their cached slots, then the rolling state's first fields.
struct ScopeState {
    /// Retained calendar windows, a handful (≈ retention + 1 per kind): a
    /// linear scan beats hashing here.
    var windows: [WindowAggregate] = []
    /// The local day whose windows `slots` locates (see `PartitionKPIState.calendarSlots`).
    // cache: derived, not checkpointed (re-validated against `windows` on every use)
    var slotsDay: Int64 = .min
    // cache: derived, not checkpointed
    var slots = WindowSlots()
    var rolling = RollingAggregate()
    let scope: Scope
    let shop: Int32
    /// For an agent scope: the team scopes (same shop) the agent belongs to.
    var teams: [Int32] = []
    /// The change queues of `PartitionKPIState` this scope is in (see
    /// `ChangeQueue`), and those it belongs in when it changes.
    // cache: derived, not checkpointed
    var queued = ChangeQueue()
    // cache: derived, not checkpointed
    var wanted = ChangeQueue()
    /// Window types (bit `1 << WindowType.rawValue`) an alert rule or the
    /// no-data watch reads (`WindowWatch`).
    // cache: derived, not checkpointed
    var watched: UInt8 = 0

    init(scope: Scope, shop: Int32) { self.scope = scope; self.shop = shop }

    /// The cached slots when they still locate the day, week and month
    /// windows of `p` (windows are appended and evicted, which moves indices).
    /// `mutating` although it changes nothing: called on `scopes[s]`, a
    /// mutating method works in place, where a non-mutating one may copy the
    /// whole scope state (retaining every buffer in it).
    @inline(__always)
    mutating func cachedSlots(_ p: Placement) -> WindowSlots? {
        guard slotsDay == p.day else { return nil }
        let w = slots, n = windows.count
        let valid = windows.withUnsafeBufferPointer { b in
            Int(w.day) < n && Int(w.week) < n && Int(w.month) < n
                && b[Int(w.day)].startDay == p.day && b[Int(w.day)].type == .day
                && b[Int(w.week)].startDay == p.week && b[Int(w.week)].type == .week
                && b[Int(w.month)].startDay == p.month && b[Int(w.month)].type == .month
        }
        return valid ? w : nil
    }

    // The contributions of one event to this scope's windows, each done in a
    // single access to the scope (not one per window through `scopes[s]`).

    @inline(__always)
    mutating func add(_ d: CounterDelta, _ w: WindowSlots, hour: Int32, watermarkHour: Int32?) {
        if w.day >= 0 { windows[Int(w.day)].counters.add(d); windows[Int(w.day)].markChanged() }
        if w.week >= 0 { windows[Int(w.week)].counters.add(d); windows[Int(w.week)].markChanged() }
        if w.month >= 0 { windows[Int(w.month)].counters.add(d); windows[Int(w.month)].markChanged() }
        if let h = watermarkHour, rolling.hour != h { rolling.position(at: h) }
        rolling.add(d, hour: hour)
    }

    mutating func noteVisitor(_ id: UInt64, _ w: WindowSlots, hour: Int32, threshold: Int) {
        rolling.noteVisitor(id, hour: hour, threshold: threshold)
        // Every window gets every id at once, so an id the (exact) day set
        // already holds is already in the week and month sets too.
        if w.day >= 0 {
            if !windows[Int(w.day)].visitors.insertUnlessHeld(id, threshold: threshold) { return }
            windows[Int(w.day)].markChanged()
        }
        if w.week >= 0 { windows[Int(w.week)].visitors.insert(id, threshold: threshold); windows[Int(w.week)].markChanged() }
        if w.month >= 0 { windows[Int(w.month)].visitors.insert(id, threshold: threshold); windows[Int(w.month)].markChanged() }
    }

    mutating func noteBuyer(_ id: UInt64, _ w: WindowSlots, hour: Int32, threshold: Int) {
        rolling.noteBuyer(id, hour: hour, threshold: threshold)
        if w.day >= 0 {
            if !windows[Int(w.day)].buyers.insertUnlessHeld(id, threshold: threshold) { return }
            windows[Int(w.day)].markChanged()
        }
        if w.week >= 0 { windows[Int(w.week)].buyers.insert(id, threshold: threshold); windows[Int(w.week)].markChanged() }
        if w.month >= 0 { windows[Int(w.month)].buyers.insert(id, threshold: threshold); windows[Int(w.month)].markChanged() }
    }

    /// Records `buyer`'s inquiry at `time` as its first one in each window,
    /// unless an earlier one is there. `converts`: a payment of the buyer
    /// falls within the attribution window from `time` (kpis.md
    /// `inquiry_conversion_rate`), i.e. an inquiry first at `time` is converted.
    mutating func noteInquiry(_ buyer: UInt64, _ w: WindowSlots, time: Int64, converts: Bool) {
        for k in 0..<3 {
            let i = k == 0 ? w.day : k == 1 ? w.week : w.month
            guard i >= 0 else { continue }
            // One hash of the key: an absent buyer's entry starts at .max.
            // An earlier first inquiry in the day is also one in its week and month.
            let change = Self.keepEarliest(time, converts: converts, in: &windows[Int(i)].inquirers[buyer, default: FirstInquiry()])
            if change == nil {
                if k == 0 { return }
                continue
            }
            windows[Int(i)].convertedInquiries += change!
            windows[Int(i)].markChanged()
        }
    }

    /// A payment at `payment` converts `buyer`'s first inquiry in the
    /// windows `w` when that inquiry is at most `attribution` before it.
    mutating func notePayment(_ buyer: UInt64, _ w: WindowSlots, payment: Int64, attribution: Int64) {
        for i in [w.day, w.week, w.month] where i >= 0 {
            guard let first = windows[Int(i)].inquirers[buyer], !first.converted,
                  first.time <= payment, first.time >= payment - attribution else { continue }
            windows[Int(i)].inquirers[buyer]!.converted = true
            windows[Int(i)].convertedInquiries += 1
            windows[Int(i)].markChanged()
        }
    }
}

/// A buyer's first inquiry in one window to one scope.
struct FirstInquiry: Equatable {
    var time: Int64 = .max
    /// A payment of the buyer falls in `time ... time + attribution window`.
    var converted = false
}

extension ScopeState {
    /// Keeps the earliest of `first` and `time` in `first`: nil when `first`
    /// was already at or before `time` (nothing changed), else the change of
    /// the window's converted count (−1, 0 or +1).
    @inline(__always)
    static func keepEarliest(_ time: Int64, converts: Bool, in first: inout FirstInquiry) -> Int64? {
        if first.time <= time { return nil }
        let change = (converts ? 1 : 0) - (first.converted ? 1 : 0)
        first = FirstInquiry(time: time, converted: converts)
        return Int64(change)
    }
}

/// Indices into a scope's `windows` of the day, week and month windows of
/// one placement; −1 where that window is not retained.
struct WindowSlots {
    var day: Int32 = -1
    var week: Int32 = -1
    var month: Int32 = -1
}
