/// Snapshot output: change detection, revisions, flags.
///
/// A window's revision grows by one when its metrics or its
/// `closed`/`complete`/`final` flags differ from the last emitted ones, or
/// when the appraisal asks for it again because a target status changed with
/// time alone (`reissue`); the watermark and `emitted_at` alone are not
/// changes. Metrics are recomputed only for windows touched since the last
/// drain.
extension PartitionKPIState {
    /// Every scope × window changed since the last drain (revision + 1 each),
    /// plus the last revision of windows evicted since (revision + 1 if they
    /// changed after their last emission, else the same revision again), in
    /// output order (`KPISnapshot.outputOrder`).
    public mutating func drainChanged(emittedAt: EventTime) -> [KPISnapshot] {
        var out: [KPISnapshot] = []
        for s in drainCandidates() {
            for i in scopes[s].windows.indices {
                let (snapshot, changed) = calendarSnapshot(s, scopes[s].windows[i], emittedAt: emittedAt)
                scopes[s].windows[i].dirty = false
                if changed {
                    scopes[s].windows[i].emitted = record(of: snapshot)
                    out.append(snapshot)
                }
            }
            if let h = watermarkHour {
                scopes[s].rolling.position(at: h)
                guard scopes[s].rolling.dirty else { continue }
                for w in 0..<3 {
                    let (snapshot, changed) = rollingSnapshot(s, w, emittedAt: emittedAt)
                    if changed {
                        scopes[s].rolling.emitted[w] = record(of: snapshot)
                        out.append(snapshot)
                    }
                }
                scopes[s].rolling.dirty = false
            }
        }
        for e in evicted {
            var snapshot = e.snapshot
            snapshot.emittedAt = emittedAt
            out.append(snapshot)
        }
        evicted = []
        return KPISnapshot.inOutputOrder(out)
    }

    /// The scopes a drain must look at, ascending, each once: those changed
    /// since the last drain, those whose windows' `closed` or `final` flags
    /// flipped since, and, when the watermark hour moved, every scope (its
    /// rolling windows slide). Without emission tracking, every scope.
    mutating func drainCandidates() -> [Int] {
        let hourMoved = watermarkHour != nil && watermarkHour != drainedHour
        drainedHour = watermarkHour
        guard tracksEmissions && !hourMoved else {
            for s in emissionQueue { scopes[Int(s)].queued.remove(.emission) }
            emissionQueue.removeAll(keepingCapacity: true)
            if let wm = watermarkMillis { while let top = flagDeadlines.min, top.time <= wm { _ = flagDeadlines.removeMin() } }
            return Array(scopes.indices)
        }
        var candidates = emissionQueue.map(Int.init)
        for s in emissionQueue { scopes[Int(s)].queued.remove(.emission) }
        emissionQueue.removeAll(keepingCapacity: true)
        if let wm = watermarkMillis {
            while let top = flagDeadlines.min, top.time <= wm { candidates.append(Int(flagDeadlines.removeMin().scope)) }
        }
        candidates.sort()
        var unique: [Int] = []
        unique.reserveCapacity(candidates.count)
        for s in candidates where unique.last != s { unique.append(s) }
        return unique
    }

    /// Emits again, with revision + 1, the calendar windows named although
    /// their metrics and flags did not change since the last drain: their
    /// target status changed with time alone (`AlertBook.restatused`), e.g.
    /// a day's sales falling behind the pace while no order comes in.
    /// Windows no longer held are skipped. In output order.
    public mutating func reissue(_ keys: [WindowKey], emittedAt: EventTime) -> [KPISnapshot] {
        guard !keys.isEmpty else { return [] }
        var out: [KPISnapshot] = []
        for key in Set(keys) {
            guard let s = scopeIndex(of: key.scope),
                  let i = scopes[s].windows.firstIndex(where: { $0.type == key.type && $0.start == key.start }) else { continue }
            let (snapshot, _) = calendarSnapshot(s, scopes[s].windows[i], emittedAt: emittedAt, force: true)
            scopes[s].windows[i].dirty = false
            scopes[s].windows[i].emitted = record(of: snapshot)
            out.append(snapshot)
        }
        return KPISnapshot.inOutputOrder(out)
    }

