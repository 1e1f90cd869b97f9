import Foundation
import KafkaClient
import KPICore
import Logging

/// Where alert notifications go: the `kpi.alerts` topic (key = alert id),
/// the webhooks and the log that the config's routes name — each state
/// change once. What was already published (read back from `kpi.alerts` at
/// start) is not sent again, so a restart or rebalance, which replays the
/// input and re-derives the same alerts, does not page a lead twice.
public final class AlertOutbox {
    private let producer: KafkaProducer?
    private let topic: String
    private let routes: [ServiceConfiguration.Route]
    private let webhooks: [String: WebhookReceiver]
    private let logReceivers: Set<String>
    private let teams: [KPIConfiguration.Team]
    private var lastSent: [String: String]
    private let logger = Logger(label: "kpi-ingest.alerts")
    /// Notifications sent, and those skipped as already sent.
    public private(set) var sent = 0
    public private(set) var skippedAsAlreadySent = 0

    /// `alreadySent`: the last published state per alert id (see `readPublished`).
    public init(configuration: ServiceConfiguration, producer: KafkaProducer?, alreadySent: [String: String]) {
        self.producer = producer
        topic = configuration.kafka.topics.alerts
        routes = configuration.alerts.routes
        teams = configuration.kpi.teams
        lastSent = alreadySent
        var hooks: [String: WebhookReceiver] = [:]
        var logs: Set<String> = []
        for (name, r) in configuration.alerts.receivers {
            switch r.kind {
            case .webhook(let w):
                if let url = URL(string: w.url) {
                    hooks[name] = WebhookReceiver(name: name, url: url, timeout: .milliseconds(w.timeout.millis), maxRetries: w.maxRetries, queueSize: w.queueSize, headers: w.headers)
                }
            case .log:
                logs.insert(name)
            default:
                break
            }
        }
        webhooks = hooks
        logReceivers = logs
    }

    /// Sends one notification unless this id's state was already sent; returns whether it was sent.
    @discardableResult
    public func send(_ alert: Alert, json: [UInt8]) throws -> Bool {
        let state = alert.state.name
        if lastSent[alert.id] == state {
            skippedAsAlreadySent += 1
            return false
        }
        lastSent[alert.id] = state
        sent += 1
        try producer?.send(topic: topic, key: Array(alert.id.utf8), value: json, timestampMillis: alert.at.millis)
        for name in receivers(for: alert) {
            if let hook = webhooks[name] {
                hook.enqueue(id: alert.id, body: json)
            } else if logReceivers.contains(name) {
                logger.notice("\(alert.message)", metadata: ["alert": .string(alert.id), "state": .string(state), "leads": .string(alert.leads.joined(separator: ","))])
            }
        }
        return true
    }

    /// Receiver names of every route that matches the alert's rule, scope and shop.
    func receivers(for alert: Alert) -> [String] {
        var names: [String] = []
        for r in routes {
            if let rules = r.rules, !rules.contains(alert.rule) { continue }
            if let t = r.scopeType, t != alert.scope.type { continue }
            if let shops = r.shops, !shops.contains(alert.scope.shopID) { continue }
            if let team = r.team {
                let inTeam = alert.scope.type == .team ? alert.scope.id == team
                    : alert.scope.type == .agent && teams.contains { $0.name == team && $0.agents.contains(alert.scope.id ?? "") }
                if !inTeam { continue }
            }
            for n in r.receivers where !names.contains(n) { names.append(n) }
        }
        return names
    }

    /// Waits for the webhook queues to drain (on shutdown).
    public func drain() async {
        for hook in webhooks.values { await hook.drain() }
    }

    /// The last state published per alert id on the alerts topic.
    public static func readPublished(topic: String, bootstrap: KafkaConfiguration) throws -> [String: String] {
        let consumer = try KafkaConsumer(configuration: bootstrap, groupID: nil)
        defer { try? consumer.close() }
        guard let n = try? consumer.partitionCounts(topics: [topic])[topic] else { return [:] }
        var start: [TopicPartition: Int64] = [:]
        var end: [TopicPartition: Int64] = [:]
        for p in 0..<n {
            let tp = TopicPartition(topic, p)
            let (low, high) = try consumer.watermarkOffsets(tp)
            if high > low { start[tp] = low; end[tp] = high }
        }
        guard !start.isEmpty else { return [:] }
        try consumer.assign(start)
        var remaining = Set(start.keys)
        var last: [String: String] = [:]
        let deadline = ContinuousClock.now + .seconds(30)
        while !remaining.isEmpty && ContinuousClock.now < deadline {
            consumer.poll { batch in
                batch.forEach { r in
                    if let key = r.key, let value = r.value { last[String(decoding: key, as: UTF8.self)] = Self.state(in: value) }
                    if r.offset + 1 >= end[r.topicPartition]! { remaining.remove(r.topicPartition) }
                }
            }
        }
        return last
    }

    /// The `"state"` of an alert JSON, read without a JSON library.
    static func state(in json: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: json, as: UTF8.self)
        guard let r = text.range(of: #""state":""#) else { return nil }
        return String(text[r.upperBound...].prefix { $0 != "\"" })
    }
}
