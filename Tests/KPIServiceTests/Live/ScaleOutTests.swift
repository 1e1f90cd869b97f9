import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Synchronization
import Testing

/// Snapshots gathered from several ingesters: the latest per key wins, as
/// on the compacted `kpi.snapshots` topic.
final class SnapshotBoard: Sendable {
    private let latest = Mutex<[String: KPISnapshot]>([:])
    private let owners = Mutex<[Int: Set<Int32>]>([:])
    private let live = Mutex<[Int: Set<Int32>]>([:])
    private let restores = Mutex<[(instance: Int, partition: Int32, source: RestoreSource)]>([])

    func hooks(instance: Int) -> IngestHooks {
        var h = IngestHooks()
        h.snapshots = { [self] snaps in
            latest.withLock { for s in snaps { $0["\(s.scope.type.name)|\(s.scope.shopID)|\(s.scope.id ?? "")|\(s.window.type.name)|\(s.window.id)"] = s } }
        }
        h.assignment = { [self] restoring, liveOnes in
            owners.withLock { $0[instance] = restoring.union(liveOnes) }
            live.withLock { $0[instance] = liveOnes }
        }
        h.restoreStarted = { [self] p, source in restores.withLock { $0.append((instance, p, source)) } }
        return h
    }

    var snapshots: [String: KPISnapshot] { latest.withLock { $0 } }
    func partitions(of instance: Int) -> Set<Int32> { owners.withLock { $0[instance] ?? [] } }
    /// The partitions an instance has restored and reads live.
    func livePartitions(of instance: Int) -> Set<Int32> { live.withLock { $0[instance] ?? [] } }
    /// Every restore started so far, in order.
    var restoreLog: [(instance: Int, partition: Int32, source: RestoreSource)] { restores.withLock { $0 } }
}

@Suite("Live ingestion: scale-out")
struct ScaleOutTests {
    @Test func threeInstancesOneStoppedMidStreamEqualOneInstance() throws {
        let broker = try brokerWithTopics(partitions: 6)
        let bootstrap = broker.bootstrapServers
        // Two halves of one deterministic stream: the second is written after an instance stopped.
        var generator = ShopActivityGenerator(GeneratorOptions(seed: 11, shops: 12, rate: 6, duration: .hours(2), start: activityStart, dirty: true))
        var records: [GeneratedRecord] = []
        while let r = generator.next() { records.append(r) }
        let half = records.count / 2
        @Sendable func produce(_ slice: ArraySlice<GeneratedRecord>) throws {
            let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
            for r in slice { try producer.send(topic: TopicNames().name(of: r.topic), key: r.key, value: r.value, timestampMillis: r.timestamp.millis) }
            try producer.flush()
        }
        let firstHalf = records[..<half]
        try onOwnThread { try produce(firstHalf) }

        let board = SnapshotBoard()
        let stops = (0..<3).map { _ in StopSignal() }
        var threads: [BackgroundRun<Void>] = []
        for i in 0..<3 {
            var s = IngesterSettings(kafka: KafkaConfiguration(bootstrapServers: bootstrap, properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "300"]))
            s.groupID = "scale-out"
            s.emitInterval = .milliseconds(200)
            s.publishSnapshots = false
            let hooks = board.hooks(instance: i)
            let stop = stops[i]
            let settings = s
            threads.append(BackgroundRun { try LiveIngester(settings: settings, hooks: hooks).run(stop: stop) })
        }
        // All 6 partitions shared among the 3 instances, each restored and
        // live (only then is every restore of the first assignment logged).
        #expect(waitFor(seconds: 60) {
            (0..<3).allSatisfy { !board.partitions(of: $0).isEmpty && board.livePartitions(of: $0) == board.partitions(of: $0) }
                && (0..<3).reduce(0) { $0 + board.livePartitions(of: $1).count } == 6
        })

        // Stop one mid-stream; the others take over its partitions, resuming
        // from the checkpoints it wrote when they were revoked.
        let stoppedOwned = board.partitions(of: 0)
        let restoresBefore = board.restoreLog.count
        stops[0].request()
        try threads[0].join()
        let secondHalf = records[half...]
        try onOwnThread { try produce(secondHalf) }
        #expect(waitFor(seconds: 60) { board.partitions(of: 1).union(board.partitions(of: 2)) == Set(0..<6) })
        #expect(try waitUntilGroupCaughtUp(group: "scale-out", bootstrap: bootstrap, partitions: 6))
        let takenOver = board.restoreLog.dropFirst(restoresBefore).filter { stoppedOwned.contains($0.partition) }
        #expect(Set(takenOver.map(\.partition)) == stoppedOwned)
        #expect(takenOver.allSatisfy { $0.instance != 0 && $0.source == .checkpoint }, "\(takenOver)")
        let expected = try onOwnThread { () throws -> [KPISnapshot] in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            var progress = ProgressLine(forceEnabled: false)
            let snaps = try BackfillJob(configuration: KPIConfiguration(), from: activityStart - .days(60), until: nil)
                .run(consumer: consumer, deadLetters: DeadLetterSink(producer: nil, topic: "unused"), progress: &progress, emittedAt: { activityStart }).snapshots
            try consumer.close()
            return snaps
        }
        var caughtUp = false
        for _ in 0..<20 where !caughtUp {
            let got = board.snapshots
            caughtUp = expected.allSatisfy { e in
                got["\(e.scope.type.name)|\(e.scope.shopID)|\(e.scope.id ?? "")|\(e.window.type.name)|\(e.window.id)"].map { same($0, e) } ?? false
            }
            if !caughtUp { Thread.sleep(forTimeInterval: 0.5) }
        }
        stops[1].request(); stops[2].request()
        try threads[1].join(); try threads[2].join()
        // The union of what the instances emitted equals what one computes alone.
        #expect(caughtUp)
        if !caughtUp {
            let got = board.snapshots
            let zone = try ZoneRules(identifier: "Asia/Shanghai")
            var shown = 0
            for e in expected {
                let k = "\(e.scope.type.name)|\(e.scope.shopID)|\(e.scope.id ?? "")|\(e.window.type.name)|\(e.window.id)"
                guard let g = got[k] else { Issue.record("missing \(k)"); continue }
                if !same(g, e), shown < 2 {
                    shown += 1
                    Issue.record("instances: \(String(decoding: SnapshotJSON.encode(g, fractionDigits: 2, zone: zone), as: UTF8.self))\nbackfill: \(String(decoding: SnapshotJSON.encode(e, fractionDigits: 2, zone: zone), as: UTF8.self))")
                }
            }
        }
        #expect(board.snapshots.count == expected.count)
    }
}

/// The same figures for the same window. A rolling window ends at the
/// watermark and starts its length before that (on the hour), and a snapshot
/// is re-emitted only when its figures change, so a live instance's last
/// emission may carry an earlier `end`, and so an earlier `start`, than a
/// backfill's single final drain: a rolling window's bounds are not compared.
func same(_ a: KPISnapshot, _ b: KPISnapshot) -> Bool {
    let rolling: Set<WindowType> = [.rolling24h, .rolling7d, .rolling30d]
    let windowsMatch = rolling.contains(a.window.type)
        ? (a.window.type, a.window.id, a.window.closed) == (b.window.type, b.window.id, b.window.closed)
        : a.window == b.window
    return windowsMatch && a.metrics == b.metrics && a.final == b.final && a.complete == b.complete
}

func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return condition()
}
