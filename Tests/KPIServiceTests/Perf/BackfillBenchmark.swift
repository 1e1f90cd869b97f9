import CRdKafka
import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

/// `backfill` end to end against the embedded broker, next to a plain
/// librdkafka consume loop over the same topics in the same run (as in
/// Benchmarks/KPIPipeline: 200 shops, 64 partitions, 1M records by default),
/// in wall clock and in CPU time of the consuming thread (the machine is
/// shared). Runs only with `KPI_BENCH=1`:
/// `KPI_BENCH=1 swift test -c release --filter BackfillBenchmark`
/// (`KPI_BENCH_RECORDS=<n>` for fewer records, e.g. under a profiler).
@Suite struct BackfillBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["KPI_BENCH"] != nil
    static let recordCount = Int(ProcessInfo.processInfo.environment["KPI_BENCH_RECORDS"] ?? "") ?? 1_000_000
    static let partitions: Int32 = 64

    /// What `body` cost the calling thread: CPU and wall time in seconds,
    /// and minor page faults (fresh memory is expensive on this VM).
    static func measured(_ body: () throws -> Void) rethrows -> (cpu: Double, wall: Double, faults: Int) {
        func usage() -> (cpu: Double, faults: Int) {
            var ru = rusage()
            getrusage(__rusage_who_t(1), &ru)  // RUSAGE_THREAD
            let cpu = Double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + Double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6
            return (cpu, ru.ru_minflt)
        }
        let clock = ContinuousClock()
        let (u0, w0) = (usage(), clock.now)
        try body()
        let wall = clock.now - w0
        let u1 = usage()
        return (u1.cpu - u0.cpu, Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18, u1.faults - u0.faults)
    }

    /// librdkafka's default partitioner for a keyed record (`consistent_random`, as the producer uses).
    static func partition(of key: [UInt8]) -> Int32 {
        key.withUnsafeBytes { Int32(rd_kafka_msg_partitioner_consistent_random(nil, $0.baseAddress, $0.count, partitions, nil, nil)) }
    }

    /// Plain `rd_kafka_consumer_poll` over every input partition until `count` records.
    static func plainConsume(bootstrap: String, count: Int) {
        var errbuf = [CChar](repeating: 0, count: 512)
        let conf = rd_kafka_conf_new()
        for (k, v) in [("bootstrap.servers", bootstrap), ("group.id", "bench-plain"), ("enable.auto.commit", "false"),
                       ("queued.min.messages", "500000"), ("queued.max.messages.kbytes", "262144"), ("fetch.wait.max.ms", "100")] {
            rd_kafka_conf_set(conf, k, v, &errbuf, errbuf.count)
        }
        let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errbuf, errbuf.count)!
        rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(3 * partitions)!
        for t in TopicNames().inputs {
            for p in 0..<partitions { rd_kafka_topic_partition_list_add(list, t, p)!.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING) }
        }
        rd_kafka_assign(rk, list)
        rd_kafka_topic_partition_list_destroy(list)
        var seen = 0
        while seen < count {
            guard let m = rd_kafka_consumer_poll(rk, 100) else { continue }
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { seen += 1 }
            rd_kafka_message_destroy(m)
        }
        rd_kafka_consumer_close(rk)
        rd_kafka_destroy(rk)
    }

    @Test(.enabled(if: enabled)) func backfillAgainstPlainConsume() throws {
        let count = Self.recordCount
        let broker = try brokerWithTopics(partitions: Self.partitions)
        let bootstrap = broker.bootstrapServers
        let records = try onOwnThread(seconds: 900) {
            var g = ShopActivityGenerator(GeneratorOptions(seed: 7, shops: 200, rate: 100, duration: .seconds(Int64(count / 100)),
                                                           start: activityStart, dirty: false))
            let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
            var records: [GeneratedRecord] = []
            while let r = g.next() {
                try producer.send(topic: TopicNames().name(of: r.topic), key: r.key, value: r.value, timestampMillis: r.timestamp.millis)
                records.append(r)
                if records.count % 10_000 == 0 { producer.poll() }
            }
            try producer.flush(timeout: .seconds(120))
            return records
        }
        let rounds = Int(ProcessInfo.processInfo.environment["KPI_BENCH_ROUNDS"] ?? "") ?? 2
        for round in 0..<rounds {
            let plain = try onOwnThread(seconds: 900) {
                Thread.current.name = "plain-consume"
                return Self.measured { Self.plainConsume(bootstrap: bootstrap, count: count) }
            }
            let (backfill, consumed) = try onOwnThread(seconds: 900) {
                Thread.current.name = "backfill"  // for `perf report --comm backfill`
                let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
                let sink = DeadLetterSink(producer: nil, topic: TopicNames().deadLetter)
                var progress = ProgressLine(forceEnabled: false)
                var summary = BackfillSummary()
                let m = try Self.measured {
                    summary = try BackfillJob(configuration: KPIConfiguration(), from: nil, until: nil)
                        .run(consumer: consumer, deadLetters: sink, progress: &progress, emittedAt: { activityStart }).summary
                }
                try consumer.close()
                return (m, summary.consumed)
            }
            // The same records decoded and aggregated in memory, record by record (one state per partition, as in backfill).
            let inMemory = try onOwnThread(seconds: 900) {
                let decoder = EventDecoder()
                var states = try (0..<Self.partitions).map { try PartitionKPIState(partition: $0, configuration: KPIConfiguration(), coverageStart: nil) }
                return Self.measured {
                    for r in records {
                        guard let e = try? r.value.withUnsafeBytes({ try decoder.event(in: $0, topic: r.topic, recordTimestamp: r.timestamp) }) else { continue }
                        _ = states[Int(Self.partition(of: r.key))].ingest(e, recordTimestamp: r.timestamp)
                    }
                }
            }
            #expect(consumed == count)
            func ns(_ s: Double) -> Int { Int(s / Double(count) * 1e9) }
            print("BENCH backfill round \(round), \(count) records: plain consume wall \(ns(plain.wall)) ns/record (thread CPU \(ns(plain.cpu))); backfill wall \(ns(backfill.wall)) ns/record (thread CPU \(ns(backfill.cpu)), \(backfill.faults) page faults); backfill at \(Int(plain.wall / backfill.wall * 100))% of plain; in-memory decode + aggregate record by record thread CPU \(ns(inMemory.cpu)) ns/record (\(inMemory.faults) page faults)")
        }
    }
}
