import Foundation
import KPIService
import Testing

@Suite("Alert webhooks")
struct WebhookReceiverTests {
    let alert = Array(#"{"kind":"kpi_alert","id":"r|agent|s1|a3|day|2026-11-21","state":"firing"}"#.utf8)

    @Test func twoServiceUnavailableThenSuccessIsDeliveredExactlyOnce() async throws {
        let server = try ScriptedHTTPServer(statuses: [503, 503, 200])
        defer { server.stop() }
        let receiver = WebhookReceiver(name: "lead", url: URL(string: "http://127.0.0.1:\(server.port)/hook")!, baseBackoff: .milliseconds(20))
        #expect(receiver.enqueue(id: "r|agent|s1|a3|day|2026-11-21", body: alert))
        await receiver.drain()
        // Three attempts reached the server; the third was accepted: one delivery.
        #expect(server.requestCount == 3)
        #expect(server.bodies.allSatisfy { $0 == String(decoding: alert, as: UTF8.self) })
        #expect(receiver.snapshot == .init(delivered: 1, failed: 0, overflowed: 0, retries: 2))
    }

    @Test func badRequestIsGivenUpAtOnceAndCounted() async throws {
        let server = try ScriptedHTTPServer(statuses: [400])
        defer { server.stop() }
        let receiver = WebhookReceiver(name: "lead", url: URL(string: "http://127.0.0.1:\(server.port)/hook")!, baseBackoff: .milliseconds(20))
        receiver.enqueue(id: "a", body: alert)
        await receiver.drain()
        // No retry can fix a 4xx: one attempt, counted as failed.
        #expect(server.requestCount == 1)
        #expect(receiver.snapshot == .init(delivered: 0, failed: 1, overflowed: 0, retries: 0))
    }

    @Test func aReceiverThatIsDownNeverBlocksAndOverflowIsCounted() async throws {
        // Nothing listens on this port (a server opened and closed at once).
        let closed = try ScriptedHTTPServer(statuses: [200])
        let port = closed.port
        closed.stop()
        let receiver = WebhookReceiver(name: "down", url: URL(string: "http://127.0.0.1:\(port)/hook")!, maxRetries: 1,
                                       baseBackoff: .milliseconds(10), queueSize: 3)
        let began = ContinuousClock.now
        var accepted = 0
        for i in 0..<10 where receiver.enqueue(id: "a\(i)", body: alert) { accepted += 1 }
        // Enqueueing returns at once, whatever the receiver does.
        #expect(ContinuousClock.now - began < .milliseconds(500))
        // The worker may already hold one, so the 3-slot queue takes 3 or 4 of the 10.
        #expect((3...4).contains(accepted))
        await receiver.drain()
        let c = receiver.snapshot
        #expect(c.overflowed == 10 - accepted)
        #expect(c.failed == accepted && c.delivered == 0)
    }
}
