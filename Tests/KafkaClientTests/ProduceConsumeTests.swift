import Foundation
import KafkaClient
import Synchronization
import Testing

@Suite("Produce and consume over the embedded broker")
struct ProduceConsumeTests {
    @Test func roundTripKeepsKeysHeadersAndTimestamps() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("rt", partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let t0: Int64 = 1_795_227_300_000
        for i in 0..<30 {
            try producer.send(topic: "rt", key: [UInt8]("shop-\(i % 5)"), value: [UInt8]("v\(i)"),
                              headers: [(name: "h", value: [UInt8]("a\(i)")), (name: "h", value: [UInt8]("b"))],
                              timestampMillis: t0 + Int64(i))
        }
        try producer.flush()
        #expect(producer.deliveredCount == 30)

        let bootstrap = broker.bootstrapServers
        let records = try BackgroundThread { () throws -> [OwnedRecord] in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            try consumer.assign([TopicPartition("rt", 0): KafkaOffset.beginning, TopicPartition("rt", 1): KafkaOffset.beginning, TopicPartition("rt", 2): KafkaOffset.beginning])
            var out: [OwnedRecord] = []
            let deadline = Date().addingTimeInterval(20)
            while out.count < 30 && Date() < deadline {
                consumer.poll { batch in batch.forEach { out.append(OwnedRecord($0)) } }
            }
            try consumer.close()
            return out
        }.join()

        #expect(records.count == 30)
        var partitionOfKey: [[UInt8]: Int32] = [:]
        for r in records {
            let i = Int(String(decoding: r.value!.dropFirst(), as: UTF8.self))!
            #expect(r.key == [UInt8]("shop-\(i % 5)"))
            #expect(r.timestampMillis == t0 + Int64(i))
            #expect(r.headers == [.init(name: "h", value: [UInt8]("a\(i)")), .init(name: "h", value: [UInt8]("b"))])
            // Same key, same partition: what co-partitioning relies on.
            if let p = partitionOfKey[r.key!] { #expect(p == r.partition) }
            partitionOfKey[r.key!] = r.partition
        }
        // Offsets within a partition are consecutive and in order.
        for p in Int32(0)..<3 {
            let offs = records.filter { $0.partition == p }.map(\.offset)
            #expect(offs == Array(0..<Int64(offs.count)))
        }
    }

    @Test func nullKeysAndPayloadsAreDelivered() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("nulls", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        try producer.send(topic: "nulls", key: nil, value: nil)
        try producer.send(topic: "nulls", key: [UInt8]("k"), value: nil)
        try producer.send(topic: "nulls", key: nil, value: [])
        try producer.flush()
        let bootstrap = broker.bootstrapServers
        let records = try BackgroundThread { () throws -> [OwnedRecord] in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            try consumer.assign([TopicPartition("nulls", 0): KafkaOffset.beginning])
            var out: [OwnedRecord] = []
            let deadline = Date().addingTimeInterval(20)
            while out.count < 3 && Date() < deadline {
                consumer.poll { batch in batch.forEach { out.append(OwnedRecord($0)) } }
            }
            return out
        }.join()
        #expect(records.count == 3)
        #expect(records[0].key == nil && records[0].value == nil)
        #expect(records[1].key == [UInt8]("k") && records[1].value == nil)
        #expect(records[2].key == nil && (records[2].value ?? []).isEmpty)
    }

    @Test func offsetsForTimesFindsTheFirstRecordAtOrAfterATime() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("times", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let t0: Int64 = 1_795_227_300_000
        for i in 0..<10 {
            try producer.send(topic: "times", partition: 0, key: nil, value: [UInt8("\(i)".utf8.first!)], timestampMillis: t0 + Int64(i) * 1000)
        }
        try producer.flush()
        let bootstrap = broker.bootstrapServers
        let (offset, first, afterEnd) = try BackgroundThread { () throws -> (Int64, OwnedRecord?, Int64) in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            let tp = TopicPartition("times", 0)
            // Record i has timestamp t0 + i s, so t0 + 4.5 s lands on record 5.
            let offsets = try consumer.offsetsForTimes([tp: t0 + 4500])
            let afterEnd = try consumer.offsetsForTimes([tp: t0 + 60_000])[tp]!
            try consumer.assign([tp: offsets[tp]!])
            var first: OwnedRecord?
            let deadline = Date().addingTimeInterval(20)
            while first == nil && Date() < deadline {
                consumer.poll(maxRecords: 1) { batch in if !batch.isEmpty { first = OwnedRecord(batch[0]) } }
            }
            return (offsets[tp]!, first, afterEnd)
        }.join()
        #expect(offset == 5)
        #expect(first?.offset == 5)
        #expect(first?.timestampMillis == t0 + 5000)
        // No record at or after that time: the end offset (10 records written).
        #expect(afterEnd == 10)
    }

    /// The offsets of many partitions come in one pass (two requests),
    /// equal to each partition's own answer; a start time maps to the first
    /// record at or after it, by the broker or, where it cannot say, by a
    /// skip in the reader's own pass.
    @Test func watermarksAndStartPositionsOfManyPartitionsAtOnce() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("a", partitions: 3)
        try broker.createTopic("b", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let t0: Int64 = 1_795_227_300_000
        // a[0]: 10 records one second apart; a[1]: 3; a[2]: none; b[0]: 1; b[1]: 4.
        let counts: [TopicPartition: Int] = [TopicPartition("a", 0): 10, TopicPartition("a", 1): 3, TopicPartition("a", 2): 0,
                                             TopicPartition("b", 0): 1, TopicPartition("b", 1): 4]
        for (tp, n) in counts {
            for i in 0..<n {
                try producer.send(topic: tp.topic, partition: tp.partition, key: nil, value: [UInt8(i)], timestampMillis: t0 + Int64(i) * 1000)
            }
        }
        try producer.flush()
        let bootstrap = broker.bootstrapServers
        let partitions = Array(counts.keys)
        let (batch, single, starts) = try BackgroundThread { () throws -> ([TopicPartition: (low: Int64, high: Int64)], [TopicPartition: (low: Int64, high: Int64)], [TopicPartition: StartPosition]) in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            let batch = try consumer.watermarkOffsets(partitions)
            var single: [TopicPartition: (low: Int64, high: Int64)] = [:]
            for tp in partitions { single[tp] = try consumer.watermarkOffsets(tp) }
            // t0 + 2.5 s: record 3 where there is one.
            let starts = try consumer.startPositions(atOrAfter: t0 + 2500, lows: batch.mapValues(\.low))
            return (batch, single, starts)
        }.join()
        #expect(batch.count == 5)
        for (tp, n) in counts {
            #expect(batch[tp]?.low == 0 && batch[tp]?.high == Int64(n), "\(tp)")
            #expect(batch[tp]?.low == single[tp]?.low && batch[tp]?.high == single[tp]?.high, "\(tp)")
            // The first record at or after t0 + 2.5 s is record 3, or the end when there are 3 or fewer.
            let first = Int64(min(3, n))
            switch starts[tp] {
            case .offset(let o)?: #expect(o == first, "\(tp)")
            case .firstAtOrAfter(let time, let from)?: #expect(time == t0 + 2500 && from == 0, "\(tp)")
            case nil: Issue.record("no start position for \(tp)")
            }
        }
    }

    @Test func watermarksAndEndOfPartition() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic("wm", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        for i in 0..<7 { try producer.send(topic: "wm", partition: 1, key: nil, value: [UInt8(i)]) }
        try producer.flush()
        let bootstrap = broker.bootstrapServers
        let (marks, ends) = try BackgroundThread { () throws -> ((Int64, Int64), Set<TopicPartition>) in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: ["enable.partition.eof": "true"]), groupID: nil)
            let marks = try consumer.watermarkOffsets(TopicPartition("wm", 1))
            try consumer.assign([TopicPartition("wm", 0): KafkaOffset.beginning, TopicPartition("wm", 1): KafkaOffset.beginning])
            var ends: Set<TopicPartition> = []
            let deadline = Date().addingTimeInterval(20)
            while ends.count < 2 && Date() < deadline {
                consumer.poll { batch in ends.formUnion(batch.partitionsAtEnd) }
            }
            return ((marks.low, marks.high), ends)
        }.join()
        #expect(marks == (0, 7))
        #expect(ends == [TopicPartition("wm", 0), TopicPartition("wm", 1)])
    }
}
