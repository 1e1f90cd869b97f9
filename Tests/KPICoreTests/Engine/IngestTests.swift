import Testing
@testable import KPICore

@Suite struct IngestTests {
    @Test func lateBeyondRetentionChangesNothing() {
        var e = Events()
        var state = makeState()
        #expect(state.ingest([
            e.pageView(local(2026, 11, 22, 12), visitor: "v1", session: "a"),
            e.pageView(local(2026, 11, 25, 12), visitor: "v2", session: "b"),
        ]) == [.counted, .counted])
        // Watermark 25th 11:55 → retained days: 23rd, 24th, 25th (2 closed + the open one).
        let before = state.currentSnapshots(emittedAt: EventTime(millis: 0)).map { $0.metrics }
        #expect(state.ingest(e.pageView(local(2026, 11, 22, 23, 59, 59, ms: 999), visitor: "v3", session: "c"),
                             recordTimestamp: nil) == .late)
        #expect(state.currentSnapshots(emittedAt: EventTime(millis: 0)).map { $0.metrics } == before)
        #expect(state.ingest(e.pageView(local(2026, 11, 23), visitor: "v3", session: "c"), recordTimestamp: nil) == .counted)
        #expect(state.metric("pv", .shop, nil, .day, "2026-11-23") == "1")
        // Week 2026-W48 (Mon 23rd ...) now holds the 23rd and the 25th.
        #expect(state.metric("pv", .shop, nil, .week, "2026-W48") == "2")
    }

    @Test func duplicateEventIDCountsOnce() {
        var e = Events()
        var state = makeState()
        let t = local(2026, 11, 21, 10)
        #expect(state.ingest([
            e.order(.orderPaid, t, order: "1", buyer: "b", amount: 999, id: "o-1-paid"),
            e.order(.orderPaid, t, order: "1", buyer: "b", amount: 999, id: "o-1-paid"),
        ]) == [.counted, .duplicate])
        #expect(state.metric("sales", .shop) == "\"9.99\"")
        #expect(state.metric("orders_paid", .shop) == "1")
    }

    @Test func futureSkewedEventIsRejectedBeforeItMovesTheWatermark() {
        var e = Events()
        var state = makeState()
        let record = local(2026, 11, 21, 10)
        #expect(state.ingest(e.pageView(record, visitor: "v", session: "a"), recordTimestamp: record) == .counted)
        let watermark = state.watermark
        #expect(state.ingest(e.pageView(record + .hours(1) + .init(millis: 1), visitor: "v", session: "a"),
                             recordTimestamp: record) == .future)
        #expect(state.watermark == watermark)   // 10:00 − 5 min
        #expect(state.watermark == local(2026, 11, 21, 9, 55))
        #expect(state.ingest(e.pageView(record + .hours(1), visitor: "v", session: "a"), recordTimestamp: record) == .counted)
        #expect(state.metric("pv", .shop) == "2")
    }

    /// A mixed day of one shop; the same events in any order within lateness
    /// must give the same snapshots.
    static func mixedDay() -> [ShopEvent] {
        var e = Events()
        var events: [ShopEvent] = []
        let base = local(2026, 11, 21, 10)
        for i in 0..<6 {
            let t = base + .minutes(Int64(i))
            events.append(e.pageView(t, visitor: "v\(i % 3)", session: "p\(i % 4)", channel: "ads",
                                     campaign: i % 2 == 0 ? "c1" : nil, landing: i < 2, dwell: Int64(i) * 1000))
        }
        events += [
            e.chat(base, session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(base + .seconds(30), session: "S1", buyer: "b1", agent: "a1", from: .agent),
            e.chat(base + .minutes(1), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(base + .minutes(3), session: "S1", buyer: "b1", agent: "a2", from: .agent),
            e.chat(base + .minutes(2), session: "S2", buyer: "b2", agent: "a2", from: .buyer),
            e.order(.orderCreated, base + .minutes(4), order: "1", buyer: "b1", amount: 1_234),
            e.order(.orderPaid, base + .minutes(5), order: "1", buyer: "b1", amount: 1_234, channel: "ads"),
            e.order(.orderPaid, base + .minutes(6), order: "2", buyer: "b2", amount: 766),
            e.rating(base + .minutes(6), session: "S1", buyer: "b1", agent: "a1", score: 4),
        ]
        return events
    }

    static func metrics(_ events: [ShopEvent]) -> [KPISnapshot] {
        var state = makeState { $0.teams = [.init(name: "T", agents: ["a1", "a2"])] }
        state.ingest(events)
        state.advanceWatermark(to: local(2026, 11, 21, 10, 30))
        return state.currentSnapshots(emittedAt: EventTime(millis: 0))
    }

    @Test func arrivalOrderWithinLatenessDoesNotChangeResults() {
        let events = Self.mixedDay()
        let inOrder = Self.metrics(events.sorted { $0.time < $1.time })
        #expect(inOrder.count > 20)
        var rng = SplitMix(seed: 7)
        for _ in 0..<5 {
            var shuffled = events
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
                shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            #expect(Self.metrics(shuffled) == inOrder)
        }
        #expect(Self.metrics(events.reversed()) == inOrder)
        // Spot check one number: S1's turns 30 s (a1) and 120 s (a2) → shop avg (30 + 120) / 2 = 75 s.
        #expect(inOrder.first { $0.scope.type == .shop && $0.window.type == .day }?[metric: "avg_response_s"]
                .map { "\($0)" } == "\(MetricValue.number(Fraction(150_000, 2_000)))")
    }

    @Test func revisionGrowsOnlyOnChange() {
        var e = Events()
        var state = makeState()
        state.ingest([e.pageView(local(2026, 11, 21, 10), visitor: "v", session: "a", id: "x")])
        let first = state.drainChanged(emittedAt: local(2026, 11, 21, 10, 1))
        // shop: day, week, month, 3 rolling windows
        #expect(first.map(\.window.type) == [.day, .week, .month, .rolling24h, .rolling7d, .rolling30d])
        #expect(first.allSatisfy { $0.revision == 1 })
        #expect(state.drainChanged(emittedAt: local(2026, 11, 21, 10, 2)).isEmpty)
        state.ingest([e.pageView(local(2026, 11, 21, 10), visitor: "v", session: "a", id: "x")])   // duplicate
        #expect(state.drainChanged(emittedAt: local(2026, 11, 21, 10, 3)).isEmpty)
        state.ingest([e.pageView(local(2026, 11, 21, 10, 1), visitor: "v", session: "a")])
        let second = state.drainChanged(emittedAt: local(2026, 11, 21, 10, 4))
        #expect(second.count == 6)
        #expect(second.allSatisfy { $0.revision == 2 && $0[metric: "pv"] == .count(2) })
    }

    @Test func closedFinalAndCompleteFlags() {
        var e = Events()
        var state = makeState(coverageStart: local(2026, 11, 21, 12))
        state.ingest([
            e.pageView(local(2026, 11, 21, 13), visitor: "v", session: "a"),
            e.pageView(local(2026, 11, 22, 1), visitor: "v", session: "b"),
        ])
        _ = state.drainChanged(emittedAt: local(2026, 11, 22, 1))
        var day21 = state.snapshot(.shop, .day, "2026-11-21")!
        #expect(!day21.complete)                              // input starts 12:00, the day at 00:00
        #expect(state.snapshot(.shop, .day, "2026-11-22")!.complete)
        #expect(day21.window.closed && !day21.final)          // watermark 00:55 ≥ end 00:00
        // final once watermark ≥ end + 24 h attribution window.
        state.advanceWatermark(to: local(2026, 11, 22, 23, 59, 59, ms: 999))
        #expect(!state.snapshot(.shop, .day, "2026-11-21")!.final)
        // (Rolling windows slide with the watermark; only calendar windows are checked here.)
        #expect(state.drainChanged(emittedAt: local(2026, 11, 23)).filter(\.window.type.isCalendar).isEmpty)
        state.advanceWatermark(to: local(2026, 11, 23))
        let changed = state.drainChanged(emittedAt: local(2026, 11, 23)).filter(\.window.type.isCalendar)
        day21 = changed.first { $0.window.id == "2026-11-21" }!
        #expect(day21.final && day21.revision == 2)
        // At 23rd 00:00 the 22nd and the week Mon 16th ... Sun 22nd close too (not final); the month stays open.
        #expect(changed.map(\.window.id) == ["2026-11-21", "2026-11-22", "2026-W47"])
        #expect(changed.map(\.window.closed) == [true, true, true])
        #expect(changed.map(\.final) == [true, false, false])
    }

    @Test func evictedWindowsHandOutTheirLastRevision() {
        var e = Events()
        var state = makeState()
        state.ingest([e.pageView(local(2026, 11, 21, 13), visitor: "v", session: "a")])
        _ = state.drainChanged(emittedAt: local(2026, 11, 21, 14))
        // Watermark on the 24th: retained days 22nd ... 24th; the 21st is evicted.
        state.advanceWatermark(to: local(2026, 11, 24, 1))
        let out = state.drainChanged(emittedAt: local(2026, 11, 24, 1))
        let day21 = out.first { $0.window.type == .day }
        #expect(day21?.window.id == "2026-11-21")
        #expect(day21?.final == true && day21?.revision == 2)   // closed + final since revision 1
        #expect(state.snapshot(.shop, .day, "2026-11-21") == nil)
        #expect(state.ingest(e.pageView(local(2026, 11, 21, 23), visitor: "v", session: "a"), recordTimestamp: nil) == .late)
    }

    /// The pipeline keeps a buffered record's bytes (for the dead-letter
    /// topic) only when `mayRefuse` says the state might refuse it: whatever
    /// `ingest` refuses must have been foreseen, judged with the latest event
    /// time buffered before it.
    @Test func mayRefuseForeseesEveryRefusal() {
        var e = Events()
        var state = makeState()   // retention 2 days, lateness 5 min, future skew 1 h
        let noon25 = local(2026, 11, 25, 12)
        let nothing = EventTime(millis: .min)
        func may(_ t: EventTime, _ record: EventTime?, _ latest: EventTime) -> Bool {
            state.mayRefuse(eventTime: t, recordTimestamp: record, latestSeen: latest)
        }
        // Nothing seen: an event on time is kept without its bytes.
        #expect(!may(noon25, noon25, nothing))
        // 61 minutes ahead of its record's timestamp: future.
        let ahead = EventTime(millis: noon25.millis - 61 * 60_000)
        #expect(may(noon25, ahead, nothing))
        #expect(state.ingest(e.pageView(noon25, visitor: "v0", session: "z"), recordTimestamp: ahead) == .future)
        // Buffered after an event of the 25th at noon (watermark 11:55 once it is
        // counted): the 23rd is the oldest retained day, the 22nd is late.
        let oldest = local(2026, 11, 23)
        let tooOld = local(2026, 11, 22, 23, 59, 59, ms: 999)
        #expect(!may(oldest, nil, noon25))
        #expect(may(tooOld, nil, noon25))
        // Before the state saw anything of it: the same judgement, which ingest then confirms.
        #expect(state.ingest(e.pageView(noon25, visitor: "v1", session: "a"), recordTimestamp: nil) == .counted)
        #expect(state.ingest(e.pageView(tooOld, visitor: "v2", session: "b"), recordTimestamp: nil) == .late)
        #expect(state.ingest(e.pageView(oldest, visitor: "v3", session: "c"), recordTimestamp: nil) == .counted)
        // Once counted, the state's own watermark counts even when the latest
        // buffered time is older (a new run starts behind it).
        #expect(may(tooOld, nil, nothing))
    }

    @Test func outputIsSortedByScopeThenWindow() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.ad(.adClick, local(2026, 11, 21, 10), channel: "zeta", campaign: "c2"),
            e.ad(.adClick, local(2026, 11, 21, 10), channel: "alpha", campaign: "c1"),
            e.chat(local(2026, 11, 21, 10), session: "S", buyer: "b", agent: "a1", from: .buyer),
        ])
        let keys = state.drainChanged(emittedAt: local(2026, 11, 21, 11)).map { "\($0.scope.type.name)/\($0.scope.id ?? "")/\($0.window.type.name)" }
        #expect(keys.first == "shop//day")
        #expect(keys.firstIndex(of: "agent/a1/day")! < keys.firstIndex(of: "channel/alpha/day")!)
        #expect(keys.firstIndex(of: "channel/alpha/rolling_30d")! < keys.firstIndex(of: "channel/zeta/day")!)
        #expect(keys.last == "campaign/c2/rolling_30d")
    }
}

/// A tiny deterministic PRNG for shuffles in tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
