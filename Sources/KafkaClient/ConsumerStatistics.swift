/// Reads what the service needs out of librdkafka's statistics JSON
/// (emitted every `statistics.interval.ms`, off the hot path), in one pass
/// of `StatisticsScanner`.
enum ConsumerStatistics {
    /// `consumer_lag` per assigned partition; partitions with an unknown lag (-1) are left out.
    static func consumerLag(statisticsJSON bytes: UnsafeRawBufferPointer) -> [TopicPartition: Int64] {
        var lag: [TopicPartition: Int64] = [:]
        StatisticsScanner.scan(bytes, broker: { _ in }, partition: { topic, p, l in lag[TopicPartition(topic, p)] = l })
        return lag
    }
}
