import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: leads and receivers come from the routes that match")
struct RoutingTests {
    /// A real `kpi-ingest run`: three alerts (a shop's sales, routed to the
    /// ops lead and a `kind: kafka` receiver; a shop's bounce rate, routed
    /// to the log only; an agent's first response, whose team has a lead).
    /// Each alert names exactly the leads of what matches it, and the kafka
    /// receiver's topic holds exactly the alerts routed to it.
    @Test func leadsAndKafkaReceiversFollowTheMatchingRoutes() throws {
        let broker = try brokerWithTopics(partitions: 1)
        try broker.createTopic("ops.notifications", partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce([
            .pageView("p1", "2026-11-20T10:00:00+08:00", visitor: "v1", session: "v1-1"),
            .chat("c1", "2026-11-20T10:01:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "buyer"),
            .chat("c2", "2026-11-20T10:02:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "agent"),
            .order("o1", "2026-11-20T10:30:00+08:00", order: "o1", buyer: "b1", amount: "100.00"),
            // Closes the day: every alert is about a closed window.
            .pageView("p2", "2026-11-21T01:00:00+08:00", visitor: "v2", session: "v2-1"),
        ], bootstrap: bootstrap)
        let config = try writeConfig("""
            teams:
              - {name: cs-a, agents: [a1], leads: [lead-a]}
            targets:
              - {rule: sales, metric: sales, scope: {type: shop}, window: day, value: "1000.00"}
              - {rule: bounce, metric: bounce_rate, scope: {type: shop}, window: day, value: 0.1, min_sample: 1}
              - {rule: frt, metric: first_response_s, scope: {type: agent}, window: day, value: 10, min_sample: 1}
            alerts:
              hold_time: {closed: 0s, open: 0s}
              receivers:
                ops-topic: {kind: kafka, topic: ops.notifications}
                log: {kind: log}
              routes:
                - receivers: [log]
                - {scope_type: shop, rules: [sales], leads: [ops-lead], receivers: [ops-topic]}
            """)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: config, group: "routing")
        defer { ingester.stop() }
        #expect(ingester.waitUntilReady(), "\(ingester.output)")
        func alerts(_ topic: String) -> [[String: Any]] {
            ((try? onOwnThread { try readAll(topic, bootstrap: bootstrap) }) ?? [])
                .compactMap { $0.value.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } }
        }
        var published: [[String: Any]] = []
        #expect(waitFor(seconds: 30) {
            published = alerts(TopicNames().alerts)
            return Set(published.compactMap { $0["rule"] as? String }) == ["sales", "bounce", "frt"]
        }, "\(published) \(ingester.output)")
        #expect(ingester.stop() == 0)
        let firing = published.filter { $0["state"] as? String == "firing" }
        func leads(_ rule: String) -> Set<[String]> { Set(firing.filter { $0["rule"] as? String == rule }.map { $0["leads"] as! [String] }) }
        #expect(leads("sales") == [["ops-lead"]])
        #expect(leads("bounce") == [[]], "the ops route names only the sales rule")
        #expect(leads("frt") == [["lead-a"]])
        // The kafka receiver got the routed alerts, each as published, and nothing else.
        let routed = alerts("ops.notifications")
        #expect(!routed.isEmpty)
        #expect(routed.allSatisfy { $0["rule"] as? String == "sales" }, "\(routed)")
        #expect(routed.count == published.filter { $0["rule"] as? String == "sales" }.count)
    }
}
