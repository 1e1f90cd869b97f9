import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

/// A record as a producer writes it: topic, key, JSON text, record timestamp.
struct RawRecord: Sendable {
    var topic: InputTopic
    var key: String?
    var value: String
    /// Epoch ms; nil: the producer's clock.
    var timestamp: Int64?

    init(_ topic: InputTopic, key: String?, _ value: String, timestamp: Int64? = nil) {
        self.topic = topic; self.key = key; self.value = value; self.timestamp = timestamp
    }
}

/// Writes the records in order (one producer, so in order per partition).
func produceRaw(_ records: [RawRecord], bootstrap: String) throws {
    try onOwnThread {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        for r in records {
            try producer.send(topic: TopicNames().name(of: r.topic), key: r.key.map { Array($0.utf8) }, value: Array(r.value.utf8),
                              timestampMillis: r.timestamp)
        }
        try producer.flush()
    }
}

/// An `order_paid` of `shop` at `time` (epoch ms) for `amount` (JSON text as written).
func orderPaid(_ id: String, shop: String, at time: Int64, amount: String, agent: String? = nil) -> String {
    #"{"event_id":"\#(id)","type":"order_paid","ts":\#(time),"shop_id":"\#(shop)","order_id":"\#(id)","buyer_id":"b-\#(id)","amount":\#(amount)\#(agent.map { #","agent_id":"\#($0)""# } ?? "")}"#
}

/// What a backfill of the broker's inputs computed, and the dead letters it wrote.
struct BackfillOutcome {
    var result: BackfillResult
    var deadLetters: [OwnedRecord]

    /// The latest snapshot of a scope × window.
    func snapshot(_ scope: ScopeType, shop: String, id: String? = nil, window: WindowType = .day) -> KPISnapshot? {
        result.snapshots.first { $0.scope.type == scope && $0.scope.shopID == shop && $0.scope.id == id && $0.window.type == window }
    }

    /// Dead letters by their `kpi.reason` header.
    func deadLettered(_ reason: String) -> [OwnedRecord] {
        deadLetters.filter { r in r.headers.contains { $0.name == DeadLetterSink.Header.reason && $0.value == Array(reason.utf8) } }
    }
}

/// Backfills everything on the broker's inputs (the KPIs alone) and reads the dead letters back.
func backfillWithDeadLetters(bootstrap: String, readTime: EventTime? = nil) throws -> BackfillOutcome {
    try onOwnThread {
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        var progress = ProgressLine(forceEnabled: false)
        var job = BackfillJob(configuration: KPIConfiguration(), from: nil, until: nil)
        job.readTime = readTime
        let result = try job.run(consumer: consumer, deadLetters: DeadLetterSink(producer: producer, topic: TopicNames().deadLetter),
                                 progress: &progress, emittedAt: { activityStart + .days(1) })
        try consumer.close()
        let dead = try readAll(TopicNames().deadLetter, bootstrap: bootstrap)
        return BackfillOutcome(result: result, deadLetters: dead)
    }
}

/// Issue 13, "Hostile or broken input": each case written to the embedded
/// broker as a producer would, then replayed.
@Suite("Faults: hostile and broken input")
struct HostileInputTests {
    /// 2026-11-20T10:00:00+08:00.
    static let t0 = activityStart.millis + 10 * 3_600_000

