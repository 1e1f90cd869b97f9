import Foundation
import KafkaClient
import KPICore
import Logging
import Synchronization

/// Where alert notifications go: the `kpi.alerts` topic (key = alert id),
/// the webhooks and the log that the config's routes name — each state
/// change once. What was already published (read back from `kpi.alerts` at
/// start) is not sent again, so a restart or rebalance, which replays the
/// input and re-derives the same alerts, does not page a lead twice.
///
/// Alerts are evaluated in event time, so "already sent" is decided by the
/// evaluation time: a notification of an id at or before the last one
/// published for it is a replay; a later one (a state change, or a repeat
/// of a firing alert after the repeat interval) is new.
///
/// A webhook notification counts as delivered only once its receiver took
/// it. With a `ledger` (the compacted state topic), each one is recorded
/// there before it is queued (`PendingDelivery`, keyed by receiver and
/// notification) and deleted (a tombstone) once the receiver took or
/// refused it; what is still recorded after a stop (a slow or absent
/// receiver, a crash) is delivered again after the restart, by whoever then
/// holds the alert's partition (`redeliver`), with the same body and
/// `X-KPI-Notification-Id`: at least once per receiver.
///
/// Chat receivers (`dingtalk`, `feishu`, `wecom`, `slack`) are webhooks
/// whose body is the alert said for people in the tool's format: it is made
/// once, recorded in the ledger like the JSON, and signed at each attempt.
public final class AlertOutbox {
    private let producer: KafkaProducer?
    private let topic: String
    private let routes: [ServiceConfiguration.Route]
    private let webhooks: [String: WebhookReceiver]
    /// Chat receivers (also in `webhooks`): the format and language of their messages.
    private let chatFormats: [String: (NotificationFormat, AlertMessage.Context)]
    private let logReceivers: Set<String>
    /// `kind: kafka` receivers: their topic.
    private let kafkaReceivers: [String: String]
    private let teams: TeamDirectory
    private var lastSent: [String: AlertBook.Delivered]
    private let logger = Logger(label: "kpi-ingest.alerts")
    /// Where undelivered webhook notifications are recorded (a compacted topic); nil: nowhere.
    private let ledger: String?
    /// Ledger keys queued in this process (not queued again by `redeliver`).
    private let inFlight = KeySet()
    /// Notifications sent, and those skipped as already sent.
    public private(set) var sent = 0
    public private(set) var skippedAsAlreadySent = 0

    /// `alreadySent`: the last published notification per alert id (see
    /// `readPublished`). `ledger`: the topic recording undelivered webhook
    /// notifications (the state topic), with `producer`.
    /// `chatClock`: the time chat requests are signed with (tests fix it).
    public init(configuration: ServiceConfiguration, producer: KafkaProducer?, alreadySent: [String: AlertBook.Delivered],
                ledger: String? = nil, chatClock: @escaping @Sendable () -> Date = { Date() }) {
        self.producer = producer
        self.ledger = producer == nil ? nil : ledger
        topic = configuration.kafka.topics.alerts
        routes = configuration.alerts.routes
        teams = configuration.teamDirectory
        lastSent = alreadySent
        var hooks: [String: WebhookReceiver] = [:]
        var logs: Set<String> = []
        var topics: [String: String] = [:]
        var formats: [String: (NotificationFormat, AlertMessage.Context)] = [:]
        let zone = TimeZone(identifier: configuration.kpi.timeZoneID) ?? TimeZone(secondsFromGMT: 0)!
        for (name, r) in configuration.alerts.receivers {
            switch r.kind {
            case .webhook(let w):
                if let url = URL(string: w.url) {
                    hooks[name] = WebhookReceiver(name: name, url: url, timeout: .milliseconds(w.timeout.millis), maxRetries: w.maxRetries, queueSize: w.queueSize, headers: w.headers)
                }
            case .log:
                logs.insert(name)
            case .kafka(let topic):
                topics[name] = topic
            case .chat(let c):
                if let url = URL(string: c.url) {
                    hooks[name] = WebhookReceiver(name: name, url: url, timeout: .milliseconds(c.timeout.millis), maxRetries: c.maxRetries,
                                                  queueSize: c.queueSize, chat: ChatEndpoint(format: c.format, secret: c.secret, clock: chatClock))
                    formats[name] = (c.format, AlertMessage.Context(language: c.language, timeZone: zone,
                                                                    fractionDigits: configuration.kpi.fractionDigits,
                                                                    publicURL: configuration.http.publicURL))
                }
            case .email(let m):
                let submission = MailSubmission(url: m.smtpURL, username: m.username, password: m.password, from: m.from, to: m.to,
                                                caFile: m.caFile, timeout: .milliseconds(m.timeout.millis),
                                                digestInterval: m.digestInterval.map { .milliseconds($0.millis) }, language: m.language)
                hooks[name] = WebhookReceiver(name: name, url: URL(string: m.smtpURL) ?? URL(fileURLWithPath: "/"),
                                              timeout: .milliseconds(m.timeout.millis), maxRetries: m.maxRetries,
                                              queueSize: m.queueSize, mail: submission)
                formats[name] = (.email, AlertMessage.Context(language: m.language, timeZone: zone,
                                                              fractionDigits: configuration.kpi.fractionDigits,
                                                              publicURL: configuration.http.publicURL))
            }
        }
        webhooks = hooks
        chatFormats = formats
        logReceivers = logs
        kafkaReceivers = topics
    }

