import Foundation
import Hummingbird
import HummingbirdTesting
import KPICore
import Testing
@testable import KPIHTTP

/// Issue 13 (4): `/readyz` said ready with no broker for minutes and no
/// partitions assigned, and no metric showed the stall.
@Suite struct HealthUnderFaultsTests {
    @Test func readyMeansBrokerAnsweringPartitionsAssignedAndCaughtUp() async throws {
        let store = Fixtures.store()
        try await TestServer.make(store: store).test(.router) { client async throws in
            // Consuming, one partition assigned and live.
            store.setAssigned([0])
            store.setRestoring([])
            store.markLive()
            #expect(try await client.get("/readyz").body == "ready\n")
            // The broker stops answering: not ready, and why.
            store.setBroker(reachable: false, detail: "no answer from any broker for 31 s")
            let down = try await client.get("/readyz")
            #expect(down.status == .serviceUnavailable)
            #expect(down.body == "not ready: broker unreachable: no answer from any broker for 31 s\n")
            // Back, but the session was lost: waiting for the group.
            store.setBroker(reachable: true, detail: "1 broker(s) up")
            store.setAssignmentPending(true)
            store.setAssigned([])
            let waiting = try await client.get("/readyz")
            #expect(waiting.status == .serviceUnavailable)
            #expect(waiting.body == "not ready: waiting for the consumer group to assign partitions\n")
            // The group assigns this member nothing: ready, and it says so.
            store.setAssignmentPending(false)
            let idle = try await client.get("/readyz")
            #expect(idle.status == .ok)
            #expect(idle.body == "ready: no partitions assigned to this member (the group has more members than partitions)\n")
            // Assigned again, restoring: not ready until caught up.
            store.setAssigned([0, 1])
            store.setRestoring([1])
            #expect(try await client.get("/readyz").body == "not ready: restoring partition 1\n")
            store.setRestoring([])
            #expect(try await client.get("/readyz").body == "ready\n")
        }
    }

    @Test func metricsShowTheBrokerTheLastRecordAndWebhookDeliveries() throws {
        let metrics = ServiceMetrics()
        var p = try PrometheusText(Fixtures.text(metrics.exposition()))
        #expect(p.types[ServiceMetrics.brokerUpName] == "gauge")
        #expect(p.value(ServiceMetrics.brokerUpName) == 1)
        #expect(p.types[ServiceMetrics.sinceLastRecordName] == "gauge")
        metrics.setBrokerUp(false)
        metrics.setPartitionsAssigned(3)
        metrics.recordConsumed(topic: "shop.orders", count: 4)
        metrics.setWebhookTotals(["leads": WebhookTotals(delivered: 5, failed: 1, dropped: 2, retries: 7, pending: 3)])
        // Totals since start: the counters grow by the difference.
        metrics.setWebhookTotals(["leads": WebhookTotals(delivered: 6, failed: 1, dropped: 2, retries: 9, pending: 0)])
        p = try PrometheusText(Fixtures.text(metrics.exposition()))
        #expect(p.value(ServiceMetrics.brokerUpName) == 0)
        #expect(p.value(ServiceMetrics.partitionsAssignedName) == 3)
        let since = try #require(p.value(ServiceMetrics.sinceLastRecordName))
        #expect(since >= 0 && since < 60)
        #expect(p.types[ServiceMetrics.webhookDeliveriesName] == "counter")
        #expect(p.value(ServiceMetrics.webhookDeliveriesName, ["receiver": "leads", "outcome": "delivered"]) == 6)
        #expect(p.value(ServiceMetrics.webhookDeliveriesName, ["receiver": "leads", "outcome": "failed"]) == 1)
        #expect(p.value(ServiceMetrics.webhookDeliveriesName, ["receiver": "leads", "outcome": "dropped"]) == 2)
        #expect(p.value(ServiceMetrics.webhookRetriesName, ["receiver": "leads"]) == 9)
        #expect(p.value(ServiceMetrics.webhookPendingName, ["receiver": "leads"]) == 0)
    }
}
