import Benchmark
import CRdKafka
import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService

// The KPI pipeline on 1M realistic records from the generator (200 shops,
// ~2.8 h of activity at 100 events/s): decode only, aggregate only, decode +
// aggregate (in the backfill's shape, and record by record), and backfill
// end to end against the embedded broker, compared in the same run with a
// plain librdkafka consume loop over the same topics.
let recordCount = 1_000_000
// ~230 B per record, 60% of them page views, keyed by shop: 200 shops over
// 64 partitions keep every topic partition (~2-4 MiB of traffic) under the
// mock cluster's ~5 MiB per-partition retention. (With 20 shops, 20
// partitions would take all the data and the broker would drop the oldest.)
let partitions: Int32 = 64
/// Records per poll, as the backfill asks librdkafka for (`BackfillJob`).
let pollSize = 5_000
// 2026-11-20T00:00:00+08:00 (`date -u -d 2026-11-19T16:00:00Z +%s` = 1795104000).
let start = EventTime(millis: 1_795_104_000_000)

/// The generated records, in memory (made once per process).
final class Records: Sendable {
    let records: [GeneratedRecord]
    init() {
        var g = ShopActivityGenerator(GeneratorOptions(seed: 7, shops: 200, rate: 100, duration: .seconds(Int64(recordCount / 100)), start: start, dirty: false))
        var out: [GeneratedRecord] = []
        out.reserveCapacity(recordCount)
        while let r = g.next() { out.append(r) }
        records = out
    }
}

/// The same records decoded, for the aggregate-only benchmark.
final class DecodedRecords: Sendable {
    let events: [(ShopEvent, EventTime, Int)]
    init(_ r: Records) {
        let d = EventDecoder()
        events = r.records.compactMap { rec in
            (try? d.decode(rec.value, topic: rec.topic, recordTimestamp: rec.timestamp).get()).map { ($0, rec.timestamp, Int(partitionOf(rec.key))) }
        }
    }
}

/// An embedded broker holding the records in the three input topics.
final class LoadedBroker: Sendable {
    let broker: EmbeddedBroker
    init(_ r: Records) {
        broker = try! EmbeddedBroker()
        let topics = TopicNames()
        for t in topics.inputs { try! broker.createTopic(t, partitions: partitions) }
        try! broker.createTopic(topics.deadLetter, partitions: 1)
        let producer = try! KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        for (i, rec) in r.records.enumerated() {
            try! producer.send(topic: topics.name(of: rec.topic), key: rec.key, value: rec.value, timestampMillis: rec.timestamp.millis)
            if i % 10_000 == 0 { producer.poll() }
        }
        try! producer.flush(timeout: .seconds(120))
    }
}

nonisolated(unsafe) var records: Records?
nonisolated(unsafe) var decoded: DecodedRecords?
nonisolated(unsafe) var loaded: LoadedBroker?

