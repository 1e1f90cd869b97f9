import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Synchronization

/// Delivers alert notifications to one webhook: a POST of the alert JSON.
///
/// A receiver that is down never blocks consumption or the other receivers:
/// notifications wait in a bounded queue (overflow is counted and logged,
/// never silently lost) and a worker of its own delivers them, retrying with
/// exponential backoff on 5xx answers and transport failures (timeouts,
/// refused connections) but not on 4xx, which no retry can fix.
public final class WebhookReceiver: Sendable {
    /// What happened to the notifications handed to this receiver.
    public struct Counts: Sendable, Equatable {
        public var delivered = 0
        /// Given up: a 4xx answer, or retries exhausted.
        public var failed = 0
        /// Refused because the queue was full.
        public var overflowed = 0
        /// Attempts beyond the first.
        public var retries = 0

        public init(delivered: Int = 0, failed: Int = 0, overflowed: Int = 0, retries: Int = 0) {
            self.delivered = delivered
            self.failed = failed
            self.overflowed = overflowed
            self.retries = retries
        }
    }

    public let name: String
    private let url: URL
    private let timeout: Duration
    private let maxRetries: Int
    private let baseBackoff: Duration
    private let headers: [String: String]
    private let counts = SharedCounts()
    private let continuation: AsyncStream<Notification>.Continuation
    private let worker: Task<Void, Never>
    private let logger = Logger(label: "kpi-ingest.alerts.webhook")

    struct Notification: Sendable {
        var id: String
        var body: [UInt8]
    }

    /// `headers` may hold secrets (an Authorization value): they are sent, never logged.
    public init(name: String, url: URL, timeout: Duration = .seconds(5), maxRetries: Int = 5,
                baseBackoff: Duration = .milliseconds(500), queueSize: Int = 1000, headers: [String: String] = [:]) {
        self.name = name
        self.url = url
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.baseBackoff = baseBackoff
        self.headers = headers
        let (stream, continuation) = AsyncStream<Notification>.makeStream(bufferingPolicy: .bufferingOldest(queueSize))
        self.continuation = continuation
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let session = URLSession(configuration: config)
        let deliver = Delivery(name: name, url: url, maxRetries: maxRetries, baseBackoff: baseBackoff, headers: headers, session: session)
        let counts = self.counts
        worker = Task.detached {
            for await n in stream {
                let outcome = await deliver.send(n)
                counts.value.withLock { c in
                    c.retries += outcome.retries
                    if outcome.delivered { c.delivered += 1 } else { c.failed += 1 }
                }
            }
        }
    }

    deinit { continuation.finish() }

    /// Queues one notification; returns false (counted, logged) when the queue is full.
    @discardableResult
    public func enqueue(id: String, body: [UInt8]) -> Bool {
        switch continuation.yield(Notification(id: id, body: body)) {
        case .enqueued:
            return true
        case .dropped, .terminated:
            counts.value.withLock { $0.overflowed += 1 }
            logger.error("webhook \(name): queue full, alert notification \(id) not queued")
            return false
        @unknown default:
            return false
        }
    }

    public var snapshot: Counts { counts.value.withLock { $0 } }

    /// Stops accepting notifications and waits until the queued ones are delivered or given up.
    public func drain() async {
        continuation.finish()
        await worker.value
    }
}

/// The counts, shared between the receiver and its worker.
private final class SharedCounts: Sendable {
    let value = Mutex(WebhookReceiver.Counts())
}

/// One delivery with its retries (the worker's part of `WebhookReceiver`).
private struct Delivery: Sendable {
    let name: String
    let url: URL
    let maxRetries: Int
    let baseBackoff: Duration
    let headers: [String: String]
    let session: URLSession
    var logger: Logger { Logger(label: "kpi-ingest.alerts.webhook") }

    func send(_ n: WebhookReceiver.Notification) async -> (delivered: Bool, retries: Int) {
        var attempt = 0
        while true {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = Data(n.body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
            let retryable: Bool
            let what: String
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return (true, attempt) }
                retryable = status >= 500 || status == 0 || status == 429
                what = "HTTP \(status)"
            } catch {
                retryable = true
                what = "\(type(of: error)) \((error as NSError).code)"
            }
            if !retryable || attempt >= maxRetries {
                logger.error("webhook \(name): gave up on alert \(n.id) after \(attempt + 1) attempt(s): \(what)")
                return (false, attempt)
            }
            // Exponential backoff: base, 2×base, 4×base ... capped at 64×base.
            let factor = Int64(1) << Int64(min(attempt, 6))
            try? await Task.sleep(for: baseBackoff * Int(factor))
            attempt += 1
        }
    }
}
