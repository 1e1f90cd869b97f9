import Testing
@testable import KPICore

@Suite struct ShopOperationsTests {
    @Test func trafficMetrics() {
        var e = Events()
        var state = makeState()
        state.ingest([
            // session A: 3 views by v1 (dwell 10 s, 20 s, none); session B: 1 view by v2 (dwell 30 s);
            // session C: 1 view by v1 again.
            e.pageView(local(2026, 11, 21, 10), visitor: "v1", session: "A", dwell: 10_000),
            e.pageView(local(2026, 11, 21, 10, 1), visitor: "v1", session: "A", dwell: 20_000),
            e.pageView(local(2026, 11, 21, 10, 2), visitor: "v1", session: "A"),
            e.pageView(local(2026, 11, 21, 11), visitor: "v2", session: "B", dwell: 30_000),
            e.pageView(local(2026, 11, 21, 12), visitor: "v1", session: "C"),
        ])
        #expect(state.metric("pv", .shop) == "5")
        #expect(state.metric("uv", .shop) == "2")            // v1, v2
        #expect(state.metric("pv_per_uv", .shop) == "2.5")   // 5 / 2
        #expect(state.metric("avg_stay_s", .shop) == "20")   // (10 + 20 + 30) s / 3 views carrying dwell
        #expect(state.metric("bounce_rate", .shop) == "0.6667")  // B and C single-view / 3 sessions = 0.66666…
    }

    @Test func orderMetrics() {
        var e = Events()
        var state = makeState()
        let t = local(2026, 11, 21, 9)
        state.ingest([
            e.order(.orderCreated, t, order: "1", buyer: "b1", amount: 10_000),
            e.order(.orderCreated, t, order: "2", buyer: "b1", amount: 5_050),
            e.order(.orderCreated, t, order: "3", buyer: "b2", amount: 2_000),
            e.order(.orderPaid, t, order: "1", buyer: "b1", amount: 10_000),
            e.order(.orderPaid, t, order: "2", buyer: "b1", amount: 5_050),
            e.order(.orderRefunded, t, order: "2", buyer: "b1", amount: 1_025),
            e.order(.orderShipped, local(2026, 11, 21, 12), order: "1", buyer: nil, promised: local(2026, 11, 21, 12)),
            e.order(.orderShipped, local(2026, 11, 21, 13), order: "2", buyer: nil, promised: local(2026, 11, 21, 12)),
            e.order(.orderShipped, local(2026, 11, 21, 14), order: "3", buyer: nil),
            e.pageView(t, visitor: "v1", session: "x"),
            e.pageView(t, visitor: "v2", session: "y"),
            e.pageView(t, visitor: "v3", session: "z"),
        ])
        #expect(state.metric("orders_created", .shop) == "3")
        #expect(state.metric("orders_paid", .shop) == "2")
        #expect(state.metric("buyers", .shop) == "1")               // only b1 paid
        #expect(state.metric("sales", .shop) == "\"150.50\"")       // 100.00 + 50.50
        #expect(state.metric("refunds", .shop) == "\"10.25\"")
        #expect(state.metric("net_sales", .shop) == "\"140.25\"")   // 150.50 − 10.25
        #expect(state.metric("conversion_rate", .shop) == "0.3333") // 1 buyer / 3 uv
        #expect(state.metric("aov", .shop) == "\"150.50\"")         // 150.50 / 1 buyer
        #expect(state.metric("order_success_rate", .shop) == "0.6667")  // 2 / 3
        #expect(state.metric("ship_on_time_rate", .shop) == "0.5")  // order 1 on time (equal counts), 2 late; 3 has no promise
    }

    @Test func zeroDenominatorsAreNull() {
        var e = Events()
        var state = makeState()
        state.ingest([e.order(.orderRefunded, local(2026, 11, 21, 9), order: "9", buyer: "b", amount: 300)])
        #expect(state.metric("net_sales", .shop) == "\"-3.00\"")
        #expect(state.metric("pv_per_uv", .shop) == "null")
        #expect(state.metric("aov", .shop) == "null")
        #expect(state.metric("conversion_rate", .shop) == "null")
        #expect(state.metric("satisfaction", .shop) == "null")
    }

    @Test func aovRoundsHalfUpToTheCent() {
        var e = Events()
        var state = makeState()
        let t = local(2026, 11, 21, 9)
        // 2 buyers pay 0.01 + 0.02 = 0.03 → 1.5 cents per buyer → half-up 0.02.
        state.ingest([
            e.order(.orderPaid, t, order: "1", buyer: "b1", amount: 1),
            e.order(.orderPaid, t, order: "2", buyer: "b2", amount: 2),
        ])
        #expect(state.metric("aov", .shop) == "\"0.02\"")
    }
}