    /// Adds notifications published meanwhile (by this or another
    /// instance, read back from the alerts topic), keeping the latest per id.
    public func remember(_ published: [String: AlertBook.Delivered]) {
        for (id, d) in published where lastSent[id].map({ d.at > $0.at }) ?? true { lastSent[id] = d }
    }

    /// One notification to send: the alert, its JSON, and the input
    /// partition whose state raised it (its holder delivers what is left of
    /// it after a restart).
    public struct Notification {
        public var alert: Alert
        public var json: [UInt8]
        public var partition: Int32
        public init(_ alert: Alert, json: [UInt8], partition: Int32 = 0) {
            self.alert = alert
            self.json = json
            self.partition = partition
        }
    }

    /// Sends one notification unless it is a replay of one already sent
    /// (same id, evaluated at or before the last one sent); returns whether
    /// it was sent.
    @discardableResult
    public func send(_ alert: Alert, json: [UInt8], partition: Int32 = 0) throws -> Bool {
        try send([Notification(alert, json: json, partition: partition)])[0]
    }

    /// Sends a batch of notifications (those of one emit), each unless it is
    /// a replay of one already sent; returns, per notification, whether it
    /// was sent. The webhook deliveries of the whole batch are recorded in
    /// the ledger and flushed once before any of them is published or
    /// queued: a restore that raises tens of thousands of notifications
    /// waits for the state topic once per emit, not once per notification.
    public func send(_ batch: [Notification]) throws -> [Bool] {
        var fresh: [Bool] = []
        fresh.reserveCapacity(batch.count)
        var queued: [(WebhookReceiver, PendingDelivery)] = []
        for n in batch {
            let alert = n.alert
            if let last = lastSent[alert.id], alert.at <= last.at {
                skippedAsAlreadySent += 1
                fresh.append(false)
                continue
            }
            lastSent[alert.id] = AlertBook.Delivered(id: alert.id, state: alert.state, since: alert.since, at: alert.at)
            sent += 1
            fresh.append(true)
            // Recorded before anything else: a crash from here on leaves the
            // record, and the restart delivers it (the alert topic below makes
            // the restart treat the notification itself as sent).
            for name in receivers(for: alert) {
                guard let hook = webhooks[name] else { continue }
                let body = chatFormats[name].map { format, context in format.body(AlertMessage(alert, context)) } ?? n.json
                let pending = PendingDelivery(partition: n.partition, receiver: name, alertID: alert.id, at: alert.at, body: body)
                if let ledger { try producer?.send(topic: ledger, partition: 0, key: Array(pending.key.utf8), value: body) }
                queued.append((hook, pending))
            }
        }
        if !queued.isEmpty, ledger != nil {
            do { try producer?.flush(timeout: .seconds(5)) } catch {
                logger.warning("\(queued.count) webhook deliveries are queued for the state topic, not yet acknowledged: \(error)")
            }
        }
        for (n, isFresh) in zip(batch, fresh) where isFresh {
            let alert = n.alert
            try producer?.send(topic: topic, key: Array(alert.id.utf8), value: n.json, timestampMillis: alert.at.millis)
            var logged: [String] = []
            for name in receivers(for: alert) where webhooks[name] == nil {
                if let routed = kafkaReceivers[name] {
                    try producer?.send(topic: routed, key: Array(alert.id.utf8), value: n.json, timestampMillis: alert.at.millis)
                } else if logReceivers.contains(name) {
                    logged.append(name)
                }
            }
            // One log line however many log receivers the routes name (it says which).
            if !logged.isEmpty {
                logger.notice("\(alert.message)", metadata: ["alert": .string(alert.id), "state": .string(alert.state.name),
                                                             "leads": .string(alert.leads.joined(separator: ",")),
                                                             "receivers": .string(logged.joined(separator: ","))])
            }
        }
        for (hook, pending) in queued { enqueue(pending, to: hook) }
        return fresh
    }

