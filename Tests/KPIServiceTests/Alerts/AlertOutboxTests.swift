import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

/// The alert outbox against the embedded broker: what reaches `kpi.alerts`
/// (and, through the same gate, every receiver) across a restart.
@Suite("Alert outbox")
struct AlertOutboxTests {
    // 2026-11-21T14:00:00+08:00 (`date -u -d 2026-11-21T06:00:00Z +%s` = 1795240800).
    static let t0 = EventTime(millis: 1_795_240_800_000)
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static func alert(_ state: AlertState, at minute: Int64, since: Int64 = 0, isRepeat: Bool = false) -> Alert {
        let scope = Scope(type: .agent, shopID: "s1", id: "a3")
        return Alert(id: Alert.id(rule: "cs-first-response", scope: scope, windowType: .day, windowID: "2026-11-21"),
                     state: state, rule: "cs-first-response", scope: scope, windowType: .day, windowID: "2026-11-21",
                     metric: "first_response_s", direction: .lowerIsBetter, value: .count(45), target: .count(30), pace: nil,
                     since: t0 + .minutes(since), at: t0 + .minutes(minute), leads: ["lead-cs-1"],
                     message: "a3 first response 45 s, target 30 s (day 2026-11-21)", isRepeat: isRepeat)
    }

    static func send(_ outbox: AlertOutbox, _ a: Alert) throws -> Bool {
        let zone = try ZoneRules(identifier: "Asia/Shanghai")
        return try outbox.send(a, json: AlertJSON.encode(a, fractionDigits: 2, zone: zone))
    }

    /// The notifications of one emit go as a batch: each webhook delivery
    /// recorded on the state topic before anything is published, replays
    /// within the batch skipped like any other.
    @Test func aBatchRecordsEachWebhookDeliveryAndSkipsItsReplays() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        // A receiver that fails every delivery (no retry): the records stay,
        // whenever its worker gets to them.
        let failing = try ScriptedHTTPServer(statuses: [500])
        defer { failing.stop() }
        var service = ServiceConfiguration()
        var hook = ServiceConfiguration.Webhook(url: "http://127.0.0.1:\(failing.port)/kpi-alerts")
        hook.maxRetries = 0
        service.alerts.receivers = ["leads-webhook": ServiceConfiguration.Receiver(name: "leads-webhook", kind: .webhook(hook))]
        service.alerts.routes = [ServiceConfiguration.Route(leads: [], receivers: ["leads-webhook"])]
        let zone = try ZoneRules(identifier: "Asia/Shanghai")
        let configured = service
        let (fresh, ledger, published, sentBodies): ([Bool], [PendingDelivery], [String], [String]) = try onOwnThread {
            let kafka = KafkaConfiguration(bootstrapServers: bootstrap)
            let producer = try KafkaProducer(configuration: kafka)
            let outbox = AlertOutbox(configuration: configured, producer: producer, alreadySent: [:], ledger: "kpi.state")
            let batch = [Self.alert(.firing, at: 5), Self.alert(.firing, at: 5), Self.alert(.firing, at: 125, isRepeat: true)].map {
                AlertOutbox.Notification($0, json: AlertJSON.encode($0, fractionDigits: 2, zone: zone), partition: 0)
            }
            let fresh = try outbox.send(batch)
            let sentBodies = [batch[0].json, batch[2].json].map { String(decoding: $0, as: UTF8.self) }
            try producer.flush()
            let store = CheckpointStore(topic: "kpi.state", producer: producer, clientConfiguration: kafka)
            _ = try store.readAll()
            let published = try readAll(TopicNames().alerts, bootstrap: bootstrap).sorted { $0.offset < $1.offset }
                .map { String(decoding: $0.value!, as: UTF8.self) }
            return (fresh, store.pendingDeliveries, published, sentBodies)
        }
        #expect(fresh == [true, false, true])
        // Two notifications on the alerts topic, in order: the firing at 14:05, its repeat at 16:05.
        #expect(published == sentBodies)
        // Both still owed to the receiver (it refused them): delivered after a restart.
        #expect(ledger.count == 2)
        #expect(Set(ledger.map(\.receiver)) == ["leads-webhook"])
        #expect(ledger.map(\.at) == [Self.t0 + .minutes(5), Self.t0 + .minutes(125)])
    }

    @Test func repeatsGoOutReplaysDoNotAcrossARestart() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let states: [(String, Int64)] = try onOwnThread {
            let kafka = KafkaConfiguration(bootstrapServers: bootstrap)
            let producer = try KafkaProducer(configuration: kafka)
            // First run: firing at 14:05 (since 14:00), the same notification
            // derived again (an evaluation replayed), a repeat at 16:05,
            // resolved at 16:30.
            let first = AlertOutbox(configuration: ServiceConfiguration(), producer: producer, alreadySent: [:])
            #expect(try Self.send(first, Self.alert(.firing, at: 5)))
            #expect(try !Self.send(first, Self.alert(.firing, at: 5)))
            #expect(try Self.send(first, Self.alert(.firing, at: 125, isRepeat: true)))
            #expect(try Self.send(first, Self.alert(.resolved, at: 150, since: 150)))
            try producer.flush()

            // Read back as a restarted service does: the last notification per id.
            let published = try AlertOutbox.readPublished(topic: TopicNames().alerts, bootstrap: kafka, zone: Self.zone)
            let id = Self.alert(.firing, at: 0).id
            #expect(published == [id: AlertBook.Delivered(id: id, state: .resolved, since: Self.t0 + .minutes(150), at: Self.t0 + .minutes(150))])

            // Second run replays the input from the start: everything up to
            // 16:30 again — nothing is sent; a new firing at 17:00 is.
            let second = AlertOutbox(configuration: ServiceConfiguration(), producer: producer, alreadySent: published)
            #expect(try !Self.send(second, Self.alert(.firing, at: 5)))
            #expect(try !Self.send(second, Self.alert(.firing, at: 125, isRepeat: true)))
            #expect(try !Self.send(second, Self.alert(.resolved, at: 150, since: 150)))
            #expect(try Self.send(second, Self.alert(.firing, at: 180, since: 175)))
            #expect(second.skippedAsAlreadySent == 3)
            try producer.flush()
            return try readAll(TopicNames().alerts, bootstrap: bootstrap).sorted { $0.offset < $1.offset }.map { r in
                let text = String(decoding: r.value!, as: UTF8.self)
                let state = text.components(separatedBy: #""state":""#)[1].prefix { $0 != "\"" }
                return (String(state), (r.timestampMillis! - Self.t0.millis) / 60_000)
            }
        }
        // On the topic: each notification once, in order, stamped with its evaluation time.
        #expect(states.map(\.0) == ["firing", "firing", "resolved", "firing"])
        #expect(states.map(\.1) == [5, 125, 150, 180])
    }
}
