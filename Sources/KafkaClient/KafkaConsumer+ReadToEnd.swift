extension KafkaConsumer {
    /// Reads every partition of `topic` from its oldest retained record up to
    /// the end offsets taken at the start, with a private assign-only
    /// consumer (no group, nothing committed), handing each record to `body`
    /// in offset order per partition. For small service topics read back at
    /// start-up: alerts already published, checkpoints, test output.
    ///
    /// Throws `.unknownTopic` for a missing topic (with `missingIsEmpty`: reads
    /// nothing, for an output topic nothing was written to yet, which a
    /// cluster that creates topics on first use creates then) and `.consume`
    /// when the end is not reached within `timeout`.
    public static func readToEnd(topic: String, configuration: KafkaConfiguration, timeout: Duration = .seconds(30),
                                 missingIsEmpty: Bool = false, _ body: (ConsumedRecord) throws -> Void) throws {
        // End-of-partition events too: on a compacted topic the last offsets may be gone.
        var configuration = configuration
        configuration.properties["enable.partition.eof"] = "true"
        let consumer = try KafkaConsumer(configuration: configuration, groupID: nil)
        defer { try? consumer.close() }
        var counts: [String: Int32] = [:]
        do {
            counts = try consumer.partitionCounts(topics: [topic])
        } catch {
            guard error.code == .unknownTopic && missingIsEmpty else { throw error }
        }
        guard let count = counts[topic] else {
            if missingIsEmpty { return }
            throw KafkaError(.unknownTopic, "topic \(topic) does not exist")
        }
        var start: [TopicPartition: Int64] = [:]
        var end: [TopicPartition: Int64] = [:]
        for (tp, marks) in try consumer.watermarkOffsets((0..<count).map { TopicPartition(topic, $0) }) where marks.high > marks.low {
            start[tp] = marks.low; end[tp] = marks.high
        }
        guard !start.isEmpty else { return }
        try consumer.assign(start)
        var remaining = Set(start.keys)
        let deadline = ContinuousClock.now + timeout
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(.consume, "could not read \(topic) to its end within \(timeout) (\(remaining.count) partitions short)")
            }
            try consumer.poll(maxRecords: 5000) { (batch: ConsumerBatch) throws in
                for i in 0..<batch.count {
                    let r = batch[i]
                    guard let last = end[r.topicPartition], r.offset < last else { continue }
                    try body(r)
                    if r.offset + 1 >= last { remaining.remove(r.topicPartition) }
                }
                for tp in batch.partitionsAtEnd { remaining.remove(tp) }
            }
        }
    }
}
