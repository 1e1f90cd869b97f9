/// Reads what the service needs out of librdkafka's statistics JSON
/// (emitted every `statistics.interval.ms`, off the hot path), in one pass
/// of `StatisticsScanner`.
enum ConsumerStatistics {
    /// What the statistics say about the brokers: the time since the
    /// freshest answer from any broker of the cluster (`rxidle`, over
    /// connections that are up), and how many brokers are up.
    static func brokers(statisticsJSON bytes: UnsafeRawBufferPointer) -> BrokerHealth? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let brokers = object["brokers"] as? [String: Any] else { return nil }
        var up = 0
        var freshest: Int64?
        for (_, value) in brokers {
            guard let b = value as? [String: Any], let state = b["state"] as? String else { continue }
            // Bootstrap entries (nodeid -1) are the addresses configured, not brokers of the cluster.
            let node = (b["nodeid"] as? NSNumber)?.int32Value ?? -1
            guard state == "UP" else { continue }
            if node >= 0 { up += 1 }
            if let idle = (b["rxidle"] as? NSNumber)?.int64Value, idle >= 0 {
                freshest = min(freshest ?? .max, idle)
            }
        }
        return BrokerHealth(brokersUp: up, sinceLastAnswer: freshest.map { .microseconds($0) })
    }

    /// `consumer_lag` per assigned partition; partitions with an unknown lag (-1) are left out.
    static func consumerLag(statisticsJSON bytes: UnsafeRawBufferPointer) -> [TopicPartition: Int64] {
        var lag: [TopicPartition: Int64] = [:]
        StatisticsScanner.scan(bytes, broker: { _ in }, partition: { topic, p, l in lag[TopicPartition(topic, p)] = l })
        return lag
    }
}

/// How the consumer's connections to the cluster stand, from librdkafka's
/// statistics (every `statistics.interval.ms`).
public struct BrokerHealth: Sendable, Equatable {
    /// Brokers of the cluster with a connection up.
    public var brokersUp: Int
    /// Since the freshest answer from any broker (nil: none answered on the current connections).
    public var sinceLastAnswer: Duration?

    public init(brokersUp: Int, sinceLastAnswer: Duration?) {
        self.brokersUp = brokersUp
        self.sinceLastAnswer = sinceLastAnswer
    }

    /// A consumer in a group hears from its coordinator at least every
    /// heartbeat (3 s by default) and from its partitions' leaders every
    /// fetch wait (100 ms here): no answer for `silence` means the broker
    /// is gone or stalled (a paused process keeps its connections "up").
    public func isReachable(silence: Duration = .seconds(10)) -> Bool {
        guard brokersUp > 0, let since = sinceLastAnswer else { return false }
        return since < silence
    }
}
