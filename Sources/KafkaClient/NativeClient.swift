import CRdKafka

/// Owns one librdkafka client handle (`rd_kafka_t`) and the requests that
/// producers and consumers share: metadata, watermarks, offsets for times.
///
/// librdkafka handles are thread-safe, so this type is `Sendable`; the
/// consumer adds its own one-thread rule on top (see `KafkaConsumer`).
final class NativeClient: @unchecked Sendable {
    let handle: OpaquePointer
    let bootstrapServers: String

    /// Creates the handle from a native configuration it takes ownership of.
    init(kind: rd_kafka_type_t, nativeConfiguration conf: OpaquePointer, bootstrapServers: String) throws(KafkaError) {
        var errbuf = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(kind, conf, &errbuf, errbuf.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError(.clientCreation, "Could not create the Kafka client: \(reason)")
        }
        self.handle = rk
        self.bootstrapServers = bootstrapServers
    }

    deinit { rd_kafka_destroy(handle) }

    static func milliseconds(_ d: Duration) -> Int32 {
        let (s, atto) = d.components
        return Int32(clamping: s * 1000 + atto / 1_000_000_000_000_000)
    }

    /// Fails with a message naming the bootstrap servers when no broker
    /// answers a metadata request within `timeout`.
    func waitUntilReachable(timeout: Duration) throws(KafkaError) {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, nil, &metadata, Self.milliseconds(timeout))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(
                .brokerUnreachable,
                "Could not reach Kafka at \(bootstrapServers) within \(timeout): \(String(cString: rd_kafka_err2str(err))). Check that the broker runs and that --brokers or kafka.brokers in the config names it",
                rdkafkaName: String(cString: rd_kafka_err2name(err)))
        }
    }

    /// Each topic the cluster knows without error: its partitions' ids and
    /// leader brokers (-1: none), from one metadata request.
    private func topicMetadata(timeout: Duration) throws(KafkaError) -> [String: [(id: Int32, leader: Int32)]] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 1, nil, &metadata, Self.milliseconds(timeout))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md = metadata else {
            throw KafkaError(
                .brokerUnreachable,
                "Could not read topic metadata from Kafka at \(bootstrapServers) within \(timeout): \(String(cString: rd_kafka_err2str(err)))",
                rdkafkaName: String(cString: rd_kafka_err2name(err)))
        }
        defer { rd_kafka_metadata_destroy(md) }
        var out: [String: [(id: Int32, leader: Int32)]] = [:]
        for i in 0..<Int(md.pointee.topic_cnt) {
            let t = md.pointee.topics[i]
            guard t.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            out[String(cString: t.topic)] = (0..<Int(t.partition_cnt)).map { (t.partitions[$0].id, t.partitions[$0].leader) }
        }
        return out
    }

    /// The partition count of each topic; fails naming the topics the cluster does not have.
    func partitionCounts(topics: [String], timeout: Duration) throws(KafkaError) -> [String: Int32] {
        let known = try topicMetadata(timeout: timeout)
        let missing = topics.filter { known[$0] == nil }
        if !missing.isEmpty {
            throw KafkaError(.unknownTopic, "Topic(s) \(missing.joined(separator: ", ")) do not exist on Kafka at \(bootstrapServers). Create them, or fix the topic names in the config")
        }
        return Dictionary(topics.map { ($0, Int32(known[$0]!.count)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The leader broker of each partition of these topics (from metadata);
    /// partitions without a leader are left out.
    func leaders(of topics: Set<String>, timeout: Duration) throws(KafkaError) -> [TopicPartition: Int32] {
        var out: [TopicPartition: Int32] = [:]
        for (name, partitions) in try topicMetadata(timeout: timeout) where topics.contains(name) {
            for p in partitions where p.leader >= 0 { out[TopicPartition(name, p.id)] = p.leader }
        }
        return out
    }

    /// Low (first retained) and high (next to be written) offsets of a partition, asked of the broker.
    func watermarkOffsets(_ tp: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, tp.topic, tp.partition, &low, &high, Self.milliseconds(timeout))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.offsets, "Could not read the offsets of \(tp)", rdkafkaError: err)
        }
        return (low, high)
    }

    /// Low and high offsets of many partitions in two requests (ListOffsets
    /// for the earliest and the latest offset of all of them at once), not
    /// one round trip per partition.
    func watermarkOffsets(_ tps: [TopicPartition], timeout: Duration) throws(KafkaError) -> [TopicPartition: (low: Int64, high: Int64)] {
        guard !tps.isEmpty else { return [:] }
        // ListOffsets' special timestamps: -2 earliest, -1 latest.
        let lows = try offsetsForTimes(Dictionary(uniqueKeysWithValues: tps.map { ($0, Int64(-2)) }), timeout: timeout)
        let highs = try offsetsForTimes(Dictionary(uniqueKeysWithValues: tps.map { ($0, Int64(-1)) }), timeout: timeout)
        var out: [TopicPartition: (low: Int64, high: Int64)] = [:]
        for tp in tps {
            guard let low = lows[tp], let high = highs[tp], low >= 0, high >= low else {
                // An answer that is not a pair of offsets: ask the usual way.
                out[tp] = try watermarkOffsets(tp, timeout: timeout)
                continue
            }
            out[tp] = (low, high)
        }
        return out
    }

    /// The broker's answer to ListOffsets by timestamp: for each partition the
    /// earliest offset whose record timestamp is at or after the time, or -1
    /// when the broker knows none (or, like the 2.0.2 mock cluster, does not
    /// implement the lookup).
    func offsetsForTimes(_ times: [TopicPartition: Int64], timeout: Duration) throws(KafkaError) -> [TopicPartition: Int64] {
        // librdkafka refuses an empty list (_INVALID_ARG).
        guard !times.isEmpty else { return [:] }
        let list = NativePartitionList(times.map { ($0.key, $0.value) })
        let err = rd_kafka_offsets_for_times(handle, list.pointer, Self.milliseconds(timeout))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.offsets, "Offsets for times failed", rdkafkaError: err)
        }
        var result: [TopicPartition: Int64] = [:]
        for (tp, offset, perr) in list.entries {
            guard perr == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(.offsets, "Offsets for times failed for \(tp)", rdkafkaError: perr)
            }
            result[tp] = offset
        }
        return result
    }
}
