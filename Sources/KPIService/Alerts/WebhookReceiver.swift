import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Crypto
import Logging
import Synchronization

/// Delivers alert notifications to one webhook: a POST of the alert JSON.
///
/// A receiver that is down never blocks consumption or the other receivers:
/// notifications wait in a bounded queue (overflow is counted and logged,
/// never silently lost) and a worker of its own delivers them, retrying with
/// exponential backoff on 5xx answers and transport failures (timeouts,
/// refused connections) but not on 4xx, which no retry can fix.
///
/// A chat receiver (`chat`) is the same delivery with the tool's manners:
/// each attempt is signed anew (the tools reject old timestamps) and a 2xx
/// answer carrying the tool's error code counts as refused, or as worth a
/// retry when it is a rate limit. An email receiver (`mail`) submits each
/// notification (or, with a digest interval, each interval's) as a mail
/// instead of a POST, with the same queue, retries and outcomes.
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
        /// Queued or being delivered now.
        public var pending = 0

        public init(delivered: Int = 0, failed: Int = 0, overflowed: Int = 0, retries: Int = 0, pending: Int = 0) {
            self.delivered = delivered
            self.failed = failed
            self.overflowed = overflowed
            self.retries = retries
            self.pending = pending
        }
    }

    /// How one notification ended.
    public enum Outcome: Sendable, Equatable {
        /// The receiver took it (2xx).
        case delivered
        /// The receiver refused it (4xx): no retry can fix that.
        case refused
        /// Retries exhausted on 5xx answers or transport failures.
        case gaveUp
        /// Not delivered when the receiver was stopped (`drain` ran out of time).
        case abandoned
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
    /// A mail digest's clock: a tick into the queue every interval.
    private let ticker: Task<Void, Never>?
    private let logger: Logger

    struct Notification: Sendable {
        var id: String
        var body: [UInt8]
        var headers: [String: String] = [:]
        var done: (@Sendable (Outcome) -> Void)?
        /// Not a notification: the digest interval has passed.
        var isTick = false
    }

    /// `headers` may hold secrets (an Authorization value): they are sent, never logged;
    /// so are `url` (chat robots carry their token in it) and `chat`'s secret.
    /// `logger`: where failures are said (the service's alert log by default).
    public init(name: String, url: URL, timeout: Duration = .seconds(5), maxRetries: Int = 5,
                baseBackoff: Duration = .milliseconds(500), queueSize: Int = 1000, headers: [String: String] = [:],
                chat: ChatEndpoint? = nil, mail: MailSubmission? = nil, logger: Logger? = nil) {
        let logger = logger ?? Logger(label: "kpi-ingest.alerts.webhook")
        self.logger = logger
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
        let deliver = Delivery(name: name, url: url, maxRetries: maxRetries, baseBackoff: baseBackoff, headers: headers, session: session,
                               chat: chat, mail: mail, logger: logger)
        let counts = self.counts
        let settle: @Sendable ([Notification], Outcome, Int) -> Void = { batch, outcome, retries in
            counts.value.withLock { c in
                c.retries += retries
                c.pending -= batch.count
                switch outcome {
                case .delivered: c.delivered += batch.count
                case .refused, .gaveUp: c.failed += batch.count
                case .abandoned: break
                }
            }
            for n in batch { n.done?(outcome) }
        }
        let digest = mail?.digestInterval
        worker = Task.detached(executorPreference: DeliveryExecutor.shared) {
            // A digest gathers the notifications of an interval and mails them at its tick (and at the end).
            var batch: [Notification] = []
            for await n in stream {
                if digest != nil {
                    if !n.isTick { batch.append(n); continue }
                    guard !batch.isEmpty else { continue }
                    let (outcome, retries) = await deliver.sendDigest(batch)
                    settle(batch, outcome, retries)
                    batch = []
                    if outcome == .abandoned { break }
                    continue
                }
                let (outcome, retries) = await deliver.send(n)
                settle([n], outcome, retries)
                if outcome == .abandoned { break }
            }
            if !batch.isEmpty && !Task.isCancelled {
                let (outcome, retries) = await deliver.sendDigest(batch)
                settle(batch, outcome, retries)
            }
        }
        ticker = digest.map { interval in
            Task.detached(executorPreference: DeliveryExecutor.shared) { [continuation] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    if case .terminated = continuation.yield(Notification(id: "", body: [], isTick: true)) { break }
                }
            }
        }
    }

    deinit {
        ticker?.cancel()
        continuation.finish()
    }

    /// Queues one notification; returns false (counted, logged) when the
    /// queue is full. `headers` are sent with it; `done` is told how it
    /// ended (on the receiver's worker).
    @discardableResult
    public func enqueue(id: String, body: [UInt8], headers: [String: String] = [:],
                        done: (@Sendable (Outcome) -> Void)? = nil) -> Bool {
        counts.value.withLock { $0.pending += 1 }
        switch continuation.yield(Notification(id: id, body: body, headers: headers, done: done)) {
        case .enqueued:
            return true
        case .dropped, .terminated:
            counts.value.withLock { $0.overflowed += 1; $0.pending -= 1 }
            // Said once, then at most every 10 s with how many since: a
            // replay that raises thousands of notifications to a receiver
            // that is down would otherwise write a line for each.
            let now = ContinuousClock.now
            let unsaid: Int? = counts.overflowSaid.withLock { said in
                said.count += 1
                guard said.at.map({ now - $0 >= .seconds(10) }) ?? true else { return nil }
                defer { said = (now, 0) }
                return said.count
            }
            if let unsaid {
                logger.error("webhook \(name): queue full, \(unsaid) alert notification(s) not queued (the latest \(id)); counted in kpi_ingest_webhook_deliveries_total{outcome=\"dropped\"}")
            }
            return false
        @unknown default:
            return false
        }
    }

    public var snapshot: Counts { counts.value.withLock { $0 } }

    /// Stops accepting notifications and waits until the queued ones are delivered or given up.
    public func drain() async {
        ticker?.cancel()
        continuation.finish()
        await worker.value
    }

    /// `drain`, waiting at most `timeout`: then the notification being
    /// delivered is abandoned and the rest are not tried. Returns how many
    /// were not delivered or given up (their `done` says `abandoned`, or is
    /// not called for those never tried).
    public func drain(timeout: Duration) async -> Int {
        ticker?.cancel()
        continuation.finish()
        // Awaiting the worker's value cannot be cancelled: watch the count.
        let deadline = ContinuousClock.now + timeout
        while counts.value.withLock({ $0.pending }) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        worker.cancel()
        await worker.value
        return counts.value.withLock { $0.pending }
    }
}

