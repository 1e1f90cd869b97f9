import Benchmark
import CRdKafka
import KafkaClient

// Consume 1M pre-produced 200-byte records from the embedded broker, through
// our consumer layer and through a plain C rd_kafka_consumer_poll loop, in
// the same run. 64 partitions keep ~3 MiB each, under the mock cluster's
// ~5 MiB per-partition retention, so no record is dropped.
let recordCount = 1_000_000
let partitions: Int32 = 64
let topic = "bench.consume"

/// The broker and its data, made once per process.
final class Fixture: Sendable {
    let broker: EmbeddedBroker
    let offsets: [TopicPartition: Int64]

    init() {
        broker = try! EmbeddedBroker()
        try! broker.createTopic(topic, partitions: partitions)
        let producer = try! KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        var value = [UInt8](repeating: UInt8(ascii: "x"), count: 200)
        for i in 0..<recordCount {
            let key = Array("shop-\(i % 5000)".utf8)
            value[0] = UInt8(truncatingIfNeeded: i)
            try! producer.send(topic: topic, key: key, value: value)
            if i % 10_000 == 0 { producer.poll() }
        }
        try! producer.flush(timeout: .seconds(120))
        var o: [TopicPartition: Int64] = [:]
        for p in 0..<partitions { o[TopicPartition(topic, p)] = KafkaOffset.beginning }
        offsets = o
    }
}

nonisolated(unsafe) var fixture: Fixture?

/// What both loops do with each record: touch its bytes, as a decoder would start to.
@inline(__always)
func touch(_ value: UnsafeRawBufferPointer?) -> Int {
    guard let value, !value.isEmpty else { return 0 }
    return Int(value[0]) &+ value.count
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .nanoseconds,
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(60),
        maxIterations: 5
    )

    Benchmark("Plain librdkafka consumer_poll loop (1M records)",
              configuration: .init(setup: { if fixture == nil { fixture = Fixture() } })) { benchmark in
        let f = fixture!
        var errbuf = [CChar](repeating: 0, count: 512)
        let conf = rd_kafka_conf_new()
        for (k, v) in [("bootstrap.servers", f.broker.bootstrapServers), ("group.id", "bench-plain"),
                       ("enable.auto.commit", "false"), ("queued.min.messages", "500000"),
                       ("queued.max.messages.kbytes", "262144"), ("fetch.wait.max.ms", "100")] {
            rd_kafka_conf_set(conf, k, v, &errbuf, errbuf.count)
        }
        let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errbuf, errbuf.count)!
        rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(partitions)!
        for p in 0..<partitions { rd_kafka_topic_partition_list_add(list, topic, p)!.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING) }
        rd_kafka_assign(rk, list)
        rd_kafka_topic_partition_list_destroy(list)
        var seen = 0
        var sink = 0
        benchmark.startMeasurement()
        while seen < recordCount {
            guard let m = rd_kafka_consumer_poll(rk, 100) else { continue }
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                seen += 1
                sink &+= touch(m.pointee.payload.map { UnsafeRawBufferPointer(start: $0, count: m.pointee.len) })
            }
            rd_kafka_message_destroy(m)
        }
        benchmark.stopMeasurement()
        blackHole(sink)
        rd_kafka_consumer_close(rk)
        rd_kafka_destroy(rk)
    }

    Benchmark("KafkaConsumer.poll batches (1M records)",
              configuration: .init(setup: { if fixture == nil { fixture = Fixture() } })) { benchmark in
        let f = fixture!
        let consumer = try! KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: f.broker.bootstrapServers), groupID: nil)
        try! consumer.assign(f.offsets)
        var seen = 0
        var sink = 0
        benchmark.startMeasurement()
        while seen < recordCount {
            seen += consumer.poll(maxRecords: 2000) { batch in
                for i in 0..<batch.count { sink &+= touch(batch[i].value) }
            }
        }
        benchmark.stopMeasurement()
        blackHole(sink)
        try! consumer.close()
    }
}
