import Foundation

/// Reads what the service needs out of librdkafka's statistics JSON
/// (emitted every `statistics.interval.ms`, off the hot path).
enum ConsumerStatistics {
    /// `consumer_lag` per assigned partition; partitions with an unknown lag (-1) are left out.
    static func consumerLag(statisticsJSON bytes: UnsafeRawBufferPointer) -> [TopicPartition: Int64] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return [:] }
        return consumerLag(object)
    }

    /// The consumer lag per partition, and whether some broker answers:
    /// connected (`UP`) and heard from within `answeringWithin` µs (a fetch
    /// returns every `fetch.wait.max.ms` even when there is nothing new).
    static func parse(statisticsJSON bytes: UnsafeRawBufferPointer, answeringWithin: Int64 = 5_000_000)
        -> (lag: [TopicPartition: Int64], brokersAnswering: Bool) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return ([:], false) }
        var answering = false
        for (_, b) in object["brokers"] as? [String: Any] ?? [:] {
            guard let b = b as? [String: Any], ((b["nodeid"] as? NSNumber)?.int32Value ?? -1) >= 0,
                  b["state"] as? String == "UP", let idle = (b["rxidle"] as? NSNumber)?.int64Value else { continue }
            if idle >= 0 && idle < answeringWithin { answering = true }
        }
        return (consumerLag(object), answering)
    }

    static func consumerLag(_ object: [String: Any]) -> [TopicPartition: Int64] {
        guard let topics = object["topics"] as? [String: Any] else { return [:] }
        var lag: [TopicPartition: Int64] = [:]
        for (topic, value) in topics {
            guard let partitions = (value as? [String: Any])?["partitions"] as? [String: Any] else { continue }
            for (_, p) in partitions {
                guard let p = p as? [String: Any],
                      let id = (p["partition"] as? NSNumber)?.int32Value, id >= 0,
                      let l = (p["consumer_lag"] as? NSNumber)?.int64Value, l >= 0 else { continue }
                lag[TopicPartition(topic, id)] = l
            }
        }
        return lag
    }
}
