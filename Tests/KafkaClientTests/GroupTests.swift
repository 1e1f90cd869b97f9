import Foundation
import KafkaClient
import Synchronization
import Testing

/// One group member on its own thread, logging what the application saw.
final class GroupMember: Sendable {
    enum Event: Equatable, Sendable { case assigned([TopicPartition]), revoking([TopicPartition], stillAssigned: [TopicPartition]) }
    /// What the member's thread records, shared with the test.
    final class Log: Sendable {
        let events = Mutex<[Event]>([])
        let values = Mutex<[String]>([])
    }
    let log = Log()
    let stop = StopFlag()
    let thread: BackgroundThread<Void>

    init(bootstrap: String, group: String, topic: String, extra: [String: String] = [:]) {
        let log = self.log
        let stop = self.stop
        thread = BackgroundThread {

            final class ConsumerRef: @unchecked Sendable { var consumer: KafkaConsumer? }
            let ref = ConsumerRef()
            let handler = RebalanceHandler(
                assigned: { tps in log.events.withLock { $0.append(.assigned(tps.sorted())) }; return [:] },
                revoking: { tps in
                    // Acting before the revoke completes: the partitions are still ours.
                    let still: [TopicPartition] = (try? ref.consumer?.assignment()) ?? []
                    log.events.withLock { $0.append(.revoking(tps.sorted(), stillAssigned: still)) }
                })
            var props = fastGroupProperties()
            props.merge(extra) { $1 }
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: props), groupID: group, rebalance: handler)
            ref.consumer = consumer
            try consumer.subscribe(topics: [topic])
            while !stop.isSet {
                var next: [TopicPartition: Int64] = [:]
                consumer.poll { batch in
                    batch.forEach { r in
                        log.values.withLock { $0.append(String(decoding: r.value!, as: UTF8.self)) }
                        next[r.topicPartition] = r.offset + 1
                    }
                }
                // Acknowledge only after processing.
                try consumer.storeOffsets(next)
            }
            try consumer.commit()
            try consumer.close()
            ref.consumer = nil
        }
    }

    /// The partitions this member holds now, from its assign/revoke history (eager protocol).
    var assignment: [TopicPartition] {
        var current: [TopicPartition] = []
        for e in log.events.withLock({ $0 }) {
            switch e {
            case .assigned(let tps): current = tps
            case .revoking: current = []
            }
        }
        return current
    }

    func finish() throws {
        stop.set()
        try thread.join()
    }
}

@Suite("Consumer groups over the embedded broker")
struct GroupTests {
    @Test func membersSplitPartitionsAndSeeRevokeBeforeItCompletes() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("grp", partitions: 6)
        let all = (0..<6).map { TopicPartition("grp", Int32($0)) }
        let a = GroupMember(bootstrap: broker.bootstrapServers, group: "g1", topic: "grp")
        let b = GroupMember(bootstrap: broker.bootstrapServers, group: "g1", topic: "grp")
        #expect(eventually { Set(a.assignment + b.assignment) == Set(all) && !a.assignment.isEmpty && !b.assignment.isEmpty })
        #expect(Set(a.assignment).isDisjoint(with: b.assignment))

        let c = GroupMember(bootstrap: broker.bootstrapServers, group: "g1", topic: "grp")
        #expect(eventually { !c.assignment.isEmpty && Set(a.assignment + b.assignment + c.assignment) == Set(all) && a.assignment.count + b.assignment.count + c.assignment.count == 6 })
        #expect(c.assignment.count == 2)
        // The first members were told before their partitions were taken away,
        // while those partitions were still assigned to them.
        for member in [a, b] {
            let revokes = member.log.events.withLock { $0 }.compactMap { e -> ([TopicPartition], [TopicPartition])? in
                if case .revoking(let tps, let still) = e { return (tps, still) } else { return nil }
            }
            #expect(!revokes.isEmpty)
            if let first = revokes.first { #expect(!first.0.isEmpty && Set(first.0).isSubset(of: Set(first.1))) }
        }
        try a.finish(); try b.finish(); try c.finish()
    }

