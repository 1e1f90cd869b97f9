import CRdKafka

/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// Special offsets understood by librdkafka where an offset is expected.
public enum KafkaOffset {
    /// The first retained offset of the partition.
    public static let beginning = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// The end of the partition (the next offset to be written).
    public static let end = Int64(RD_KAFKA_OFFSET_END)
    /// The committed offset of the group, or `auto.offset.reset` without one.
    public static let stored = Int64(RD_KAFKA_OFFSET_STORED)
}

/// Owns a `rd_kafka_topic_partition_list_t` and converts to and from Swift.
struct NativePartitionList: ~Copyable {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ entries: [(TopicPartition, Int64?)]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)!
            if let offset { element.pointee.offset = offset }
        }
    }

    init(taking pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    static func entries(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(TopicPartition, Int64, rd_kafka_resp_err_t)] {
        let count = Int(list.pointee.cnt)
        var out: [(TopicPartition, Int64, rd_kafka_resp_err_t)] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let e = list.pointee.elems[i]
            out.append((TopicPartition(String(cString: e.topic), e.partition), e.offset, e.err))
        }
        return out
    }

    var entries: [(TopicPartition, Int64, rd_kafka_resp_err_t)] { Self.entries(of: pointer) }
}

/// Where a replay starts reading a partition.
public enum StartPosition: Sendable, Hashable {
    /// At this offset.
    case offset(Int64)
    /// At offset `from`, skipping every record before the first one whose
    /// timestamp is at or after `time` (the broker could not say where that is).
    case firstAtOrAfter(time: Int64, from: Int64)

    /// The offset reading starts at.
    public var readFrom: Int64 {
        switch self {
        case .offset(let o): o
        case .firstAtOrAfter(_, let from): from
        }
    }
}