    /// Queues a recorded notification to its receiver; its record is deleted
    /// once the receiver took it (or refused it: no retry can fix a 4xx).
    private func enqueue(_ pending: PendingDelivery, to hook: WebhookReceiver) {
        let key = pending.key
        guard inFlight.insert(key) else { return }
        let (producer, ledger, inFlight) = (self.producer, self.ledger, self.inFlight)
        let logger = self.logger
        let accepted = hook.enqueue(id: pending.alertID, body: pending.body, headers: ["X-KPI-Notification-Id": pending.notificationID]) { outcome in
            inFlight.remove(key)
            switch outcome {
            case .delivered, .refused:
                guard let ledger, let producer else { return }
                do { try producer.send(topic: ledger, partition: 0, key: Array(key.utf8), value: nil) } catch {
                    logger.warning("could not delete the delivery record of \(pending.notificationID) for \(pending.receiver): \(error)")
                }
            case .gaveUp:
                if ledger != nil {
                    logger.error("webhook \(pending.receiver): notification \(pending.notificationID) kept in the state topic; it is delivered again after the next restart")
                }
            case .abandoned:
                break
            }
        }
        if !accepted { inFlight.remove(key) }
    }

    /// Queues again what a previous run recorded but did not deliver (read
    /// from the state topic when partitions are restored): receivers no
    /// longer configured are dropped (and said), the rest are delivered.
    public func redeliver(_ pending: [PendingDelivery]) {
        var dropped = 0
        var queued = 0
        for p in pending.sorted(by: { ($0.at, $0.key) < ($1.at, $1.key) }) {
            guard let hook = webhooks[p.receiver] else {
                dropped += 1
                if let ledger { try? producer?.send(topic: ledger, partition: 0, key: Array(p.key.utf8), value: nil) }
                continue
            }
            enqueue(p, to: hook)
            queued += 1
        }
        if queued > 0 { logger.notice("delivering \(queued) alert notification(s) a previous run left undelivered") }
        if dropped > 0 { logger.warning("\(dropped) undelivered alert notification(s) name receivers no longer configured: dropped") }
    }

    /// Deliveries per webhook receiver so far.
    public var deliveryCounts: [String: WebhookReceiver.Counts] { webhooks.mapValues(\.snapshot) }

    /// Delivers what is queued within `timeout` (on shutdown), then stops
    /// the receivers and says what was left: with a ledger, those are
    /// delivered after the restart. Returns what was left per receiver.
    @discardableResult
    public func drain(timeout: Duration) -> [String: Int] {
        let hooks = webhooks
        // Nothing to wait for: no task. (The drain runs on the deliveries'
        // own thread, `DeliveryExecutor`, not on the shared pool.)
        guard !hooks.isEmpty else { return [:] }
        let box = Mutex<[String: Int]>([:])
        let done = DispatchSemaphore(value: 0)
        Task.detached(executorPreference: DeliveryExecutor.shared) {
            await withTaskGroup(of: (String, Int).self) { group in
                for (name, hook) in hooks { group.addTask { (name, await hook.drain(timeout: timeout)) } }
                for await (name, left) in group { box.withLock { $0[name] = left } }
            }
            done.signal()
        }
        // Waits for the receivers' own bounded drain: returning earlier would
        // leave them delivering (and settling their records) behind the stop.
        done.wait()
        let left = box.withLock { $0 }.filter { $0.value > 0 }
        for (name, n) in left.sorted(by: { $0.key < $1.key }) {
            if ledger != nil {
                logger.warning("webhook \(name): \(n) alert notification(s) not delivered within \(timeout) of shutdown; kept in the state topic, delivered after the restart")
            } else {
                logger.error("webhook \(name): \(n) alert notification(s) not delivered within \(timeout) of shutdown; lost (no state topic to keep them)")
            }
        }
        return left
    }