func partitionOf(_ key: [UInt8]) -> Int32 {
    // Any stable spread is fine for in-memory benchmarks: one state per partition.
    var h: UInt32 = 2_166_136_261
    for b in key { h = (h ^ UInt32(b)) &* 16_777_619 }
    return Int32(h % UInt32(partitions))
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

    Benchmark("Decode only (1M records)", configuration: .init(setup: { if records == nil { records = Records() } })) { benchmark in
        let r = records!.records
        let decoder = EventDecoder()
        var ok = 0
        benchmark.startMeasurement()
        for rec in r {
            if (try? rec.value.withUnsafeBytes({ try decoder.event(in: $0, topic: rec.topic, recordTimestamp: rec.timestamp) })) != nil { ok += 1 }
        }
        benchmark.stopMeasurement()
        blackHole(ok)
    }

    Benchmark("Aggregate only (1M decoded events)", configuration: .init(setup: {
        if records == nil { records = Records() }
        if decoded == nil { decoded = DecodedRecords(records!) }
    })) { benchmark in
        let events = decoded!.events
        var states = (0..<partitions).map { try! PartitionKPIState(partition: $0, configuration: KPIConfiguration(), coverageStart: nil) }
        var counted = 0
        benchmark.startMeasurement()
        for (e, ts, p) in events {
            if states[p].ingest(e, recordTimestamp: ts) == .counted { counted += 1 }
        }
        benchmark.stopMeasurement()
        blackHole(counted)
    }

    // In the backfill's shape: records come in polls; a partition's events
    // are ingested in order once it holds `PartitionKPIState.preferredRunLength`
    // of them, each announced `PartitionKPIState.prefetchDistance` events
    // ahead (as the backfill's InputAligner releases them).
    Benchmark("Decode + aggregate (1M records)", configuration: .init(setup: { if records == nil { records = Records() } })) { benchmark in
        let r = records!.records
        let decoder = EventDecoder()
        var states = (0..<partitions).map { try! PartitionKPIState(partition: $0, configuration: KPIConfiguration(), coverageStart: nil) }
        var runs = [[(event: ShopEvent, timestamp: EventTime)]](repeating: [], count: Int(partitions))
        var counted = 0
        benchmark.startMeasurement()
        var next = 0
        while next < r.count {
            let end = min(next + pollSize, r.count)
            for rec in r[next..<end] {
                guard let e = try? rec.value.withUnsafeBytes({ try decoder.event(in: $0, topic: rec.topic, recordTimestamp: rec.timestamp) }) else { continue }
                runs[Int(partitionOf(rec.key))].append((e, rec.timestamp))
            }
            next = end
            // A partition's run once it is long enough, every run at the end.
            let minimum = next == r.count ? 1 : PartitionKPIState.preferredRunLength
            for p in runs.indices where runs[p].count >= minimum {
                // Through a buffer pointer: events are borrowed, not copied out (as the aligner hands them over).
                runs[p].withUnsafeBufferPointer { run in
                    let ahead = PartitionKPIState.prefetchDistance
                    for j in run.indices {
                        if j + ahead < run.count { states[p].prefetch(run[j + ahead].event) }
                        if states[p].ingest(run[j].event, recordTimestamp: run[j].timestamp) == .counted { counted += 1 }
                    }
                }
                runs[p].removeAll(keepingCapacity: true)
            }
        }
        benchmark.stopMeasurement()
        blackHole(counted)
    }

    // Record by record in generation order, each to its partition's state,
    // nothing announced: the cache-unfriendliest order.
    Benchmark("Decode + aggregate, record by record (1M records)", configuration: .init(setup: { if records == nil { records = Records() } })) { benchmark in
        let r = records!.records
        let decoder = EventDecoder()
        var states = (0..<partitions).map { try! PartitionKPIState(partition: $0, configuration: KPIConfiguration(), coverageStart: nil) }
        var counted = 0
        benchmark.startMeasurement()
        for rec in r {
            guard let e = try? rec.value.withUnsafeBytes({ try decoder.event(in: $0, topic: rec.topic, recordTimestamp: rec.timestamp) }) else { continue }
            let p = Int(partitionOf(rec.key))
            if states[p].ingest(e, recordTimestamp: rec.timestamp) == .counted { counted += 1 }
        }
        benchmark.stopMeasurement()
        blackHole(counted)
    }

    Benchmark("Plain librdkafka consume of the input topics (1M records)", configuration: .init(setup: {
        if records == nil { records = Records() }
        if loaded == nil { loaded = LoadedBroker(records!) }
    })) { benchmark in
        let bootstrap = loaded!.broker.bootstrapServers
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
        let deadline = ContinuousClock.now + .seconds(300)
        benchmark.startMeasurement()
        while seen < recordCount {
            guard let m = rd_kafka_consumer_poll(rk, 100) else {
                precondition(ContinuousClock.now < deadline, "plain consume saw \(seen) of \(recordCount) records: the broker lost some")
                continue
            }
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { seen += 1 }
            rd_kafka_message_destroy(m)
        }
        benchmark.stopMeasurement()
        rd_kafka_consumer_close(rk)
        rd_kafka_destroy(rk)
    }

    Benchmark("Backfill end to end (1M records)", configuration: .init(setup: {
        if records == nil { records = Records() }
        if loaded == nil { loaded = LoadedBroker(records!) }
    })) { benchmark in
        let bootstrap = loaded!.broker.bootstrapServers
        let consumer = try! KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
        let sink = DeadLetterSink(producer: nil, topic: "kpi.deadletter")
        var progress = ProgressLine(forceEnabled: false)
        benchmark.startMeasurement()
        let result = try! BackfillJob(configuration: KPIConfiguration(), from: nil, until: nil)
            .run(consumer: consumer, deadLetters: sink, progress: &progress, emittedAt: { start })
        let (snapshots, summary) = (result.snapshots, result.summary)
        benchmark.stopMeasurement()
        precondition(summary.consumed == recordCount, "backfill read \(summary.consumed) of \(recordCount)")
        blackHole(snapshots.count)
        try! consumer.close()
    }
}

