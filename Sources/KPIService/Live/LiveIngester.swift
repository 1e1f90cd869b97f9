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
    /// On a graceful stop, queued webhook notifications are delivered for at
    /// most this long; what is left stays recorded on the state topic and is
    /// delivered after the restart.
    public var alertDrainTimeout: Duration = .seconds(10)

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
/// restores each assigned partition (its checkpoint, then a replay of its
/// inputs from the checkpoint's offsets, or from the start of the oldest
/// retained window), then consumes live, emitting changed snapshots at most
/// once per emit interval. Runs on the calling thread until `stop`; then
/// flushes, commits, and leaves the group.
///
/// Records take the same path as in a backfill (`RecordPipeline`): a
/// partition being replayed is counted in runs, a live one record by
/// record. Each partition's phase is a `PartitionLifecycle`.
///
/// All consumer calls, the rebalance callbacks included, happen on that one
/// thread, in sequence (librdkafka 2.0.2, see the Kafka layer). The callback
/// only records new partitions (they are assigned paused) and runs
/// revocations; restore points are read after the poll.
public final class LiveIngester {
    let settings: IngesterSettings
    let hooks: IngestHooks
    let clock: () -> EventTime
    private var consumer: KafkaConsumer?
    private let producer: KafkaProducer
    private let deadLetters: DeadLetterSink
    private let zone: ZoneRules
    private let appraisal: ServiceConfiguration
    private let pipeline: RecordPipeline
    /// `alerts.consumer_lag_bound` is set: the alert books are given the lag.
    private let inhibitsByLag: Bool
    private var lifecycles: [Int32: PartitionLifecycle] = [:]
    /// The input topics' partition count (read at start; written in each checkpoint).
    private var inputPartitions: Int32?
    /// An error that ends `run` (raised where it cannot be thrown, e.g. in a restore).
    private var fatal: ServiceError?
    /// Per partition, the `PartitionWork.bookVersion` last listed to `hooks.alertBook`.
    private var listedBook: [Int32: Int] = [:]
    /// Per partition replaying: the input offsets it started at and the end
    /// offsets taken then (it is live once processed up to them).
    private var replayFrom: [Int32: [Int64]] = [:]
    private var replayTo: [Int32: [Int64]] = [:]
    /// When restore points that failed are read again.
    private var retryRestoreAt: ContinuousClock.Instant?
    private var outbox: AlertOutbox?
    private var checkpoints: CheckpointStore?
    private var lastCheckpoint = ContinuousClock.now
    private var lastEmit = ContinuousClock.now
    /// Since when no broker answered (nil: reachable), and what failed meanwhile.
    private var outage = OutageLog()

    /// Totals since start, for the summary and tests.
    public var summary: BackfillSummary {
        var s = BackfillSummary()
        s.consumed = pipeline.tallies.consumed
        s.counted = pipeline.tallies.counted
        s.duplicates = pipeline.tallies.duplicates
        s.deadLettered = deadLetters.total
        s.deadLetteredByReason = deadLetters.countsByReason
        return s
    }