    /// Receiver names of every route that matches the alert's rule, scope and shop.
    func receivers(for alert: Alert) -> [String] {
        var names: [String] = []
        for r in routes where teams.matches(r.core, rule: alert.rule, scope: alert.scope) {
            for n in r.receivers where !names.contains(n) { names.append(n) }
        }
        return names
    }

    /// Waits for the webhook queues to drain (on shutdown).
    public func drain() async {
        for hook in webhooks.values { await hook.drain() }
    }

    /// The last notification published per alert id on the alerts topic:
    /// its state, `since` (from the JSON) and evaluation time (the record
    /// timestamp). Records that cannot be read are skipped.
    public static func readPublished(topic: String, bootstrap: KafkaConfiguration, zone: TimeZone) throws -> [String: AlertBook.Delivered] {
        var last: [String: AlertBook.Delivered] = [:]
        try KafkaConsumer.readToEnd(topic: topic, configuration: bootstrap, missingIsEmpty: true) { r in
            guard let key = r.key, let value = r.value, let at = r.timestampMillis,
                  let state = Self.field("state", in: value).flatMap(AlertState.init(name:)),
                  let since = Self.field("since", in: value).flatMap({ TimeText.instant($0, timeZone: zone) }) else { return }
            let id = String(decoding: key, as: UTF8.self)
            last[id] = AlertBook.Delivered(id: id, state: state, since: since, at: EventTime(millis: at))
        }
        return last
    }

    /// A top-level string field of an alert JSON (`"state"`, `"since"`:
    /// plain text without escapes), read without a JSON library.
    static func field(_ name: String, in json: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: json, as: UTF8.self)
        guard let r = text.range(of: "\"\(name)\":\"") else { return nil }
        return String(text[r.upperBound...].prefix { $0 != "\"" })
    }
}

/// A webhook notification recorded on the state topic until its receiver
/// takes it: key `webhook|<partition>|<receiver>|<evaluation ms>|<alert id>`
/// (components escaped as in `RecordKey`), value the body (the alert JSON; for a chat receiver,
/// its message in the tool's format, unsigned).
public struct PendingDelivery: Sendable, Hashable {
    public var partition: Int32
    public var receiver: String
    public var alertID: String
    /// The evaluation time (with the id, what identifies the notification).
    public var at: EventTime
    public var body: [UInt8]

    public init(partition: Int32, receiver: String, alertID: String, at: EventTime, body: [UInt8]) {
        self.partition = partition; self.receiver = receiver; self.alertID = alertID; self.at = at; self.body = body
    }

    static let prefix = "webhook"

    /// The record key on the state topic.
    public var key: String { RecordKey.join([Self.prefix, String(partition), receiver, String(at.millis), alertID]) }

    /// The notification's stable identity, sent as `X-KPI-Notification-Id`:
    /// `<alert id>@<evaluation ms>` (one state change of one alert).
    public var notificationID: String { "\(alertID)@\(at.millis)" }

    /// Parses a state-topic record; nil when the key is not a delivery record.
    public init?(key: String, value: [UInt8]) {
        guard key.hasPrefix(Self.prefix + "|") else { return nil }
        let parts = RecordKey.split(key, maxParts: 5)
        guard parts.count == 5, parts[0] == Self.prefix, let p = Int32(parts[1]), let at = Int64(parts[3]) else { return nil }
        self.init(partition: p, receiver: parts[2], alertID: parts[4], at: EventTime(millis: at), body: value)
    }
}

/// A set of keys shared with the webhook workers.
final class KeySet: Sendable {
    private let keys = Mutex<Set<String>>([])
    func insert(_ k: String) -> Bool { keys.withLock { $0.insert(k).inserted } }
    func remove(_ k: String) { _ = keys.withLock { $0.remove(k) } }
}
