import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: a payout on the shop's sales follows them")
struct PayoutTests {
    /// A `stable` team paid on `shop_sales`: agent a1's November score is
    /// 100 (one KPI, agent_sales 100.00 against 100.00), so its payout is
    /// 1% of the shop's November sales. Orders without an agent come in
    /// later: a1's own month does not change, the shop's sales do, and the
    /// latest a1 × November snapshot on `kpi.snapshots` must pay on them.
    @Test func agentMonthIsReissuedWhenTheShopsSalesChange() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let config = try writeConfig("""
            teams:
              - {name: cs-a, agents: [a1], leads: [lead-a]}
            scorecards:
              cs-a:
                - {metric: agent_sales, weight: 100, target: "100.00", cap: 1}
            stages:
              cs-a: {stage: stable, commission_rate: 0.01, base: shop_sales}
            """)
        try produce([
            // Answered at once: nothing of a1's waits for the watermark.
            .chat("c1", "2026-11-20T10:00:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "buyer"),
            .chat("c2", "2026-11-20T10:00:20+08:00", session: "S", buyer: "b1", agent: "a1", from: "agent"),
            .order("o1", "2026-11-20T10:10:00+08:00", order: "o1", buyer: "b1", amount: "100.00", agent: "a1"),
        ], bootstrap: bootstrap)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: config, group: "payout")
        defer { ingester.stop() }
        #expect(ingester.waitUntilReady(), "\(ingester.output)")
        func latest(_ scope: String, _ id: String?) -> [String: Any]? {
            (try? publishedSnapshots(bootstrap: bootstrap))?.last { s in
                let sc = s["scope"] as! [String: Any], w = s["window"] as! [String: Any]
                return sc["type"] as? String == scope && sc["id"] as? String == id && w["id"] as? String == "2026-11"
            }
        }
        func payout(_ s: [String: Any]?) -> String? { (s?["score"] as? [String: Any])?["payout"] as? String }
        #expect(waitFor(seconds: 30) { payout(latest("agent", "a1")) == "1.00" }, "\(ingester.output)")

        // Silent orders (no agent, no chat before them): only the shop's sales move.
        try produce([
            .order("o2", "2026-11-20T12:00:00+08:00", order: "o2", buyer: "b2", amount: "1500.00"),
            .order("o3", "2026-11-20T13:00:00+08:00", order: "o3", buyer: "b3", amount: "500.50"),
        ], bootstrap: bootstrap)
        #expect(waitFor(seconds: 30) { metricText(latest("shop", nil), "sales") == "2100.50" }, "\(ingester.output)")
        Thread.sleep(forTimeInterval: 1.5)   // one more emit interval
        #expect(ingester.stop() == 0)
        // 100 / 100 × 1% × 2100.50 = 21.005 → 21.01 (half-up to the cent).
        let agent = latest("agent", "a1")
        #expect(payout(agent) == "21.01", "\(agent ?? [:])")
        #expect(metricText(agent, "agent_sales") == "100.00")
    }
}
