import KPICore
import Testing
@testable import KPIHTTP

@Suite struct LiveKPIStoreTests {
    @Test func keepsTheLatestRevisionAndIgnoresOlderOnes() {
        let store = Fixtures.store()
        store.publish([Fixtures.snapshot(.agent, id: "a3", revision: 2, values: ["inquiries": .count(20)])])
        store.publish([Fixtures.snapshot(.agent, id: "a3", revision: 1, values: ["inquiries": .count(10)])])
        store.publish([Fixtures.snapshot(.agent, id: "a3", revision: 2, values: ["inquiries": .count(99)])])
        let stored = store.snapshots()
        #expect(stored.count == 1)
        #expect(Fixtures.text(stored[0]).contains(#""revision":2"#))
        #expect(Fixtures.text(stored[0]).contains(#""inquiries":20,"#))
        store.publish([Fixtures.snapshot(.agent, id: "a3", revision: 3, values: ["inquiries": .count(30)])])
        #expect(Fixtures.text(store.snapshots()[0]).contains(#""inquiries":30,"#))
    }

    @Test func storesExactlyTheSnapshotJSONBytes() {
        let store = Fixtures.store()
        let s = Fixtures.snapshot(.shop)
        store.publish([s])
        #expect(store.snapshots() == [SnapshotJSON.encode(s, fractionDigits: 2, zone: Fixtures.zone)])
        #expect(Fixtures.text(store.snapshots()[0]).contains(#""sales":"15230.50""#))
    }

    @Test func ordersByScopeShopIdWindowTypeAndStartWhateverThePublishOrder() {
        let store = Fixtures.store()
        store.publish([
            Fixtures.snapshot(.channel, id: "search"),
            Fixtures.snapshot(.agent, shop: "s2", id: "a1"),
            Fixtures.snapshot(.agent, id: "a3", window: Fixtures.week),
            Fixtures.snapshot(.agent, id: "a3"),
            Fixtures.snapshot(.agent, id: "a10"),
            Fixtures.snapshot(.shop, window: Fixtures.day(-1)),
            Fixtures.snapshot(.shop),
        ])
        let order = store.snapshots().map { json -> String in
            let t = Fixtures.text(json)
            let scope = t.firstMatch(of: /"scope":\{"type":"(\w+)","shop_id":"(\w+)"(?:,"id":"(\w+)")?/)!
            let window = t.firstMatch(of: /"window":\{"type":"(\w+)","id":"([\w-]+)"/)!
            return "\(scope.1)/\(scope.2)/\(scope.3 ?? "-")/\(window.1)/\(window.2)"
        }
        #expect(order == [
            "shop/s1/-/day/2026-11-20", "shop/s1/-/day/2026-11-21",
            "agent/s1/a10/day/2026-11-21", "agent/s1/a3/day/2026-11-21", "agent/s1/a3/week/2026-W47",
            "agent/s2/a1/day/2026-11-21", "channel/s1/search/day/2026-11-21",
        ])
    }

    @Test func filtersByEveryField() {
        let store = Fixtures.store()
        store.publish([
            Fixtures.snapshot(.shop), Fixtures.snapshot(.shop, shop: "s2"),
            Fixtures.snapshot(.agent, id: "a3"), Fixtures.snapshot(.agent, id: "a3", window: Fixtures.week),
            Fixtures.snapshot(.agent, id: "a4"), Fixtures.snapshot(.team, id: "a3"),
        ])
        #expect(store.snapshots().count == 6)
        #expect(store.snapshots(scope: .agent).count == 3)
        #expect(store.snapshots(shop: "s2").count == 1)
        #expect(store.snapshots(id: "a3").count == 3)
        #expect(store.snapshots(window: .week).count == 1)
        #expect(store.snapshots(scope: .agent, shop: "s1", id: "a3", window: .day).count == 1)
        #expect(store.snapshots(scope: .campaign).isEmpty)
        #expect(store.snapshots(shop: "nope").isEmpty)
    }

