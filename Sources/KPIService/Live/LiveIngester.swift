import Foundation
import KafkaClient
import KPICore

/// Settings of the live ingester (from the service configuration).
public struct IngesterSettings: Sendable {
    public var kafka: KafkaConfiguration
    public var groupID: String = "kpi-ingest"
    public var topics = TopicNames()
    public var kpi = KPIConfiguration()
    /// Each changed scope × window is emitted at most once per interval.
    public var emitInterval: Duration = .seconds(1)
    /// Each partition's state is checkpointed to `topics.state` this often (and on revoke and shutdown).
    public var checkpointInterval: Duration = .seconds(60)
    /// Resume an assigned partition from its latest checkpoint (then replay
    /// from the checkpoint's offsets) instead of replaying from the oldest
    /// retained window. A checkpoint that cannot be read, or was written
    /// under another configuration, falls back to the full replay.
    public var restoreFromCheckpoints = true
    /// Write snapshots to `topics.snapshots` and alerts to `topics.alerts` (false: only to the hooks).
    public var publishSnapshots = true
    /// Targets, alerts, receivers, scorecards and stages (its `kpi` and topics are taken from the fields above).
    public var appraisal = ServiceConfiguration()

    public init(kafka: KafkaConfiguration) { self.kafka = kafka }

    /// Everything from the service configuration.
    public init(service: ServiceConfiguration) {
        kafka = service.kafka.clientConfiguration
        groupID = service.kafka.groupID
        topics = service.kafka.topics
        kpi = service.kpi
        emitInterval = .milliseconds(service.output.snapshotEmitInterval.millis)
        checkpointInterval = .milliseconds(service.output.checkpointInterval.millis)
        appraisal = service
    }
}

/// The production consumer (`kpi-ingest run`): joins the consumer group,
/// restores each assigned partition by replaying its inputs from the start
/// of the oldest retained window, then consumes live, emitting changed
/// snapshots at most once per emit interval. Runs on the calling thread
/// until `stop`; then flushes, commits, and leaves the group.
///
/// All consumer calls, the rebalance callbacks included, happen on that one
/// thread, in sequence (librdkafka 2.0.2, see the Kafka layer).
public final class LiveIngester {
    let settings: IngesterSettings
    let hooks: IngestHooks
    let clock: () -> EventTime
    private var partitions: [Int32: LivePartition] = [:]
    private let decoder: EventDecoder
    private var consumer: KafkaConsumer!
    private let producer: KafkaProducer
    private let deadLetters: DeadLetterSink
    private let zone: ZoneRules
    private let appraisal: ServiceConfiguration
    private var outbox: AlertOutbox?
    private var checkpoints: CheckpointStore?
    private var lastCheckpoint = ContinuousClock.now
    /// Consumed, counted and duplicate records since start (dead letters are counted by the sink).
    private var tallies = BackfillSummary()

    /// Totals since start, for the summary and tests.
    public var summary: BackfillSummary {
        var s = tallies
        s.deadLettered = deadLetters.total
        s.deadLetteredByReason = deadLetters.countsByReason
        return s
    }
    private var lastEmit = ContinuousClock.now

