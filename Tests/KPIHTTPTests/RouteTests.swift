import Hummingbird
import HummingbirdTesting
import KPICore
import Testing
@testable import KPIHTTP

@Suite struct RouteTests {
    static func filledStore() -> LiveKPIStore {
        let store = Fixtures.store()
        store.publish([
            Fixtures.snapshot(.shop), Fixtures.snapshot(.shop, shop: "s2"),
            Fixtures.snapshot(.agent, id: "a3"), Fixtures.snapshot(.agent, id: "a3", window: Fixtures.week),
            Fixtures.snapshot(.agent, id: "a4"), Fixtures.snapshot(.campaign, id: "c-77"),
        ])
        store.publish(alert: Fixtures.alertJSON(id: "r|1", state: "firing"), id: "r|1", state: .firing)
        store.publish(alert: Fixtures.alertJSON(id: "r|2", state: "resolved"), id: "r|2", state: .resolved)
        return store
    }

    /// The scope/shop/id/window of each object of a snapshot array answer.
    static func keys(_ body: String) -> [String] {
        body.matches(of: /"scope":\{"type":"(\w+)","shop_id":"([\w-]+)"(?:,"id":"([\w-]+)")?\},"window":\{"type":"(\w+)"/)
            .map { "\($0.1)/\($0.2)/\($0.3 ?? "-")/\($0.4)" }
    }

    @Test func snapshotsWithoutFiltersAreAllLatestSnapshotsAsAJSONArray() async throws {
        let store = Self.filledStore()
        try await TestServer.make(store: store).test(.router) { client async throws in
            let a = try await client.get("/api/v1/snapshots")
            #expect(a.status == .ok)
            #expect(a.headers[.contentType] == "application/json; charset=utf-8")
            #expect(a.headers[.cacheControl] == "no-store")
            #expect(a.body == "[" + store.snapshots().map(Fixtures.text).joined(separator: ",") + "]")
            #expect(Self.keys(a.body) == ["shop/s1/-/day", "shop/s2/-/day", "agent/s1/a3/day", "agent/s1/a3/week",
                                          "agent/s1/a4/day", "campaign/s1/c-77/day"])
        }
    }

    @Test(arguments: [
        ("scope=agent", ["agent/s1/a3/day", "agent/s1/a3/week", "agent/s1/a4/day"]),
        ("shop=s2", ["shop/s2/-/day"]),
        ("id=a3", ["agent/s1/a3/day", "agent/s1/a3/week"]),
        ("window=week", ["agent/s1/a3/week"]),
        ("scope=agent&shop=s1&id=a3&window=day", ["agent/s1/a3/day"]),
        ("scope=campaign&id=c-77", ["campaign/s1/c-77/day"]),
        ("scope=team", []),
        ("shop=s9", []),
    ])
    func eachSnapshotFilterNarrowsTheAnswer(query: String, expected: [String]) async throws {
        try await TestServer.make(store: Self.filledStore()).test(.router) { client async throws in
            let a = try await client.get("/api/v1/snapshots?\(query)")
            #expect(a.status == .ok)
            #expect(Self.keys(a.body) == expected)
            if expected.isEmpty { #expect(a.body == "[]") }
        }
    }

    @Test(arguments: [
        ("/api/v1/snapshots?scope=agnet", "scope", "must be one of shop, agent, team, channel, campaign"),
        ("/api/v1/snapshots?window=today", "window", "must be one of day, week, month, rolling_24h, rolling_7d, rolling_30d"),
        ("/api/v1/snapshots?shop=", "shop", "must not be empty"),
        ("/api/v1/snapshots?id", "id", "must not be empty"),
        ("/api/v1/snapshots?shop_id=s1", "shop_id", "unknown parameter"),
        ("/api/v1/snapshots?scope=shop&scope=agent", "scope", "more than once"),
        ("/api/v1/history?window=yearly", "window", "must be one of"),
        ("/api/v1/stream?scope=people", "scope", "must be one of"),
        ("/api/v1/stream?bogus=1", "bogus", "unknown parameter"),
        ("/api/v1/alerts?state=open", "state", "must be one of pending, firing, resolved"),
        ("/api/v1/alerts?scope=agent", "scope", "unknown parameter"),
        ("/api/v1/alerts?state=", "state", "must not be empty"),
    ])
    func badParametersAre400NamingTheParameter(uri: String, parameter: String, phrase: String) async throws {
        try await TestServer.make(store: Self.filledStore()).test(.router) { client async throws in
            let a = try await client.get(uri)
            #expect(a.status == .badRequest)
            #expect(a.headers[.contentType] == "application/json; charset=utf-8")
            #expect(a.body.contains("'\(parameter)'"), "\(a.body)")
            #expect(a.body.contains(phrase), "\(a.body)")
            #expect(a.body.hasPrefix(#"{"error":""#))
        }
    }

    @Test func anEchoedBadValueIsBoundedAndStaysValidJSON() async throws {
        try await TestServer.make().test(.router) { client async throws in
            let a = try await client.get("/api/v1/snapshots?scope=%22%3Cx%3E%22" + String(repeating: "y", count: 300))
            #expect(a.status == .badRequest)
            #expect(a.body.contains(#"got '\"<x>\"yyy"#))
            #expect(a.body.count < 300)
            #expect(a.body.hasSuffix("…'\"}"))
        }
    }

    @Test func alertsAreTheLatestPerIdFilteredByState() async throws {
        try await TestServer.make(store: Self.filledStore()).test(.router) { client async throws in
            let all = try await client.get("/api/v1/alerts")
            #expect(all.status == .ok)
            #expect(all.body == "[" + Fixtures.text(Fixtures.alertJSON(id: "r|1", state: "firing")) + ","
                    + Fixtures.text(Fixtures.alertJSON(id: "r|2", state: "resolved")) + "]")
            let firing = try await client.get("/api/v1/alerts?state=firing")
            #expect(firing.body == "[" + Fixtures.text(Fixtures.alertJSON(id: "r|1", state: "firing")) + "]")
            #expect(try await client.get("/api/v1/alerts?state=pending").body == "[]")
        }
    }

    @Test func historyHoldsTheHeadlinePointsOfEachRevision() async throws {
        let store = Fixtures.store()
        store.publish([Fixtures.snapshot(.shop, revision: 1)])
        store.publish([Fixtures.snapshot(.shop, revision: 2, values: ["sales": Fixtures.money(1_600_000), "uv": .count(0),
                                                                       "conversion_rate": .number(nil)])])
        store.publish([Fixtures.snapshot(.agent, id: "a3")])
        try await TestServer.make(store: store).test(.router) { client async throws in
            let a = try await client.get("/api/v1/history?scope=shop")
            #expect(a.status == .ok)
            let emitted1 = Fixtures.dayStart + 15 * Fixtures.hour + 432_402, emitted2 = emitted1 + 1000
            #expect(a.body == #"[{"scope":{"type":"shop","shop_id":"s1"},"window":{"type":"day","id":"2026-11-21"},"#
                    + #""metrics":["sales","orders_paid","conversion_rate","uv","inquiries","first_response_s"],"#
                    + #""points":[[1,\#(emitted1),15230.5,356,\#(331.0 / 9840),9840,640,21.2],"#
                    + #"[2,\#(emitted2),16000,356,null,0,640,21.2]]}]"#)
        }
    }

    @Test func healthIsAlwaysOkAndReadinessFollowsRestoreAndLive() async throws {
        let store = Fixtures.store()
        try await TestServer.make(store: store).test(.router) { client async throws in
            #expect(try await client.get("/healthz").status == .ok)
            store.setRestoring([1, 4])
            let restoring = try await client.get("/readyz")
            #expect(restoring.status == .serviceUnavailable)
            #expect(restoring.body == "not ready: restoring partitions 1, 4\n")
            store.markRestored(partition: 1)
            store.markRestored(partition: 4)
            let notLive = try await client.get("/readyz")
            #expect(notLive.status == .serviceUnavailable)
            #expect(notLive.body.contains("not live"))
            store.markLive()
            let ready = try await client.get("/readyz")
            #expect(ready.status == .ok)
            #expect(ready.body == "ready\n")
            #expect(try await client.get("/healthz").status == .ok)
        }
    }

    @Test func metricsAreValidPrometheusTextWithTheNamedSeries() async throws {
        let metrics = ServiceMetrics()
        metrics.recordConsumed(topic: "shop.orders", count: 120)
        metrics.recordConsumed(topic: "shop.orders", count: 5)
        metrics.recordConsumed(topic: "shop.chats", count: 7)
        metrics.recordRejected(reason: "late", count: 2)
        metrics.recordRejected(reason: "invalid_json")
        metrics.setLag(partition: 0, lag: 42)
        metrics.setLag(partition: 1, lag: 0)
        metrics.setWatermark(partition: 0, epochSeconds: 1_795_244_531)
        metrics.setRestoreProgress(partition: 1, fraction: 0.5)
        metrics.recordSnapshotsEmitted(30)
        metrics.recordAlertEmitted(state: .firing)
        metrics.recordAlertEmitted(state: .firing)
        metrics.recordAlertEmitted(state: .resolved)
        try await TestServer.make(metrics: metrics).test(.router) { client async throws in
            let a = try await client.get("/metrics")
            #expect(a.status == .ok)
            #expect(a.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let p = try PrometheusText(a.body)
            #expect(p.types[ServiceMetrics.consumedName] == "counter")
            #expect(p.types[ServiceMetrics.rejectedName] == "counter")
            #expect(p.types[ServiceMetrics.lagName] == "gauge")
            #expect(p.types[ServiceMetrics.watermarkName] == "gauge")
            #expect(p.types[ServiceMetrics.restoreName] == "gauge")
            #expect(p.types[ServiceMetrics.snapshotsName] == "counter")
            #expect(p.types[ServiceMetrics.alertsName] == "counter")
            #expect(p.types[ServiceMetrics.residentMemoryName] == "gauge")
            #expect(p.value(ServiceMetrics.consumedName, ["topic": "shop.orders"]) == 125)
            #expect(p.value(ServiceMetrics.consumedName, ["topic": "shop.chats"]) == 7)
            #expect(p.value(ServiceMetrics.rejectedName, ["reason": "late"]) == 2)
            #expect(p.value(ServiceMetrics.rejectedName, ["reason": "invalid_json"]) == 1)
            #expect(p.value(ServiceMetrics.lagName, ["partition": "0"]) == 42)
            #expect(p.value(ServiceMetrics.lagName, ["partition": "1"]) == 0)
            #expect(p.value(ServiceMetrics.watermarkName, ["partition": "0"]) == 1_795_244_531)
            #expect(p.value(ServiceMetrics.restoreName, ["partition": "1"]) == 0.5)
            #expect(p.value(ServiceMetrics.snapshotsName) == 30)
            #expect(p.value(ServiceMetrics.alertsName, ["state": "firing"]) == 2)
            #expect(p.value(ServiceMetrics.alertsName, ["state": "resolved"]) == 1)
            let rss = try #require(p.value(ServiceMetrics.residentMemoryName))
            #expect(rss > 1_000_000 && rss < 64_000_000_000)
        }
    }

    @Test func aRevokedPartitionsSeriesDisappear() throws {
        let metrics = ServiceMetrics()
        metrics.setLag(partition: 0, lag: 1)
        metrics.setLag(partition: 7, lag: 9)
        metrics.setWatermark(partition: 7, epochSeconds: 100)
        metrics.removePartition(7)
        let p = try PrometheusText(Fixtures.text(metrics.exposition()))
        #expect(p.value(ServiceMetrics.lagName, ["partition": "0"]) == 1)
        #expect(!p.samples.contains { $0.labels["partition"] == "7" })
    }

    @Test func labelValuesAreBounded() throws {
        let metrics = ServiceMetrics(maxLabelValues: 3)
        for i in 0..<10 { metrics.recordRejected(reason: "reason\(i)") }
        let p = try PrometheusText(Fixtures.text(metrics.exposition()))
        let reasons = p.samples.filter { $0.name == ServiceMetrics.rejectedName }
        #expect(reasons.count == 4)
        #expect(p.value(ServiceMetrics.rejectedName, ["reason": "other"]) == 7)
    }

    @Test func theDashboardIsOneSelfContainedPage() async throws {
        try await TestServer.make().test(.router) { client async throws in
            let a = try await client.get("/")
            #expect(a.status == .ok)
            #expect(a.headers[.contentType] == "text/html; charset=utf-8")
            #expect(a.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(a.body.hasPrefix("<!doctype html>"))
            for route in ["/api/v1/snapshots", "/api/v1/alerts", "/api/v1/stream", "/api/v1/history"] {
                #expect(a.body.contains(route))
            }
            // Nothing loaded from elsewhere, no markup built from data.
            #expect(a.body.firstMatch(of: /(src|href)\s*=\s*["']?(https?:)?\/\//) == nil)
            #expect(!a.body.contains("innerHTML"))
            #expect(!a.body.contains("insertAdjacentHTML"))
            #expect(!a.body.contains("document.write"))
            // The stylesheet and the script are inlined, not fetched: the page stays one request.
            #expect(!a.body.contains(#"<link rel="stylesheet""#) && !a.body.contains(#"<script src="#))
            #expect(a.body.contains("<style>") && a.body.contains(#""use strict";"#))
        }
    }

    @Test func theDashboardSpeaksTheBrowsersLanguage() async throws {
        try await TestServer.make().test(.router) { client async throws in
            let zh = try await client.get("/", headers: [.acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8"])
            #expect(zh.status == .ok)
            #expect(zh.body.contains(#"<html lang="zh-CN">"#))
            #expect(zh.headers[.vary] == "Accept-Language")
            // The catalog in the page carries both languages' labels.
            #expect(zh.body.contains(#""first_response_s":{"unit":"seconds","direction":"lower_is_better","label":{"zh-CN":"首次响应时间","en":"First response"}}"#))
            let en = try await client.get("/", headers: [.acceptLanguage: "en-GB,en;q=0.9"])
            #expect(en.body.contains(#"<html lang="en">"#))
            // A language neither spoken here nor asked for: English.
            #expect(try await client.get("/", headers: [.acceptLanguage: "fr"]).body.contains(#"<html lang="en">"#))
            #expect(try await client.get("/").body.contains(#"<html lang="en">"#))
        }
    }

    @Test func unknownRoutesAre404() async throws {
        try await TestServer.make().test(.router) { client async throws in
            #expect(try await client.get("/api/v1/nothing").status == .notFound)
        }
    }
}
