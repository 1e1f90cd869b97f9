import Testing
@testable import KPICore

/// A mixed, multi-day event stream touching every kind of state a checkpoint
/// carries: page views with browsing sessions (out of order, so first views
/// move), orders with and without agents (re-attribution), chat sessions with
/// answered, unanswered and pending turns, ratings, ads, refunds, shipments,
/// duplicates and late events. Deterministic for a seed.
enum CheckpointStream {
    static let shops = ["s1", "s2", "s3"]

    static func config(_ c: inout KPIConfiguration) {
        c.retention = .init(days: 1, weeks: 1, months: 1)
        // Small, so distinct sets are promoted to HyperLogLog sketches.
        c.distinctExactThreshold = 40
        c.teams = [.init(name: "north", agents: ["a1", "a2"], leads: ["lead"]),
                   .init(name: "south", agents: ["a2", "a3"])]
    }

    static func events(count: Int, days: Int = 5, seed: UInt64 = 7) -> [(ShopEvent, EventTime?)] {
        var rng = SplitMix(seed: seed)
        var out: [(ShopEvent, EventTime?)] = []
        let start = local(2026, 11, 27, 6)
        let step = Int64(days) * 86_400_000 / Int64(count)
        for i in 0..<count {
            let r = rng.next()
            func pick(_ n: UInt64, _ shift: UInt64) -> Int { Int((r >> shift) % n) }
            // Mostly in order, some up to 20 minutes early (out of order), a few a day late.
            var t = start.millis + Int64(i) * step
            if pick(10, 3) == 0 { t -= Int64(pick(1_200_000, 20)) }
            if pick(200, 7) == 0 { t -= 30 * 3_600_000 }
            let time = EventTime(millis: t)
            let shop = shops[pick(3, 11)]
            let buyer = "b\(pick(25, 15))"
            let agent = "a\(pick(4, 21) + 1)"
            let visitor = "v\(pick(60, 25))"
            let id = pick(50, 33) == 0 && i > 0 ? "ev\(i - 1)" : "ev\(i)"  // 2% duplicates
            let e: ShopEvent
            switch pick(100, 40) {
            case 0..<35:
                e = ShopEvent(type: .pageView, eventID: id, time: time, shopID: shop,
                              channel: pick(3, 48) == 0 ? nil : "ch\(pick(3, 50))",
                              campaignID: pick(2, 52) == 0 ? "cmp\(pick(4, 53))" : nil,
                              sessionID: "\(visitor)-\(pick(3, 55))", visitorID: visitor, isLanding: pick(4, 57) == 0,
                              dwellMillis: pick(2, 59) == 0 ? Int64(pick(90_000, 8)) : nil)
            case 35..<65:
                let from: ChatSender = pick(5, 48) < 3 ? .buyer : .agent
                e = ShopEvent(type: .chatMessage, eventID: id, time: time, shopID: shop, buyerID: buyer, agentID: agent,
                              sessionID: "c-\(buyer)-\(pick(3, 51))", from: from, isAutoReply: from == .agent && pick(8, 53) == 0)
            case 65..<80:
                let type: EventType = [.orderCreated, .orderPaid, .orderPaid, .orderRefunded, .orderShipped, .orderCancelled][pick(6, 48)]
                e = ShopEvent(type: type, eventID: id, time: time, shopID: shop, orderID: "o\(pick(500, 8))", buyerID: buyer,
                              amount: Money(minorUnits: Int64(pick(50_000, 20)) + 1), agentID: pick(4, 51) == 0 ? agent : nil,
                              channel: pick(2, 53) == 0 ? "ch\(pick(3, 54))" : nil,
                              campaignID: pick(3, 56) == 0 ? "cmp\(pick(4, 58))" : nil,
                              promisedShipBy: type == .orderShipped ? time + .hours(Int64(pick(48, 60)) - 24) : nil)
            case 80..<85:
                e = ShopEvent(type: .chatRating, eventID: id, time: time, shopID: shop, buyerID: buyer, agentID: agent,
                              sessionID: "c-\(buyer)-0", score: pick(5, 48) + 1)
            default:
                let type: EventType = [.adImpression, .adImpression, .adClick, .adSpend][pick(4, 48)]
                e = ShopEvent(type: type, eventID: id, time: time, shopID: shop,
                              amount: type == .adSpend ? Money(minorUnits: Int64(pick(10_000, 20))) : nil,
                              channel: "ch\(pick(3, 50))", campaignID: "cmp\(pick(4, 52))",
                              cost: type == .adSpend ? nil : Money(minorUnits: Int64(pick(30, 54))))
            }
            // Some records carry a timestamp (the `future` check), one in 300 far ahead of it.
            let record: EventTime? = pick(3, 62) == 0 ? (pick(100, 1) == 0 ? time - .hours(3) : time) : nil
            out.append((e, record))
        }
        return out
    }
}

