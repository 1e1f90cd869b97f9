import Foundation
import KafkaClient
import KPICore
import Logging

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
public final class AlertOutbox {
    private let producer: KafkaProducer?
    private let topic: String
    private let routes: [ServiceConfiguration.Route]
    private let webhooks: [String: WebhookReceiver]
    private let logReceivers: Set<String>
    /// `kind: kafka` receivers: their topic.
    private let kafkaReceivers: [String: String]
    private let teams: TeamDirectory
    private var lastSent: [String: AlertBook.Delivered]
    private let logger = Logger(label: "kpi-ingest.alerts")
    /// Notifications sent, and those skipped as already sent.
    public private(set) var sent = 0
    public private(set) var skippedAsAlreadySent = 0

    /// `alreadySent`: the last published notification per alert id (see `readPublished`).
    public init(configuration: ServiceConfiguration, producer: KafkaProducer?, alreadySent: [String: AlertBook.Delivered]) {
        self.producer = producer
        topic = configuration.kafka.topics.alerts
        routes = configuration.alerts.routes
        teams = configuration.teamDirectory
        lastSent = alreadySent
        var hooks: [String: WebhookReceiver] = [:]
        var logs: Set<String> = []
        var topics: [String: String] = [:]
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
            }
        }
        webhooks = hooks
        logReceivers = logs
        kafkaReceivers = topics
    }

    /// Adds notifications published meanwhile (by this or another
    /// instance, read back from the alerts topic), keeping the latest per id.
    public func remember(_ published: [String: AlertBook.Delivered]) {
        for (id, d) in published where lastSent[id].map({ d.at > $0.at }) ?? true { lastSent[id] = d }
    }

    /// Sends one notification unless it is a replay of one already sent
    /// (same id, evaluated at or before the last one sent); returns whether it was sent.
    @discardableResult
    public func send(_ alert: Alert, json: [UInt8]) throws -> Bool {
        let state = alert.state.name
        if let last = lastSent[alert.id], alert.at <= last.at {
            skippedAsAlreadySent += 1
            return false
        }
        lastSent[alert.id] = AlertBook.Delivered(id: alert.id, state: alert.state, since: alert.since, at: alert.at)
        sent += 1
        try producer?.send(topic: topic, key: Array(alert.id.utf8), value: json, timestampMillis: alert.at.millis)
        var logged: [String] = []
        for name in receivers(for: alert) {
            if let hook = webhooks[name] {
                hook.enqueue(id: alert.id, body: json)
            } else if let routed = kafkaReceivers[name] {
                try producer?.send(topic: routed, key: Array(alert.id.utf8), value: json, timestampMillis: alert.at.millis)
            } else if logReceivers.contains(name) {
                logged.append(name)
            }
        }
        // One log line however many log receivers the routes name (it says which).
        if !logged.isEmpty {
            logger.notice("\(alert.message)", metadata: ["alert": .string(alert.id), "state": .string(state),
                                                         "leads": .string(alert.leads.joined(separator: ",")),
                                                         "receivers": .string(logged.joined(separator: ","))])
        }
        return true
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
