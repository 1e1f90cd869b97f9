import EventGenerator
import Foundation
import KPICore
import Testing

/// The KPI engine's ingest path on realistic records from `ShopActivityGenerator`
/// (the mix the service sees: ~60% page views, ~20% chats, ~10% orders, ~10% ads),
/// measured in thread CPU time (the machine is shared). Runs only with
/// `KPI_BENCH=1`: `KPI_BENCH=1 swift test -c release --filter EngineIngestBenchmark`.
///
/// With `KPI_BENCH_OUT=<dir>` it also writes the complete snapshot output
/// (periodic drains, then a final drain far past the data) of a multi-day
/// dirty run, so that two builds can be compared byte for byte (`cmp`).
@Suite struct EngineIngestBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["KPI_BENCH"] != nil
    static let outputDirectory = ProcessInfo.processInfo.environment["KPI_BENCH_OUT"]
    static let partitions = 32

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func records(_ options: GeneratorOptions) -> [GeneratedRecord] {
        var g = ShopActivityGenerator(options)
        var out: [GeneratedRecord] = []
        while let r = g.next() { out.append(r) }
        return out
    }

    /// The record's partition among `count` (any stable spread of the keys will do).
    static func partition(of key: [UInt8], among count: Int = partitions) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in key { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h % UInt32(count))
    }

    static func decoded(_ records: [GeneratedRecord]) -> [(event: ShopEvent, timestamp: EventTime, partition: Int)] {
        let d = EventDecoder()
        return records.compactMap { r in
            (try? d.decode(r.value, topic: r.topic, recordTimestamp: r.timestamp).get()).map { ($0, r.timestamp, partition(of: r.key)) }
        }
    }

    static func states() -> [PartitionKPIState] {
        (0..<partitions).map { try! PartitionKPIState(partition: Int32($0), configuration: KPIConfiguration(), coverageStart: nil) }
    }

    /// 1M records as in Benchmarks/KPIPipeline: 20 shops, ~14 h at 20 records/s.
    @Test(.enabled(if: enabled)) func aggregateAndDecodeThroughput() {
        let count = 1_000_000
        let recs = Self.records(GeneratorOptions(seed: 7, shops: 20, rate: 20, duration: .seconds(Int64(count / 20)),
                                                 start: activityStart, dirty: false))
        let events = Self.decoded(recs)
        let rounds = Int(ProcessInfo.processInfo.environment["KPI_BENCH_ROUNDS"] ?? "") ?? 3
        for round in 0..<rounds {
            var states = Self.states()
            var counted = 0
            let before = Self.threadCPUSeconds()
            for (e, ts, p) in events where states[p].ingest(e, recordTimestamp: ts) == .counted { counted += 1 }
            let cpu = Self.threadCPUSeconds() - before
            print("BENCH generator mix, aggregate only, round \(round): \(events.count) events, thread CPU \(cpu) s = \(Int(Double(events.count) / cpu)) events/s = \(cpu / Double(events.count) * 1e6) µs/event (\(counted) counted)")
        }
        guard rounds > 1 else { return }
        let decoder = EventDecoder()
        var states = Self.states()
        var counted = 0
        let before = Self.threadCPUSeconds()
        for r in recs {
            guard let e = try? r.value.withUnsafeBytes({ try decoder.event(in: $0, topic: r.topic, recordTimestamp: r.timestamp) }) else { continue }
            if states[Self.partition(of: r.key)].ingest(e, recordTimestamp: r.timestamp) == .counted { counted += 1 }
        }
        let cpu = Self.threadCPUSeconds() - before
        print("BENCH generator mix, decode + aggregate: \(recs.count) records, thread CPU \(cpu) s = \(Int(Double(recs.count) / cpu)) records/s (\(counted) counted)")
    }

    /// Decode + aggregate in the shape of Benchmarks/KPIPipeline (200 shops,
    /// 1M records at 100/s, 64 partitions, fresh state per round, so the
    /// state's first-touch page faults count), by thread CPU time:
    /// `KPI_BENCH=1 swift test -c release --filter pipelineShapeThroughput`.
    /// Records come in polls of 5,000; a partition's events are ingested in
    /// order once it holds `PartitionKPIState.preferredRunLength` of them
    /// (`KPI_BENCH_RUN=<n>` for another length; 1: after every poll), each
    /// announced `PartitionKPIState.prefetchDistance` events ahead, as the
    /// backfill does (`KPI_BENCH_SHAPE=interleaved`: record by record
    /// instead, each to its partition, nothing announced).
    @Test(.enabled(if: enabled)) func pipelineShapeThroughput() {
        let count = 1_000_000, partitions = 64, pollSize = 5_000
        let recs = Self.records(GeneratorOptions(seed: 7, shops: 200, rate: 100, duration: .seconds(Int64(count / 100)),
                                                 start: activityStart, dirty: false))
        let rounds = Int(ProcessInfo.processInfo.environment["KPI_BENCH_ROUNDS"] ?? "") ?? 3
        let interleaved = ProcessInfo.processInfo.environment["KPI_BENCH_SHAPE"] == "interleaved"
        let runLength = Int(ProcessInfo.processInfo.environment["KPI_BENCH_RUN"] ?? "") ?? PartitionKPIState.preferredRunLength
        let decoder = EventDecoder()
        for round in 0..<rounds {
            var states = (0..<partitions).map {
                try! PartitionKPIState(partition: Int32($0), configuration: KPIConfiguration(), coverageStart: nil)
            }
            var runs = [[(event: ShopEvent, timestamp: EventTime)]](repeating: [], count: partitions)
            var counted = 0
            let before = Self.threadCPUSeconds()
            var next = 0
            while next < recs.count {
                let end = interleaved ? recs.count : min(next + pollSize, recs.count)
                for r in recs[next..<end] {
                    guard let e = try? r.value.withUnsafeBytes({ try decoder.event(in: $0, topic: r.topic, recordTimestamp: r.timestamp) }) else { continue }
                    let p = Self.partition(of: r.key, among: partitions)
                    if interleaved {
                        if states[p].ingest(e, recordTimestamp: r.timestamp) == .counted { counted += 1 }
                    } else {
                        runs[p].append((e, r.timestamp))
                    }
                }
                next = end
                // A partition's run once it is long enough, every run at the end.
                let minimum = next == recs.count ? 1 : runLength
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
            let cpu = Self.threadCPUSeconds() - before
            print("BENCH pipeline shape (200 shops, 64 partitions\(interleaved ? ", interleaved" : "")), decode + aggregate, round \(round): \(recs.count) records, thread CPU \(cpu) s = \(Int(Double(recs.count) / cpu)) records/s = \(Int(cpu / Double(recs.count) * 1e9)) ns/record (\(counted) counted)")
        }
    }

    /// Decode only, on the records of `pipelineShapeThroughput`, by thread CPU
    /// time: `KPI_BENCH=1 swift test -c release --filter decodeOnlyThroughput`.
    @Test(.enabled(if: enabled)) func decodeOnlyThroughput() {
        let count = 1_000_000
        let recs = Self.records(GeneratorOptions(seed: 7, shops: 200, rate: 100, duration: .seconds(Int64(count / 100)),
                                                 start: activityStart, dirty: false))
        let rounds = Int(ProcessInfo.processInfo.environment["KPI_BENCH_ROUNDS"] ?? "") ?? 3
        let decoder = EventDecoder()
        for round in 0..<rounds {
            var decoded = 0
            let before = Self.threadCPUSeconds()
            for r in recs {
                if (try? r.value.withUnsafeBytes({ try decoder.event(in: $0, topic: r.topic, recordTimestamp: r.timestamp) })) != nil {
                    decoded += 1
                }
            }
            let cpu = Self.threadCPUSeconds() - before
            print("BENCH decode only, round \(round): \(recs.count) records, thread CPU \(cpu) s = \(Int(Double(recs.count) / cpu)) records/s = \(Int(cpu / Double(recs.count) * 1e9)) ns/record (\(decoded) decoded)")
        }
    }

    /// Dirty records over ~4 days (late, duplicate, out-of-order records;
    /// window eviction; pending turns), drained every 20,000 events: the whole
    /// output, for a byte comparison between builds.
    @Test(.enabled(if: enabled && outputDirectory != nil)) func outputForComparison() throws {
        let recs = Self.records(GeneratorOptions(seed: 11, shops: 12, rate: 1, duration: .hours(100), start: activityStart, dirty: true))
        let events = Self.decoded(recs)
        var states = Self.states()
        let zone = try ZoneRules(identifier: "Asia/Shanghai")
        var bytes: [UInt8] = []
        var outcomes = [Int](repeating: 0, count: 4)
        func drain(_ at: EventTime) {
            for p in states.indices {
                for s in states[p].drainChanged(emittedAt: at) {
                    SnapshotJSON.append(s, fractionDigits: 2, zone: zone, to: &bytes); bytes.append(10)
                }
            }
        }
        for (i, (e, ts, p)) in events.enumerated() {
            outcomes[Int(states[p].ingest(e, recordTimestamp: ts).rawValue)] += 1
            if i % 20_000 == 19_999 { drain(ts) }
        }
        drain(activityStart + .days(5))
        for p in states.indices { states[p].advanceWatermark(to: activityStart + .days(200)) }
        drain(activityStart + .days(200))
        let path = "\(Self.outputDirectory!)/engine-output.jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        print("BENCH output of \(events.count) events (outcomes \(outcomes)): \(bytes.count) bytes, StableHash \(bytes.withUnsafeBytes { StableHash.hash(bytes: $0) }) -> \(path)")
    }
}
