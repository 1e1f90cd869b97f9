import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: time moves when events stop")
struct IdleTimeTests {
    /// `kpi-ingest backfill --until`: shop s1 (partition 0) sends page views
    /// every 2 minutes until 10:00, is quiet until one more at 15:00; shop s2 (partition 1)
    /// sells 10,000.00 by 09:00 and then sends nothing. The end of the input
    /// (`--until`) is the clock: s2's day closes and becomes final, its
    /// sales fall behind the pace and then the full target, both shops'
    /// no-data alerts fire; s1's gap fires and resolves its no-data alert as
    /// a live consumer reading the records as they were written would have.
    @Test func backfillUntilMovesIdlePartitionsOnAndReplaysGaps() throws {
        let broker = try brokerWithTopics(partitions: 2)
        let bootstrap = broker.bootstrapServers
        var events: [InputEvent] = []
        // Every 2 minutes (less than the 5-minute idle timeout) from 08:00 to 10:00.
        for minute in stride(from: 0, through: 120, by: 2) {
            let t = String(format: "2026-11-20T%02d:%02d:00+08:00", 8 + minute / 60, minute % 60)
            events.append(.pageView("s1-pv\(minute)", t, shop: "s1", visitor: "v\(minute)", session: "s\(minute)"))
        }
        events.append(.pageView("s1-pv-late", "2026-11-20T15:00:00+08:00", shop: "s1", visitor: "v", session: "s"))
        events.append(.order("s2-o1", "2026-11-20T08:00:00+08:00", shop: "s2", order: "o1", buyer: "b1", amount: "10000.00"))
        try produce(events, bootstrap: bootstrap, partitionOf: { $0 == "s1" ? 0 : 1 })
        let config = try writeConfig("""
            kpi:
              attribution_window: 1h
            targets:
              - {rule: sales, metric: sales, scope: {type: shop, ids: [s2]}, window: day, value: "20000.00"}
            alerts:
              hold_time: {open: 0s, closed: 0s}
              repeat_interval: 2d
              no_data_after: 30m
            """)
        let run = try runBackfill(bootstrap: bootstrap, config: config, from: "2026-11-20", until: "2026-11-21T12:00:00+08:00")
        #expect(run.status == 0, "\(run.log)")
        // The days close, and are final once the watermark passes their end + the attribution window (1 h).
        for shop in ["s1", "s2"] {
            let day = run.snapshot("shop", shop, nil, "day", "2026-11-20")
            #expect((day?["window"] as? [String: Any])?["closed"] as? Bool == true, "\(shop): \(day ?? [:])")
            #expect(day?["final"] as? Bool == true, "\(shop): \(day ?? [:])")
        }
        var perID: [String: [String]] = [:]
        for a in run.alerts { perID[a["id"] as! String, default: []].append("\(a["state"]!) \(a["since"]!)") }
        #expect(perID == [
            // s1: its watermark 09:55 after the 10:00 page view; silent 30 minutes at 10:25. The page
            // view at 15:00 comes after a gap: time first moves to 14:55, the view is seen at the
            // next tick (14:56), which resolves it; silent again from then, firing at 15:26.
            "no-data|shop|s1||day|2026-11-20": ["firing 2026-11-20T09:55:00+08:00", "resolved 2026-11-20T14:56:00+08:00",
                                                "firing 2026-11-20T14:56:00+08:00"],
            // s2: its one order at 08:00 (watermark 07:55).
            "no-data|shop|s2||day|2026-11-20": ["firing 2026-11-20T07:55:00+08:00"],
            // 10,000.00 is the even pace of 20,000.00 at 12:00: behind it from the 12:01 tick on.
            "sales|shop|s2||day|2026-11-20": ["firing 2026-11-20T12:01:00+08:00"],
        ], "\(run.log)")
    }

    /// A real `kpi-ingest run`: shop s1's last events are two hours old
    /// (as if its producer stopped then); two seconds of idleness later its
    /// partition's time follows the consumer's clock, and the no-data alert
    /// is on `/api/v1/alerts` and `kpi.alerts`.
    @Test func liveRunFiresNoDataForAShopThatStoppedSending() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        f.formatOptions = [.withInternetDateTime]
        let stopped = Date().addingTimeInterval(-2 * 3600)
        var events: [InputEvent] = []
        for i in 0..<5 {
            let t = f.string(from: stopped.addingTimeInterval(Double(i - 5) * 60))
            events.append(.pageView("pv\(i)", t, visitor: "v\(i)", session: "s\(i)"))
        }
        try produce(events, bootstrap: bootstrap)
        let config = try writeConfig("""
            kpi:
              idle_timeout: 2s
            alerts:
              no_data_after: 30m
            """)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: config, group: "idle-time")
        defer { ingester.stop() }
        #expect(ingester.waitUntilReady(), "\(ingester.output)")
        var listed: [[String: Any]] = []
        #expect(waitFor(seconds: 30) {
            listed = jsonObjects(ingester.get("/api/v1/alerts?state=firing")?.body ?? "")
            return listed.contains { $0["rule"] as? String == "no-data" }
        }, "\(listed) \(ingester.output)")
        // The partition's watermark follows the clock, less the allowed lateness (5 minutes).
        let metrics = ingester.get("/metrics")?.body ?? ""
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("kpi_ingest_watermark_seconds") }
        let watermark = line.flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(watermark.map { abs($0 - (Date().timeIntervalSince1970 - 300)) < 60 } == true, "\(line ?? "")")
        // Silent past the 30-minute limit (its last events are two hours old).
        let alert = listed.first { $0["rule"] as? String == "no-data" }
        #expect(((alert?["value"] as? Int) ?? 0) >= 1800, "\(alert ?? [:])")
        #expect(ingester.stop() == 0)
        let published = try onOwnThread { try readAll(TopicNames().alerts, bootstrap: bootstrap) }
        #expect(published.contains { String(decoding: $0.key ?? [], as: UTF8.self).hasPrefix("no-data|shop|s1|") })
    }
}