    /// (5) Two `order_paid` of 92233720368547758.07 made a shop's sales
    /// −0.02. Such amounts are `bad_amount`; and however many of the
    /// largest amount accepted arrive, a sum never wraps: the one that
    /// would overflow is dead-lettered `sum_overflow`.
    @Test func amountsAndSumsNeverOverflowSilently() throws {
        let broker = try brokerWithTopics(partitions: 1)
        var records = [
            RawRecord(.orders, key: "s1", orderPaid("o1", shop: "s1", at: Self.t0, amount: #""1.00""#)),
            RawRecord(.orders, key: "s1", orderPaid("o2", shop: "s1", at: Self.t0 + 1000, amount: "92233720368547758.07")),
            RawRecord(.orders, key: "s1", orderPaid("o3", shop: "s1", at: Self.t0 + 2000, amount: "92233720368547758.07")),
        ]
        // 10 orders of the largest amount, 10,000,000,000,000.00 (10^15
        // minor units), in one day of shop "big": 9 of them sum to 9 × 10^15
        // minor units, within the largest sum, 2^53 (9.007 × 10^15).
        for i in 0..<10 {
            records.append(RawRecord(.orders, key: "big", orderPaid("big-\(i)", shop: "big", at: Self.t0 + Int64(i), amount: "10000000000000.00")))
        }
        try produceRaw(records, bootstrap: broker.bootstrapServers)
        let out = try backfillWithDeadLetters(bootstrap: broker.bootstrapServers)

        #expect(out.snapshot(.shop, shop: "s1")?[metric: "sales"] == .money(Money(minorUnits: 100)))
        #expect(out.snapshot(.shop, shop: "s1")?[metric: "orders_paid"] == .count(1))
        #expect(out.deadLettered("bad_amount:amount").count == 2)
        let big = try #require(out.snapshot(.shop, shop: "big"))
        #expect(big[metric: "orders_paid"] == .count(9))
        #expect(big[metric: "sales"] == .money(Money(minorUnits: 9_000_000_000_000_000)))
        for window in [WindowType.week, .month] {
            #expect(out.snapshot(.shop, shop: "big", window: window)?[metric: "sales"] == .money(Money(minorUnits: 9_000_000_000_000_000)))
        }
        let overflow = out.deadLettered("sum_overflow")
        #expect(overflow.count == 1)
        // The original bytes, as written: the last of the 10.
        #expect(overflow.first?.value == Array(records.last!.value.utf8))
        #expect(out.result.summary.deadLettered == 3)
    }

    /// (6) A record whose key is not its `shop_id` (no key, another shop's
    /// key) was counted on whatever partition it landed on.
    @Test func recordsNotKeyedByTheirShopAreDeadLettered() throws {
        let broker = try brokerWithTopics(partitions: 2)
        let good = orderPaid("o1", shop: "s1", at: Self.t0, amount: "5")
        let otherKey = orderPaid("o2", shop: "s1", at: Self.t0 + 1, amount: "7")
        let noKey = orderPaid("o3", shop: "s1", at: Self.t0 + 2, amount: "9")
        try produceRaw([RawRecord(.orders, key: "s1", good), RawRecord(.orders, key: "s2", otherKey), RawRecord(.orders, key: nil, noKey)],
                       bootstrap: broker.bootstrapServers)
        let out = try backfillWithDeadLetters(bootstrap: broker.bootstrapServers)
        #expect(out.snapshot(.shop, shop: "s1")?[metric: "orders_paid"] == .count(1))
        #expect(out.snapshot(.shop, shop: "s1")?[metric: "sales"] == .money(Money(minorUnits: 500)))
        let mismatched = out.deadLettered("key_mismatch")
        #expect(Set(mismatched.compactMap(\.value)) == [Array(otherKey.utf8), Array(noKey.utf8)])
        for r in mismatched {
            let error = r.headers.first { $0.name == DeadLetterSink.Header.error }?.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(error.contains("shop_id"), "\(error)")
        }
    }

    /// (7) `"amount"` twice was taken silently (last one wins); `1.5e1`,
    /// a JSON number events.md allows, was refused.
    @Test func duplicateFieldsAreMalformedAndExponentsAreAmounts() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let twice = #"{"event_id":"o1","type":"order_paid","ts":\#(Self.t0),"shop_id":"s1","order_id":"1","buyer_id":"b","amount":"1.00","amount":"900.00"}"#
        let shopTwice = #"{"event_id":"o2","type":"order_paid","ts":\#(Self.t0),"shop_id":"s1","order_id":"2","buyer_id":"b","amount":1,"shop_id":"s2"}"#
        let exponent = orderPaid("o3", shop: "s1", at: Self.t0 + 5, amount: "1.5e1")
        try produceRaw([RawRecord(.orders, key: "s1", twice), RawRecord(.orders, key: "s1", shopTwice), RawRecord(.orders, key: "s1", exponent)],
                       bootstrap: broker.bootstrapServers)
        let out = try backfillWithDeadLetters(bootstrap: broker.bootstrapServers)
        #expect(Set(out.deadLettered("malformed_json").compactMap(\.value)) == [Array(twice.utf8), Array(shopTwice.utf8)])
        #expect(out.snapshot(.shop, shop: "s1")?[metric: "orders_paid"] == .count(1))
        #expect(out.snapshot(.shop, shop: "s1")?[metric: "sales"] == .money(Money(minorUnits: 1_500)))
    }

    /// (2) In a backfill, a record with no `ts` and a record timestamp of
    /// 9999-12-31, and a producer 3 days fast, are judged against the time
    /// the backfill took its end offsets (every record it reads was written
    /// before): `future`, and the other shops' later events count.
    @Test func aBackfillJudgesTimeAgainstWhenItTookItsEndOffsets() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let day: Int64 = 86_400_000
        let poison = #"{"event_id":"poison","type":"page_view","shop_id":"s1","visitor_id":"v","session_id":"v-1"}"#
        try produceRaw([
            RawRecord(.orders, key: "s1", orderPaid("a1", shop: "s1", at: Self.t0, amount: "1"), timestamp: Self.t0),
            RawRecord(.traffic, key: "s1", poison, timestamp: 253_402_300_799_000),
            RawRecord(.orders, key: "s2", orderPaid("fast", shop: "s2", at: Self.t0 + 3 * day, amount: "1"), timestamp: Self.t0 + 3 * day),
            RawRecord(.orders, key: "s1", orderPaid("b1", shop: "s1", at: Self.t0 + 60_000, amount: "1"), timestamp: Self.t0 + 60_000),
            RawRecord(.orders, key: "s2", orderPaid("b2", shop: "s2", at: Self.t0 + 120_000, amount: "1"), timestamp: Self.t0 + 120_000),
        ], bootstrap: broker.bootstrapServers)
        // The backfill runs an hour after the data was written.
        let out = try backfillWithDeadLetters(bootstrap: broker.bootstrapServers, readTime: EventTime(millis: Self.t0 + 3_600_000))
        #expect(out.result.summary.deadLetteredByReason == ["future": 2])
        #expect(out.snapshot(.shop, shop: "s1")?[metric: "orders_paid"] == .count(2))
        #expect(out.snapshot(.shop, shop: "s2")?[metric: "orders_paid"] == .count(1))
        let details = out.deadLettered("future").compactMap { r in
            r.headers.first { $0.name == DeadLetterSink.Header.error }?.value.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(details.count == 2 && details.allSatisfy { $0.contains("ahead of the time the backfill took its end offsets") }, "\(details)")
    }

    /// An order 60 days old, written after page views of today (record
    /// timestamps) but read before them: merged in event time, it comes
    /// after them and is `late`. Its dead letter carries its original bytes
    /// (the backfill kept them, judging it against the latest time the
    /// partition could reach, not the little it had read so far: a debug
    /// build stopped on "refused event 0 without its bytes").
    @Test func anOldRecordReadFirstIsDeadLetteredWithItsBytes() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let day: Int64 = 86_400_000
        let old = orderPaid("old", shop: "s1", at: Self.t0 - 60 * day, amount: "5")
        var records = [RawRecord(.orders, key: "s1", old, timestamp: Self.t0 + 10_000)]
        for i in 0..<3 {
            let at = Self.t0 + Int64(i) * 1000
            let view = #"{"event_id":"v\#(i)","type":"page_view","ts":"\#(CivilTime.rfc3339(EventTime(millis: at), utcOffsetSeconds: 0, milliseconds: true))","shop_id":"s1","visitor_id":"v","session_id":"v-1","page":"/"}"#
            records.append(RawRecord(.traffic, key: "s1", view, timestamp: at))
        }
        try produceRaw(records, bootstrap: broker.bootstrapServers)
        let out = try backfillWithDeadLetters(bootstrap: broker.bootstrapServers, readTime: EventTime(millis: Self.t0 + 3_600_000))
        #expect(out.result.summary.deadLetteredByReason == ["late": 1])
        let late = out.deadLettered("late")
        #expect(late.count == 1)
        #expect(late.first.map { String(decoding: $0.value ?? [], as: UTF8.self) } == old)
    }

