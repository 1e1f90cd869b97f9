import CRdKafka

/// One record handed to the application inside a `ConsumerBatch`.
///
/// Its `key`, `value` and headers point into librdkafka's own buffers: they
/// are valid only while the batch handler runs (copy what must outlive it;
/// `OwnedRecord(_:)` does). This is what keeps the hot path free of copies.
public struct ConsumedRecord {
    let message: UnsafeMutablePointer<rd_kafka_message_t>
    public let topic: String

    public var partition: Int32 { message.pointee.partition }
    public var offset: Int64 { message.pointee.offset }

    /// The record key, or nil for a null key.
    public var key: UnsafeRawBufferPointer? {
        guard let k = message.pointee.key else { return nil }
        return UnsafeRawBufferPointer(start: k, count: message.pointee.key_len)
    }

    /// The record value, or nil for a null payload (a tombstone).
    public var value: UnsafeRawBufferPointer? {
        guard let v = message.pointee.payload else { return nil }
        return UnsafeRawBufferPointer(start: v, count: message.pointee.len)
    }

    /// The record timestamp in epoch milliseconds (create or log-append time), nil when unavailable.
    public var timestampMillis: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0 ? nil : ts
    }

    /// The record timestamp when it is the broker's log-append time (the
    /// topic's `message.timestamp.type=LogAppendTime`), which the producer
    /// does not control; nil for a producer's create time or none.
    public var logAppendTimeMillis: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME && ts >= 0 ? ts : nil
    }

    /// The record headers in order (a header may repeat; a null value is nil).
    public var headers: [(name: String, value: [UInt8]?)] {
        var hdrs: OpaquePointer?
        guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
        var out: [(String, [UInt8]?)] = []
        var idx = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(hdrs, idx, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            out.append((name.map { String(cString: $0) } ?? "", bytes))
            idx += 1
        }
        return out
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// A copy of a consumed record that owns its bytes (for tests and slow paths).
public struct OwnedRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var timestampMillis: Int64?
    public var headers: [Header]

    /// A record header (name, value).
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: [UInt8]?
        public init(name: String, value: [UInt8]?) {
            self.name = name
            self.value = value
        }
    }

    public init(_ r: ConsumedRecord) {
        topic = r.topic
        partition = r.partition
        offset = r.offset
        key = r.key.map { Array($0) }
        value = r.value.map { Array($0) }
        timestampMillis = r.timestampMillis
        headers = r.headers.map { Header(name: $0.name, value: $0.value) }
    }
}

/// Records gathered by one `KafkaConsumer.poll` call, handed to the
/// application synchronously (never one async hop per record).
public struct ConsumerBatch {
    let messages: UnsafeBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>>
    let topicNames: [String]
    /// Partitions that reached their end offset during this poll
    /// (only with `enable.partition.eof=true`).
    public let partitionsAtEnd: [TopicPartition]
    /// Errors librdkafka surfaced through the consumer during this poll.
    public let errors: [KafkaError]

    public var count: Int { messages.count }
    public var isEmpty: Bool { messages.isEmpty }

    public subscript(i: Int) -> ConsumedRecord {
        ConsumedRecord(message: messages[i], topic: topicNames[i])
    }

    /// Calls `body` for each record in order.
    @inline(__always)
    public func forEach(_ body: (ConsumedRecord) throws -> Void) rethrows {
        for i in 0..<messages.count { try body(self[i]) }
    }
}