    @Test func keepsOnlyTheLatestWindowsOfASeries() {
        let store = Fixtures.store(windowsKept: 2)
        store.publish([Fixtures.snapshot(.shop, window: Fixtures.day(-2))])
        store.publish([Fixtures.snapshot(.shop, window: Fixtures.day(-1))])
        store.publish([Fixtures.snapshot(.shop, window: Fixtures.day(0))])
        let ids = store.snapshots().map { Fixtures.text($0).firstMatch(of: /"id":"(2026-11-\d\d)"/)!.1 }
        #expect(ids == ["2026-11-20", "2026-11-21"])
        // A late revision of a forgotten window does not come back.
        store.publish([Fixtures.snapshot(.shop, window: Fixtures.day(-2), revision: 5)])
        #expect(store.snapshots().count == 2)
        // Other series are not affected.
        store.publish([Fixtures.snapshot(.agent, id: "a1", window: Fixtures.day(-2))])
        #expect(store.snapshots(scope: .agent).count == 1)
    }

    @Test func keepsABoundedHeadlineHistoryInMajorUnits() {
        let store = Fixtures.store(historyLength: 3)
        for rev in 1...5 {
            store.publish([Fixtures.snapshot(.shop, revision: rev, values: ["sales": Fixtures.money(Int64(rev) * 100_050),
                                                                             "conversion_rate": .number(nil)])])
        }
        let h = store.history(scope: .shop)
        #expect(h.count == 1)
        #expect(h[0].names == Headlines.names(for: .shop))
        #expect(h[0].points.map(\.revision) == [3, 4, 5])
        let sales = h[0].names.firstIndex(of: "sales")!, conversion = h[0].names.firstIndex(of: "conversion_rate")!
        #expect(h[0].points.map { $0.values[sales] } == [3001.5, 4002.0, 5002.5])
        #expect(h[0].points.allSatisfy { $0.values[conversion] == nil })
    }

    @Test func keepsTheLatestStateOfEachAlertAndFiltersByState() {
        let store = Fixtures.store()
        store.publish(alert: Fixtures.alertJSON(id: "r|b", state: "pending"), id: "r|b", state: .pending)
        store.publish(alert: Fixtures.alertJSON(id: "r|a", state: "pending"), id: "r|a", state: .pending)
        store.publish(alert: Fixtures.alertJSON(id: "r|a", state: "firing"), id: "r|a", state: .firing)
        #expect(store.alerts().count == 2)
        #expect(store.alerts(state: .firing) == [Fixtures.alertJSON(id: "r|a", state: "firing")])
        #expect(store.alerts(state: .pending) == [Fixtures.alertJSON(id: "r|b", state: "pending")])
        #expect(store.alerts(state: .resolved).isEmpty)
        #expect(store.alerts().map(Fixtures.text).map { $0.contains(#""id":"r|a""#) } == [true, false])
    }

