/// The alert book fed by the KPI engine directly: at each evaluation tick it
/// takes the watched windows that changed since the last one
/// (`PartitionKPIState.takeWatchedChanges`) and reads, for each rule, only
/// its metric from the window's figures, instead of judging whole drained
/// snapshots. What it then evaluates, and in which order, is what
/// `advance(_:watermark:)` with every changed snapshot would: same alerts.
extension AlertBook {
    /// Takes in what changed in the watched windows of `state` since the
    /// last call; rolling windows with rules are read again when the
    /// watermark hour moved (their hours slide). Call right before
    /// `advance(watermark:)` at a tick.
    public mutating func take(from state: inout PartitionKPIState) {
        let time = state.watermark ?? EventTime(millis: 0)
        for s in state.takeWatchedChanges() { observe(Int(s), in: &state, at: time) }
        if let hour = state.watermarkHour, hour != readHour {
            readHour = hour
            for slot in rollingSlots where entries[Int(slot)].alive {
                guard let k = entries[Int(slot)].engineKey else { continue }
                let (s, type, _) = PartitionKPIState.unpackWindowKey(k)
                readRolling(slot, scope: s, kind: Int(type.rawValue - WindowType.rolling24h.rawValue), in: &state)
            }
        }
    }

    /// Whether `take(from:)` would take nothing in: no watched window of
    /// `state` changed, and no rolling window with rules slid an hour.
    public func hasNothingToTake(from state: borrowing PartitionKPIState) -> Bool {
        !state.hasWatchedChanges && (rollingSlots.isEmpty || state.watermarkHour == readHour)
    }

    /// Reads every watched window of scope `s`.
    mutating func observe(_ s: Int, in state: inout PartitionKPIState, at time: EventTime) {
        let mask = state.scopes[s].watched
        let silenceWatched = mask & WindowWatch.silenceBit != 0
        let wm = state.watermarkMillis
        for i in state.scopes[s].windows.indices {
            let type = state.scopes[s].windows[i].type
            // Windows not changed since the last read have nothing new (closing is judged by time).
            guard mask & (1 << type.rawValue) != 0, state.scopes[s].windows[i].watchDirty else { continue }
            state.scopes[s].windows[i].watchDirty = false
            let view = state.calendarView(s, window: i)
            let startDay = state.scopes[s].windows[i].startDay
            if silenceWatched && type == .day {
                let fingerprint = view.fingerprint
                let changed = fingerprint != state.scopes[s].windows[i].watchedFingerprint
                state.scopes[s].windows[i].watchedFingerprint = fingerprint
                let known = silenceEngine[Int32(s)] ?? silenceSlot[state.scopes[s].scope]
                let slot = observeDay(known, state.scopes[s].scope, dayID: WindowID.dayID(startDay),
                                      dayStart: state.scopes[s].windows[i].start, changed: changed, at: time)
                silenceEngine[Int32(s)] = slot
            }
            let engineKey = PartitionKPIState.packWindowKey(scope: s, type: type, startDay: startDay)
            let slot: Int32
            if let existing = engineSlots[engineKey] ?? adopt(WindowKey(scope: state.scopes[s].scope, type: type,
                                                                        start: state.scopes[s].windows[i].start), engineKey) {
                slot = existing
            } else {
                let scope = state.scopes[s].scope
                let rules = ruleIndexes(scope: scope, windowType: type)
                guard !rules.isEmpty else { continue }
                let w = state.scopes[s].windows[i]
                slot = startTracking(WindowKey(scope: scope, type: type, start: w.start), window: state.calendarRef(w),
                                     rules: rules, engineKey: engineKey)
            }
            let closed = wm.map { $0 >= state.scopes[s].windows[i].end } ?? false
            update(slot, closed: closed, view: view, rolling: nil)
        }
        guard state.watermarkHour != nil else { return }
        for k in 0..<3 where mask & (1 << RollingAggregate.kinds[k].rawValue) != 0 {
            let type = RollingAggregate.kinds[k]
            let engineKey = PartitionKPIState.packWindowKey(scope: s, type: type, startDay: 0)
            let slot: Int32
            if let existing = engineSlots[engineKey] {
                slot = existing
            } else if let adopted = adopt(WindowKey(scope: state.scopes[s].scope, type: type, start: 0), engineKey) {
                slot = adopted
                rollingSlots.append(slot)
            } else {
                let scope = state.scopes[s].scope
                let rules = ruleIndexes(scope: scope, windowType: type)
                guard !rules.isEmpty else { continue }
                slot = startTracking(WindowKey(scope: scope, type: type, start: 0), window: state.rollingRef(k),
                                     rules: rules, engineKey: engineKey)
                rollingSlots.append(slot)
            }
            readRolling(slot, scope: s, kind: k, in: &state)
        }
    }

