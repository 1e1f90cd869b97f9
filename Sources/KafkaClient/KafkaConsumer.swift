import CRdKafka
import Logging
import Synchronization

/// What the application does when the group coordinator moves partitions.
///
/// Both closures run on the consumer's own thread, inside `poll` (or `close`),
/// so the application acts *after* an assignment and *before* a revocation
/// completes, in sequence with every other consumer call. librdkafka 2.0.2's
/// batch calls are unsafe with a concurrent rebalance (#4208); this is why the
/// layer polls one record at a time from a single thread and handles the
/// rebalance itself.
public struct RebalanceHandler {
    /// Partitions just assigned. Return the offset to start each at (e.g.
    /// from a checkpoint); a partition left out starts at the group's
    /// committed offset (or `auto.offset.reset`).
    public var assigned: ([TopicPartition]) -> [TopicPartition: Int64]
    /// Partitions about to be taken away: flush and checkpoint them now.
    public var revoking: ([TopicPartition]) -> Void
    /// Newly assigned partitions are paused as they are assigned: the
    /// application decides where each starts (`seek`) and `resume`s it
    /// after the rebalance, outside the callback (e.g. once its state is
    /// restored), on the consumer's thread.
    public var pauseAssigned: Bool

    public init(
        assigned: @escaping ([TopicPartition]) -> [TopicPartition: Int64] = { _ in [:] },
        revoking: @escaping ([TopicPartition]) -> Void = { _ in },
        pauseAssigned: Bool = false
    ) {
        self.assigned = assigned
        self.revoking = revoking
        self.pauseAssigned = pauseAssigned
    }
}

/// The context librdkafka's C callbacks reach through the handle's opaque pointer.
final class ConsumerCallbackContext: @unchecked Sendable {
    // Only touched on the consumer's thread (callbacks run inside poll/close).
    var rebalance: RebalanceHandler?
    var rebalanceError: KafkaError?
    /// A rebalance changed the assignment since the consumer last read it.
    var assignmentChanged = true
    /// Consumer lag per partition from the statistics callback; read from any thread.
    let lag = Mutex<[TopicPartition: Int64]>([:])
    /// The brokers as the latest statistics report saw them; read from any thread.
    let brokers = Mutex<BrokerHealth?>(nil)
    /// Whether the latest statistics showed a broker answering, and when they came.
    let brokersAnswering = Mutex<(Bool, ContinuousClock.Instant)?>(nil)
}

/// A Kafka consumer over librdkafka, owned by one thread.
///
/// Create it, `subscribe` (consumer group) or `assign` (replay), then call
/// `poll` in a loop on the same thread: it gathers up to `maxRecords` with
/// `rd_kafka_consumer_poll` (blocking only while nothing is there) and hands
/// them over synchronously. Store offsets only after processing, then `commit`.
/// `close()` leaves the group cleanly so the partitions move at once.
///
/// Not `Sendable` on purpose: every call must come from the owning thread.
public final class KafkaConsumer {
    let client: NativeClient
    let context: ConsumerCallbackContext
    private var contextRetain: Unmanaged<ConsumerCallbackContext>
    private var closed = false
    private var pending: [UnsafeMutablePointer<rd_kafka_message_t>] = []
    private var pendingTopics: [String] = []
    private var topicNameCache: [OpaquePointer: String] = [:]
    public let configuration: KafkaConfiguration
    /// How often `poll` wakes librdkafka's fetchers (`wakeFetchers`) while
    /// partitions are assigned; nil: never. See `KafkaConfiguration.withConsumerDefaults`.
    /// A replay drains a partition's 1 MiB queue in a few milliseconds: at
    /// 20 ms, its consumer waited in `poll` for a fifth of a 14-day
    /// backfill (5 ms: a tenth of the waiting). An idle consumer polls
    /// every 100 ms, and wakes them once per poll.
    public var fetchWakeInterval: Duration? = .milliseconds(5)
    private var lastWake = ContinuousClock.now
    /// One assigned partition per leader broker, as last worked out (nil:
    /// work it out again): what `wakeFetchers` asks about.
    private var assignmentCache: [TopicPartition]?