    /// `clock`: the wall clock for `emitted_at` and the restore horizon (injected for tests).
    public init(settings: IngesterSettings, hooks: IngestHooks = IngestHooks(), clock: @escaping () -> EventTime = { EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000)) }) throws {
        self.settings = settings
        self.hooks = hooks
        self.clock = clock
        try settings.kpi.validate()
        zone = try ZoneRules(identifier: settings.kpi.timeZoneID)
        var a = settings.appraisal
        a.kpi = settings.kpi
        a.kafka.topics = settings.topics
        appraisal = a
        inhibitsByLag = a.alertPolicy.consumerLagBound != nil
        // A record waits in the producer until the broker takes it, however
        // long it is away (librdkafka's default drops it after 5 minutes):
        // an outage delays snapshots, alerts and checkpoints, never loses them.
        var producing = settings.kafka
        producing.properties["message.timeout.ms"] = producing.properties["message.timeout.ms"] ?? "0"
        producer = try KafkaProducer(configuration: producing)
        deadLetters = DeadLetterSink(producer: producer, topic: settings.topics.deadLetter)
        pipeline = RecordPipeline(topics: settings.topics, configuration: settings.kpi, deadLetters: deadLetters)
        pipeline.onRejected = { [hooks] reason in hooks.rejected(reason) }
    }

    /// Webhook notifications not delivered within `alertDrainTimeout` of the
    /// last graceful stop, per receiver (kept on the state topic, delivered
    /// after the restart).
    public private(set) var undeliveredAtStop: [String: Int] = [:]

    /// Partitions not live yet (assigned, restoring or replaying).
    public var restoringPartitions: Set<Int32> {
        Set(lifecycles.filter { [.assigned, .restoring, .replaying].contains($0.value.phase) }.keys)
    }
    /// Partitions assigned to this instance.
    public var assignedPartitions: Set<Int32> { Set(lifecycles.keys) }
    /// Each assigned partition's phase.
    public var phases: [Int32: PartitionPhase] { lifecycles.mapValues(\.phase) }

    /// Consumes until `stop` is requested. Throws on a broker that cannot be
    /// reached at start or topics that do not exist.
    public func run(stop: StopSignal, brokerTimeout: Duration = .seconds(10)) throws {
        var props = settings.kafka.properties
        // Co-partitioning: the range assignor gives one member the same
        // partition numbers of every input topic (same counts, same keys).
        props["partition.assignment.strategy"] = props["partition.assignment.strategy"] ?? "range"
        props["enable.partition.eof"] = "true"
        props["statistics.interval.ms"] = props["statistics.interval.ms"] ?? "1000"
        // Weak: librdkafka may call back while the consumer closes, after this run ended.
        let handler = RebalanceHandler(
            assigned: { [weak self] tps in self?.assigned(tps); return [:] },
            revoking: { [weak self] tps in self?.revoking(tps) },
            pauseAssigned: true)
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: settings.kafka.bootstrapServers, properties: props), groupID: settings.groupID, rebalance: handler)
        self.consumer = consumer
        defer { consumer.detachRebalanceHandler() }
        try consumer.waitUntilReachable(timeout: brokerTimeout)
        // What was already notified is read back on each assignment (`restorePending`).
        outbox = AlertOutbox(configuration: appraisal, producer: settings.publishSnapshots ? producer : nil, alreadySent: [:],
                             ledger: settings.topics.state)
        checkpoints = CheckpointStore(topic: settings.topics.state, producer: producer, clientConfiguration: settings.kafka)
        let counts = try consumer.partitionCounts(topics: settings.topics.inputs)
        guard Set(counts.values).count == 1 else {
            throw ServiceError(.notCoPartitioned, "The input topics must be co-partitioned (same partition count, keyed by shop_id), but have \(settings.topics.inputs.map { "\($0): \(counts[$0]!)" }.joined(separator: ", "))")
        }
        inputPartitions = counts.values.first
        // Output topics nobody wrote to yet (a first start) read as empty;
        // say so, since a wrong name in the config looks the same.
        let outputs = [settings.topics.state, settings.topics.alerts]
        for t in outputs {
            do {
                _ = try consumer.partitionCounts(topics: [t])
            } catch {
                guard error.code == .unknownTopic else { continue }
                rdkafkaRestoreLog("topic \(t) does not exist yet: nothing to restore from it; the first write creates it where the cluster creates topics on use, else create it (kafka.topics in the config names it)")
            }
        }
        try consumer.subscribe(topics: settings.topics.inputs)
        var lastLag = ContinuousClock.now
        hooks.assignmentPending(true)
        while !stop.isRequested {
            if let fatal {
                try? consumer.close()
                throw fatal
            }
            try pollOnce()
            if retryRestoreAt.map({ ContinuousClock.now >= $0 }) ?? true { restorePending() }
            // A broker that is away (paused, dead, unreachable) makes writes
            // wait or fail: say so, keep consuming what is fetched, and try
            // again; nothing taken from the state is dropped (the producer
            // keeps every record until the broker takes it).
            if ContinuousClock.now - lastEmit >= settings.emitInterval { outage.attempt("emit") { try emitChanged(replays: false) } }
            if ContinuousClock.now - lastCheckpoint >= settings.checkpointInterval {
                // Emit first: a checkpoint's windows count as emitted, so
                // nothing drained may still be waiting for the emit interval.
                outage.attempt("checkpoint") {
                    try emitChanged()
                    try writeCheckpoints(pipeline.held.map(\.number))
                }
            }
            if ContinuousClock.now - lastLag >= .seconds(1) {
                lastLag = .now
                let lags = consumer.lag
                hooks.lag(lags.map { TopicPartitionLag(topic: $0.key.topic, partition: $0.key.partition, lag: $0.value) })
                checkBroker(consumer.brokerHealth)
                if let outbox { hooks.webhooks(outbox.deliveryCounts) }
                advanceIdlePartitions()
            }
        }
        // Graceful stop: emit what changed, acknowledge, leave the group (the
        // revoke callback inside close flushes the partitions). With no
        // broker answering, nothing can be acknowledged: the stop waits a
        // few seconds, not minutes, and says what was not written.
        stopping = true
        if brokerAway { checkpoints?.acknowledgementTimeout = Self.awayTimeout }
        try emitChanged()
        try storeOffsets()
        if !brokerAway { try consumer.commit() }
        try consumer.close()
        // Webhooks get a bounded time; what is left is delivered after the
        // restart (recorded on the state topic), and said.
        undeliveredAtStop = outbox?.drain(timeout: settings.alertDrainTimeout) ?? [:]
        let away = brokerAway
        do {
            try producer.flush(timeout: away ? Self.awayTimeout : .seconds(30))
        } catch {
            guard away else { throw error }
            throw ServiceError(.interrupted, "Stopped with no broker answering: \(error). What was not written (snapshots, alerts, checkpoints since the last acknowledged one) is computed again after the next start, from the last checkpoint")
        }
    }

    /// How long a stop waits for each write while no broker answers.
    static let awayTimeout: Duration = .seconds(2)
    /// The run loop has ended: stopping.
    private var stopping = false
    /// No broker has answered for a while (`checkBroker`).
    private var brokerAway: Bool { outage.since != nil }

    /// Says when the cluster stops answering and when it is back; tells the hooks each second.
    private func checkBroker(_ health: BrokerHealth?) {
        // Before the first statistics report: as reachable as at start.
        guard let health else { hooks.broker(true, "connected"); return }
        let reachable = health.isReachable()
        let silent = health.sinceLastAnswer.map { "\($0.components.seconds) s" } ?? "ever"
        let detail = reachable ? "\(health.brokersUp) broker(s) up" : "no answer from any broker for \(silent)"
        outage.brokerReachable(reachable, detail: detail)
        hooks.broker(reachable, detail)
    }

    /// One poll: decode and align, count (in runs while replaying), track the replays.
    func pollOnce() throws {
        guard let consumer else { return }
        var atEnd: [TopicPartition] = []
        try consumer.poll(maxRecords: 5000, timeout: .milliseconds(100)) { (batch: ConsumerBatch) throws in
            // Every record of the batch was written before now: an event
            // time far beyond it is a producer's bad clock (`future`).
            pipeline.readTime = clock()
            try pipeline.feed(batch)
            for input in InputTopic.allCases where pipeline.consumedInPoll[Int(input.rawValue)] > 0 {
                hooks.consumed(settings.topics.name(of: input), pipeline.consumedInPoll[Int(input.rawValue)])
            }
            // After the records: a partition's end is reported after its last records of the poll.
            atEnd = batch.partitionsAtEnd
        }
        for tp in atEnd {
            guard let input = settings.topics.input(named: tp.topic) else { continue }
            pipeline.reachedEnd(tp.partition, input)
        }
        // A replay that has read to its end offsets releases what it holds now.
        for (p, ends) in replayTo {
            guard let part = pipeline[p], part.shape == .runs else { continue }
            if InputTopic.allCases.allSatisfy({ (part.cursors[Int($0.rawValue)].readNext ?? 0) >= ends[Int($0.rawValue)] }) {
                part.shape = .eachPoll
            }
        }
        // Lag inhibition (alerts.consumer_lag_bound) counts only for live
        // partitions: a restore replays far behind the end by design, and its
        // alerts must be a backfill's; once live, a lag means records wait.
        let lag = inhibitionLag()
        for p in try pipeline.release(consumerLag: { lag[$0] ?? 0 }) { progressed(p) }
        // A replay's input that races ahead of its partition's others (days of
        // traffic in one fetch) waits for them: what aligning holds stays bounded.
        let (pause, resume) = pipeline.flowControl()
        if !pause.isEmpty { try consumer.pause(pause) }
        if !resume.isEmpty { try consumer.resume(resume) }
    }

    /// Per live partition, its consumer lag (its three inputs together, from
    /// the latest librdkafka statistics), for the alert books' inhibition.
    private func inhibitionLag() -> [Int32: Int64] {
        guard inhibitsByLag, let consumer else { return [:] }
        var out: [Int32: Int64] = [:]
        for (tp, l) in consumer.lag where settings.topics.input(named: tp.topic) != nil && lifecycles[tp.partition]?.phase == .live {
            out[tp.partition, default: 0] += l
        }
        return out
    }

    /// Time moves without events (Flink's idleness, Kafka Streams' wall-clock
    /// punctuation): a live partition whose inputs are at their end and have
    /// delivered nothing for `kpi.idle_timeout` has its watermark moved on
    /// to the consumer's clock − the allowed lateness, so its days close, a
    /// paced target turns red and a no-data alert fires although its shops
    /// send nothing. Only while a broker answers: a consumer cut off from the
    /// cluster cannot tell a quiet shop from a lost one.
    private func advanceIdlePartitions() {
        let idle = Duration.milliseconds(settings.kpi.idleTimeout.millis)
        guard idle > .zero, let consumer, consumer.brokersAnswering() else { return }
        let now = ContinuousClock.now
        let target = clock() - settings.kpi.allowedLateness
        for part in pipeline.held where lifecycles[part.number]?.phase == .live {
            guard now - part.lastReadAt >= idle, part.aligner.buffered == 0, part.aligner.settled.allSatisfy({ $0 }),
                  let before = part.work.state.watermark, target > before else { continue }
            part.work.advanceTime(to: target)
            hooks.partitionProgress(part.number, part.work.state.watermark, 1)
        }
    }

    /// After a partition's events were counted: its progress, and whether its replay is done.
    private func progressed(_ p: Int32) {
        guard let part = pipeline[p] else { return }
        let from = replayFrom[p], to = replayTo[p]
        var progress = 1.0
        if let from, let to {
            var done: Int64 = 0, total: Int64 = 0
            for input in InputTopic.allCases {
                let i = Int(input.rawValue)
                let upTo = part.processedUpTo(input) ?? from[i]
                total += max(0, to[i] - from[i])
                done += max(0, min(upTo, to[i]) - from[i])
            }
            progress = total > 0 ? Double(done) / Double(total) : 1
            if done >= total { perform(lifecycles[p]?.caughtUp() ?? [], p) }
        }
        hooks.partitionProgress(p, part.work.state.watermark, lifecycles[p]?.phase == .live ? 1 : progress)
    }

    /// Carries out a lifecycle's actions (those not done where they arise).
    private func perform(_ actions: [PartitionLifecycle.Action], _ p: Int32) {
        for action in actions {
            switch action {
            case .goLive:
                pipeline[p]?.shape = .eachPoll
                // Its watermark and progress from the moment it is live (a restore with nothing to replay counts no event).
                if let part = pipeline[p] { hooks.partitionProgress(p, part.work.state.watermark, 1) }
                // Replayed: every window that can be emitted again is held.
                pipeline[p]?.work.state.settleRevisionFloors()
                replayFrom[p] = nil
                replayTo[p] = nil
                reportAssignment()
            case .retryRestore(let after, let reason):
                rdkafkaRestoreLog("partition \(p): could not read its restore point (\(reason)); trying again in \(after)")
                let at = ContinuousClock.now + after
                retryRestoreAt = retryRestoreAt.map { min($0, at) } ?? at
            case .drop:
                pipeline.remove(p)
                listedBook[p] = nil
                hooks.alertBook(p, [])
                lifecycles[p] = nil
                replayFrom[p] = nil
                replayTo[p] = nil
            case .readRestorePoint, .startReading, .flush:
                break   // done by the caller, in order with the other partitions of the batch
            }
        }
    }

    private func reportAssignment() {
        hooks.assignment(restoringPartitions, assignedPartitions.subtracting(restoringPartitions))
    }

    /// Emits every changed scope × window of every partition that holds state.
    ///
    /// `replays` false: partitions still replaying keep their changes (a
    /// replay's windows pass through every intermediate value of history, as
    /// a backfill's do; emitting each would cost more than the replay). They
    /// are emitted with the next checkpoint (which counts them as emitted),
    /// a revocation, or once the partition is live.
    func emitChanged(replays: Bool = true) throws {
        lastEmit = .now
        let now = clock()
        var all: [KPISnapshot] = []
        var alerts: [(Int32, Alert)] = []
        var emitted: [PipelinePartition] = []
        for part in pipeline.held {
            alerts.append(contentsOf: part.work.takeAlerts().map { (part.number, $0) })
            if !replays && lifecycles[part.number]?.phase == .replaying { continue }
            all.append(contentsOf: part.work.takeSnapshots(emittedAt: now))
            emitted.append(part)
        }
        try publish(all)
        try notify(alerts)
        listBooks()
        // What was aggregated and emitted is processed: acknowledge it (committed by auto-commit).
        try storeOffsets(of: emitted)
    }

    /// Gives the HTTP side each partition's alert book as it stands, when it
    /// may have changed since it was last listed (off the hot path: once per
    /// emit, and only for books that evaluated a tick).
    private func listBooks() {
        for part in pipeline.held where listedBook[part.number] != part.work.bookVersion {
            listedBook[part.number] = part.work.bookVersion
            let listed = part.work.currentAlerts().map { a in
                (id: a.id, state: a.state, json: AlertJSON.encode(a, fractionDigits: settings.kpi.fractionDigits, zone: zone))
            }
            hooks.alertBook(part.number, listed)
        }
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
            guard let part = pipeline[p] else { continue }
            try checkpoints.write(PartitionCheckpoint(
                partition: p, generation: generation, state: part.work.state.checkpoint(),
                nextOffsets: InputTopic.allCases.map { part.processedUpTo($0) ?? replayFrom[p]?[Int($0.rawValue)] ?? 0 },
                appraisal: part.work.appraisalCheckpoint(), inputPartitions: inputPartitions))
        }
    }

    /// Sends each alert state change once: alerts topic, routed receivers, hooks.
    private func notify(_ alerts: [(Int32, Alert)]) throws {
        guard !alerts.isEmpty else { return }
        let batch = alerts.map { p, a in
            AlertOutbox.Notification(a, json: AlertJSON.encode(a, fractionDigits: settings.kpi.fractionDigits, zone: zone), partition: p)
        }
        let fresh = try outbox?.send(batch) ?? Array(repeating: true, count: batch.count)
        var out: [(id: String, state: AlertState, json: [UInt8])] = []
        for (n, isFresh) in zip(batch, fresh) where isFresh { out.append((n.alert.id, n.alert.state, n.json)) }
        if !out.isEmpty { hooks.alerts(out) }
    }

    /// Marks everything counted as processed (the next offset to read per
    /// input partition). Storing is local; a failure (the group took the
    /// partitions while the broker was away) is said, not fatal: the
    /// offsets are stored again at the next emit, or the partitions restore
    /// from their checkpoint elsewhere.
    private func storeOffsets(of parts: [PipelinePartition]? = nil) throws {
        var next: [TopicPartition: Int64] = [:]
        for part in parts ?? pipeline.held {
            for input in InputTopic.allCases {
                if let o = part.processedUpTo(input) { next[TopicPartition(settings.topics.name(of: input), part.number)] = o }
            }
        }
        do {
            try consumer?.storeOffsets(next)
        } catch {
            rdkafkaRestoreLog("could not store the processed offsets (\(error)); they are stored again at the next emit")
        }
    }

    // MARK: Rebalance (on the consumer thread, inside poll/close)

    /// New partitions (assigned paused): their restore points are read after the poll.
    private func assigned(_ tps: [TopicPartition]) {
        // Assigned again without a revocation first (eager rebalancing always
        // revokes, but a lost session may not say so): what this member holds
        // of it is given up and the partition restored afresh, since the
        // assignment reset its position and paused it.
        let again = tps.filter { lifecycles[$0.partition] != nil }
        if !again.isEmpty { revoking(again) }
        hooks.assignmentPending(false)
        if tps.isEmpty && lifecycles.isEmpty {
            rdkafkaRestoreLog("the group assigned no partitions to this member (it has more members than partitions)")
        }
        for p in Set(tps.map(\.partition)).sorted() where lifecycles[p] == nil {
            var lifecycle = PartitionLifecycle(partition: p)
            _ = lifecycle.assigned()
            lifecycles[p] = lifecycle
        }
        retryRestoreAt = nil
        reportAssignment()
    }

    /// Reads the restore points of the partitions restoring, in one round
    /// for all of them: their checkpoints, the alerts already published,
    /// their offsets; then starts reading each where its restore point says.
    /// A failure leaves them paused, says why, and is tried again later.
    private func restorePending() {
        let pending = lifecycles.filter { $0.value.phase == .restoring }.keys.sorted()
        guard !pending.isEmpty, let consumer else { return }
        retryRestoreAt = nil
        do {
            let topics = settings.topics
            var tps: [TopicPartition] = []
            for p in pending { for input in InputTopic.allCases { tps.append(TopicPartition(topics.name(of: input), p)) } }
            let watermarks = try consumer.watermarkOffsets(tps)
            // The state topic also records webhook notifications a previous
            // run (or member) did not deliver: these partitions' are delivered now.
            let read = try checkpoints?.readAll() ?? [:]
            let stored = settings.restoreFromCheckpoints ? read : [:]
            // Checkpoints of another partition count hold other shops under the same numbers: refuse.
            if let now = inputPartitions, let refusal = PartitionCheckpoint.partitionCountMismatch(
                Array(stored.values), inputPartitions: now, stateTopic: topics.state, inputs: topics.inputs) {
                fatal = refusal
                return
            }
            outbox?.redeliver(checkpoints?.pendingDeliveries.filter { pending.contains($0.partition) } ?? [])
            // What was already notified (by us before a restart, or by the
            // member that had these partitions), so nobody is paged twice.
            let published = try AlertOutbox.readPublished(topic: topics.alerts, bootstrap: settings.kafka,
                                                          zone: TimeZone(identifier: settings.kpi.timeZoneID)!)
            outbox?.remember(published)
            // The revisions already published: each window continues above its own.
            let floors = settings.publishSnapshots
                ? try PublishedRevisions.read(topic: topics.snapshots, configuration: settings.kafka) : [:]
            // Without a usable checkpoint: replay from the start of the oldest
            // window still retained (the month `retention.months` back).
            let horizon = restoreHorizon()
            var states: [Int32: (PartitionKPIState, PartitionCheckpoint?)] = [:]
            var replayLows: [TopicPartition: Int64] = [:]
            for p in pending {
                if let c = stored[p], let state = try? PartitionKPIState(checkpoint: c.state, configuration: settings.kpi) {
                    states[p] = (state, c)
                    continue
                }
                for input in InputTopic.allCases {
                    let tp = TopicPartition(topics.name(of: input), p)
                    replayLows[tp] = watermarks[tp]!.low
                }
            }
            let horizonStarts = try consumer.startPositions(atOrAfter: horizon.millis, lows: replayLows)
            var seeks: [TopicPartition: Int64] = [:]
            for p in pending {
                var starts: [StartPosition] = []
                var coverage: [InputCoverage] = []
                let work: PartitionWork
                if let (state, c) = states[p], let c {
                    work = appraisal.partitionWork(state: state)
                    work.resume(appraisal: c.appraisal, delivered: Array(published.values), at: clock())
                    for input in InputTopic.allCases {
                        let low = watermarks[TopicPartition(topics.name(of: input), p)]!.low
                        let next = c.nextOffsets[Int(input.rawValue)]
                        starts.append(.offset(max(next, low)))
                        // Retention deleted records the checkpoint does not cover: the data resumes at the first one left.
                        coverage.append(next < low ? .firstRecord(atLeast: nil) : .since(nil))
                    }
                    hooks.restoreStarted(p, .checkpoint)
                    // Served from now on (the API), not published again.
                    hooks.restored(work.finalSnapshots(emittedAt: clock()))
                    rdkafkaRestoreLog("partition \(p): restoring from checkpoint generation \(c.generation) at offsets \(c.nextOffsets.map(String.init).joined(separator: ","))")
                } else {
                    for input in InputTopic.allCases {
                        let tp = TopicPartition(topics.name(of: input), p)
                        starts.append(horizonStarts[tp]!)
                        // A topic whose retention no longer reaches the horizon: windows before its first record are incomplete.
                        coverage.append(.of(start: horizonStarts[tp]!, low: watermarks[tp]!.low, from: nil))
                    }
                    let state = try PartitionKPIState(partition: p, configuration: settings.kpi, coverageStart: nil)
                    work = appraisal.partitionWork(state: state)
                    hooks.restoreStarted(p, .replay)
                }
                work.state.revisionFloors = floors
                let part = pipeline.add(p, work: work, shape: .runs)
                part.baseCoverage = work.state.coverageStart?.millis
                var from: [Int64] = [], to: [Int64] = []
                for input in InputTopic.allCases {
                    let tp = TopicPartition(topics.name(of: input), p)
                    let start = starts[Int(input.rawValue)], end = watermarks[tp]!.high
                    part.setRange(input, from: start, to: .max, coverage: coverage[Int(input.rawValue)])
                    // Nothing to replay: do not hold the other inputs back waiting for it.
                    if start.readFrom >= end { part.aligner.settled[Int(input.rawValue)] = true }
                    from.append(start.readFrom)
                    to.append(end)
                    seeks[tp] = start.readFrom
                }
                let nothingToReplay = zip(from, to).allSatisfy { $0 >= $1 }
                if !nothingToReplay {
                    replayFrom[p] = from
                    replayTo[p] = to
                }
                perform(lifecycles[p]?.restorePointRead(nothingToReplay: nothingToReplay) ?? [], p)
            }
            try consumer.seek(seeks)
            try consumer.resume(Array(seeks.keys))
            reportAssignment()
            // The books resumed from checkpoints are served at once.
            listBooks()
        } catch {
            for p in pending { perform(lifecycles[p]?.restoreFailed("\(error)") ?? [], p) }
            for p in pending where pipeline[p] != nil { pipeline.remove(p) }
        }
    }

    /// Partitions about to be taken away: their outputs are flushed, their
    /// checkpoints written and offsets committed before they move.
    private func revoking(_ tps: [TopicPartition]) {
        let numbers = Set(tps.map(\.partition)).sorted()
        var flush: [Int32] = []
        var dropped: [(Int32, [PartitionLifecycle.Action])] = []
        for p in numbers {
            guard var lifecycle = lifecycles[p] else { continue }
            let actions = lifecycle.revoked()
            lifecycles[p] = lifecycle
            if actions.contains(.flush) { flush.append(p) }
            dropped.append((p, actions))
        }
        do {
            // Flush first: the outputs of the partitions we are giving up.
            var out: [KPISnapshot] = []
            let now = clock()
            var alerts: [(Int32, Alert)] = []
            for p in flush {
                guard let part = pipeline[p] else { continue }
                out.append(contentsOf: part.work.takeSnapshots(emittedAt: now))
                alerts.append(contentsOf: part.work.takeAlerts().map { (p, $0) })
            }
            try publish(out)
            try notify(alerts)
            try writeCheckpoints(flush)
            // The checkpoint acknowledged before the next owner reads it.
            try producer.flush(timeout: stopping && brokerAway ? Self.awayTimeout : .seconds(30))
        } catch {
            rdkafkaRestoreLog("flush on revoke failed: \(error)")
        }
        // A commit waits for the group's coordinator: not while stopping without a broker.
        if stopping && brokerAway {
            rdkafkaRestoreLog("offsets not committed on the way out: no broker answers (the last acknowledged checkpoint holds where to resume)")
        } else {
            do {
                // Only what was just emitted and checkpointed counts as processed
                // (a partition still replaying, or one kept, has emitted nothing since its last store).
                try storeOffsets(of: flush.compactMap { pipeline[$0] })
                try consumer?.commit()
            } catch {
                // A group already rebalancing refuses commits; the checkpoints
                // just written hold the same offsets, and the next owner restores
                // from them. Only the group's committed offsets (its lag) lag.
                rdkafkaRestoreLog("offsets not committed on revoke (the checkpoint holds them): \(error)")
            }
        }
        for (p, actions) in dropped { perform(actions, p) }
        // Eager rebalancing (and a lost session) takes every partition
        // first: until the group assigns again, this member consumes nothing.
        if lifecycles.isEmpty { hooks.assignmentPending(true) }
        reportAssignment()
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


/// What the live ingester says about an outage: one line when the cluster
/// stops answering or a write fails, one when it is back, not one per
/// second in between.
struct OutageLog {
    private(set) var since: ContinuousClock.Instant?
    private var failing: Set<String> = []

    /// Runs periodic work; a failure is said once per outage and tried again next time.
    mutating func attempt(_ what: String, _ body: () throws -> Void) {
        do {
            try body()
            if failing.remove(what) != nil { rdkafkaRestoreLog("\(what) succeeded again") }
        } catch {
            if failing.insert(what).inserted {
                rdkafkaRestoreLog("\(what) failed: \(error); will try again (nothing is dropped meanwhile)")
            }
        }
    }

    mutating func brokerReachable(_ reachable: Bool, detail: String) {
        switch (reachable, since) {
        case (false, nil):
            since = .now
            rdkafkaRestoreLog("broker unreachable: \(detail); waiting for it (records wait in the producer, consumption resumes where it stopped)")
        case (true, let start?):
            since = nil
            rdkafkaRestoreLog("broker reachable again after \((ContinuousClock.now - start).components.seconds) s: \(detail)")
        default:
            break
        }
    }
}
