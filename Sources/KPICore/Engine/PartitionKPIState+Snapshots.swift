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
        for s in scopes.indices {
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
        out.sort(by: KPISnapshot.outputOrder)
        return out
    }

    /// Emits again, with revision + 1, the calendar windows named although
    /// their metrics and flags did not change since the last drain: their
    /// target status changed with time alone (`AlertBook.restatused`), e.g.
    /// a day's sales falling behind the pace while no order comes in.
    /// Windows no longer held are skipped. In output order.
    public mutating func reissue(_ keys: [WindowKey], emittedAt: EventTime) -> [KPISnapshot] {
        guard !keys.isEmpty else { return [] }
        let wanted = Set(keys)
        let scopesWanted = Set(keys.map(\.scope))
        var out: [KPISnapshot] = []
        for s in scopes.indices where scopesWanted.contains(scopes[s].scope) {
            for i in scopes[s].windows.indices {
                let w = scopes[s].windows[i]
                guard wanted.contains(WindowKey(scope: scopes[s].scope, type: w.type, start: w.start)) else { continue }
                let (snapshot, _) = calendarSnapshot(s, w, emittedAt: emittedAt, force: true)
                scopes[s].windows[i].dirty = false
                scopes[s].windows[i].emitted = record(of: snapshot)
                out.append(snapshot)
            }
        }
        out.sort(by: KPISnapshot.outputOrder)
        return out
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
        out.sort(by: KPISnapshot.outputOrder)
        return out
    }

    func record(of s: KPISnapshot) -> EmissionRecord {
        EmissionRecord(revision: s.revision, metrics: s.metrics.map(\.value), closed: s.window.closed,
                       final: s.final, complete: s.complete)
    }

    /// `force`: a change whatever the values (`reissue`).
    func snapshot(scope s: Int, ref: WindowRef, values: [MetricValue], final: Bool, last: EmissionRecord,
                  emittedAt: EventTime, force: Bool = false) -> (KPISnapshot, changed: Bool) {
        let complete = coverageStart.map { ref.start >= $0 } ?? true
        let changed = force || last.revision == 0 || last.metrics != values || last.closed != ref.closed
            || last.final != final || last.complete != complete
        let type = scopes[s].scope.type
        let metrics = zip(MetricCatalog.names(for: type), values).map { KPIMetric(name: $0, value: $1) }
        let snapshot = KPISnapshot(scope: scopes[s].scope, window: ref, revision: last.revision + (changed ? 1 : 0),
                                   complete: complete, final: final, watermark: watermark, emittedAt: emittedAt,
                                   metrics: metrics)
        return (snapshot, changed)
    }

    func calendarSnapshot(_ s: Int, _ w: WindowAggregate, emittedAt: EventTime,
                          force: Bool = false) -> (snapshot: KPISnapshot, changed: Bool) {
        let values = w.dirty ? MetricCatalog.values(for: scopes[s].scope.type, calendarView(s, w)) : w.emitted.metrics
        let id = switch w.type {
        case .day: WindowID.dayID(w.startDay)
        case .week: WindowID.weekID(w.startDay).id
        default: WindowID.monthID(w.startDay)
        }
        let closed = watermarkMillis.map { $0 >= w.end } ?? false
        let final = watermarkMillis.map { $0 >= w.end + finalHorizon } ?? false
        let ref = WindowRef(type: w.type, id: id, start: EventTime(millis: w.start), end: EventTime(millis: w.end), closed: closed)
        return snapshot(scope: s, ref: ref, values: values, final: final, last: w.emitted, emittedAt: emittedAt, force: force)
    }

    func rollingSnapshot(_ s: Int, _ w: Int, emittedAt: EventTime) -> (snapshot: KPISnapshot, changed: Bool) {
        let h = watermarkHour!
        let r = scopes[s].rolling
        let values = MetricCatalog.values(for: scopes[s].scope.type, rollingView(s, w, hour: h))
        let type = RollingAggregate.kinds[w]
        let start = Int64(RollingAggregate.startHour(w, at: h)) * 3_600_000
        let ref = WindowRef(type: type, id: type.name, start: EventTime(millis: start),
                            end: EventTime(millis: watermarkMillis!), closed: false)
        return snapshot(scope: s, ref: ref, values: values, final: false, last: r.emitted[w], emittedAt: emittedAt)
    }

    func calendarView(_ s: Int, _ w: WindowAggregate) -> AggregateView {
        var v = AggregateView(counters: w.counters)
        v.visitors = w.visitors.count
        v.buyers = w.buyers.count
        v.inquiries = Int64(w.inquirers.count)
        v.attributedPayers = Int64(w.attributedPayers.count)
        if !w.inquirers.isEmpty {
            let buyers = shops[Int(scopes[s].shop)].buyers
            var converted: Int64 = 0
            for (b, first) in w.inquirers where buyers[b]?.hasPayment(from: first, through: first + attribution) == true {
                converted += 1
            }
            v.convertedInquiries = converted
        }
        return v
    }

    func rollingView(_ s: Int, _ w: Int, hour h: Int32) -> AggregateView {
        let r = scopes[s].rolling
        let from = RollingAggregate.startHour(w, at: h)
        let fromMillis = Int64(from) * 3_600_000
        var v = AggregateView(counters: r.counters(w, at: h))
        v.visitors = r.visitors.count(from: from)
        v.buyers = r.buyers.count(from: from)
        v.attributedPayers = Int64(r.attributedPayerHours.values.reduce(0) { $0 + (($1.last ?? .min) >= from ? 1 : 0) })
        let buyers = shops[Int(scopes[s].shop)].buyers
        for (b, times) in r.inquiries {
            guard let first = times.first(where: { $0 >= fromMillis }) else { continue }
            v.inquiries += 1
            if buyers[b]?.hasPayment(from: first, through: first + attribution) == true { v.convertedInquiries += 1 }
        }
        return v
    }
}
