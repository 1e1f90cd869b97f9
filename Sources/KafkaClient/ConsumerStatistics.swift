import Foundation

/// Reads what the service needs out of librdkafka's statistics JSON
/// (emitted every `statistics.interval.ms`, off the hot path).
enum ConsumerStatistics {
    /// `consumer_lag` per assigned partition; partitions with an unknown lag (-1) are left out.
    static func consumerLag(statisticsJSON bytes: UnsafeRawBufferPointer) -> [TopicPartition: Int64] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let topics = object["topics"] as? [String: Any] else { return [:] }
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