    /// (8) `|` inside ids made two snapshot keys collide: agent `a|b` of
    /// shop `zt` and agent `b` of shop `zt|a` were both `agent|zt|a|b|…`,
    /// and the compacted topic kept one of them. Live, through the topic.
    @Test func idsHoldingTheSeparatorKeepTheirOwnKeys() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produceRaw([
            RawRecord(.orders, key: "zt", orderPaid("o1", shop: "zt", at: Self.t0, amount: "10", agent: "a|b")),
            RawRecord(.orders, key: "zt|a", orderPaid("o2", shop: "zt|a", at: Self.t0 + 1, amount: "20", agent: "b")),
        ], bootstrap: bootstrap)
        var s = IngesterSettings(kafka: KafkaConfiguration(bootstrapServers: bootstrap))
        s.groupID = "pipes"
        s.emitInterval = .milliseconds(100)
        let settings = s
        let stop = StopSignal()
        let run = BackgroundRun { try LiveIngester(settings: settings).run(stop: stop) }
        #expect(try waitUntilGroupCaughtUp(group: "pipes", bootstrap: bootstrap, partitions: 1))
        Thread.sleep(forTimeInterval: 0.5)
        stop.request()
        try run.join()
        let published = try onOwnThread { try readAll(TopicNames().snapshots, bootstrap: bootstrap) }
        var latest: [String: KPISnapshot.ScopeDescription] = [:]
        for r in published.sorted(by: { $0.offset < $1.offset }) {
            let object = try JSONSerialization.jsonObject(with: Data(r.value!)) as! [String: Any]
            let scope = object["scope"] as! [String: Any], window = object["window"] as! [String: Any]
            latest[String(decoding: r.key!, as: UTF8.self)] = KPISnapshot.ScopeDescription(
                type: scope["type"] as! String, shop: scope["shop_id"] as! String, id: scope["id"] as? String, window: window["type"] as! String)
        }
        // Both agents' day windows survive compaction, each under its own key.
        #expect(latest[#"agent|zt|a\|b|day|2026-11-20"#] == .init(type: "agent", shop: "zt", id: "a|b", window: "day"))
        #expect(latest[#"agent|zt\|a|b|day|2026-11-20"#] == .init(type: "agent", shop: "zt|a", id: "b", window: "day"))
        // Every key names one scope × window: 2 shops + 2 agents, 6 windows each.
        #expect(latest.count == 4 * 6)
        // Alert ids are escaped the same way.
        #expect(Alert.id(rule: "r", scope: Scope(type: .agent, shopID: "zt", id: "a|b"), windowType: .day, windowID: "2026-11-20")
                != Alert.id(rule: "r", scope: Scope(type: .agent, shopID: "zt|a", id: "b"), windowType: .day, windowID: "2026-11-20"))
        #expect(Alert.id(rule: "r", scope: Scope(type: .agent, shopID: #"s\"#, id: "a"), windowType: .day, windowID: "d") == #"r|agent|s\\|a|day|d"#)
    }
}

extension KPISnapshot {
    /// What a published snapshot says it is about.
    struct ScopeDescription: Equatable {
        var type: String, shop: String, id: String?, window: String
    }
}