/// Replays `events` once as state A, checkpointing at each split point, and
/// from each checkpoint as state B: every drain of B (taken at the same event
/// indices as A's) must equal A's, and both end with the same checkpoint.
/// Returns the number of drains compared.
@discardableResult
func expectCheckpointReplayEquivalence(_ events: [(ShopEvent, EventTime?)], configure: (inout KPIConfiguration) -> Void,
                                       splits: [Int], drainEvery: Int, finalAdvance: EventTime.Duration = .days(40),
                                       sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    var config = KPIConfiguration()
    configure(&config)
    let emitted = { (i: Int) in EventTime(millis: 1_000_000 + Int64(i)) }
    func step(_ state: inout PartitionKPIState, _ i: Int) -> [KPISnapshot]? {
        _ = state.ingest(events[i].0, recordTimestamp: events[i].1)
        return (i + 1) % drainEvery == 0 ? state.drainChanged(emittedAt: emitted(i)) : nil
    }
    func finish(_ state: inout PartitionKPIState) -> [[KPISnapshot]] {
        let end = (state.watermark ?? EventTime(millis: 0)) + finalAdvance
        var drains = [state.drainChanged(emittedAt: emitted(events.count))]
        state.advanceWatermark(to: end)
        drains.append(state.drainChanged(emittedAt: emitted(events.count + 1)))
        return drains
    }

    var a = try PartitionKPIState(partition: 3, configuration: config, coverageStart: events.first.map { $0.0.time + .hours(5) })
    var checkpoints: [Int: [UInt8]] = [:]
    var drainsA: [Int: [KPISnapshot]] = [:]
    let splitSet = Set(splits)
    for i in 0..<events.count {
        if splitSet.contains(i) { checkpoints[i] = a.checkpoint() }
        if let d = step(&a, i) { drainsA[i] = d }
    }
    if splitSet.contains(events.count) { checkpoints[events.count] = a.checkpoint() }
    let tailA = finish(&a)
    let finalA = a.checkpoint()

    var compared = 0
    for k in splits.sorted() {
        let bytes = try #require(checkpoints[k], sourceLocation: sourceLocation)
        var b = try PartitionKPIState(checkpoint: bytes, configuration: config)
        #expect(b.checkpoint() == bytes, "re-checkpoint right after restore at \(k)", sourceLocation: sourceLocation)
        for i in k..<events.count {
            if let d = step(&b, i) {
                compared += 1
                if d != drainsA[i] {
                    Issue.record("split \(k): drain after event \(i) differs (\(d.count) vs \(drainsA[i]?.count ?? -1) snapshots)",
                                 sourceLocation: sourceLocation)
                    return compared
                }
            }
        }
        let tailB = finish(&b)
        compared += tailB.count
        #expect(tailB == tailA, "split \(k): final drains differ", sourceLocation: sourceLocation)
        #expect(b.checkpoint() == finalA, "split \(k): final checkpoints differ", sourceLocation: sourceLocation)
    }
    return compared
}
