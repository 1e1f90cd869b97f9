import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: complete only where every input reached back to the window's start")
struct CoverageTests {
    /// Shop s1's page views from 1 to 20 November (60,000 records, ~11 MB):
    /// more than the embedded broker keeps of a partition (~5 MiB), so its
    /// first days are gone; orders from 1 November are all still there.
    /// Returns the timestamp of the first page view the broker still holds.
    static func produceTruncatedTraffic(bootstrap: String) throws -> EventTime {
        var events: [InputEvent] = []
        let start = InputEvent.time("2026-11-01T00:00:00+08:00").millis
        let n = 60_000
        let step = (InputEvent.time("2026-11-20T00:00:00+08:00").millis - start) / Int64(n)
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime]
        for i in 0..<n {
            let t = Date(timeIntervalSince1970: Double(start + Int64(i) * step) / 1000)
            events.append(.pageView("pv-\(i)", formatter.string(from: t), visitor: "visitor-\(i % 5000)", session: "session-\(i)"))
        }
        events.append(.order("o1", "2026-11-01T10:00:00+08:00", order: "o1", buyer: "b1", amount: "10.00"))
        events.append(.order("o2", "2026-11-19T10:00:00+08:00", order: "o2", buyer: "b2", amount: "20.00"))
        events.append(.chat("c1", "2026-11-19T11:00:00+08:00", session: "S", buyer: "b2", agent: "a1", from: "buyer"))
        try produce(events, bootstrap: bootstrap)
        let first = try onOwnThread {
            var first: EventTime?
            try KafkaConsumer.readToEnd(topic: TopicNames().traffic, configuration: KafkaConfiguration(bootstrapServers: bootstrap)) { r in
                if first == nil { first = r.timestampMillis.map(EventTime.init(millis:)) }
            }
            return first
        }
        let low = try onOwnThread {
            try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
                .watermarkOffsets(TopicPartition(TopicNames().traffic, 0)).low
        }
        #expect(low > 0, "the broker kept every page view: nothing to test")
        return first!
    }

    /// Each shop window: `complete` exactly when its start is at or after
    /// the first page view still on the broker.
    static func check(_ windows: [[String: Any]], firstRetained: EventTime, context: String) {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        var incomplete = 0, complete = 0
        for s in windows {
            let w = s["window"] as! [String: Any]
            let start = TimeText.instant(w["start"] as! String, timeZone: zone)!
            let expected = start >= firstRetained
            #expect(s["complete"] as? Bool == expected, "\(w["type"]!) \(w["id"]!) starts \(w["start"]!), first page view kept \(firstRetained.millis): \(context)")
            if expected { complete += 1 } else { incomplete += 1 }
        }
        #expect(complete > 0 && incomplete > 0, "\(windows.count) windows: \(context)")
    }

    @Test func backfillMarksWindowsBeforeTheFirstRetainedRecordIncomplete() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let firstRetained = try Self.produceTruncatedTraffic(bootstrap: bootstrap)
        let run = try runBackfill(bootstrap: bootstrap, config: try writeConfig("{}"), from: "2026-10-01")
        #expect(run.status == 0, "\(run.log)")
        let shop = run.snapshots.filter { ($0["scope"] as! [String: Any])["type"] as? String == "shop" }
        // The day of the first order (1 November) is there, from orders alone: incomplete, as its month.
        #expect(run.snapshot("shop", "s1", nil, "day", "2026-11-01")?["complete"] as? Bool == false)
        #expect(run.snapshot("shop", "s1", nil, "month", "2026-11")?["complete"] as? Bool == false)
        #expect(run.snapshot("shop", "s1", nil, "day", "2026-11-19")?["complete"] as? Bool == true)
        Self.check(shop, firstRetained: firstRetained, context: run.log)
    }

    /// The same input restored by a live `kpi-ingest run` (replay: no checkpoint).
    @Test func liveRestoreByReplayMarksThemIncompleteToo() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let firstRetained = try Self.produceTruncatedTraffic(bootstrap: bootstrap)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: try writeConfig("{}"), group: "coverage")
        defer { ingester.stop() }
        #expect(ingester.waitUntilReady(), "\(ingester.output)")
        var served: [[String: Any]] = []
        #expect(waitFor(seconds: 30) {
            served = jsonObjects(ingester.get("/api/v1/snapshots?scope=shop")?.body ?? "")
            return served.contains { ($0["window"] as! [String: Any])["id"] as? String == "2026-11-19" }
        }, "\(ingester.output)")
        let month = served.first { ($0["window"] as! [String: Any])["id"] as? String == "2026-11" }
        #expect(month?["complete"] as? Bool == false)
        Self.check(served, firstRetained: firstRetained, context: ingester.output)
        #expect(ingester.stop() == 0)
    }
}
