/// Reads what the service needs out of librdkafka's statistics JSON
/// (emitted every `statistics.interval.ms`, off the hot path), in one pass
/// of `StatisticsScanner`.
enum ConsumerStatistics {
    /// `consumer_lag` per assigned partition; partitions with an unknown lag (-1) are left out.
    static func consumerLag(statisticsJSON bytes: UnsafeRawBufferPointer) -> [TopicPartition: Int64] {
        parse(statisticsJSON: bytes).lag
    }

    /// The consumer lag per partition, and whether some broker answers:
    /// connected (`UP`) and heard from within `answeringWithin` µs (a fetch
    /// returns every `fetch.wait.max.ms` even when there is nothing new).
    static func parse(statisticsJSON bytes: UnsafeRawBufferPointer, answeringWithin: Int64 = 5_000_000)
        -> (lag: [TopicPartition: Int64], brokersAnswering: Bool) {
        var lag: [TopicPartition: Int64] = [:]
        var answering = false
        StatisticsScanner.scan(bytes, broker: { b in
            if b.nodeID >= 0, b.up, let idle = b.rxIdle, idle >= 0, idle < answeringWithin { answering = true }
        }, partition: { topic, p, l in lag[TopicPartition(topic, p)] = l })
        return (lag, answering)
    }
}
