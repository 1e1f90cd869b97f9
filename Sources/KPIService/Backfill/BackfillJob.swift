import Foundation
import KafkaClient
import KPICore

/// What a backfill produced: the final snapshot of every scope × window,
/// what it read, and the alert notifications raised on the way (per
/// partition in the order raised, partitions in order; none when they went
/// to `BackfillJob.alertSink`).
public struct BackfillResult: Sendable {
    public var snapshots: [KPISnapshot]
    public var summary: BackfillSummary
    public var alerts: [Alert]
}

/// What a backfill read and did, record for record:
/// `consumed == counted + duplicates + deadLettered`.
public struct BackfillSummary: Sendable, Equatable {
    public var consumed = 0
    public var counted = 0
    public var duplicates = 0
    public var deadLettered = 0
    public var deadLetteredByReason: [String: Int] = [:]
    public var partitions = 0
    public init() {}
}

/// `kpi-ingest backfill`: replays the input topics of every partition from a
/// time up to the end offsets taken at start (or a time), outside any
/// consumer group and without committing, and computes every window.
///
/// Deterministic: per partition, the three inputs are merged in event time
/// by an `InputAligner`, so neither fetch timing nor batch sizes change what
/// the KPI state sees; snapshots are taken once, at the end (revision 1 of
/// each scope × window), and sorted.
public struct BackfillJob {
    /// Windows, targets, alerts and scorecards as configured.
    public var service: ServiceConfiguration
    public var configuration: KPIConfiguration { service.kpi }
    public var topics: TopicNames
    /// First event time to replay (offsets for times); nil: from the first retained record.
    public var from: EventTime?
    /// Replay up to this time (offsets for times); nil: the end offsets taken at start.
    public var until: EventTime?
    /// Buffered events per input partition before that input is paused so
    /// the others catch up (`RecordPipeline.pauseAbove`).
    public var pauseAbove = 2048
    /// Buffered events a partition collects before they are released to its
    /// KPI state (all of them at the end): fewer, longer runs per partition
    /// keep its state in the CPU caches (`PartitionKPIState.preferredRunLength`).
    /// Changes nothing in the output, only the speed; 1 releases after every poll.
    public var runLength = PartitionKPIState.preferredRunLength
    /// Buffered events of all partitions together above which every
    /// partition's are released, whatever `runLength` says: bounds what
    /// collecting runs holds back when there are many partitions (an event
    /// and its record take ~0.55 KB here, so ~70 MB).
    public var heldBackLimit = 131_072
    /// Threads decoding and counting partitions side by side (`RecordPipeline.lanes`); 1: this thread alone.
    public var lanes = RecordPipeline.defaultLanes
    /// When the backfill took its end offsets: every record it reads was
    /// written before, so an event more than `futureSkew` past it is
    /// `future` (a producer's clock, not a time the broker or this process
    /// vouches for). nil: the wall clock when `run` starts.
    public var readTime: EventTime?

    /// Where the alert notifications go as the replay raises them: each
    /// partition's, in the order raised, whenever the partitions hold
    /// `alertsHeldLimit` together, and at the end (a month of 500 shops
    /// raises millions: they are not all held until the end). nil: all kept
    /// for the result's `alerts`.
    public var alertSink: ((_ partition: Int32, _ alerts: [Alert]) throws -> Void)?
    /// Notifications held by all partitions together before they go to `alertSink`.
    public var alertsHeldLimit = 65_536

    public init(service: ServiceConfiguration, from: EventTime?, until: EventTime?) {
        self.service = service
        self.topics = service.kafka.topics
        self.from = from
        self.until = until
    }

    /// A backfill of the KPIs alone (no targets, alerts or scorecards).
    public init(configuration: KPIConfiguration, topics: TopicNames = TopicNames(), from: EventTime?, until: EventTime?) {
        var service = ServiceConfiguration()
        service.kpi = configuration
        service.kafka.topics = topics
        self.init(service: service, from: from, until: until)
    }

