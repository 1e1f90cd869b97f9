import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: the API serves the alert books as they stand, and restored snapshots at once")
struct StandingAlertsTests {
    /// A real `kpi-ingest run`, stopped and started again. Agent a1 (team
    /// cs-a, quiet hours 10:00-09:00, i.e. all the time the events span)
    /// answers a buyer after 60 s at 10:02 on the 20th and again just after
    /// midnight: the 20th breaks the 10 s target of the shop and of the agent
    /// (firing after the 1 h hold of open windows), the open 21st too but is
    /// 24 minutes into its hold (pending). The agent's firing notification
    /// is held by the quiet hours.
    ///
    /// `/api/v1/alerts` lists all four as the books hold them (before, only
    /// the notifications sent showed: the shop's firing); after the restart,
    /// with no new event, the same four and the shop's restored days on
    /// `/api/v1/snapshots` (before, both were empty until new events came).
    @Test func alertsAndSnapshotsAsTheyStandBeforeAndAfterARestart() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce([
            .chat("c1", "2026-11-20T10:01:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "buyer"),
            .chat("c2", "2026-11-20T10:02:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "agent"),
            .chat("c3", "2026-11-21T00:30:00+08:00", session: "T", buyer: "b2", agent: "a1", from: "buyer"),
            .chat("c4", "2026-11-21T00:31:00+08:00", session: "T", buyer: "b2", agent: "a1", from: "agent"),
            // The watermark reaches 00:55: the 20th is closed, the 21st 25 minutes into its hold.
            .pageView("p1", "2026-11-21T01:00:00+08:00", visitor: "v1", session: "v1-1"),
        ], bootstrap: bootstrap)
        let config = try writeConfig("""
            teams:
              - {name: cs-a, agents: [a1], leads: [lead-a]}
            targets:
              - {rule: shop-frt, metric: first_response_s, scope: {type: shop}, window: day, value: 10, min_sample: 1}
              - {rule: frt, metric: first_response_s, scope: {type: agent}, window: day, value: 10, min_sample: 1}
            alerts:
              hold_time: {open: 1h, closed: 0s}
              repeat_interval: 2d
              quiet_hours:
                cs-a: {from: "10:00", to: "09:00"}
            """)
        let expected = [
            "frt|agent|s1|a1|day|2026-11-20": "firing",
            "frt|agent|s1|a1|day|2026-11-21": "pending",
            "shop-frt|shop|s1||day|2026-11-20": "firing",
            "shop-frt|shop|s1||day|2026-11-21": "pending",
        ]
        func listed(_ ingester: RunningIngester) -> [String: String] {
            var out: [String: String] = [:]
            for a in jsonObjects(ingester.get("/api/v1/alerts")?.body ?? "") {
                out[a["id"] as? String ?? ""] = a["state"] as? String
            }
            return out
        }
        let first = try RunningIngester(bootstrap: bootstrap, config: config, group: "standing")
        #expect(first.waitUntilReady(), "\(first.output)")
        var seen: [String: String] = [:]
        #expect(waitFor(seconds: 30) { seen = listed(first); return seen == expected }, "\(seen) \(first.output)")
        // Only the shop's firing was notified: the agent's is held by the quiet hours.
        func published() -> [String] {
            ((try? onOwnThread { try readAll(TopicNames().alerts, bootstrap: bootstrap) }) ?? [])
                .compactMap { $0.value.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } }
                .filter { $0["state"] as? String == "firing" }.compactMap { $0["id"] as? String }
        }
        var sent: [String] = []
        #expect(waitFor(seconds: 10) { sent = published(); return !sent.isEmpty }, "\(first.output)")
        #expect(sent == ["shop-frt|shop|s1||day|2026-11-20"])
        #expect(first.stop() == 0, "\(first.output)")

        // Restored from the checkpoint written on the stop; no event comes after.
        let second = try RunningIngester(bootstrap: bootstrap, config: config, group: "standing")
        defer { second.stop() }
        #expect(second.waitUntilReady(), "\(second.output)")
        #expect(second.output.contains("restoring from checkpoint"), "\(second.output)")
        #expect(waitFor(seconds: 15) { seen = listed(second); return seen == expected }, "\(seen) \(second.output)")
        var days: [String: String] = [:]
        #expect(waitFor(seconds: 15) {
            for s in jsonObjects(second.get("/api/v1/snapshots?scope=shop&window=day")?.body ?? "") {
                days[(s["window"] as? [String: Any])?["id"] as? String ?? ""] = metricText(s, "first_response_s")
            }
            return days == ["2026-11-20": "60", "2026-11-21": "60"]
        }, "\(days) \(second.output)")
        #expect(second.stop() == 0)
        #expect(published() == ["shop-frt|shop|s1||day|2026-11-20"], "nothing notified twice, the held one still held")
    }
}
