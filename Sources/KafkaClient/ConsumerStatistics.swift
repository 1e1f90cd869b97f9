/// Reads what the service needs out of librdkafka's statistics JSON
/// (emitted every `statistics.interval.ms`, off the hot path), in one pass
/// of `StatisticsScanner`.
enum ConsumerStatistics {
    /// What the statistics say: `consumer_lag` per assigned partition (an
    /// unknown lag, -1, left out), and the brokers — how many of the
    /// cluster's are up, and the time since the freshest answer from any
    /// (`rxidle`, over connections that are up). One pass over the bytes;
    /// `brokers` is nil when the report lists none.
    static func read(statisticsJSON bytes: UnsafeRawBufferPointer) -> (lag: [TopicPartition: Int64], brokers: BrokerHealth?) {
        let r = readAll(statisticsJSON: bytes)
        return (r.lag, r.brokers)
    }

    /// `read` and `parse` in the one pass the statistics callback makes.
    static func readAll(statisticsJSON bytes: UnsafeRawBufferPointer, answeringWithin: Int64 = 5_000_000)
        -> (lag: [TopicPartition: Int64], brokers: BrokerHealth?, brokersAnswering: Bool) {
        var lag: [TopicPartition: Int64] = [:]
        var listed = 0, up = 0
        var freshest: Int64?
        var answering = false
        StatisticsScanner.scan(bytes, broker: { b in
            listed += 1
            guard b.up else { return }
            // Bootstrap entries (nodeid -1) are the addresses configured, not brokers of the cluster.
            if b.nodeID >= 0 { up += 1 }
            if let idle = b.rxIdle, idle >= 0 {
                freshest = min(freshest ?? .max, idle)
                if b.nodeID >= 0, idle < answeringWithin { answering = true }
            }
        }, partition: { topic, p, l in lag[TopicPartition(topic, p)] = l })
        let brokers = listed == 0 ? nil : BrokerHealth(brokersUp: up, sinceLastAnswer: freshest.map { .microseconds($0) })
        return (lag, brokers, answering)
    }

    /// The brokers part of `read`.
    static func brokers(statisticsJSON bytes: UnsafeRawBufferPointer) -> BrokerHealth? {
        read(statisticsJSON: bytes).brokers
    }

    /// `consumer_lag` per assigned partition; partitions with an unknown lag (-1) are left out.
    static func consumerLag(statisticsJSON bytes: UnsafeRawBufferPointer) -> [TopicPartition: Int64] {
        parse(statisticsJSON: bytes).lag
    }

    /// The consumer lag per partition, and whether some broker answers:
    /// connected (`UP`) and heard from within `answeringWithin` µs (a fetch
    /// returns every `fetch.wait.max.ms` even when there is nothing new).
    static func parse(statisticsJSON bytes: UnsafeRawBufferPointer, answeringWithin: Int64 = 5_000_000)
        -> (lag: [TopicPartition: Int64], brokersAnswering: Bool) {
        let r = readAll(statisticsJSON: bytes, answeringWithin: answeringWithin)
        return (r.lag, r.brokersAnswering)
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
