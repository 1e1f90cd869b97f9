/// A calendar window dropped from retention, waiting for the next drain to
/// hand out its last revision.
struct EvictedWindow {
    var snapshot: KPISnapshot
    var changed: Bool
}

/// Watermark movement: deciding pending turns, closing and evicting windows,
/// forgetting join state past its horizon.
extension PartitionKPIState {
    mutating func raiseWatermark(to newWatermark: Int64) {
        if let w = watermarkMillis, newWatermark <= w { return }
        watermarkMillis = newWatermark
        watermarkHour = Int32(truncatingIfNeeded: CivilTime.floorDiv(newWatermark, 3_600_000))
        if newWatermark >= nextWatermarkAction { watermarkActions() }
    }

    mutating func watermarkActions() {
        guard let wm = watermarkMillis else { return }
        // Turns first: a turn decided now still lands in its (retained) day.
        while let d = turnDeadlines.earliest, d <= wm {
            let e = turnDeadlines.pop()!
            rederive(shop: e.shop, session: e.session, deadline: e.deadline)
        }
        if wm >= nextDayStart { updateRetention(wm) }
        nextWatermarkAction = min(turnDeadlines.earliest ?? .max, nextDayStart)
    }

    /// The first instant of the oldest local day retained at watermark `wm`
    /// (events before it are late), without moving anything.
    mutating func retainedFrom(watermark wm: Int64) -> Int64 {
        days.start(ofDay: days.day(containing: wm) - Int64(configuration.retention.days))
    }

    /// Recomputes what is retained for watermark `wm`; evicts the rest.
    mutating func updateRetention(_ wm: Int64) {
        let dw = days.day(containing: wm)
        nextDayStart = days.start(ofDay: dw + 1)
        let r = configuration.retention
        let fromDay = dw - Int64(r.days)
        guard fromDay > retainedFromDay else { return }
        retainedFromDay = fromDay
        retainedFromTime = days.start(ofDay: fromDay)
        retainedWeekStart = WindowID.weekStart(ofDay: dw, firstWeekday: configuration.firstWeekday) - 7 * Int64(r.weeks)
        retainedMonthStart = WindowID.addMonths(-r.months, toMonthStart: WindowID.monthStart(ofDay: dw))
        evictWindows()
        evictJoinState()
        if let h = watermarkHour {
            for s in scopes.indices { scopes[s].rolling.prune(at: h) }
        }
        days.trim(before: min(retainedFromDay, retainedWeekStart, retainedMonthStart))
        cachedDay = .min
    }

    mutating func evictWindows() {
        for s in scopes.indices {
            var i = 0
            while i < scopes[s].windows.count {
                let w = scopes[s].windows[i]
                if w.startDay >= retainedStart(w.type) { i += 1; continue }
                let (snapshot, changed) = calendarSnapshot(s, w, emittedAt: EventTime(millis: 0))
                evicted.append(EvictedWindow(snapshot: snapshot, changed: changed))
                scopes[s].windows.remove(at: i)
            }
        }
    }

    /// Forgets sessions, buyer history and dedup ids that no retained window
    /// can need any more.
    mutating func evictJoinState() {
        let from = retainedFromTime
        // Payments convert inquiries up to an attribution window before them, in
        // any window still recomputed: a month (≤ 31 days) reaching back from
        // the oldest retained day, or the longest rolling window.
        let paymentHorizon = from - attribution - 32 * 86_400_000
        let markHorizon = from - attribution
        let oldestDay = retainedFromDay
        for k in shops.indices {
            shops[k].chats = shops[k].chats.filter { $0.lastTime >= from }
            shops[k].browsing = shops[k].browsing.filter { $0.lastTime >= from }
            // Retention prunes the sets a note says hold its visitor.
            for i in shops[k].browsing.values.indices { shops[k].browsing.values[i].visitorNote = VisitorNote() }
            // In place, touching only the buyers with something to forget.
            var stale: [UInt64] = []
            for (b, h) in shops[k].buyers
            where h.marks.contains(where: { $0.time < markHorizon }) || h.orders.contains(where: { $0.time < from })
                || h.payments.contains(where: { $0 < paymentHorizon }) {
                stale.append(b)
            }
            for b in stale {
                var h = shops[k].buyers.removeValue(forKey: b)!
                h.marks.removeAll { $0.time < markHorizon }
                h.orders.removeAll { $0.time < from }
                h.payments.removeAll { $0 < paymentHorizon }
                if !h.isEmpty { shops[k].buyers[b] = h }
            }
        }
        if seenEvents.count(where: { $0 < oldestDay }) > 0 { seenEvents = seenEvents.filter { $0 >= oldestDay } }
    }
}