    /// Runs the replay on the calling thread and returns the sorted final
    /// snapshots and the alert notifications in the order they were raised.
    public func run(consumer: KafkaConsumer, deadLetters: DeadLetterSink, stop: StopSignal = StopSignal(),
                    progress: inout ProgressLine, emittedAt: () -> EventTime) throws -> BackfillResult {
        let inputs = topics.inputs
        let counts = try consumer.partitionCounts(topics: inputs)
        let partitionCount = counts[inputs[0]]!
        guard counts.values.allSatisfy({ $0 == partitionCount }) else {
            throw ServiceError(.notCoPartitioned, "The input topics must be co-partitioned (same partition count, keyed by shop_id), but have \(inputs.map { "\($0): \(counts[$0]!)" }.joined(separator: ", "))")
        }
        var all: [TopicPartition] = []
        for t in inputs { for p in 0..<partitionCount { all.append(TopicPartition(t, p)) } }

        // Where to start and where to stop, per input partition: two requests
        // for every partition's offsets, one per time asked.
        let endsTakenAt = readTime ?? EventTime(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
        let watermarks = try consumer.watermarkOffsets(all)
        let lows = watermarks.mapValues(\.low)
        let starts: [TopicPartition: StartPosition] = try from.map {
            try consumer.startPositions(atOrAfter: $0.millis, lows: lows)
        } ?? lows.mapValues { .offset($0) }
        var ends = watermarks.mapValues(\.high)
        var stopTimes: [TopicPartition: Int64] = [:]
        if let until {
            for (tp, position) in try consumer.startPositions(atOrAfter: until.millis, lows: lows) {
                switch position {
                case .offset(let o): ends[tp] = min(ends[tp]!, o)
                case .firstAtOrAfter(let time, _): stopTimes[tp] = time
                }
            }
        }

        let pipeline = RecordPipeline(topics: topics, configuration: configuration, deadLetters: deadLetters)
        pipeline.runLength = runLength
        pipeline.heldBackLimit = heldBackLimit
        pipeline.lanes = max(1, lanes)
        pipeline.readTime = endsTakenAt
        pipeline.readTimeName = "the time the backfill took its end offsets"
        pipeline.pauseAbove = pauseAbove
        for p in 0..<partitionCount {
            let state = try PartitionKPIState(partition: p, configuration: configuration, coverageStart: from)
            pipeline.add(p, work: service.partitionWork(state: state, emits: false), shape: .runs)
        }
        var toAssign: [TopicPartition: Int64] = [:]
        var totalToRead: Int64 = 0
        for tp in all {
            let part = pipeline[tp.partition]!
            let input = topics.input(named: tp.topic)!
            // Where the input's data really starts: `from`, or its first retained record when retention cut it.
            part.setRange(input, from: starts[tp]!, to: ends[tp]!,
                          coverage: .of(start: starts[tp]!, low: lows[tp]!, from: from?.millis))
            part.cursors[Int(input.rawValue)].stopAtTime = stopTimes[tp]
            if !part.cursors[Int(input.rawValue)].finished {
                toAssign[tp] = starts[tp]!.readFrom
                totalToRead += ends[tp]! - starts[tp]!.readFrom
            }
        }
        var summary = BackfillSummary()
        summary.partitions = Int(partitionCount)
        var remaining = toAssign.count

        if !toAssign.isEmpty { try consumer.assign(toAssign) }
        while remaining > 0 && !stop.isRequested {
            try consumer.poll(maxRecords: 5000, timeout: .milliseconds(100)) { (batch: ConsumerBatch) throws in
                try pipeline.feed(batch)
            }
            try pipeline.release()
            if let alertSink, pipeline.held.reduce(0, { $0 + $1.work.raised.count }) >= alertsHeldLimit {
                for part in pipeline.held where !part.work.raised.isEmpty {
                    try alertSink(part.number, part.work.takeAlerts())
                }
            }
            // Keep an input from racing ahead of the others without bound.
            let (pause, resume) = pipeline.flowControl()
            if !pause.isEmpty { try consumer.pause(pause) }
            if !resume.isEmpty { try consumer.resume(resume) }
            remaining = 0
            for tp in toAssign.keys {
                let input = topics.input(named: tp.topic)!
                if let part = pipeline[tp.partition], !part.cursors[Int(input.rawValue)].finished { remaining += 1 }
            }
            progress.update("backfill: \(pipeline.tallies.consumed + pipeline.tallies.skipped) / \(totalToRead) records, \(deadLetters.total) dead-lettered")
        }
        if stop.isRequested { throw ServiceError(.interrupted, "Backfill interrupted after \(pipeline.tallies.consumed) of \(totalToRead) records; nothing written") }
        try pipeline.releaseAll()
        // Time moves without events: the input's end is the clock of partitions idle by then.
        if let end = until?.millis ?? pipeline.held.compactMap(\.work.state.lastRecordTime).max() {
            for part in pipeline.held { part.work.inputEnded(at: end) }
        }
        try deadLetters.flush()
        summary.consumed = pipeline.tallies.consumed
        summary.counted = pipeline.tallies.counted
        summary.duplicates = pipeline.tallies.duplicates
        summary.deadLettered = deadLetters.total
        summary.deadLetteredByReason = deadLetters.countsByReason

        let now = emittedAt()
        var snapshots: [KPISnapshot] = []
        var alerts: [Alert] = []
        for (part, final) in zip(pipeline.held, pipeline.finalSnapshots(emittedAt: now)) {
            snapshots.append(contentsOf: final)
            if let alertSink {
                try alertSink(part.number, part.work.takeAlerts())
            } else {
                alerts.append(contentsOf: part.work.takeAlerts())
            }
        }
        snapshots = KPISnapshot.inOutputOrder(snapshots)
        return BackfillResult(snapshots: snapshots, summary: summary, alerts: alerts)
    }
}