    /// Creates a consumer. `groupID` nil: no group (assign-only replay that never commits).
    public init(configuration: KafkaConfiguration, groupID: String?, rebalance: RebalanceHandler? = nil) throws(KafkaError) {
        let config = configuration.withConsumerDefaults(groupID: groupID)
        self.configuration = config
        let context = ConsumerCallbackContext()
        context.rebalance = rebalance
        self.context = context
        let conf = try config.makeNativeConfiguration()
        contextRetain = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, contextRetain.toOpaque())
        if groupID != nil {
            rd_kafka_conf_set_rebalance_cb(conf, consumerRebalanceCallback)
        }
        rd_kafka_conf_set_stats_cb(conf, consumerStatisticsCallback)
        do {
            client = try NativeClient(kind: RD_KAFKA_CONSUMER, nativeConfiguration: conf, bootstrapServers: config.bootstrapServers)
        } catch {
            contextRetain.release()
            throw error
        }
        // Serve rebalance, statistics and errors from the consumer queue, i.e. inside poll.
        rd_kafka_poll_set_consumer(client.handle)
    }

    /// Stops running the application's rebalance handler (its owner is going
    /// away; librdkafka may still call back during a later close).
    public func detachRebalanceHandler() {
        context.rebalance = nil
    }

    deinit {
        releasePending()
        if !closed { rd_kafka_consumer_close(client.handle) }
        // The handle is destroyed with `client`; the context must outlive it.
        let ctx = contextRetain
        withExtendedLifetime(client) {}
        ctx.release()
    }

    /// Fails with a clear message when no broker answers within `timeout`.
    public func waitUntilReachable(timeout: Duration) throws(KafkaError) {
        try client.waitUntilReachable(timeout: timeout)
    }

    /// Partition counts of `topics`; fails naming any missing topic.
    public func partitionCounts(topics: [String], timeout: Duration = .seconds(10)) throws(KafkaError) -> [String: Int32] {
        try client.partitionCounts(topics: topics, timeout: timeout)
    }

    /// Joins the consumer group for `topics`; partitions arrive through the rebalance handler.
    public func subscribe(topics: [String]) throws(KafkaError) {
        let list = NativePartitionList(topics.map { (TopicPartition($0, Int32(RD_KAFKA_PARTITION_UA)), nil) })
        let err = rd_kafka_subscribe(client.handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.subscription, "Could not subscribe to \(topics.joined(separator: ", "))", rdkafkaError: err)
        }
    }

    /// Reads exactly these partitions from these offsets, outside any group rebalance (replay, backfill).
    public func assign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        assignmentCache = nil
        let list = NativePartitionList(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let err = rd_kafka_assign(client.handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.assignment, "Could not assign \(offsets.count) partitions", rdkafkaError: err)
        }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        var listPtr: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(client.handle, &listPtr)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let listPtr else {
            throw KafkaError(.assignment, "Could not read the assignment", rdkafkaError: err)
        }
        let list = NativePartitionList(taking: listPtr)
        return list.entries.map(\.0).sorted()
    }

    /// Gathers up to `maxRecords` records and hands them to `body` synchronously.
    ///
    /// Waits up to `timeout` for the first record, then takes what is already
    /// fetched without waiting. Rebalance callbacks run inside this call.
    /// Returns the number of records handed over.
    @discardableResult
    public func poll<E: Error>(maxRecords: Int = 2000, timeout: Duration = .milliseconds(100), _ body: (ConsumerBatch) throws(E) -> Void) throws(E) -> Int {
        precondition(!closed, "poll after close")
        defer { releasePending() }
        if let every = fetchWakeInterval, ContinuousClock.now - lastWake >= every {
            lastWake = .now
            if context.assignmentChanged { context.assignmentChanged = false; assignmentCache = nil }
            if assignmentCache == nil { assignmentCache = wakeSet((try? assignment()) ?? []) }
            if let tps = assignmentCache, !tps.isEmpty { wakeFetchers(tps) }
        }
        var atEnd: [TopicPartition] = []
        var errors: [KafkaError] = []
        var wait = NativeClient.milliseconds(timeout)
        while pending.count < maxRecords {
            guard let msg = rd_kafka_consumer_poll(client.handle, wait) else { break }
            wait = 0
            let err = msg.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                pending.append(msg)
                pendingTopics.append(topicName(msg.pointee.rkt))
                continue
            }
            if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                atEnd.append(TopicPartition(topicName(msg.pointee.rkt), msg.pointee.partition))
            } else {
                let e = KafkaError(.consume, "Consumer error on \(msg.pointee.rkt.map { _ in topicName(msg.pointee.rkt) } ?? "-")", rdkafkaError: err)
                rdkafkaLogger.warning("\(e)")
                errors.append(e)
            }
            rd_kafka_message_destroy(msg)
        }
        if pending.isEmpty && atEnd.isEmpty && errors.isEmpty { return 0 }
        let count = pending.count
        try pending.withUnsafeBufferPointer { (buffer) throws(E) in
            try body(ConsumerBatch(
                messages: UnsafeBufferPointer(start: buffer.baseAddress, count: buffer.count),
                topicNames: pendingTopics, partitionsAtEnd: atEnd, errors: errors))
        }
        return count
    }

    private func topicName(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if let name = topicNameCache[rkt] { return name }
        let name = String(cString: rd_kafka_topic_name(rkt))
        topicNameCache[rkt] = name
        return name
    }

    private func releasePending() {
        for m in pending { rd_kafka_message_destroy(m) }
        pending.removeAll(keepingCapacity: true)
        pendingTopics.removeAll(keepingCapacity: true)
    }

    /// Moves the fetch position of assigned partitions.
    public func seek(_ offsets: [TopicPartition: Int64], timeout: Duration = .seconds(5)) throws(KafkaError) {
        let list = NativePartitionList(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        if let error = rd_kafka_seek_partitions(client.handle, list.pointer, NativeClient.milliseconds(timeout)) {
            let e = KafkaError(.seek, "Seek failed: \(String(cString: rd_kafka_error_string(error)))", rdkafkaName: String(cString: rd_kafka_error_name(error)))
            rd_kafka_error_destroy(error)
            throw e
        }
        for (tp, _, err) in list.entries where err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(.seek, "Seek failed for \(tp)", rdkafkaError: err)
        }
    }

    /// For each partition, the earliest offset whose record timestamp is at or
    /// after the time (epoch ms), or the end offset when there is none.
    ///
    /// Asks the broker (ListOffsets). When the broker answers "none" although
    /// the partition's last record is at or after the time — the 2.0.2 mock
    /// cluster never implements the lookup — the offset is found by reading
    /// the partition's timestamps with a separate replay consumer, with the
    /// broker's semantics (first record whose timestamp is >= the time).
    public func offsetsForTimes(_ times: [TopicPartition: Int64], timeout: Duration = .seconds(10)) throws(KafkaError) -> [TopicPartition: Int64] {
        var result = try client.offsetsForTimes(times, timeout: timeout)
        for (tp, offset) in result where offset < 0 {
            let (low, high) = try client.watermarkOffsets(tp, timeout: timeout)
            result[tp] = high
            guard high > low else { continue }
            result[tp] = try scanForTime(tp, atOrAfter: times[tp]!, low: low, high: high, timeout: timeout)
        }
        return result
    }

    /// First offset in `[low, high)` whose timestamp is >= `time`, else `high`.
    private func scanForTime(_ tp: TopicPartition, atOrAfter time: Int64, low: Int64, high: Int64, timeout: Duration) throws(KafkaError) -> Int64 {
        let scanner = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: configuration.bootstrapServers, properties: configuration.properties.filter { $0.key != "group.id" && $0.key != "enable.partition.eof" }), groupID: nil)
        defer { try? scanner.close() }
        // The last record first: when it is older than the time, none is newer.
        try scanner.assign([tp: high - 1])
        var last: Int64?
        let clock = ContinuousClock()
        var deadline = clock.now + timeout
        while last == nil && clock.now < deadline {
            scanner.poll(maxRecords: 1) { batch in if !batch.isEmpty { last = batch[0].timestampMillis ?? .min } }
        }
        guard let last else { throw KafkaError(.offsets, "Could not read the last record of \(tp) within \(timeout) to look up a time") }
        if last < time { return high }
        try scanner.assign([tp: low])
        var found: Int64?
        var next = low
        deadline = clock.now + timeout
        while found == nil && next < high && clock.now < deadline {
            scanner.poll(maxRecords: 5000) { batch in
                for i in 0..<batch.count where found == nil {
                    let r = batch[i]
                    next = r.offset + 1
                    if (r.timestampMillis ?? .min) >= time { found = r.offset }
                }
            }
        }
        guard let found else {
            if next >= high { return high }
            throw KafkaError(.offsets, "Could not scan \(tp) for a time within \(timeout)")
        }
        return found
    }

    /// Where to start reading each partition to get its records from a time
    /// on, in one request for all of them: the broker's answer (ListOffsets
    /// by timestamp) where it has one; else (the 2.0.2 mock cluster never
    /// implements the lookup, and a real broker answers "none" when no record
    /// is that new) reading from the partition's first retained record,
    /// skipping records until the first one at or after the time — the
    /// broker's own semantics, found in the same pass that reads the data,
    /// at no extra request. `lows`: the partitions' low offsets.
    public func startPositions(atOrAfter time: Int64, lows: [TopicPartition: Int64],
                               timeout: Duration = .seconds(10)) throws(KafkaError) -> [TopicPartition: StartPosition] {
        let answers = try client.offsetsForTimes(lows.mapValues { _ in time }, timeout: timeout)
        var out: [TopicPartition: StartPosition] = [:]
        for (tp, low) in lows {
            if let o = answers[tp], o >= 0 {
                out[tp] = .offset(max(o, low))
            } else {
                out[tp] = .firstAtOrAfter(time: time, from: low)
            }
        }
        return out
    }

    /// Wakes librdkafka's fetchers: one ListOffsets request (latest
    /// offsets) to the leaders of `partitions`. librdkafka 2.0.2 re-decides
    /// which partitions to fetch only when its broker thread wakes (I/O, an
    /// operation, or 1 s at most, librdkafka #2879): with bounded local
    /// queues (`queued.max.messages.kbytes`), a partition whose queue was
    /// full would wait up to 1 s after it drained. A response wakes the
    /// thread, so a consumer that asks every few tens of milliseconds keeps
    /// its prefetch both small and flowing.
    public func wakeFetchers(_ partitions: [TopicPartition], timeout: Duration = .milliseconds(200)) {
        _ = try? client.offsetsForTimes(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(-1)) }), timeout: timeout)
    }

    /// One partition per leader broker of `assigned`: a request about any
    /// partition wakes its broker's thread, which then reconsiders fetching
    /// every partition it leads. (Asking about all of them costs librdkafka
    /// a list search per partition answered: quadratic in the assignment,
    /// a quarter of a 1,536-partition backfill's CPU.) Without metadata: the
    /// first partition of each topic.
    func wakeSet(_ assigned: [TopicPartition]) -> [TopicPartition] {
        guard !assigned.isEmpty else { return [] }
        var byLeader: [Int32: TopicPartition] = [:]
        if let leaders = try? client.leaders(of: Set(assigned.map(\.topic)), timeout: .seconds(2)), !leaders.isEmpty {
            for tp in assigned.sorted() {
                if let l = leaders[tp], byLeader[l] == nil { byLeader[l] = tp }
            }
            return byLeader.keys.sorted().map { byLeader[$0]! }
        }
        var firstOfTopic: [String: TopicPartition] = [:]
        for tp in assigned where (firstOfTopic[tp.topic]?.partition ?? .max) > tp.partition { firstOfTopic[tp.topic] = tp }
        return firstOfTopic.keys.sorted().map { firstOfTopic[$0]! }
    }

    /// Low and high offsets of many partitions in two requests.
    public func watermarkOffsets(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [TopicPartition: (low: Int64, high: Int64)] {
        try client.watermarkOffsets(partitions, timeout: timeout)
    }

    /// Low and high watermark offsets of a partition, asked of the broker.
    public func watermarkOffsets(_ tp: TopicPartition, timeout: Duration = .seconds(10)) throws(KafkaError) -> (low: Int64, high: Int64) {
        try client.watermarkOffsets(tp, timeout: timeout)
    }

    /// Stops fetching these partitions until `resume`.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = NativePartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_pause_partitions(client.handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.assignment, "Pause failed", rdkafkaError: err) }
    }

    /// Fetches paused partitions again.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = NativePartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_resume_partitions(client.handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.assignment, "Resume failed", rdkafkaError: err) }
    }

    /// Marks records as processed: `nextOffsets` holds, per partition, the
    /// offset of the next record to read (last processed + 1). Committed by
    /// the next automatic or explicit commit.
    public func storeOffsets(_ nextOffsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !nextOffsets.isEmpty else { return }
        let list = NativePartitionList(nextOffsets.map { ($0.key, $0.value) })
        let err = rd_kafka_offsets_store(client.handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.offsets, "Could not store offsets", rdkafkaError: err)
        }
    }

    /// Commits the stored offsets synchronously. Nothing stored is not an error.
    public func commit() throws(KafkaError) {
        let err = rd_kafka_commit(client.handle, nil, 0)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            throw KafkaError(.offsets, "Commit failed", rdkafkaError: err)
        }
    }

    /// The group's committed offsets for these partitions (nil where none).
    public func committedOffsets(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [TopicPartition: Int64?] {
        let list = NativePartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_committed(client.handle, list.pointer, NativeClient.milliseconds(timeout))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.offsets, "Could not read committed offsets", rdkafkaError: err) }
        var out: [TopicPartition: Int64?] = [:]
        for (tp, off, _) in list.entries { out[tp] = off >= 0 ? off : nil }
        return out
    }

    /// Consumer lag per partition from the latest statistics report
    /// (needs `statistics.interval.ms` > 0). Safe from any thread.
    public var lag: [TopicPartition: Int64] { context.lag.withLock { $0 } }

    /// How the connections to the cluster stand, from the latest statistics
    /// report (needs `statistics.interval.ms` > 0); nil before the first.
    public var brokerHealth: BrokerHealth? { context.brokers.withLock { $0 } }
    /// Whether a broker answers this consumer: the statistics of the last
    /// `within` said one was connected and heard from in the last 5 s.
    /// False without statistics (`statistics.interval.ms` 0) or when they stopped.
    public func brokersAnswering(within: Duration = .seconds(5)) -> Bool {
        context.brokersAnswering.withLock { s in s.map { $0.0 && ContinuousClock.now - $0.1 <= within } ?? false }
    }

    /// Leaves the group (running the revoke handler first) and stops the
    /// consumer, so a new member gets the partitions without waiting for the
    /// session timeout. Further calls are invalid.
    public func close() throws(KafkaError) {
        guard !closed else { return }
        releasePending()
        closed = true
        let err = rd_kafka_consumer_close(client.handle)
        if let e = context.rebalanceError { throw e }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.consume, "Consumer close failed", rdkafkaError: err) }
    }
}

