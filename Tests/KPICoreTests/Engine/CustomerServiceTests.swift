import Testing
@testable import KPICore

@Suite struct CustomerServiceTests {
    static func config(_ c: inout KPIConfiguration) {
        c.teams = [.init(name: "T1", agents: ["a1", "a2"], leads: ["lead"])]
    }

    /// S1: b1 → a1 at 10:00:00 and 10:00:05 (one turn), an auto reply at 10:00:10 (ignored),
    ///     a1 answers 10:01:00 (60 s); b1 again 10:02:00 (turn 2), a2 answers 10:06:00 (240 s).
    /// S2: b1 → a2 at 11:00, never answered; a page view at 11:20 moves the watermark to 11:15 ≥ 11:10.
    /// S3: b1 → a1 at 12:00: pending (watermark 11:55 < 12:10), counts as a session but as no turn.
    static func scenario(_ e: inout Events) -> [ShopEvent] {
        [
            e.chat(local(2026, 11, 21, 10), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 10, 0, 5), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 10, 0, 10), session: "S1", buyer: "b1", agent: "a1", from: .agent, auto: true),
            e.chat(local(2026, 11, 21, 10, 1), session: "S1", buyer: "b1", agent: "a1", from: .agent),
            e.chat(local(2026, 11, 21, 10, 2), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 10, 6), session: "S1", buyer: "b1", agent: "a2", from: .agent),
            e.chat(local(2026, 11, 21, 11), session: "S2", buyer: "b1", agent: "a2", from: .buyer),
            e.pageView(local(2026, 11, 21, 11, 20), visitor: "v", session: "p"),
            e.chat(local(2026, 11, 21, 12), session: "S3", buyer: "b1", agent: "a1", from: .buyer),
            e.rating(local(2026, 11, 21, 12, 1), session: "S1", buyer: "b1", agent: "a1", score: 5),
            e.rating(local(2026, 11, 21, 12, 2), session: "S3", buyer: "b1", agent: "a1", score: 3),
        ]
    }

    @Test func agentMetrics() {
        var e = Events()
        var state = makeState(Self.config)
        state.ingest(Self.scenario(&e))
        #expect(state.metric("inquiries", .agent, "a1") == "1")            // b1
        #expect(state.metric("sessions", .agent, "a1") == "2")             // S1, S3
        #expect(state.metric("first_response_s", .agent, "a1") == "60")    // S1 only; S3 pending
        #expect(state.metric("avg_response_s", .agent, "a1") == "60")      // turn 2 of S1 belongs to a2
        #expect(state.metric("unanswered_sessions", .agent, "a1") == "0")
        #expect(state.metric("response_within_3m_rate", .agent, "a1") == "1")  // 1 / 1
        #expect(state.metric("answer_ratio", .agent, "a1") == "0.25")     // 1 human reply / 4 buyer messages
        #expect(state.metric("satisfaction", .agent, "a1") == "4")         // (5 + 3) / 2
        #expect(state.metric("satisfaction_rate", .agent, "a1") == "0.5")  // one of two ≥ 4

        #expect(state.metric("inquiries", .agent, "a2") == "1")
        #expect(state.metric("sessions", .agent, "a2") == "1")             // S2
        #expect(state.metric("first_response_s", .agent, "a2") == "null")  // S2's first turn unanswered
        #expect(state.metric("avg_response_s", .agent, "a2") == "240")     // S1 turn 2: 10:02 → 10:06
        #expect(state.metric("unanswered_sessions", .agent, "a2") == "1")
        #expect(state.metric("response_within_3m_rate", .agent, "a2") == "0")  // 240 s > 180 s; S2 unanswered: 0 / 2
        #expect(state.metric("answer_ratio", .agent, "a2") == "1")         // 1 / 1
    }

    @Test func teamAndShopAreTrueAggregates() {
        var e = Events()
        var state = makeState(Self.config)
        state.ingest(Self.scenario(&e))
        for (type, id) in [(ScopeType.team, Optional("T1")), (.shop, nil)] {
            #expect(state.metric("inquiries", type, id) == "1")            // b1 asked both agents: one buyer, not 2
            #expect(state.metric("sessions", type, id) == "3")
            #expect(state.metric("first_response_s", type, id) == "60")    // only S1's first turn answered
            #expect(state.metric("avg_response_s", type, id) == "150")     // (60 + 240) / 2
            #expect(state.metric("unanswered_sessions", type, id) == "1")
            #expect(state.metric("response_within_3m_rate", type, id) == "0.3333")  // 1 of 3 decided turns
            #expect(state.metric("answer_ratio", type, id) == "0.4")       // 2 human replies / 5 buyer messages
        }
    }

    @Test func unansweredTurnIsDecidedOnlyWhenTheWatermarkPassesTheTimeout() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.chat(local(2026, 11, 21, 10), session: "S", buyer: "b", agent: "a1", from: .buyer),
            // watermark = 10:14:59.999 − 5 min = 10:09:59.999 < 10:10:00
            e.pageView(local(2026, 11, 21, 10, 14, 59, ms: 999), visitor: "v", session: "p"),
        ])
        #expect(state.metric("unanswered_sessions", .agent, "a1") == "0")
        #expect(state.metric("response_within_3m_rate", .agent, "a1") == "null")  // no decided turn yet
        #expect(state.metric("sessions", .agent, "a1") == "1")
        state.advanceWatermark(to: local(2026, 11, 21, 10, 10))
        #expect(state.metric("unanswered_sessions", .agent, "a1") == "1")
        #expect(state.metric("response_within_3m_rate", .agent, "a1") == "0")     // 0 / 1
    }

    @Test func replyAtExactlyTheTimeoutAnswersAndLaterDoesNot() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.chat(local(2026, 11, 21, 10), session: "A", buyer: "b", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 10, 10), session: "A", buyer: "b", agent: "a1", from: .agent),
            e.chat(local(2026, 11, 21, 11), session: "B", buyer: "c", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 11, 10, 0, ms: 1), session: "B", buyer: "c", agent: "a1", from: .agent),
        ])
        state.advanceWatermark(to: local(2026, 11, 21, 12))
        // A: answered after exactly 600 s; B: 600.001 s > timeout → unanswered.
        #expect(state.metric("avg_response_s", .agent, "a1") == "600")
        #expect(state.metric("unanswered_sessions", .agent, "a1") == "1")
        #expect(state.metric("sessions", .agent, "a1") == "2")
    }

    /// A turn answered before its deadline leaves a stale deadline in the
    /// queue; the session's next pending turn is still decided by the
    /// watermark at its own deadline (reply timeout 10 min, lateness 5 min).
    @Test func aTurnAnsweredBeforeItsDeadlineThenAPendingOneIsDecidedOnTime() {
        var e = Events()
        var state = makeState(Self.config)
        state.ingest([
            e.chat(local(2026, 11, 21, 10), session: "S1", buyer: "b1", agent: "a1", from: .buyer),       // deadline 10:10
            e.chat(local(2026, 11, 21, 10, 5), session: "S1", buyer: "b1", agent: "a1", from: .agent),    // answered in 300 s
            e.chat(local(2026, 11, 21, 10, 20), session: "S1", buyer: "b1", agent: "a1", from: .buyer),   // deadline 10:30
        ])
        // Watermark 10:15 (10:20 − 5 min): past the stale 10:10, before 10:30.
        #expect(state.metric("unanswered_sessions", .agent, "a1") == "0")
        #expect(state.metric("avg_response_s", .agent, "a1") == "300")
        // A page view at 10:36 moves the watermark to 10:31: the 10:20 turn is unanswered.
        state.ingest([e.pageView(local(2026, 11, 21, 10, 36), visitor: "v", session: "p")])
        #expect(state.metric("unanswered_sessions", .agent, "a1") == "1")
        #expect(state.metric("avg_response_s", .agent, "a1") == "300")              // answered turns only
        #expect(state.metric("response_within_3m_rate", .agent, "a1") == "0")       // 300 s > 180 s; 1 unanswered: 0 / 2
        #expect(state.metric("first_response_s", .agent, "a1") == "300")
    }

    /// Follow-ups in the same hour note no new first inquiry, but a local
    /// day can start inside a UTC hour (Asia/Kolkata, UTC+5:30): the first
    /// message after local midnight is that day's first inquiry even when the
    /// buyer wrote to the same agent earlier in the same UTC hour.
    @Test func aFirstInquiryAfterMidnightInsideAUTCHourCounts() {
        var e = Events()
        var state = makeState { $0.timeZoneID = "Asia/Kolkata" }
        state.ingest([
            // UTC 18:10, 18:20 = local 23:40, 23:50 on the 21st; UTC 18:40 = local 00:10 on the 22nd.
            e.chat(local(2026, 11, 21, 23, 40, offset: 0) - .minutes(330), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 23, 50, offset: 0) - .minutes(330), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 22, 0, 10, offset: 0) - .minutes(330), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 22, 0, 20, offset: 0) - .minutes(330), session: "S1", buyer: "b1", agent: "a1", from: .buyer),
        ])
        // b1 inquired of a1 on both local days: one inquirer each day, and one
        // in the week (the 21st is a Saturday, the 22nd a Sunday: the same ISO week).
        #expect(state.metric("inquiries", .agent, "a1", .day, "2026-11-21") == "1")
        #expect(state.metric("inquiries", .agent, "a1", .day, "2026-11-22") == "1")
        #expect(state.metric("inquiries", .shop, nil, .day, "2026-11-22") == "1")
        #expect(state.metric("inquiries", .agent, "a1", .week) == "1")
        // Two buyer messages that day, no reply: 0 / 2.
        #expect(state.metric("answer_ratio", .agent, "a1", .day, "2026-11-21") == "0")
    }

    /// kpis.md `first_response_s`: the first turn belongs to the agent who
    /// answered it (a session handed from a1 to a2 before any reply counts
    /// for a2); the session stays a1's. An earlier reply arriving later
    /// moves it back.
    @Test func firstResponseBelongsToTheReplyingAgent() {
        var e = Events()
        var state = makeState(Self.config)
        state.ingest([
            e.chat(local(2026, 11, 21, 10), session: "S", buyer: "b", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 10, 0, 30), session: "S", buyer: "b", agent: "a2", from: .agent),
        ])
        #expect(state.metric("sessions", .agent, "a1") == "1")
        #expect(state.metric("first_response_s", .agent, "a1") == "null")
        #expect(state.metric("sessions", .agent, "a2") == "0")
        #expect(state.metric("first_response_s", .agent, "a2") == "30")
        #expect(state.metric("first_response_s", .team, "T1") == "30")
        #expect(state.metric("first_response_s", .shop, nil) == "30")
        // a1 had answered at 10:00:10 (the record arrives late): the first turn is a1's, 10 s.
        state.ingest([e.chat(local(2026, 11, 21, 10, 0, 10), session: "S", buyer: "b", agent: "a1", from: .agent)])
        #expect(state.metric("first_response_s", .agent, "a1") == "10")
        #expect(state.metric("first_response_s", .agent, "a2") == "null")
        #expect(state.metric("first_response_s", .shop, nil) == "10")
    }

    @Test func inquiryConversionCountsPaymentsAfterTheWindowEnds() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.chat(local(2026, 11, 21, 8), session: "X", buyer: "b2", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 20), session: "Y", buyer: "b1", agent: "a1", from: .buyer),
            e.chat(local(2026, 11, 21, 21), session: "Y", buyer: "b1", agent: "a1", from: .buyer),
        ])
        #expect(state.metric("inquiry_conversion_rate", .agent, "a1") == "0")  // 0 / 2, provisional
        state.ingest([
            // b1: first inquiry 21st 20:00, paid 22nd 10:00 = 14 h later → converted (after W ended).
            e.order(.orderPaid, local(2026, 11, 22, 10), order: "1", buyer: "b1", amount: 100),
            // b2: first inquiry 21st 08:00, paid 22nd 09:00 = 25 h later → not converted.
            e.order(.orderPaid, local(2026, 11, 22, 9), order: "2", buyer: "b2", amount: 100),
        ])
        #expect(state.metric("inquiries", .agent, "a1", .day, "2026-11-21") == "2")
        #expect(state.metric("inquiry_conversion_rate", .agent, "a1", .day, "2026-11-21") == "0.5")  // 1 / 2
        #expect(state.metric("inquiry_conversion_rate", .shop, nil, .day, "2026-11-22") == "null")   // no inquiry
        #expect(state.metric("inquiry_conversion_rate", .agent, "a1", .month) == "0.5")
    }

    @Test func paymentBeforeTheInquiryDoesNotConvert() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.order(.orderPaid, local(2026, 11, 21, 9), order: "1", buyer: "b1", amount: 100),
            e.chat(local(2026, 11, 21, 10), session: "Y", buyer: "b1", agent: "a1", from: .buyer),
        ])
        #expect(state.metric("inquiry_conversion_rate", .agent, "a1") == "0")
    }
}