    /// The index of a scope held, by its identity (the shops' tables; not the hot path).
    func scopeIndex(of scope: Scope) -> Int? {
        guard let k = shopIndex[scope.shopID].map(Int.init) else { return nil }
        let shop = shops[k]
        let s: Int32? = switch scope.type {
        case .shop: shop.shopScope
        case .agent: shop.agentScopes[scope.id ?? ""]
        case .channel: shop.channelScopes[scope.id ?? ""]
        case .campaign: shop.campaignScopes[scope.id ?? ""]
        case .team: configuration.teams.firstIndex { $0.name == scope.id }.map { shop.teamScopes[$0] }.flatMap { $0 >= 0 ? $0 : nil }
        }
        return s.map(Int.init)
    }

    /// The scopes of one type held for a shop (unordered).
    public func scopes(ofShop shopID: String, type: ScopeType) -> [Scope] {
        guard let k = shopIndex[shopID].map(Int.init) else { return [] }
        let table: [String: Int32] = switch type {
        case .agent: shops[k].agentScopes
        case .channel: shops[k].channelScopes
        case .campaign: shops[k].campaignScopes
        case .shop, .team: [:]
        }
        return table.values.map { scopes[Int($0)].scope }
    }

    /// The latest state of every window still held (including windows
    /// evicted but not yet drained), in output order. Revisions are those the
    /// next drain would assign; nothing is marked as emitted.
    public func currentSnapshots(emittedAt: EventTime) -> [KPISnapshot] {
        var out: [KPISnapshot] = []
        for s in scopes.indices {
            for w in scopes[s].windows { out.append(calendarSnapshot(s, w, emittedAt: emittedAt).snapshot) }
            if watermarkHour != nil {
                for w in 0..<3 { out.append(rollingSnapshot(s, w, emittedAt: emittedAt).snapshot) }
            }
        }
        for e in evicted {
            var snapshot = e.snapshot
            snapshot.emittedAt = emittedAt
            out.append(snapshot)
        }
        return KPISnapshot.inOutputOrder(out)
    }

    func record(of s: KPISnapshot) -> EmissionRecord {
        EmissionRecord(revision: s.revision, metrics: s.metrics.map(\.value), closed: s.window.closed,
                       final: s.final, complete: s.complete, floorChecked: true)
    }

    /// `force`: a change whatever the values (`reissue`).
    func snapshot(scope s: Int, ref: WindowRef, values: [MetricValue], final: Bool, last: EmissionRecord,
                  emittedAt: EventTime, force: Bool = false) -> (KPISnapshot, changed: Bool) {
        let complete = coverageStart.map { ref.start >= $0 } ?? true
        var changed = force || last.revision == 0 || last.metrics != values || last.closed != ref.closed
            || last.final != final || last.complete != complete
        let type = scopes[s].scope.type
        let metrics = zip(MetricCatalog.names(for: type), values).map { KPIMetric(name: $0, value: $1) }
        var revision = last.revision
        // `kpi.snapshots` holds a later revision than this state knows of
        // (emitted after its checkpoint, or before a replay): this one follows it.
        if !last.floorChecked && !revisionFloors.isEmpty,
           let floor = revisionFloors[KPISnapshot.recordKey(scopes[s].scope, ref.type, ref.id)], floor > revision {
            revision = floor
            changed = true
        }
        let snapshot = KPISnapshot(scope: scopes[s].scope, window: ref, revision: revision + (changed ? 1 : 0),
                                   complete: complete, final: final, watermark: watermark, emittedAt: emittedAt,
                                   metrics: metrics)
        return (snapshot, changed)
    }

    /// Raises every held window's last revision to its floor in
    /// `revisionFloors` (what `kpi.snapshots` held at restore), emitting
    /// nothing, then forgets the floors: once a restore's replay is done,
    /// every window that will ever be emitted again is held, so the next
    /// revision of each continues from the highest published.
    public mutating func settleRevisionFloors() {
        defer { revisionFloors = [:] }
        guard !revisionFloors.isEmpty else { return }
        for s in scopes.indices {
            let scope = scopes[s].scope
            for i in scopes[s].windows.indices where !scopes[s].windows[i].emitted.floorChecked {
                let ref = calendarRef(scopes[s].windows[i])
                if let f = revisionFloors[KPISnapshot.recordKey(scope, ref.type, ref.id)] {
                    scopes[s].windows[i].emitted.revision = max(scopes[s].windows[i].emitted.revision, f)
                }
                scopes[s].windows[i].emitted.floorChecked = true
            }
            for w in 0..<3 where !scopes[s].rolling.emitted[w].floorChecked {
                let type = RollingAggregate.kinds[w]
                if let f = revisionFloors[KPISnapshot.recordKey(scope, type, type.name)] {
                    scopes[s].rolling.emitted[w].revision = max(scopes[s].rolling.emitted[w].revision, f)
                }
                scopes[s].rolling.emitted[w].floorChecked = true
            }
        }
    }