/// librdkafka's rebalance callback: runs the application's handler, then
/// applies the assignment (eager or cooperative protocol).
private let consumerRebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = { rk, err, partitions, opaque in
    guard let rk, let partitions, let opaque else { return }
    let context = Unmanaged<ConsumerCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    // NULL when librdkafka cannot answer (its group is being torn down, as
    // during close): then no cooperative assignment is running either.
    let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) == "COOPERATIVE" } ?? false
    let tps = NativePartitionList.entries(of: partitions).map(\.0)
    context.assignmentChanged = true
    switch err {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        let offsets = context.rebalance?.assigned(tps) ?? [:]
        for i in 0..<Int(partitions.pointee.cnt) {
            let e = partitions.pointee.elems[i]
            if let off = offsets[TopicPartition(String(cString: e.topic), e.partition)] {
                partitions.pointee.elems[i].offset = off
            }
        }
        if cooperative {
            if let error = rd_kafka_incremental_assign(rk, partitions) {
                context.rebalanceError = KafkaError(.assignment, "Incremental assign failed: \(String(cString: rd_kafka_error_string(error)))")
                rd_kafka_error_destroy(error)
            }
        } else {
            let e = rd_kafka_assign(rk, partitions)
            if e != RD_KAFKA_RESP_ERR_NO_ERROR { context.rebalanceError = KafkaError(.assignment, "Assign failed", rdkafkaError: e) }
        }
        if context.rebalance?.pauseAssigned == true {
            let e = rd_kafka_pause_partitions(rk, partitions)
            if e != RD_KAFKA_RESP_ERR_NO_ERROR { context.rebalanceError = KafkaError(.assignment, "Pause of new partitions failed", rdkafkaError: e) }
        }
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        context.rebalance?.revoking(tps)
        if cooperative {
            if let error = rd_kafka_incremental_unassign(rk, partitions) { rd_kafka_error_destroy(error) }
        } else {
            _ = rd_kafka_assign(rk, nil)
        }
    default:
        rdkafkaLogger.error("Rebalance error: \(String(cString: rd_kafka_err2str(err)))")
        _ = rd_kafka_assign(rk, nil)
    }
}

/// librdkafka's statistics callback: keeps the consumer lag per partition and the brokers' health.
/// The statistics JSON is parsed with a small scanner (off the hot path, once per interval).
private let consumerStatisticsCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = { _, json, len, opaque in
    guard let json, let opaque else { return 0 }
    let context = Unmanaged<ConsumerCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: json, count: len)
    let (lag, brokers, answering) = ConsumerStatistics.readAll(statisticsJSON: bytes)
    context.lag.withLock { $0 = lag }
    context.brokers.withLock { $0 = brokers }
    context.brokersAnswering.withLock { $0 = (answering, .now) }
    return 0
}