    /// `clock`: the wall clock for `emitted_at` and the restore horizon (injected for tests).
    public init(settings: IngesterSettings, hooks: IngestHooks = IngestHooks(), clock: @escaping () -> EventTime = { EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000)) }) throws {
        self.settings = settings
        self.hooks = hooks
        self.clock = clock
        try settings.kpi.validate()
        zone = try ZoneRules(identifier: settings.kpi.timeZoneID)
        decoder = EventDecoder(fractionDigits: settings.kpi.fractionDigits)
        var a = settings.appraisal
        a.kpi = settings.kpi
        a.kafka.topics = settings.topics
        appraisal = a
        producer = try KafkaProducer(configuration: settings.kafka)
        deadLetters = DeadLetterSink(producer: producer, topic: settings.topics.deadLetter)
    }

    /// Partitions whose restore replay is still running.
    public var restoringPartitions: Set<Int32> { Set(partitions.filter { $0.value.restoring }.keys) }
    /// Partitions assigned to this instance.
    public var assignedPartitions: Set<Int32> { Set(partitions.keys) }

    /// Consumes until `stop` is requested. Throws on a broker that cannot be
    /// reached at start or topics that do not exist.
    public func run(stop: StopSignal, brokerTimeout: Duration = .seconds(10)) throws {
        var props = settings.kafka.properties
        // Co-partitioning: the range assignor gives one member the same
        // partition numbers of every input topic (same counts, same keys).
        props["partition.assignment.strategy"] = props["partition.assignment.strategy"] ?? "range"
        props["enable.partition.eof"] = "true"
        props["statistics.interval.ms"] = props["statistics.interval.ms"] ?? "1000"
        let handler = RebalanceHandler(
            assigned: { [unowned self] tps in self.assigned(tps) },
            revoking: { [unowned self] tps in self.revoking(tps) })
        consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: settings.kafka.bootstrapServers, properties: props), groupID: settings.groupID, rebalance: handler)
        try consumer.waitUntilReachable(timeout: brokerTimeout)
        // What was already notified is read back on each assignment (`assigned`).
        outbox = AlertOutbox(configuration: appraisal, producer: settings.publishSnapshots ? producer : nil, alreadySent: [:])
        checkpoints = CheckpointStore(topic: settings.topics.state, producer: producer, clientConfiguration: settings.kafka)
        let counts = try consumer.partitionCounts(topics: settings.topics.inputs)
        guard Set(counts.values).count == 1 else {
            throw ServiceError(.notCoPartitioned, "The input topics must be co-partitioned (same partition count, keyed by shop_id), but have \(settings.topics.inputs.map { "\($0): \(counts[$0]!)" }.joined(separator: ", "))")
        }
        try consumer.subscribe(topics: settings.topics.inputs)
        var lastLag = ContinuousClock.now
        while !stop.isRequested {
            try pollOnce()
            if ContinuousClock.now - lastEmit >= settings.emitInterval { try emitChanged() }
            if ContinuousClock.now - lastCheckpoint >= settings.checkpointInterval {
                // Emit first: a checkpoint's windows count as emitted, so
                // nothing drained may still be waiting for the emit interval.
                try emitChanged()
                try writeCheckpoints(partitions.keys.sorted())
            }
            if ContinuousClock.now - lastLag >= .seconds(1) {
                lastLag = .now
                hooks.lag(consumer.lag.map { TopicPartitionLag(topic: $0.key.topic, partition: $0.key.partition, lag: $0.value) })
            }
        }
        // Graceful stop: emit what changed, acknowledge, leave the group (the
        // revoke callback inside close flushes the partitions).
        try emitChanged()
        try storeOffsets()
        try consumer.commit()
        try consumer.close()
        try producer.flush()
    }

    /// One poll: decode, align, aggregate, track restore progress.
    func pollOnce() throws {
        var touched = Set<Int32>()
        try consumer.poll(maxRecords: 5000, timeout: .milliseconds(100)) { (batch: ConsumerBatch) throws in
            var consumedPerTopic: [String: Int] = [:]
            for i in 0..<batch.count {
                let r = batch[i]
                guard let input = settings.topics.input(named: r.topic), partitions[r.partition] != nil else { continue }
                consumedPerTopic[r.topic, default: 0] += 1
                tallies.consumed += 1
                touched.insert(r.partition)
                let recordTime = r.timestampMillis.map(EventTime.init(millis:))
                partitions[r.partition]!.sawRecord(input, offset: r.offset)
                guard let value = r.value else {
                    try reject(r.topic, r.partition, r.offset, r.key.map { Array($0) }, nil, r.timestampMillis, RejectReason.malformedJSON.code, "null payload")
                    continue
                }
                do throws(EventRejection) {
                    let event = try decoder.event(in: value, topic: input, recordTimestamp: recordTime)
                    partitions[r.partition]!.aligner.append(event, from: input, recordTimestamp: recordTime, offset: r.offset, key: r.key, value: value)
                } catch {
                    try reject(r.topic, r.partition, r.offset, r.key.map { Array($0) }, Array(value), r.timestampMillis, error.reason.code, error.detail)
                }
            }
            for (t, n) in consumedPerTopic { hooks.consumed(t, n) }
            // After the records: a partition's end is reported after its last records of the poll.
            for tp in batch.partitionsAtEnd {
                guard let input = settings.topics.input(named: tp.topic) else { continue }
                partitions[tp.partition]?.reachedEnd(input)
                touched.insert(tp.partition)
            }
        }
        for p in touched.sorted() { try release(p) }
    }

    private func reject(_ topic: String, _ partition: Int32, _ offset: Int64, _ key: [UInt8]?, _ value: [UInt8]?, _ ts: Int64?, _ reason: String, _ detail: String) throws {
        try deadLetters.reject(sourceTopic: topic, partition: partition, offset: offset, key: key, value: value, timestampMillis: ts, reason: reason, detail: detail)
        hooks.rejected(reason)
    }

    /// Feeds one partition's aligned events to its KPI state.
    private func release(_ p: Int32) throws {
        guard var part = partitions.removeValue(forKey: p) else { return }
        defer { partitions[p] = part }
        let topics = settings.topics
        let kpi = settings.kpi
        var releasedNext: [Int64?] = [nil, nil, nil]
        try part.aligner.release(upcoming: { part.work.prefetch($0) }) { pending, input, arena in
            releasedNext[Int(input.rawValue)] = pending.offset + 1
            switch part.work.ingest(pending.event, recordTimestamp: pending.recordTimestamp) {
            case .counted: tallies.counted += 1
            case .duplicate: tallies.duplicates += 1
            case let outcome:
                let (reason, detail) = RecordPipeline.rejection(outcome, pending, watermark: part.work.state.watermark, kpi)
                try reject(topics.name(of: input), p, pending.offset, pending.key.map { Array(arena[$0]) }, Array(arena[pending.value]), pending.recordTimestamp?.millis, reason.code, detail)
            }
        }
        for input in InputTopic.allCases {
            if let next = releasedNext[Int(input.rawValue)] { part.released(input, offset: next - 1) }
        }
        let wasRestoring = part.restoring
        part.updateRestore()
        hooks.partitionProgress(p, part.work.state.watermark, part.restoreProgress)
        if wasRestoring && !part.restoring { reportAssignment(after: p, part) }
    }

    private func reportAssignment(after p: Int32, _ current: LivePartition) {
        var restoring = Set(partitions.filter { $0.value.restoring }.keys)
        var live = Set(partitions.filter { !$0.value.restoring }.keys)
        if current.restoring { restoring.insert(p) } else { live.insert(p) }
        hooks.assignment(restoring, live)
    }

    /// Emits every changed scope × window of every partition.
    func emitChanged() throws {
        lastEmit = .now
        let now = clock()
        var all: [KPISnapshot] = []
        var alerts: [Alert] = []
        for p in partitions.keys.sorted() {
            all.append(contentsOf: partitions[p]!.work.takeSnapshots(emittedAt: now))
            alerts.append(contentsOf: partitions[p]!.work.takeAlerts())
        }
        try publish(all)
        try notify(alerts)
        // What was aggregated and emitted is processed: acknowledge it (committed by auto-commit).
        try storeOffsets()
    }

    private func publish(_ snapshots: [KPISnapshot]) throws {
        guard !snapshots.isEmpty else { return }
        let sorted = snapshots.sorted(by: KPISnapshot.outputOrder)
        if settings.publishSnapshots {
            for s in sorted {
                try producer.send(topic: settings.topics.snapshots, key: Array(s.recordKey.utf8),
                                  value: SnapshotJSON.encode(s, fractionDigits: settings.kpi.fractionDigits, zone: zone),
                                  timestampMillis: s.emittedAt.millis)
            }
            producer.poll()
        }
        hooks.snapshots(sorted)
    }

    /// Writes the state of these partitions, with the input offsets it covers, to the state topic.
    private func writeCheckpoints(_ numbers: [Int32]) throws {
        lastCheckpoint = .now
        guard let checkpoints else { return }
        let generation = clock().millis
        for p in numbers {
            guard let part = partitions[p] else { continue }
            try checkpoints.write(PartitionCheckpoint(
                partition: p, generation: generation, state: part.work.state.checkpoint(),
                nextOffsets: InputTopic.allCases.map { part.resumeOffset($0) },
                appraisal: part.work.appraisalCheckpoint()))
        }
    }

    /// Sends each alert state change once: alerts topic, routed receivers, hooks.
    private func notify(_ alerts: [Alert]) throws {
        guard !alerts.isEmpty else { return }
        var out: [(id: String, state: String, json: [UInt8])] = []
        for a in alerts {
            let json = AlertJSON.encode(a, fractionDigits: settings.kpi.fractionDigits, zone: zone)
            if try outbox?.send(a, json: json) ?? true { out.append((a.id, a.state.name, json)) }
        }
        if !out.isEmpty { hooks.alerts(out) }
    }

    /// Marks everything released as processed (the next offset to read per input partition).
    private func storeOffsets() throws {
        var next: [TopicPartition: Int64] = [:]
        for (p, part) in partitions {
            for input in InputTopic.allCases {
                if let o = part.processedUpTo(input) { next[TopicPartition(settings.topics.name(of: input), p)] = o }
            }
        }
        try consumer.storeOffsets(next)
    }

    // MARK: Rebalance (on the consumer thread, inside poll/close)

    private func assigned(_ tps: [TopicPartition]) -> [TopicPartition: Int64] {
        let numbers = Set(tps.map(\.partition))
        // Restore: replay from the start of the oldest window still retained
        // (the month `retention.months` back), found by offsets for times.
        let horizon = restoreHorizon()
        var starts: [TopicPartition: Int64] = [:]
        var ends: [TopicPartition: Int64] = [:]
        var lows: [TopicPartition: Int64] = [:]
        do {
            starts = try consumer.offsetsForTimes(Dictionary(uniqueKeysWithValues: tps.map { ($0, horizon.millis) }))
            for tp in tps {
                let w = try consumer.watermarkOffsets(tp)
                ends[tp] = w.high
                lows[tp] = w.low
            }
        } catch {
            rdkafkaRestoreLog("restore lookup failed (\(error)); replaying from the committed offsets")
        }
        let restoring = numbers.contains { partitions[$0] == nil }
        let stored = settings.restoreFromCheckpoints && restoring ? ((try? checkpoints?.readAll()) ?? [:]) : [:]
        // What was already notified (by us before a restart, or by the
        // member that had these partitions), so nobody is paged twice.
        var published: [String: AlertBook.Delivered] = [:]
        if restoring {
            do {
                published = try AlertOutbox.readPublished(topic: settings.topics.alerts, bootstrap: settings.kafka, zone: TimeZone(identifier: settings.kpi.timeZoneID)!)
                outbox?.remember(published)
            } catch {
                rdkafkaRestoreLog("could not read back \(settings.topics.alerts) (\(error)); alerts replayed by the restore may be sent again")
            }
        }
        for p in numbers where partitions[p] == nil {
            // A checkpoint of this partition that matches the configuration: resume after it.
            if let c = stored[p], let state = try? PartitionKPIState(checkpoint: c.state, configuration: settings.kpi) {
                var part = LivePartition(partition: p, work: appraisal.partitionWork(state: state))
                part.work.resume(appraisal: c.appraisal, delivered: Array(published.values), at: clock())
                for input in InputTopic.allCases {
                    let tp = TopicPartition(settings.topics.name(of: input), p)
                    let from = max(c.nextOffsets[Int(input.rawValue)], lows[tp] ?? 0)
                    starts[tp] = from
                    part.setRestoreRange(input, from: from, to: ends[tp] ?? 0)
                }
                part.updateRestore()
                partitions[p] = part
                hooks.restoreStarted(p, .checkpoint)
                rdkafkaRestoreLog("partition \(p): restoring from checkpoint generation \(c.generation) at offsets \(c.nextOffsets.map(String.init).joined(separator: ","))")
                continue
            }
            hooks.restoreStarted(p, .replay)
            do {
                // A topic whose retention no longer reaches the horizon: windows before its data are incomplete.
                let truncated = tps.contains { $0.partition == p && (lows[$0] ?? 0) > 0 && starts[$0] == lows[$0] }
                var part = LivePartition(partition: p, work: appraisal.partitionWork(state: try PartitionKPIState(partition: p, configuration: settings.kpi, coverageStart: truncated ? horizon : nil)))
                for input in InputTopic.allCases {
                    let tp = TopicPartition(settings.topics.name(of: input), p)
                    part.setRestoreRange(input, from: starts[tp] ?? 0, to: ends[tp] ?? 0)
                }
                part.updateRestore()
                partitions[p] = part
            } catch {
                rdkafkaRestoreLog("partition \(p): \(error)")
            }
        }
        hooks.assignment(restoringPartitions, assignedPartitions.subtracting(restoringPartitions))
        return starts
    }

    private func revoking(_ tps: [TopicPartition]) {
        let numbers = Set(tps.map(\.partition))
        do {
            // Flush first: the outputs of the partitions we are giving up.
            var out: [KPISnapshot] = []
            let now = clock()
            var alerts: [Alert] = []
            for p in numbers.sorted() where partitions[p] != nil {
                out.append(contentsOf: partitions[p]!.work.takeSnapshots(emittedAt: now))
                alerts.append(contentsOf: partitions[p]!.work.takeAlerts())
            }
            try publish(out)
            try notify(alerts)
            try writeCheckpoints(numbers.sorted())
            try storeOffsets()
            try consumer.commit()
            try producer.flush()
        } catch {
            rdkafkaRestoreLog("flush on revoke failed: \(error)")
        }
        for p in numbers { partitions.removeValue(forKey: p) }
        hooks.assignment(restoringPartitions, assignedPartitions.subtracting(restoringPartitions))
    }

    /// Local midnight of the first day of the oldest retained month window.
    func restoreHorizon() -> EventTime {
        let now = clock()
        let offset = zone.utcOffsetSeconds(at: now)
        let (y, m, _) = CivilTime.date(days: CivilTime.floorDiv(now.millis + Int64(offset) * 1000, 86_400_000))
        var month = y * 12 + (m - 1) - settings.kpi.retention.months - 1
        if month < 0 { month = 0 }
        let days = CivilTime.days(year: month / 12, month: month % 12 + 1, day: 1)
        return TimeText.localMidnight(days: days, timeZone: TimeZone(identifier: settings.kpi.timeZoneID)!)
    }
}

func rdkafkaRestoreLog(_ message: String) {
    FileHandle.standardError.write(Data("kpi-ingest: \(message)\n".utf8))
}

extension KPISnapshot {
    /// The `kpi.snapshots` record key, the identity of its scope × window:
    /// `scope|shop|id|window|window id`.
    var recordKey: String { "\(scope.type.name)|\(scope.shopID)|\(scope.id ?? "")|\(window.type.name)|\(window.id)" }
}