    @Test func closeLeavesTheGroupSoTheOthersTakeOverAtOnce() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("leave", partitions: 4)
        // A member that vanishes without LeaveGroup keeps its partitions until
        // its session times out (10 s), then the 2.0.2 mock cluster's
        // rebalance waits session.timeout - 1 s more (rdkafka_mock_cgrp.c):
        // 19 s. After a clean LeaveGroup only the rebalance wait remains: ~9 s.
        let slow = ["session.timeout.ms": "10000", "heartbeat.interval.ms": "300"]
        let a = GroupMember(bootstrap: broker.bootstrapServers, group: "g2", topic: "leave", extra: slow)
        let b = GroupMember(bootstrap: broker.bootstrapServers, group: "g2", topic: "leave", extra: slow)
        #expect(eventually { a.assignment.count == 2 && b.assignment.count == 2 })
        try a.finish()
        let closedAt = Date()
        #expect(eventually(seconds: 40) { b.assignment.count == 4 })
        #expect(Date().timeIntervalSince(closedAt) < 15)
        try b.finish()
    }

    @Test func brokerOutageLosesAndDuplicatesNothingAcknowledged() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("outage", partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers, properties: ["message.timeout.ms": "60000"]))
        let total = 3000
        for i in 0..<1500 { try producer.send(topic: "outage", key: [UInt8]("k\(i % 17)"), value: [UInt8]("m\(i)")) }
        try producer.flush()
        let member = GroupMember(bootstrap: broker.bootstrapServers, group: "g3", topic: "outage",
                                 extra: ["reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "200"])
        #expect(eventually { member.log.values.withLock { $0.count } >= 500 })
        try broker.setBrokerDown(1)
        Thread.sleep(forTimeInterval: 1.5)
        // Produced while the broker is down: buffered by the producer, delivered after.
        for i in 1500..<total { try producer.send(topic: "outage", key: [UInt8]("k\(i % 17)"), value: [UInt8]("m\(i)")) }
        Thread.sleep(forTimeInterval: 1.0)
        try broker.setBrokerUp(1)
        try producer.flush(timeout: .seconds(60))
        #expect(eventually(seconds: 60) { member.log.values.withLock { $0.count } >= total })
        Thread.sleep(forTimeInterval: 0.5)
        try member.finish()
        let seen = member.log.values.withLock { $0 }
        #expect(seen.count == total)
        #expect(Set(seen) == Set((0..<total).map { "m\($0)" }))

        // Everything was acknowledged and committed: the group's next member reads nothing again.
        let next = GroupMember(bootstrap: broker.bootstrapServers, group: "g3", topic: "outage")
        #expect(eventually { next.assignment.count == 3 })
        Thread.sleep(forTimeInterval: 1.0)
        try next.finish()
        #expect(next.log.values.withLock { $0.isEmpty })
    }

    @Test func lagComesFromTheStatisticsCallback() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("lag", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        for i in 0..<100 { try producer.send(topic: "lag", partition: 0, key: nil, value: [UInt8(i)]) }
        try producer.flush()
        let bootstrap = broker.bootstrapServers
        let lag = try BackgroundThread { () throws -> Int64? in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: ["statistics.interval.ms": "100", "enable.auto.commit": "false"]), groupID: "g4")
            let tp = TopicPartition("lag", 0)
            try consumer.assign([tp: KafkaOffset.beginning])
            var read = 0
            let deadline = Date().addingTimeInterval(20)
            while read < 100 && Date() < deadline { read += consumer.poll { _ in } }
            // Processed (and acknowledged) the first 40 of 100: 60 behind.
            try consumer.storeOffsets([tp: 40])
            try consumer.commit()
            var lag: Int64?
            let until = Date().addingTimeInterval(10)
            while Date() < until {
                consumer.poll(timeout: .milliseconds(50)) { _ in }
                lag = consumer.lag[tp]
                if lag == 60 { break }
            }
            return lag
        }.join()
        #expect(lag == 60)
    }
}

@Suite("What a user gets told")
struct UserErrorTests {
    @Test func unreachableBrokerNamesTheAddressAndTheWait() throws {
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), groupID: nil)
        let error = #expect(throws: KafkaError.self) { try consumer.waitUntilReachable(timeout: .seconds(1)) }
        #expect(error?.code == .brokerUnreachable)
        #expect(error?.message.contains("127.0.0.1:1") == true)
        #expect(error?.message.contains("1.0 seconds") == true || error?.message.contains("1 second") == true)
    }

    @Test func missingTopicIsNamed() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("present", partitions: 2)
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), groupID: nil)
        #expect(try consumer.partitionCounts(topics: ["present"]) == ["present": 2])
        let error = #expect(throws: KafkaError.self) { try consumer.partitionCounts(topics: ["present", "absent.topic"]) }
        #expect(error?.code == .unknownTopic)
        #expect(error?.message.contains("absent.topic") == true)
    }

    @Test func refusedPropertyIsNamedAndSecretsStayHidden() throws {
        let bad = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: "x:1", properties: ["no.such.property": "1"]))
        }
        #expect(bad?.code == .configuration)
        #expect(bad?.message.contains("no.such.property") == true)

        let config = KafkaConfiguration(bootstrapServers: "x:1", properties: ["sasl.password": "hunter2", "sasl.username": "svc"])
        #expect(!config.description.contains("hunter2"))
        #expect(config.description.contains("sasl.username=svc"))
        let refused = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: "x:1", properties: ["ssl.key.password": "hunter2", "security.protocol": "nonsense"]))
        }
        #expect(refused.map { !"\($0)".contains("hunter2") } == true)
    }

    @Test func createTopicsReportsTheBrokersRefusal() throws {
        // The 2.0.2 mock cluster does not implement CreateTopics: the admin
        // path must say so clearly rather than hang or pretend success.
        let broker = try EmbeddedBroker()
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let error = #expect(throws: KafkaError.self) {
            try admin.createTopics([.init(name: "t", partitions: 3)], timeout: .seconds(5))
        }
        #expect(error?.code == .admin)
        #expect(error?.message.contains(broker.bootstrapServers) == true || error?.message.contains("t") == true)
    }
}
