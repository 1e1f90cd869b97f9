import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: checkpoints of another partition count are refused")
struct PartitionCountTests {
    /// A real `kpi-ingest run` on input topics of one partition writes its
    /// checkpoint on a graceful stop (its manifest names `partitions=1`).
    /// The state topic's records, copied as they are to a cluster whose
    /// input topics have two partitions (as after partitions were added),
    /// make the next `kpi-ingest run` stop with a non-zero status and a
    /// message naming both counts and what to do, instead of restoring shops
    /// under partition numbers that now hold others. The same records on a
    /// cluster of one partition restore as before.
    @Test func aRunRefusesCheckpointsOfAnotherPartitionCount() throws {
        let first = try brokerWithTopics(partitions: 1)
        try produce([.pageView("p1", "2026-11-20T10:00:00+08:00", visitor: "v1", session: "v1-1")],
                     bootstrap: first.bootstrapServers)
        let config = try writeConfig("kpi: {}\n")
        let writer = try RunningIngester(bootstrap: first.bootstrapServers, config: config, group: "count")
        #expect(writer.waitUntilReady(), "\(writer.output)")
        #expect(writer.stop() == 0, "\(writer.output)")
        let state = try onOwnThread { try readAll(TopicNames().state, bootstrap: first.bootstrapServers) }
        #expect(state.contains { String(decoding: $0.value ?? [], as: UTF8.self).contains(" partitions=1") }, "\(state.count) records")

        func copyState(to broker: EmbeddedBroker) throws {
            let bootstrap = broker.bootstrapServers
            try onOwnThread {
                let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
                for r in state { try producer.send(topic: TopicNames().state, partition: 0, key: r.key, value: r.value) }
                try producer.flush()
            }
        }
        let grown = try brokerWithTopics(partitions: 2)
        try copyState(to: grown)
        let refused = try RunningIngester(bootstrap: grown.bootstrapServers, config: config, group: "count")
        #expect(waitFor(seconds: 60) { !refused.process.isRunning }, "\(refused.output)")
        #expect(refused.stop() != 0)
        #expect(refused.output.contains("written when the input topics had 1 partitions"), "\(refused.output)")
        #expect(refused.output.contains("have 2 now"), "\(refused.output)")
        #expect(refused.output.contains("point kafka.topics.state at a new"), "\(refused.output)")
        #expect(!refused.output.contains("restoring from checkpoint"), "\(refused.output)")

        let same = try brokerWithTopics(partitions: 1)
        try copyState(to: same)
        let restored = try RunningIngester(bootstrap: same.bootstrapServers, config: config, group: "count")
        defer { restored.stop() }
        #expect(restored.waitUntilReady(), "\(restored.output)")
        #expect(restored.output.contains("partition 0: restoring from checkpoint"), "\(restored.output)")
    }
}
