import KafkaClient
import KPICore

/// What a backfill produced: the final snapshot of every scope × window,
/// what it read, and the alert notifications raised on the way (per
/// partition in the order raised, partitions in order).
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
    /// the others catch up (bounds memory when one topic runs far ahead).
    public var pauseAbove = 200_000
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

        // Where to start and where to stop, per input partition.
        var start: [TopicPartition: Int64] = [:]
        var end: [TopicPartition: Int64] = [:]
        for tp in all { end[tp] = try consumer.watermarkOffsets(tp).high }
        if let from {
            start = try consumer.offsetsForTimes(Dictionary(uniqueKeysWithValues: all.map { ($0, from.millis) }))
        } else {
            for tp in all { start[tp] = try consumer.watermarkOffsets(tp).low }
        }
        if let until {
            let u = try consumer.offsetsForTimes(Dictionary(uniqueKeysWithValues: all.map { ($0, until.millis) }))
            for tp in all { end[tp] = min(end[tp]!, u[tp]!) }
        }

        var works: [PartitionWork] = []
        var aligners: [InputAligner] = Array(repeating: InputAligner(pool: ChunkPool()), count: Int(partitionCount))
        for p in 0..<partitionCount {
            works.append(service.partitionWork(state: try PartitionKPIState(partition: p, configuration: configuration, coverageStart: from)))
        }
        let now = emittedAt()
        var remaining = 0
        var toAssign: [TopicPartition: Int64] = [:]
        for tp in all {
            if start[tp]! < end[tp]! {
                toAssign[tp] = start[tp]!
                remaining += 1
            } else {
                aligners[Int(tp.partition)].settled[Int(topics.input(named: tp.topic)!.rawValue)] = true
            }
        }
        let decoder = EventDecoder(fractionDigits: configuration.fractionDigits)
        var summary = BackfillSummary()
        summary.partitions = Int(partitionCount)
        var paused: Set<TopicPartition> = []
        // Per input partition, at `input × partitionCount + partition` (flat
        // arrays: the per-record checks below are on the hot path, where
        // `TopicPartition` keys cost a string hash each).
        let slots = Int(partitionCount)
        var stopAt = [Int64](repeating: 0, count: 3 * slots)
        var finished = [Bool](repeating: false, count: 3 * slots)
        for tp in all { stopAt[Int(topics.input(named: tp.topic)!.rawValue) * slots + Int(tp.partition)] = end[tp]! }
        // The input of the previous record's topic (records come in runs of one topic).
        var lastTopic = "", lastInput = InputTopic.orders
        let totalToRead = all.reduce(Int64(0)) { $0 + max(0, end[$1]! - start[$1]!) }

        /// Feeds released events of one partition to its KPI state.
        func drain(_ p: Int) throws {
            try aligners[p].release(upcoming: { works[p].prefetch($0) }) { pending, input, arena in
                switch works[p].ingest(pending.event, recordTimestamp: pending.recordTimestamp, emittedAt: { now }) {
                case .counted: summary.counted += 1
                case .duplicate: summary.duplicates += 1
                case let outcome:
                    let (reason, detail) = Self.rejection(outcome, pending, works[p].state, configuration)
                    try deadLetters.reject(
                        sourceTopic: topics.name(of: input), partition: Int32(p), offset: pending.offset,
                        key: pending.key.map { Array(arena[$0]) }, value: Array(arena[pending.value]),
                        timestampMillis: pending.recordTimestamp?.millis, reason: reason.code, detail: detail)
                }
            }
        }

        if !toAssign.isEmpty { try consumer.assign(toAssign) }
        var touched = [Bool](repeating: false, count: slots)
        var touchedList: [Int] = []
        while remaining > 0 && !stop.isRequested {
            try consumer.poll(maxRecords: 5000, timeout: .milliseconds(100)) { (batch: ConsumerBatch) throws in
                for i in 0..<batch.count {
                    let r = batch[i]
                    if r.topic != lastTopic {
                        guard let input = topics.input(named: r.topic) else { continue }
                        (lastTopic, lastInput) = (r.topic, input)
                    }
                    let input = lastInput
                    let p = Int(r.partition)
                    guard p >= 0 && p < slots else { continue }
                    let slot = Int(input.rawValue) * slots + p
                    guard r.offset < stopAt[slot], !finished[slot] else { continue }
                    summary.consumed += 1
                    let recordTime = r.timestampMillis.map(EventTime.init(millis:))
                    if let value = r.value {
                        do throws(EventRejection) {
                            let event = try decoder.event(in: value, topic: input, recordTimestamp: recordTime)
                            aligners[p].append(event, from: input, recordTimestamp: recordTime, offset: r.offset, key: r.key, value: value)
                        } catch {
                            try deadLetters.reject(sourceTopic: r.topic, partition: r.partition, offset: r.offset, key: r.key.map { Array($0) }, value: Array(value), timestampMillis: r.timestampMillis, reason: error.reason.code, detail: error.detail)
                        }
                    } else {
                        try deadLetters.reject(sourceTopic: r.topic, partition: r.partition, offset: r.offset, key: r.key.map { Array($0) }, value: nil, timestampMillis: r.timestampMillis, reason: RejectReason.malformedJSON.code, detail: "null payload")
                    }
                    if r.offset + 1 >= stopAt[slot] {
                        finished[slot] = true
                        remaining -= 1
                        aligners[p].settled[Int(input.rawValue)] = true
                    }
                    if !touched[p] { touched[p] = true; touchedList.append(p) }
                }
            }
            touchedList.sort()
            var held = 0
            for p in aligners.indices { held += aligners[p].buffered }
            for p in touchedList { touched[p] = false }
            if held > heldBackLimit {
                for p in aligners.indices where aligners[p].buffered > 0 { try drain(p) }
            } else {
                for p in touchedList where aligners[p].buffered >= runLength { try drain(p) }
            }
            touchedList.removeAll(keepingCapacity: true)
            // Keep a running input from racing ahead of the others without bound.
            for tp in toAssign.keys where !finished[Int(topics.input(named: tp.topic)!.rawValue) * slots + Int(tp.partition)] {
                let n = aligners[Int(tp.partition)].buffered(topics.input(named: tp.topic)!)
                if n > pauseAbove && !paused.contains(tp) {
                    try consumer.pause([tp]); paused.insert(tp)
                } else if n < pauseAbove / 4 && paused.contains(tp) {
                    try consumer.resume([tp]); paused.remove(tp)
                }
            }
            progress.update("backfill: \(summary.consumed) / \(totalToRead) records, \(summary.deadLettered + deadLetters.total) dead-lettered")
        }
        if stop.isRequested { throw ServiceError(.interrupted, "Backfill interrupted after \(summary.consumed) of \(totalToRead) records; nothing written") }
        for p in 0..<Int(partitionCount) { try drain(p) }
        try deadLetters.flush()
        summary.deadLettered = deadLetters.total
        summary.deadLetteredByReason = deadLetters.countsByReason

        var snapshots: [KPISnapshot] = []
        var alerts: [Alert] = []
        for p in 0..<Int(partitionCount) {
            snapshots.append(contentsOf: works[p].takeSnapshots(emittedAt: now))
            alerts.append(contentsOf: works[p].takeAlerts())
        }
        snapshots.sort(by: KPISnapshot.outputOrder)
        return BackfillResult(snapshots: snapshots, summary: summary, alerts: alerts)
    }
}

extension BackfillJob {
    /// The dead-letter reason and text for an event the KPI state refused.
    static func rejection(_ outcome: IngestOutcome, _ pending: PendingEvent, _ state: PartitionKPIState, _ configuration: KPIConfiguration) -> (RejectReason, String) {
        let zone = configuration.timeZoneID
        func text(_ t: EventTime) -> String { CivilTime.rfc3339(t, utcOffsetSeconds: 0, milliseconds: true) }
        if outcome == .future {
            let record = pending.recordTimestamp.map(text) ?? "none"
            return (.future, "event time \(text(pending.event.time)) is more than \(configuration.futureSkew.millis / 1000) s ahead of its record timestamp \(record)")
        }
        let watermark = state.watermark.map(text) ?? "none"
        return (.late, "event time \(text(pending.event.time)) falls in a day (\(zone)) no longer retained at watermark \(watermark)")
    }
}