    /// A window tracked from snapshots (`store`), now fed by the engine.
    mutating func adopt(_ key: WindowKey, _ engineKey: UInt64) -> Int32? {
        guard let slot = slotOf[key] else { return nil }
        entries[Int(slot)].engineKey = engineKey
        engineSlots[engineKey] = slot
        return slot
    }

    mutating func readRolling(_ slot: Int32, scope s: Int, kind k: Int, in state: inout PartitionKPIState) {
        guard let h = state.watermarkHour else { return }
        // Positioned, the running sums answer at once (else the view sums every bucket).
        if state.scopes[s].rolling.hour != h { state.scopes[s].rolling.position(at: h) }
        let view = state.rollingView(s, k, hour: h, parts: viewParts(slot))
        update(slot, closed: false, view: view, rolling: state.rollingRef(k))
    }

    /// New figures of a tracked window: evaluated at the next tick when they
    /// differ. `rolling`: the window as it stands now (rolling windows move).
    mutating func update(_ slot: Int32, closed: Bool, view: AggregateView, rolling: @autoclosure () -> WindowRef?) {
        let i = Int(slot)
        var changed = false
        for j in entries[i].rules.indices {
            let r = reading(entries[i].rules[j], view)
            if entries[i].readings[j] != r {
                entries[i].readings[j] = r
                changed = true
            }
        }
        if entries[i].window.closed != closed {
            entries[i].window.closed = closed
            changed = true
        }
        guard changed else { return }
        if let w = rolling() { entries[i].window = w }
        touch(slot)
    }
}

extension PartitionKPIState {
    /// The scopes with a watched window changed since the last call, each
    /// once (see `WindowWatch`), ascending.
    public mutating func takeWatchedChanges() -> [Int32] {
        guard !watchQueue.isEmpty else { return [] }
        var out = watchQueue
        watchQueue.removeAll(keepingCapacity: true)
        for s in out { scopes[Int(s)].queued.remove(.watch) }
        out.sort()
        return out
    }

    /// Whether a watched window changed since the last `takeWatchedChanges`.
    public var hasWatchedChanges: Bool { !watchQueue.isEmpty }

    /// Notes every watched day window's figures as seen (after a restore:
    /// what the checkpoint holds is not new data for the no-data watch).
    public mutating func primeWatchedFingerprints() {
        for s in scopes.indices where scopes[s].watched & (1 << WindowType.day.rawValue) != 0 {
            for i in scopes[s].windows.indices where scopes[s].windows[i].type == .day {
                scopes[s].windows[i].watchedFingerprint = calendarView(s, window: i).fingerprint
            }
        }
    }

    /// One window of one scope as a number: scope index, window type and
    /// first local day (0 for rolling windows), each in its own bits.
    static func packWindowKey(scope s: Int, type: WindowType, startDay: Int64) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: s)) << 32 | UInt64(type.rawValue) << 28 | UInt64(UInt32(truncatingIfNeeded: startDay) & 0x0FFF_FFFF)
    }

    static func unpackWindowKey(_ k: UInt64) -> (scope: Int, type: WindowType, startDay: Int64) {
        (Int(k >> 32), WindowType(rawValue: UInt8((k >> 28) & 0xF))!, Int64(k & 0x0FFF_FFFF))
    }
}