    func calendarSnapshot(_ s: Int, _ w: WindowAggregate, emittedAt: EventTime,
                          force: Bool = false) -> (snapshot: KPISnapshot, changed: Bool) {
        let values = w.dirty ? MetricCatalog.values(for: scopes[s].scope.type, calendarView(s, w)) : w.emitted.metrics
        let final = watermarkMillis.map { $0 >= w.end + finalHorizon } ?? false
        let ref = calendarRef(w)
        return snapshot(scope: s, ref: ref, values: values, final: final, last: w.emitted, emittedAt: emittedAt, force: force)
    }

    func rollingSnapshot(_ s: Int, _ w: Int, emittedAt: EventTime) -> (snapshot: KPISnapshot, changed: Bool) {
        let h = watermarkHour!
        let values = MetricCatalog.values(for: scopes[s].scope.type, rollingView(s, w, hour: h))
        return snapshot(scope: s, ref: rollingRef(w), values: values, final: false, last: scopes[s].rolling.emitted[w],
                        emittedAt: emittedAt)
    }

    /// Rolling window `w` (0 ... 2) as it stands at the watermark.
    func rollingRef(_ w: Int) -> WindowRef {
        let type = RollingAggregate.kinds[w]
        let start = Int64(RollingAggregate.startHour(w, at: watermarkHour!)) * 3_600_000
        return WindowRef(type: type, id: type.name, start: EventTime(millis: start),
                         end: EventTime(millis: watermarkMillis!), closed: false)
    }

    /// A calendar window's identity (`2026-11-21`, `2026-W47`, `2026-11`) and bounds.
    func calendarRef(_ w: WindowAggregate) -> WindowRef {
        let id = switch w.type {
        case .day: WindowID.dayID(w.startDay)
        case .week: WindowID.weekID(w.startDay).id
        default: WindowID.monthID(w.startDay)
        }
        let closed = watermarkMillis.map { $0 >= w.end } ?? false
        return WindowRef(type: w.type, id: id, start: EventTime(millis: w.start), end: EventTime(millis: w.end), closed: closed)
    }

    func calendarView(_ s: Int, _ w: WindowAggregate) -> AggregateView {
        var v = AggregateView(counters: w.counters)
        v.visitors = w.visitors.count
        v.buyers = w.buyers.count
        v.inquiries = Int64(w.inquirers.count)
        v.convertedInquiries = w.convertedInquiries
        v.attributedPayers = Int64(w.attributedPayers.count)
        return v
    }

    /// The view of window `i` of scope `s`, read in place (a copy of the
    /// window would retain each of its tables).
    func calendarView(_ s: Int, window i: Int) -> AggregateView {
        scopes[s].windows.withUnsafeBufferPointer { b in
            var v = AggregateView(counters: b[i].counters)
            v.visitors = b[i].visitors.count
            v.buyers = b[i].buyers.count
            v.inquiries = Int64(b[i].inquirers.count)
            v.convertedInquiries = b[i].convertedInquiries
            v.attributedPayers = Int64(b[i].attributedPayers.count)
            return v
        }
    }

    /// A rolling window's view at watermark hour `h`; of the derived parts,
    /// only `parts` (each a pass over the window's ids or buyers).
    func rollingView(_ s: Int, _ w: Int, hour h: Int32, parts: ViewParts = .all) -> AggregateView {
        let from = RollingAggregate.startHour(w, at: h)
        let fromMillis = Int64(from) * 3_600_000
        var v = AggregateView(counters: scopes[s].rolling.counters(w, at: h))
        if parts.contains(.visitors) { v.visitors = scopes[s].rolling.visitors.count(from: from) }
        if parts.contains(.buyers) { v.buyers = scopes[s].rolling.buyers.count(from: from) }
        if parts.contains(.attributedPayers) {
            v.attributedPayers = Int64(scopes[s].rolling.attributedPayerHours.values.reduce(0) { $0 + (($1.last ?? .min) >= from ? 1 : 0) })
        }
        if parts.contains(.inquiries) {
            let k = Int(scopes[s].shop)
            for (b, times) in scopes[s].rolling.inquiries {
                guard let first = times.first(where: { $0 >= fromMillis }) else { continue }
                v.inquiries += 1
                if shops[k].buyers[b]?.hasPayment(from: first, through: first + attribution) == true { v.convertedInquiries += 1 }
            }
        }
        return v
    }
}
