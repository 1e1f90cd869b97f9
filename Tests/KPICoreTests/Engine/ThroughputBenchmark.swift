import Foundation
import Testing
@testable import KPICore

/// Ingest throughput and state memory. Runs only with `KPI_BENCH=1`
/// (meant for `swift test -c release --filter ThroughputBenchmark`).
@Suite struct ThroughputBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["KPI_BENCH"] != nil

    /// A synthetic day of 20 shops: 60% page views, 20% chat, 10% orders, 10% ads.
    static func events(count: Int) -> [ShopEvent] {
        var rng = SplitMix(seed: 42)
        var out: [ShopEvent] = []
        out.reserveCapacity(count)
        let start = local(2026, 11, 21)
        let shops = (0..<20).map { "shop-\($0)" }
        for i in 0..<count {
            let r = rng.next()
            let t = start + .init(millis: Int64(i) * 86_400_000 / Int64(count) - Int64(r % 60_000))
            let shop = shops[Int(r >> 8 % 20)]
            let kind = Int(r >> 16 % 100)
            let visitor = "v\(r >> 24 % 40_000)"
            let buyer = "b\(r >> 24 % 5_000)"
            let agent = "a\(r >> 40 % 30)"
            let id = "ev-\(i)"
            let e: ShopEvent
            switch kind {
            case 0..<60:
                e = ShopEvent(type: .pageView, eventID: id, time: t, shopID: shop, channel: "ch\(r >> 32 % 5)",
                              campaignID: r % 3 == 0 ? "cmp\(r >> 36 % 20)" : nil, sessionID: "\(visitor)-\(r >> 44 % 3)",
                              visitorID: visitor, isLanding: r % 7 == 0, dwellMillis: Int64(r >> 48 % 60_000))
            case 60..<80:
                e = ShopEvent(type: .chatMessage, eventID: id, time: t, shopID: shop, buyerID: buyer, agentID: agent,
                              sessionID: "c-\(buyer)", from: r % 2 == 0 ? .buyer : .agent, isAutoReply: r % 11 == 0)
            case 80..<90:
                e = ShopEvent(type: r % 2 == 0 ? .orderCreated : .orderPaid, eventID: id, time: t, shopID: shop,
                              orderID: "o\(i)", buyerID: buyer, amount: Money(minorUnits: Int64(r >> 50 % 100_000)),
                              agentID: r % 4 == 0 ? agent : nil, channel: "ch\(r >> 32 % 5)")
            default:
                e = ShopEvent(type: r % 2 == 0 ? .adImpression : .adClick, eventID: id, time: t, shopID: shop,
                              channel: "ch\(r >> 32 % 5)", campaignID: "cmp\(r >> 36 % 20)", cost: Money(minorUnits: 3))
            }
            out.append(e)
        }
        return out
    }

    /// CPU time of the calling thread (the machine is shared: wall time is noisy).
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Resident set size in bytes (Linux /proc/self/statm; 0 elsewhere).
    static func heapInUse() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * 4096 : 0
    }

    @Test(.enabled(if: enabled)) func ingestThroughputAndMemory() {
        let count = 1_000_000
        let events = Self.events(count: count)
        let heapBefore = Self.heapInUse()
        var state = makeState { $0.teams = [.init(name: "T", agents: (0..<15).map { "a\($0)" })] }
        let clock = ContinuousClock()
        let cpuBefore = Self.threadCPUSeconds()
        let elapsed = clock.measure {
            for e in events { _ = state.ingest(e, recordTimestamp: nil) }
        }
        let cpu = Self.threadCPUSeconds() - cpuBefore
        let heapAfter = Self.heapInUse()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let snapshots = state.currentSnapshots(emittedAt: EventTime(millis: 0))
        let drainClock = clock.measure { _ = state.drainChanged(emittedAt: EventTime(millis: 0)) }
        print("BENCH ingest \(count) events in \(seconds) s wall = \(Int(Double(count) / seconds)) events/s; thread CPU \(cpu) s = \(Int(Double(count) / cpu)) events/s")
        print("BENCH drain of \(snapshots.count) scope × windows: \(drainClock)")
        print("BENCH state heap \(heapAfter - heapBefore) bytes for \(snapshots.count) scope × windows = \((heapAfter - heapBefore) / max(snapshots.count, 1)) bytes each (incl. sessions, buyers, dedup ids of \(count) events)")
        #expect(snapshots.count > 0)
    }

    @Test(.enabled(if: enabled)) func bytesPerScopeWindow() {
        // Memory of windows alone: many scopes, one event each, no joins.
        var e = Events()
        let events = (0..<20_000).map { i in
            e.ad(.adClick, local(2026, 11, 21, 10), channel: "ch\(i)", campaign: "cmp\(i)", cost: 1)
        }
        let before = Self.heapInUse()
        var state = makeState()
        for ev in events { _ = state.ingest(ev, recordTimestamp: nil) }
        let after = Self.heapInUse()
        let windows = state.currentSnapshots(emittedAt: EventTime(millis: 0)).count
        print("BENCH \(windows) scope × windows (40 000 scopes × 6 + shop) hold \(after - before) bytes = \((after - before) / windows) bytes per scope × window, one hour bucket each, dedup ids included")
    }
}
