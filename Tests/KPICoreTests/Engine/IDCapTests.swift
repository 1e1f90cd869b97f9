import Testing
@testable import KPICore

@Suite struct IDCapTests {
    /// A million chat messages of shop s1, each naming a new agent id, with
    /// `maxIDsPerShop` 100: the first 100 agents are kept (a scope each),
    /// the 999,900 other messages are refused (`tooManyIDs`) and leave
    /// nothing behind: the state holds 101 scopes (the shop and 100 agents),
    /// the shop's day counts only the 100 inquiries counted. A known agent
    /// is still counted after the flood.
    @Test func aMillionOneOffAgentIDsKeepAHundredScopes() {
        var state = makeState { $0.maxIDsPerShop = 100 }
        var e = Events()
        var tally: [IngestOutcome: Int] = [:]
        var unforeseen = 0
        let start = local(2026, 11, 20, 10)
        for i in 0..<1_000_000 {
            // 10 ms apart: all on the 20th (10:00 to 12:46:40).
            let t = EventTime(millis: start.millis + Int64(i) * 10)
            let chat = e.chat(t, session: "s\(i)", buyer: "b\(i)", agent: "a\(i)", from: .buyer)
            // A pipeline keeps the bytes (for the dead-letter topic) of what it foresees refused.
            let foreseen = state.mayRefuseIDs(chat, buffered: 0)
            let outcome = state.ingest(chat, recordTimestamp: nil)
            tally[outcome, default: 0] += 1
            if outcome == .tooManyIDs && !foreseen { unforeseen += 1 }
        }
        #expect(tally == [.counted: 100, .tooManyIDs: 999_900])
        #expect(unforeseen == 0)
        #expect(state.scopes.count == 101)
        #expect(state.scopes(ofShop: "s1", type: .agent).count == 100)
        #expect(state.metric("inquiries", .shop, nil, .day, "2026-11-20") == "100")
        // a7 is one of the hundred: still counted.
        #expect(state.ingest(e.chat(local(2026, 11, 20, 13), session: "x", buyer: "bx", agent: "a7", from: .buyer),
                             recordTimestamp: nil) == .counted)
        #expect(state.metric("inquiries", .agent, "a7", .day, "2026-11-20") == "2")
    }

    /// Channels and campaigns have a cap each (of the same size); 0 is no cap.
    @Test func channelsAndCampaignsAreCappedAlikeAndZeroMeansNoCap() {
        var capped = makeState { $0.maxIDsPerShop = 3 }
        var free = makeState { $0.maxIDsPerShop = 0 }
        var e = Events()
        let t = local(2026, 11, 20, 10)
        var outcomes: [IngestOutcome] = []
        for i in 0..<5 {
            let view = e.pageView(t, visitor: "v\(i)", session: "s\(i)", channel: "ch\(i)", campaign: "c\(i % 2)")
            outcomes.append(capped.ingest(view, recordTimestamp: nil))
            #expect(free.ingest(view, recordTimestamp: nil) == .counted)
        }
        // Channels ch0-ch2 kept (campaigns c0, c1 under the cap); ch3 and ch4 refused.
        #expect(outcomes == [.counted, .counted, .counted, .tooManyIDs, .tooManyIDs])
        #expect(capped.scopes(ofShop: "s1", type: .channel).count == 3)
        #expect(free.scopes(ofShop: "s1", type: .channel).count == 5)
        #expect(capped.ingest(e.pageView(t, visitor: "w", session: "w", channel: "ch1", campaign: "c9"), recordTimestamp: nil)
                == .counted, "a known channel, a third campaign: under both caps")
        #expect(capped.ingest(e.pageView(t, visitor: "x", session: "x", channel: "ch2", campaign: "c8"), recordTimestamp: nil)
                == .tooManyIDs, "a fourth campaign")
    }
}
