import KafkaClient
import KPICore

/// Where rejected records go: the dead-letter topic, with the original bytes
/// as value and their provenance and reason as headers — and a count per
/// reason. Bad input never stops the consumer and is never lost.
public final class DeadLetterSink {
    /// Header names on dead-letter records.
    public enum Header {
        public static let sourceTopic = "kpi.source.topic"
        public static let sourcePartition = "kpi.source.partition"
        public static let sourceOffset = "kpi.source.offset"
        public static let reason = "kpi.reason"
        public static let error = "kpi.error"
    }

    private let producer: KafkaProducer?
    private let topic: String
    /// Rejected records per reason code (`malformed_json`, `late`, ...).
    public private(set) var countsByReason: [String: Int] = [:]

    /// `producer` nil: count only (a dry run that writes nothing).
    public init(producer: KafkaProducer?, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public var total: Int { countsByReason.values.reduce(0, +) }

    /// Counts the rejection and writes the record to the dead-letter topic.
    public func reject(sourceTopic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
                       timestampMillis: Int64?, reason: String, detail: String) throws(KafkaError) {
        countsByReason[reason, default: 0] += 1
        guard let producer else { return }
        try producer.send(topic: topic, key: key, value: value, headers: [
            (name: Header.sourceTopic, value: Array(sourceTopic.utf8)),
            (name: Header.sourcePartition, value: Array(String(partition).utf8)),
            (name: Header.sourceOffset, value: Array(String(offset).utf8)),
            (name: Header.reason, value: Array(reason.utf8)),
            (name: Header.error, value: Array(detail.utf8)),
        ], timestampMillis: timestampMillis)
    }

    /// Waits until every dead-letter record is acknowledged.
    public func flush() throws(KafkaError) {
        try producer?.flush()
    }
}
