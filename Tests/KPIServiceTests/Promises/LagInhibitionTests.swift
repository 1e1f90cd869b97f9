import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: a live partition far behind holds agent and team notifications")
struct LagInhibitionTests {
    /// What a real `kpi-ingest run` published on `kpi.alerts` when, live,
    /// its partition was 300 records behind as an agent's first response
    /// broke its target and the shop's.
    ///
    /// librdkafka 2.0.2's `consumer_lag` is the end of a partition less the
    /// offset this consumer last committed (unknown, and left out, before
    /// its first commit); auto-commit runs every 20 s here. Once `/metrics`
    /// shows a lag (the first commit), 300 page views are written: read at
    /// once, they are behind the committed offset until the next commit,
    /// 20 s later. Once the lag shows above 100, the breaching events
    /// follow: agent a1 answers a buyer after 60 s, above the 10 s target
    /// of the agent and of the shop; a page view at 01:00 the next day
    /// closes the day.
    private func alertsPublished(consumerLagBound: Int) throws -> (rules: Set<String>, log: String) {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce([.pageView("p0", "2026-11-20T09:00:00+08:00", visitor: "v0", session: "v0-1")], bootstrap: bootstrap)
        let config = try writeConfig("""
            kafka:
              properties: {auto.commit.interval.ms: "20000"}
            targets:
              - {rule: shop-frt, metric: first_response_s, scope: {type: shop}, window: day, value: 10, min_sample: 1}
              - {rule: frt, metric: first_response_s, scope: {type: agent}, window: day, value: 10, min_sample: 1}
            alerts:
              hold_time: {closed: 0s, open: 0s}
              consumer_lag_bound: \(consumerLagBound)
            """)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: config, group: "lag")
        defer { ingester.stop() }
        #expect(ingester.waitUntilReady(), "\(ingester.output)")
        func lag() -> Double? {
            let metrics = ingester.get("/metrics")?.body ?? ""
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("kpi_ingest_consumer_lag_records{partition=\"0\"}") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(waitFor(seconds: 40) { lag() != nil }, "\(ingester.output)")
        try produce((0..<300).map { i in
            .pageView("f\(i)", String(format: "2026-11-20T09:%02d:%02d+08:00", i / 60, i % 60), visitor: "f\(i)", session: "f\(i)-1")
        }, bootstrap: bootstrap)
        #expect(waitFor(seconds: 15) { (lag() ?? 0) > 100 }, "lag \(lag() ?? -1): \(ingester.output)")
        try produce([
            .chat("c1", "2026-11-20T10:01:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "buyer"),
            .chat("c2", "2026-11-20T10:02:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "agent"),
            .order("o1", "2026-11-20T10:30:00+08:00", order: "o1", buyer: "b1", amount: "100.00"),
            .pageView("p1", "2026-11-21T01:00:00+08:00", visitor: "v1", session: "v1-1"),
        ], bootstrap: bootstrap)
        // Counted (under the lag of the page views): the watermark reaches 00:55, 5 minutes
        // before the last page view; the alerts of that tick are emitted within a ingester.
        let closing = Double(InputEvent.time("2026-11-21T00:55:00+08:00").millis) / 1000
        var watermark = 0.0
        #expect(waitFor(seconds: 30) {
            let metrics = ingester.get("/metrics")?.body ?? ""
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("kpi_ingest_watermark_seconds") }
            watermark = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            return watermark >= closing
        }, "watermark \(watermark): \(ingester.output)")
        Thread.sleep(forTimeInterval: 2)
        #expect((lag() ?? 0) > 100, "the lag stayed until then")
        #expect(ingester.stop() == 0, "\(ingester.output)")
        let rules = Set(((try? onOwnThread { try readAll(TopicNames().alerts, bootstrap: bootstrap) }) ?? [])
            .compactMap { $0.value.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } }
            .filter { $0["state"] as? String == "firing" }
            .compactMap { $0["rule"] as? String })
        return (rules, ingester.output)
    }

    @Test func aLiveLagAboveTheBoundHoldsTheAgentsAlertNotTheShops() throws {
        let held = try alertsPublished(consumerLagBound: 100)
        #expect(held.rules == ["shop-frt"], "\(held.log)")
        // The same events with the inhibition off: the agent's alert goes out.
        let off = try alertsPublished(consumerLagBound: 0)
        #expect(off.rules == ["shop-frt", "frt"], "\(off.log)")
    }
}