/// The counts, shared between the receiver and its worker.
private final class SharedCounts: Sendable {
    let value = Mutex(WebhookReceiver.Counts())
    /// When queue overflow was last logged, and how many overflowed since.
    let overflowSaid = Mutex<(at: ContinuousClock.Instant?, count: Int)>((nil, 0))
}

/// One delivery with its retries (the worker's part of `WebhookReceiver`).
private struct Delivery: Sendable {
    let name: String
    let url: URL
    let maxRetries: Int
    let baseBackoff: Duration
    let headers: [String: String]
    let session: URLSession
    let chat: ChatEndpoint?
    let mail: MailSubmission?
    let logger: Logger

    /// What the log calls the receiver: `webhook`, `email` or the chat tool.
    var kindName: String { mail != nil ? "email" : chat?.format.rawValue ?? "webhook" }

    /// A mail's stable Message-ID for a notification: the same notification
    /// delivered again is the same message.
    static func messageID(_ notification: String) -> String {
        let digest = SHA256.hash(data: Data(notification.utf8))
        return digest.prefix(16).map { String(format: "%02x", $0) }.joined() + "@kpi-ingest"
    }

    /// The mail of a notification whose body is the subject line and the text.
    func message(_ n: WebhookReceiver.Notification, _ mail: MailSubmission) -> [UInt8] {
        let text = String(decoding: n.body, as: UTF8.self)
        let subject = String(text.prefix { $0 != "\n" })
        let rest = String(text.dropFirst(subject.count).dropFirst())
        let notification = n.headers["X-KPI-Notification-Id"]
        return mail.message(subject: subject, text: rest, date: Date(), messageID: Self.messageID(notification ?? n.id),
                            notificationID: notification)
    }

