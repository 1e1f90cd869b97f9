import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: the late rule holds whatever the input order")
struct LateRuleTests {
    /// The demo's `late` fault: shop s1 has started (page views, a chat) when
    /// an order 41 days behind the stream is sent. Merged in event time it
    /// would be the partition's first event, counted before anything set a
    /// watermark, opening windows of a day no retention holds (and a no-data
    /// alert for that day). It is late: dead-lettered, in no window.
    static let events: [InputEvent] = [
        .pageView("t1", "2026-11-20T10:00:00+08:00", visitor: "v1", session: "v1-1"),
        .pageView("t2", "2026-11-20T10:10:00+08:00", visitor: "v2", session: "v2-1"),
        .chat("c1", "2026-11-20T10:15:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "buyer"),
        // Written at 10:16, event time 2026-10-10: the first record of the orders input.
        .order("late-1", "2026-10-10T10:00:00+08:00", order: "o-old", buyer: "b9", amount: "40.80",
               recordTime: "2026-11-20T10:16:00+08:00"),
        .order("o1", "2026-11-20T10:20:00+08:00", order: "o1", buyer: "b1", amount: "100.00"),
        .pageView("t3", "2026-11-20T11:00:00+08:00", visitor: "v3", session: "v3-1"),
    ]

    static let config = """
        alerts:
          no_data_after: 30m
        targets:
          - {rule: sales, metric: sales, scope: {type: shop}, window: day, value: "10.00"}
        """

    static func checkNothingOfTheOldDay(_ snapshots: [[String: Any]], _ context: String) {
        let windows = snapshots.map { ($0["window"] as! [String: Any])["id"] as! String }
        #expect(!windows.contains("2026-10-10"), "a window of the late event's day: \(context)")
        #expect(!windows.contains("2026-10"), "its month: \(context)")
        #expect(!windows.contains("2026-W41"), "its week: \(context)")
    }

    @Test func backfillDeadLettersAnOldRecordSentAfterTheShopStarted() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce(Self.events, bootstrap: bootstrap)
        let run = try runBackfill(bootstrap: bootstrap, config: try writeConfig(Self.config), from: "2026-09-01")
        #expect(run.status == 0, "\(run.log)")
        #expect(run.log.contains("late 1"), "\(run.log)")
        Self.checkNothingOfTheOldDay(run.snapshots, run.log)
        #expect(metricText(run.snapshot("shop", "s1", nil, "month", "2026-11"), "sales") == "100.00")
        #expect(!run.alerts.contains { ($0["window"] as? [String: Any])?["id"] as? String == "2026-10-10" },
                "an alert for the late event's day: \(run.alerts)")
        let dead = try onOwnThread { try readAll(TopicNames().deadLetter, bootstrap: bootstrap) }
        #expect(dead.count == 1)
        let reason = dead.first?.headers.first { $0.name == "kpi.reason" }
        #expect(reason.map { String(decoding: $0.value ?? [], as: UTF8.self) } == "late")
    }

    /// The same input restored by a live `kpi-ingest run` (a replay): the
    /// HTTP API and `kpi.snapshots` show nothing of the old day.
    @Test func liveRunDeadLettersItToo() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce(Self.events, bootstrap: bootstrap)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: try writeConfig(Self.config), group: "late-rule")
        defer { ingester.stop() }
        #expect(ingester.waitUntilReady(), "\(ingester.output)")
        var served: [[String: Any]] = []
        #expect(waitFor(seconds: 30) {
            served = jsonObjects(ingester.get("/api/v1/snapshots?scope=shop&window=month")?.body ?? "")
            return metricText(served.first, "sales") == "100.00"
        }, "\(served) \(ingester.output)")
        #expect(ingester.stop() == 0)
        Self.checkNothingOfTheOldDay(served, ingester.output)
        Self.checkNothingOfTheOldDay(try publishedSnapshots(bootstrap: bootstrap), ingester.output)
        let dead = try onOwnThread { try readAll(TopicNames().deadLetter, bootstrap: bootstrap) }
        #expect(dead.count == 1)
    }
}
