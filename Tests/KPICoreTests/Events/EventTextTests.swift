import Testing
@testable import KPICore

/// The text fields of `ShopEvent`, kept as bytes inside the event: what a
/// user reads back, compares and counts must be exactly the strings given,
/// whether they fit inline or not.
@Suite struct EventTextTests {
    /// Ids of 36 characters and more, as UUIDs give, and a long page: a
    /// page view's take more than the 144 bytes kept inline.
    static let shop = "shop-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
    static let visitor1 = "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b"
    static let visitor2 = "9f1c2b77-5d3e-4a8a-b0e4-3c2d1f0e9a87"
    static let session1 = "session-0b7e4d62-1f3a-4c5b-8d9e-7a6b5c4d3e2f"
    static let session2 = "session-3c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"
    static let channel = "paid-search-with-a-rather-long-channel-name"
    static let campaign = "campaign-5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
    static let agent = "agent-7d6c5b4a-3e2f-4d1c-0b9a-8f7e6d5c4b3a"
    static let buyer = "buyer-2e1d0c9b-8a7f-4e6d-5c4b-3a2f1e0d9c8b"
    static let chatSession = "chat-4f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8"
    static let longPage = "/item/" + String(repeating: "a-very-long-slug-", count: 12)

    @Test func textLongerThanTheInlineSpaceReadsBackWhole() {
        let e = ShopEvent(type: .pageView, eventID: "e-" + Self.visitor1, time: EventTime(millis: 1), shopID: Self.shop,
                          channel: Self.channel, campaignID: Self.campaign, sessionID: Self.session1,
                          visitorID: Self.visitor1, page: Self.longPage)
        #expect(e.eventID == "e-" + Self.visitor1)
        #expect(e.shopID == Self.shop)
        #expect(e.channel == Self.channel)
        #expect(e.campaignID == Self.campaign)
        #expect(e.sessionID == Self.session1)
        #expect(e.visitorID == Self.visitor1)
        #expect(e.page == Self.longPage)
        #expect(e.orderID == nil && e.buyerID == nil && e.agentID == nil)

        var other = e
        #expect(other == e)
        other.page = Self.longPage + "x"
        #expect(other != e)
        #expect(Set([e, e, other]).count == 2)
    }

    @Test func settingAFieldKeepsTheOthersAndAbsentIsNotEmpty() {
        var e = ShopEvent(type: .chatMessage, eventID: "c1-t1-q", time: EventTime(millis: 1), shopID: "s1",
                          buyerID: "b1", agentID: "a1", sessionID: "c1", from: .buyer)
        e.sessionID = Self.chatSession
        e.orderID = Self.longPage  // no longer fits inline
        e.sessionID = "c2"
        #expect(e.eventID == "c1-t1-q" && e.shopID == "s1" && e.buyerID == "b1" && e.agentID == "a1")
        #expect(e.sessionID == "c2")
        #expect(e.orderID == Self.longPage)
        e.orderID = nil
        #expect(e.orderID == nil)

        var withEmptyChannel = e
        withEmptyChannel.channel = ""
        #expect(withEmptyChannel.channel == "")
        #expect(e.channel == nil)
        #expect(withEmptyChannel != e)
    }

    @Test func decodedTextIsTheUnescapedStringInlineOrNot() {
        // `\u00e9` is é (2 bytes of UTF-8), `\ud83d\ude00` is 😀 (a surrogate pair, 4 bytes).
        let json = #"{"event_id":"caf\u00e9-\ud83d\ude00","type":"page_view","ts":"2026-11-21T02:15:00Z","shop_id":"\#(Self.shop)","visitor_id":"\#(Self.visitor1)","session_id":"\#(Self.session1)","page":"\#(Self.longPage)","channel":"a\"b"}"#
        let decoded = event(decode(json, topic: .traffic))
        #expect(decoded?.eventID == "café-😀")
        #expect(decoded?.page == Self.longPage)
        #expect(decoded?.channel == "a\"b")
        let built = ShopEvent(type: .pageView, eventID: "café-😀", time: local(2026, 11, 21, 10, 15), shopID: Self.shop,
                              channel: "a\"b", sessionID: Self.session1, visitorID: Self.visitor1, page: Self.longPage)
        #expect(decoded == built)
    }

    /// The engine hashes and compares ids in place: long ids (kept outside
    /// the inline space) must count exactly like short ones.
    @Test func longIdsCountLikeShortOnes() {
        var e = Events()
        e.shop = Self.shop
        var state = makeState()
        let day = local(2026, 11, 21, 10)
        state.ingest([
            // V1: two views in session 1, landing from the campaign; V2: one landing view in session 2.
            e.pageView(day, visitor: Self.visitor1, session: Self.session1, channel: Self.channel,
                       campaign: Self.campaign, landing: true, id: "pv-" + Self.visitor1 + "-1"),
            e.pageView(day + .minutes(1), visitor: Self.visitor1, session: Self.session1, channel: Self.channel,
                       campaign: Self.campaign, id: "pv-" + Self.visitor1 + "-2"),
            e.pageView(day + .hours(1), visitor: Self.visitor2, session: Self.session2, channel: Self.channel,
                       campaign: Self.campaign, landing: true, id: "pv-" + Self.visitor2 + "-1"),
            // The same view again (same long event id): a duplicate.
            e.pageView(day + .hours(1), visitor: Self.visitor2, session: Self.session2, channel: Self.channel,
                       campaign: Self.campaign, landing: true, id: "pv-" + Self.visitor2 + "-1"),
            // A chat: the buyer asks at 12:00, the agent answers at 12:01.
            e.chat(day + .hours(2), session: Self.chatSession, buyer: Self.buyer, agent: Self.agent, from: .buyer),
            e.chat(day + .hours(2) + .minutes(1), session: Self.chatSession, buyer: Self.buyer, agent: Self.agent, from: .agent),
            // The buyer pays 100.00 through the agent.
            e.order(.orderPaid, day + .hours(3), order: "o-" + Self.buyer, buyer: Self.buyer, amount: 10_000, agent: Self.agent),
        ])
        #expect(state.metric("pv", .shop, shop: Self.shop) == "3")             // the duplicate is not counted
        #expect(state.metric("uv", .shop, shop: Self.shop) == "2")             // V1, V2
        #expect(state.metric("bounce_rate", .shop, shop: Self.shop) == "0.5")  // session 2 has one view, session 1 two: 1 / 2
        #expect(state.metric("arrivals", .campaign, Self.campaign, shop: Self.shop) == "2")   // two landing views
        #expect(state.metric("uv", .channel, Self.channel, shop: Self.shop) == "2")
        #expect(state.metric("sessions", .agent, Self.agent, shop: Self.shop) == "1")
        #expect(state.metric("first_response_s", .agent, Self.agent, shop: Self.shop) == "60")   // 12:00 → 12:01
        #expect(state.metric("agent_sales", .agent, Self.agent, shop: Self.shop) == "\"100.00\"")
        // One scope each: the shop, its channel, its campaign, its agent.
        #expect(Set(state.currentSnapshots(emittedAt: EventTime(millis: 0)).map(\.scope)).count == 4)
    }
}