    /// Mails the notifications of a digest interval as one message (one
    /// alone as its own mail), with retries; all share the outcome.
    func sendDigest(_ batch: [WebhookReceiver.Notification]) async -> (WebhookReceiver.Outcome, retries: Int) {
        guard let mail, batch.count > 1 else { return batch.isEmpty ? (.delivered, 0) : await send(batch[0]) }
        let zh = mail.language == .zhCN
        let subject = zh ? "【KPI 告警摘要】\(batch.count) 条通知" : "[KPI alerts digest] \(batch.count) notifications"
        let texts = batch.map { n in
            let text = String(decoding: n.body, as: UTF8.self)
            return String(text.drop { $0 != "\n" }.dropFirst())
        }
        let ids = batch.map { $0.headers["X-KPI-Notification-Id"] ?? $0.id }
        let message = mail.message(subject: subject, text: texts.joined(separator: "\n" + String(repeating: "-", count: 40) + "\n\n"),
                                   date: Date(), messageID: Self.messageID(ids.joined(separator: ",")), notificationID: nil)
        return await mailWithRetries("a digest of \(batch.count) alerts", mail, message)
    }

    /// Submits a mail until it is sent, refused, or retries run out.
    func mailWithRetries(_ what: String, _ mail: MailSubmission, _ message: [UInt8]) async -> (WebhookReceiver.Outcome, retries: Int) {
        var attempt = 0
        while true {
            if Task.isCancelled { return (.abandoned, attempt) }
            let said: String
            switch await mail.submit(message) {
            case .sent: return (.delivered, attempt)
            case .retry(let w): said = w
            case .refused(let w):
                logger.error("email \(name): gave up on \(what) after \(attempt + 1) attempt(s): \(w)")
                return (.refused, attempt)
            }
            if attempt >= maxRetries {
                logger.error("email \(name): gave up on \(what) after \(attempt + 1) attempt(s): \(said)")
                return (.gaveUp, attempt)
            }
            try? await Task.sleep(for: baseBackoff * Int(Int64(1) << Int64(min(attempt, 6))))
            attempt += 1
        }
    }

    func send(_ n: WebhookReceiver.Notification) async -> (WebhookReceiver.Outcome, retries: Int) {
        if let mail { return await mailWithRetries("alert \(n.id)", mail, message(n, mail)) }
        var attempt = 0
        while true {
            if Task.isCancelled { return (.abandoned, attempt) }
            var target = url
            var body = n.body
            if let chat { (target, body) = chat.format.signed(url: url, body: body, secret: chat.secret, now: chat.clock()) }
            var request = URLRequest(url: target)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.setValue(chat == nil ? "application/json" : "application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
            for (k, v) in n.headers { request.setValue(v, forHTTPHeaderField: k) }
            for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
            let retryable: Bool
            let what: String
            do {
                let (data, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) {
                    switch chat?.format.verdict(onSuccessBody: data) ?? .accepted {
                    case .accepted: return (.delivered, attempt)
                    case .retry(let said): retryable = true; what = "HTTP \(status), \(said)"
                    case .refused(let said): retryable = false; what = "HTTP \(status), \(said)"
                    }
                } else {
                    retryable = status >= 500 || status == 0 || status == 429
                    what = "HTTP \(status)"
                }
            } catch {
                if Task.isCancelled { return (.abandoned, attempt) }
                retryable = true
                what = "\(type(of: error)) \((error as NSError).code)"
            }
            if !retryable || attempt >= maxRetries {
                logger.error("\(kindName) \(name): gave up on alert \(n.id) after \(attempt + 1) attempt(s): \(what)")
                return (retryable ? .gaveUp : .refused, attempt)
            }
            // Exponential backoff: base, 2×base, 4×base ... capped at 64×base.
            let factor = Int64(1) << Int64(min(attempt, 6))
            try? await Task.sleep(for: baseBackoff * Int(factor))
            attempt += 1
        }
    }
}

/// The thread alert deliveries run on: a task executor of its own
/// (SE-0417), so webhook, chat and mail workers, their retries' sleeps and
/// the shutdown drain never wait for a free thread of the shared task pool
/// (two threads on a two-core machine), which blocking work elsewhere in
/// the process can hold for minutes. Serial: a delivery's I/O is awaited,
/// not blocked on (mail submits on a thread of its own).
final class DeliveryExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = DeliveryExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "kpi-ingest.alerts"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
