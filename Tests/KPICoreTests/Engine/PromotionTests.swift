import Testing
@testable import KPICore

@Suite struct PromotionTests {
    @Test func channelAndCampaignMetrics() {
        var e = Events()
        var state = makeState()
        let t = local(2026, 11, 21, 10)
        state.ingest([
            e.ad(.adImpression, t, channel: "ads", campaign: "c9", cost: 10),
            e.ad(.adImpression, t, channel: "ads", campaign: "c9", cost: 10),
            e.ad(.adImpression, t, channel: "ads", campaign: "c9", cost: 10),
            e.ad(.adImpression, t, channel: "ads", campaign: "c9", cost: 10),
            e.ad(.adClick, t, channel: "ads", campaign: "c9", cost: 50),
            e.ad(.adClick, t, channel: "ads", campaign: "c9", cost: 50),
            e.ad(.adSpend, t, channel: "ads", campaign: "c9", amount: 1_000),
            // v1 lands (arrival) and browses on (2 views, no bounce); v2 lands and leaves (bounce).
            e.pageView(t, visitor: "v1", session: "s1", channel: "ads", campaign: "c9", landing: true),
            e.pageView(t + .seconds(5), visitor: "v1", session: "s1", channel: "ads", campaign: "c9"),
            e.pageView(t, visitor: "v2", session: "s2", channel: "ads", campaign: "c9", landing: true),
            // landing without campaign: not an arrival, but a uv of channel "ads".
            e.pageView(t, visitor: "v3", session: "s3", channel: "ads", landing: true),
            e.order(.orderPaid, t, order: "1", buyer: "b1", amount: 3_000, channel: "ads", campaign: "c9"),
        ])
        // spend = 4 × 0.10 + 2 × 0.50 + 10.00 = 11.40
        #expect(state.metric("spend", .campaign, "c9") == "\"11.40\"")
        #expect(state.metric("impressions", .campaign, "c9") == "4")
        #expect(state.metric("clicks", .campaign, "c9") == "2")
        #expect(state.metric("ctr", .campaign, "c9") == "0.5")            // 2 / 4
        #expect(state.metric("arrivals", .campaign, "c9") == "2")
        #expect(state.metric("arrival_rate", .campaign, "c9") == "0.5")   // 2 / 4 impressions
        #expect(state.metric("click_arrival_rate", .campaign, "c9") == "1")  // 2 / 2 clicks
        #expect(state.metric("uv", .campaign, "c9") == "2")
        #expect(state.metric("uv", .channel, "ads") == "3")
        #expect(state.metric("arrivals", .channel, "ads") == "2")        // v3 had no campaign
        #expect(state.metric("bounce_rate", .campaign, "c9") == "0.5")    // s2 / {s1, s2}
        #expect(state.metric("bounce_rate", .channel, "ads") == "0.6667") // s2, s3 / 3
        #expect(state.metric("cost_per_uv", .campaign, "c9") == "\"5.70\"")  // 11.40 / 2
        #expect(state.metric("cost_per_uv", .channel, "ads") == "\"3.80\"")  // 11.40 / 3
        #expect(state.metric("orders_paid", .campaign, "c9") == "1")
        #expect(state.metric("sales", .campaign, "c9") == "\"30.00\"")
        #expect(state.metric("cost_per_order", .campaign, "c9") == "\"11.40\"")
        #expect(state.metric("roas", .campaign, "c9") == "2.6316")        // 30.00 / 11.40 = 2.63157…
    }
}
