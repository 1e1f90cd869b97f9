import AsyncHTTPClient
import Hummingbird
import HummingbirdTesting
import KPICore
import Synchronization
import Testing
@testable import KPIHTTP

/// Reads a Server-Sent-Events response as it arrives, over a real connection.
final class StreamCapture: Sendable {
    final class Received: Sendable {
        let text = Mutex("")
        let status = Mutex<Int?>(nil)
        let contentType = Mutex<String?>(nil)
        /// The response body ended (the server finished the response).
        let ended = Mutex(false)
    }

    let received = Received()
    let task: Task<Void, any Error>

    init(port: Int, path: String) {
        let received = self.received
        task = Task {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"),
                                                               timeout: .seconds(60))
            received.status.withLock { $0 = Int(response.status.code) }
            received.contentType.withLock { $0 = response.headers.first(name: "content-type") }
            for try await chunk in response.body {
                received.text.withLock { $0 += String(decoding: chunk.readableBytesView, as: UTF8.self) }
            }
            received.ended.withLock { $0 = true }
        }
    }

    var text: String { received.text.withLock { $0 } }

    /// Polls until `condition` holds on what arrived, or `timeout` passes.
    func wait(for timeout: Duration, until condition: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(text) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(text)
    }

    func close() { task.cancel() }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct EventStreamTests {
    static func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func aPublishedRevisionArrivesWithinTwoSeconds() async throws {
        let store = Fixtures.store()
        try await TestServer.make(store: store).test(.live) { client async throws in
            let port = try #require(client.port)
            let stream = StreamCapture(port: port, path: "/api/v1/stream")
            defer { stream.close() }
            #expect(await stream.wait(for: .seconds(5)) { $0.contains(": connected") })
            #expect(stream.received.status.withLock { $0 } == 200)
            #expect(stream.received.contentType.withLock { $0 } == "text/event-stream; charset=utf-8")
            #expect(await Self.waitUntil(.seconds(2)) { store.subscriberCount == 1 })

            let snapshot = Fixtures.snapshot(.agent, id: "a3", revision: 7)
            let published = ContinuousClock.now
            store.publish([snapshot])
            let expected = "event: snapshot\ndata: " + Fixtures.text(SnapshotJSON.encode(snapshot, fractionDigits: 2, zone: Fixtures.zone)) + "\n\n"
            #expect(await stream.wait(for: .seconds(2)) { $0.contains(expected) }, "got: \(stream.text)")
            #expect(ContinuousClock.now - published < .seconds(2))

            store.publish(alert: Fixtures.alertJSON(id: "r|1", state: "firing"), id: "r|1", state: .firing)
            let alert = "event: alert\ndata: " + Fixtures.text(Fixtures.alertJSON(id: "r|1", state: "firing")) + "\n\n"
            #expect(await stream.wait(for: .seconds(2)) { $0.contains(alert) })
        }
    }

    @Test func theStreamHonoursTheSnapshotFilters() async throws {
        let store = Fixtures.store()
        try await TestServer.make(store: store).test(.live) { client async throws in
            let port = try #require(client.port)
            let stream = StreamCapture(port: port, path: "/api/v1/stream?shop=s2&window=day")
            defer { stream.close() }
            #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 1 })
            store.publish([Fixtures.snapshot(.shop, shop: "s1"), Fixtures.snapshot(.shop, shop: "s2", window: Fixtures.week)])
            store.publish([Fixtures.snapshot(.agent, shop: "s2", id: "a9")])
            #expect(await stream.wait(for: .seconds(2)) { $0.contains(#""id":"a9""#) })
            #expect(!stream.text.contains(#""shop_id":"s1""#))
            #expect(!stream.text.contains(#""type":"week""#))
            #expect(stream.text.components(separatedBy: "event: snapshot").count == 2)
        }
    }

    @Test func idleStreamsGetAHeartbeat() async throws {
        let settings = HTTPServerSettings(port: 0, heartbeatInterval: .milliseconds(100))
        try await TestServer.make(settings: settings).test(.live) { client async throws in
            let stream = StreamCapture(port: try #require(client.port), path: "/api/v1/stream")
            defer { stream.close() }
            #expect(await stream.wait(for: .seconds(3)) { $0.components(separatedBy: ": heartbeat\n\n").count >= 3 })
        }
    }

    @Test func aStreamEndsAfterItsMaximumDuration() async throws {
        let store = Fixtures.store()
        let settings = HTTPServerSettings(port: 0, maxStreamDuration: .milliseconds(300))
        try await TestServer.make(store: store, settings: settings).test(.live) { client async throws in
            let stream = StreamCapture(port: try #require(client.port), path: "/api/v1/stream")
            defer { stream.close() }
            #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 1 })
            let started = ContinuousClock.now
            #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 0 })
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(await Self.waitUntil(.seconds(2)) { stream.received.ended.withLock { $0 } }, "response not finished")
            #expect(stream.text.hasPrefix(": connected\nretry: 1000\n\n"))
        }
    }

    @Test func aClosedConnectionUnsubscribes() async throws {
        let store = Fixtures.store()
        try await TestServer.make(store: store).test(.live) { client async throws in
            let stream = StreamCapture(port: try #require(client.port), path: "/api/v1/stream")
            #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 1 })
            stream.close()
            // Noticed from the closed inbound side, well before the 15 s heartbeat.
            #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 0 })
        }
    }

    @Test func gracefulShutdownEndsOpenStreams() async throws {
        let store = Fixtures.store()
        let stream = Mutex<StreamCapture?>(nil)
        let started = ContinuousClock.now
        // `.live` shuts the server down gracefully when the closure returns; an
        // open stream must not hold that up.
        try await TestServer.make(store: store).test(.live) { client async throws in
            let s = StreamCapture(port: try #require(client.port), path: "/api/v1/stream")
            stream.withLock { $0 = s }
            #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 1 })
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(await Self.waitUntil(.seconds(5)) { store.subscriberCount == 0 })
        stream.withLock { $0?.close() }
    }
}
