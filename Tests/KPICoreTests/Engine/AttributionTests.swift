import Testing
@testable import KPICore

@Suite struct AttributionTests {
    @Test func explicitAgentWins() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.chat(local(2026, 11, 21, 9), session: "S", buyer: "b1", agent: "a1", from: .buyer),
            e.order(.orderCreated, local(2026, 11, 21, 10), order: "1", buyer: "b1", amount: 1_000, agent: "a9"),
        ])
        #expect(state.metric("agent_orders_created", .agent, "a9") == "1")
        #expect(state.metric("agent_orders_created", .agent, "a1") == "0")
    }

    @Test func latestHumanChatMessageWinsAndAutoRepliesDoNot() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.chat(local(2026, 11, 21, 9), session: "S", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 9, 5), session: "S", buyer: "b1", agent: "a2", from: .agent),
            e.chat(local(2026, 11, 21, 9, 30), session: "S", buyer: "b1", agent: "a3", from: .agent, auto: true),
            e.order(.orderCreated, local(2026, 11, 21, 10), order: "1", buyer: "b1", amount: 10_000),
            e.order(.orderPaid, local(2026, 11, 21, 10, 1), order: "1", buyer: "b1", amount: 10_000),
        ])
        // Latest non-auto message at or before the order: a2's reply at 09:05.
        #expect(state.metric("agent_orders_created", .agent, "a2") == "1")
        #expect(state.metric("agent_orders_paid", .agent, "a2") == "1")
        #expect(state.metric("agent_sales", .agent, "a2") == "\"100.00\"")
        #expect(state.metric("agent_aov", .agent, "a2") == "\"100.00\"")
        #expect(state.metric("agent_order_success_rate", .agent, "a2") == "1")
        #expect(state.metric("agent_sales", .agent, "a1") == "\"0.00\"")
        #expect(state.metric("agent_sales", .agent, "a3") == nil)   // an auto reply makes no agent scope
    }

    @Test func olderThanTheAttributionWindowIsSilent() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.chat(local(2026, 11, 20, 8), session: "S", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 20, 8), session: "T", buyer: "b2", agent: "a1", from: .buyer),
            // b1 pays exactly 24 h after its message → still attributed; b2 1 ms later → silent.
            e.order(.orderPaid, local(2026, 11, 21, 8), order: "1", buyer: "b1", amount: 500),
            e.order(.orderPaid, local(2026, 11, 21, 8, 0, 0, ms: 1), order: "2", buyer: "b2", amount: 700),
        ])
        #expect(state.metric("agent_orders_paid", .agent, "a1", .day, "2026-11-21") == "1")
        #expect(state.metric("agent_sales", .agent, "a1", .day, "2026-11-21") == "\"5.00\"")
        #expect(state.metric("agent_orders_paid", .shop, nil, .day, "2026-11-21") == "1")  // silent order not credited
        #expect(state.metric("orders_paid", .shop, nil, .day, "2026-11-21") == "2")        // but it is a sale
    }

    @Test func chatMessageArrivingAfterTheOrderReattributes() {
        var e = Events()
        var inOrder = makeState()
        var reversed = makeState()
        let events = [
            e.chat(local(2026, 11, 21, 9), session: "S", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 9, 50), session: "S", buyer: "b1", agent: "a2", from: .agent),
            e.order(.orderPaid, local(2026, 11, 21, 10), order: "1", buyer: "b1", amount: 2_500),
        ]
        inOrder.ingest(events)
        reversed.ingest(events.reversed())
        for state in [inOrder, reversed] {
            #expect(state.metric("agent_sales", .agent, "a2") == "\"25.00\"")
            #expect(state.metric("agent_sales", .agent, "a1") == "\"0.00\"")
            #expect(state.metric("agent_aov", .agent, "a1") == "null")
        }
    }

    @Test func agentAOVIsPerDistinctAttributedBuyer() {
        var e = Events()
        var state = makeState()
        let t = local(2026, 11, 21, 10)
        state.ingest([
            e.order(.orderPaid, t, order: "1", buyer: "b1", amount: 1_000, agent: "a1"),
            e.order(.orderPaid, t, order: "2", buyer: "b1", amount: 2_000, agent: "a1"),
            e.order(.orderPaid, t, order: "3", buyer: "b2", amount: 4_000, agent: "a1"),
        ])
        #expect(state.metric("agent_aov", .agent, "a1") == "\"35.00\"")  // 70.00 / 2 buyers
    }
}