    @Test func forgetsTheOldestResolvedAlertsBeyondTheLimit() {
        let store = LiveKPIStore(fractionDigits: 2, zone: Fixtures.zone, resolvedAlertsKept: 2)
        store.publish(alert: Fixtures.alertJSON(id: "f", state: "firing"), id: "f", state: .firing)
        for i in 1...4 {
            store.publish(alert: Fixtures.alertJSON(id: "r\(i)", state: "resolved"), id: "r\(i)", state: .resolved)
        }
        #expect(store.alerts(state: .resolved) == [Fixtures.alertJSON(id: "r3", state: "resolved"),
                                                    Fixtures.alertJSON(id: "r4", state: "resolved")])
        #expect(store.alerts(state: .firing).count == 1)
    }

    @Test func broadcastsNewRevisionsAndAlertsToSubscribersOnly() async {
        let store = Fixtures.store()
        store.publish([Fixtures.snapshot(.shop, revision: 1)])
        let stream = store.subscribe()
        #expect(store.subscriberCount == 1)
        store.publish([Fixtures.snapshot(.shop, revision: 1)])          // not new: not broadcast
        store.publish([Fixtures.snapshot(.shop, revision: 2)])
        store.publish(alert: Fixtures.alertJSON(id: "x", state: "firing"), id: "x", state: .firing)
        store.finishSubscribers()
        var received: [LiveUpdate] = []
        for await u in stream { received.append(u) }
        #expect(received.count == 2)
        guard received.count == 2 else { return }
        if case .snapshot(let scope, let window, let json) = received[0] {
            #expect(scope == Scope(type: .shop, shopID: "s1") && window == .day)
            #expect(Fixtures.text(json).contains(#""revision":2"#))
        } else {
            Issue.record("expected a snapshot first, got \(received[0])")
        }
        #expect(received[1] == .alert(id: "x", state: .firing, json: Fixtures.alertJSON(id: "x", state: "firing")))
    }

    @Test func aSlowSubscriberKeepsOnlyTheNewestUpdatesAndNeverBlocksThePublisher() async {
        let store = LiveKPIStore(fractionDigits: 2, zone: Fixtures.zone, subscriberBuffer: 3)
        let stream = store.subscribe()
        for rev in 1...50 { store.publish([Fixtures.snapshot(.shop, revision: rev)]) }
        store.finishSubscribers()
        var revisions: [String] = []
        for await u in stream { revisions.append(String(Fixtures.text(u.json).firstMatch(of: /"revision":(\d+)/)!.1)) }
        #expect(revisions == ["48", "49", "50"])
    }

    @Test func unsubscribesWhenTheStreamEnds() async {
        let store = Fixtures.store()
        let task = Task {
            for await _ in store.subscribe() {}
        }
        while store.subscriberCount == 0 { await Task.yield() }
        task.cancel()
        await task.value
        #expect(store.subscriberCount == 0)
    }

    @Test func readyOnlyOnceRestoredAndLive() {
        let store = Fixtures.store()
        #expect(store.readiness() == .notReady(reason: "consumption is not live yet"))
        store.setRestoring([3, 0])
        store.markLive()
        #expect(store.readiness() == .notReady(reason: "restoring partitions 0, 3"))
        store.markRestored(partition: 0)
        #expect(store.readiness() == .notReady(reason: "restoring partition 3"))
        store.markRestored(partition: 3)
        #expect(store.readiness() == .ready)
        store.markNotLive()
        #expect(store.readiness() != .ready)
    }

    @Test func notReadyOnceStoppingWhateverTheIngesterReportsThen() {
        let store = Fixtures.store()
        store.setRestoring([])
        store.markLive()
        #expect(store.readiness() == .ready)
        store.markStopping()
        #expect(store.readiness() == .notReady(reason: "shutting down"))
        // The revoke on the way out reports the assignment (and "live") again.
        store.setRestoring([])
        store.markLive()
        #expect(store.readiness() == .notReady(reason: "shutting down"))
    }

    @Test func aPartitionsAlertBookReplacesWhatItListedBefore() {
        let store = Fixtures.store()
        func json(_ id: String, _ state: String) -> [UInt8] { Array("{\"id\":\"\(id)\",\"state\":\"\(state)\"}".utf8) }
        func listed() -> [String] { store.alerts().map { String(decoding: $0, as: UTF8.self) } }
        store.replaceAlerts(partition: 0, [("a", .pending, json("a", "pending")), ("b", .firing, json("b", "firing"))])
        store.replaceAlerts(partition: 1, [("c", .firing, json("c", "firing"))])
        #expect(listed() == [#"{"id":"a","state":"pending"}"#, #"{"id":"b","state":"firing"}"#, #"{"id":"c","state":"firing"}"#])
        // a fires, b resolved (kept), and partition 1 revoked (an empty book).
        store.replaceAlerts(partition: 0, [("a", .firing, json("a", "firing")), ("b", .resolved, json("b", "resolved"))])
        store.replaceAlerts(partition: 1, [])
        #expect(listed() == [#"{"id":"a","state":"firing"}"#, #"{"id":"b","state":"resolved"}"#])
        // b forgotten by the book: a resolved alert stays listed (as sent).
        store.replaceAlerts(partition: 0, [("a", .firing, json("a", "firing"))])
        #expect(listed() == [#"{"id":"a","state":"firing"}"#, #"{"id":"b","state":"resolved"}"#])
        // a gone idle while firing (e.g. its window forgotten): no longer listed.
        store.replaceAlerts(partition: 0, [])
        #expect(listed() == [#"{"id":"b","state":"resolved"}"#])
    }
}
