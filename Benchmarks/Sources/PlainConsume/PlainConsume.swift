import CRdKafka
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The baseline of the user-shape benchmarks: a plain librdkafka
/// `rd_kafka_consumer_poll` loop over every partition of the input topics,
/// from the beginning up to the high watermarks taken at start, with the
/// consumer properties `KafkaConfiguration.withConsumerDefaults` gives
/// kpi-ingest's consumers. Each record's payload is touched (one byte and
/// its length summed) so nothing is optimized away.
public enum PlainConsume {
    /// The input topics of the shipped configuration (`config/kpi-ingest.yaml`).
    public static let inputTopics = ["shop.orders", "shop.chats", "shop.traffic"]

    /// The properties of kpi-ingest's consumers by default
    /// (`KafkaConfiguration.withConsumerDefaults(groupID: nil)`), with the
    /// bootstrap servers and a group id (required even for a manual assign
    /// on librdkafka 2.0.2; this loop never joins the group nor commits).
    public static func properties(bootstrap: String, groupID: String) -> [(String, String)] {
        [
            ("bootstrap.servers", bootstrap),
            ("group.id", groupID),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("queued.min.messages", "500000"),
            ("queued.max.messages.kbytes", "262144"),
            ("fetch.wait.max.ms", "100"),
            ("fetch.error.backoff.ms", "100"),
        ]
    }

    /// One input partition's offsets at start.
    public struct Partition: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var low: Int64
        public var high: Int64
        public var records: Int64 { max(0, high - low) }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// What one consume loop did.
    public struct Result: Sendable {
        /// Records consumed.
        public var records: Int
        /// Records between the low and high watermarks at start (what should be read).
        public var expected: Int64
        public var partitions: Int
        /// Partitions whose low watermark was above 0 at start (the mock broker dropped their oldest records).
        public var truncatedPartitions: Int
        /// From the client's creation to the assignment: metadata and watermark queries.
        public var setupSeconds: Double
        /// From the assignment to the last record.
        public var consumeSeconds: Double
        /// Sum of one byte and the length of each payload.
        public var checksum: Int
    }

    /// A consumer handle with the default properties; the caller destroys it.
    static func makeConsumer(bootstrap: String, groupID: String) throws(Failure) -> OpaquePointer {
        var errbuf = [CChar](repeating: 0, count: 512)
        guard let conf = rd_kafka_conf_new() else { throw Failure("rd_kafka_conf_new failed") }
        for (k, v) in properties(bootstrap: bootstrap, groupID: groupID) {
            if rd_kafka_conf_set(conf, k, v, &errbuf, errbuf.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw Failure("\(k)=\(v) refused: \(text(errbuf))")
            }
        }
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errbuf, errbuf.count) else {
            throw Failure("rd_kafka_new failed: \(text(errbuf))")
        }
        rd_kafka_poll_set_consumer(rk)
        return rk
    }

    /// Partition counts of `topics` from the broker's metadata.
    static func partitionCounts(_ rk: OpaquePointer, topics: [String], timeoutMs: Int32) throws(Failure) -> [String: Int32] {
        var md: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 1, nil, &md, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else {
            throw Failure("metadata request failed: \(String(cString: rd_kafka_err2str(err)))")
        }
        defer { rd_kafka_metadata_destroy(md) }
        var counts: [String: Int32] = [:]
        for i in 0..<Int(md.pointee.topic_cnt) {
            let t = md.pointee.topics[i]
            let name = String(cString: t.topic)
            if topics.contains(name), t.err == RD_KAFKA_RESP_ERR_NO_ERROR { counts[name] = t.partition_cnt }
        }
        for t in topics where counts[t] == nil { throw Failure("topic \(t) does not exist on the broker") }
        return counts
    }

    /// Every partition of `topics` with its low and high watermarks now.
    public static func watermarks(bootstrap: String, topics: [String] = inputTopics, groupID: String = "plain-consume") throws(Failure) -> [Partition] {
        let rk = try makeConsumer(bootstrap: bootstrap, groupID: groupID)
        defer { rd_kafka_destroy(rk) }
        return try watermarks(rk, topics: topics)
    }

    static func watermarks(_ rk: OpaquePointer, topics: [String]) throws(Failure) -> [Partition] {
        let counts = try partitionCounts(rk, topics: topics, timeoutMs: 10_000)
        var out: [Partition] = []
        for t in topics {
            for p in 0..<counts[t]! {
                var low: Int64 = 0
                var high: Int64 = 0
                let err = rd_kafka_query_watermark_offsets(rk, t, p, &low, &high, 10_000)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw Failure("watermarks of \(t)/\(p): \(String(cString: rd_kafka_err2str(err)))")
                }
                out.append(Partition(topic: t, partition: p, low: low, high: high))
            }
        }
        return out
    }

    /// Consumes every partition of `topics` from the beginning until each
    /// reaches the high watermark it had at start. Fails when no record
    /// arrives for `stallSeconds` while some partition is short.
    public static func run(bootstrap: String, topics: [String] = inputTopics, groupID: String = "plain-consume",
                           stallSeconds: Double = 60) throws(Failure) -> Result {
        let clock = ContinuousClock()
        let began = clock.now
        let rk = try makeConsumer(bootstrap: bootstrap, groupID: groupID)
        defer { rd_kafka_destroy(rk) }
        let parts = try watermarks(rk, topics: topics)

        // Per topic, per partition: the offset that ends it (high - 1), or -1 when empty.
        var lastOffset: [[Int64]] = topics.map { _ in [] }
        var remaining = 0
        guard let list = rd_kafka_topic_partition_list_new(Int32(parts.count)) else { throw Failure("partition list") }
        for (ti, t) in topics.enumerated() {
            let mine = parts.filter { $0.topic == t }.sorted { $0.partition < $1.partition }
            lastOffset[ti] = mine.map { $0.high > $0.low ? $0.high - 1 : -1 }
            remaining += mine.filter { $0.high > $0.low }.count
            for p in mine {
                rd_kafka_topic_partition_list_add(list, t, p.partition)!.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
        }
        let assignErr = rd_kafka_assign(rk, list)
        rd_kafka_topic_partition_list_destroy(list)
        guard assignErr == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure("assign: \(String(cString: rd_kafka_err2str(assignErr)))") }
        let assigned = clock.now

        // Topic handles to topic indices: pointer comparisons, no string per record.
        var handles: [(OpaquePointer, Int)] = []
        var seen = 0
        var sink = 0
        var lastRecord = clock.now
        var reportedError = false
        while remaining > 0 {
            guard let m = rd_kafka_consumer_poll(rk, 100) else {
                if clock.now - lastRecord > .milliseconds(Int64(stallSeconds * 1000)) {
                    rd_kafka_consumer_close(rk)
                    throw Failure("stalled: no record for \(stallSeconds) s with \(remaining) partitions short of their high watermark (\(seen) records read)")
                }
                continue
            }
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                seen += 1
                if let payload = m.pointee.payload, m.pointee.len > 0 {
                    sink &+= Int(payload.load(as: UInt8.self)) &+ m.pointee.len
                }
                let rkt = m.pointee.rkt!
                var ti = -1
                for (h, i) in handles where h == rkt { ti = i; break }
                if ti < 0 {
                    let name = String(cString: rd_kafka_topic_name(rkt))
                    ti = topics.firstIndex(of: name) ?? -1
                    handles.append((rkt, ti))
                }
                if ti >= 0 {
                    let p = Int(m.pointee.partition)
                    if lastOffset[ti][p] >= 0 && m.pointee.offset >= lastOffset[ti][p] {
                        lastOffset[ti][p] = -1
                        remaining -= 1
                    }
                }
                lastRecord = clock.now
            } else if m.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !reportedError {
                reportedError = true
                let msg = String(cString: rd_kafka_err2str(m.pointee.err))
                printError("plain-consume: consumer error (reported once): \(msg)\n")
            }
            rd_kafka_message_destroy(m)
        }
        let done = clock.now
        rd_kafka_consumer_close(rk)
        return Result(
            records: seen,
            expected: parts.reduce(0) { $0 + $1.records },
            partitions: parts.count,
            truncatedPartitions: parts.filter { $0.low > 0 }.count,
            setupSeconds: seconds(assigned - began),
            consumeSeconds: seconds(done - assigned),
            checksum: sink)
    }

    /// A NUL-terminated C buffer as a String.
    static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// `x` with `digits` digits after the point.
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((abs(x) * scale).rounded())
        let whole = n / Int64(scale)
        var frac = String(n % Int64(scale))
        while frac.count < digits { frac = "0" + frac }
        return (x < 0 && n != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
    }

    public static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Writes a line to standard error (the C `stderr` global is not concurrency-safe in Swift 6).
public func printError(_ text: String) {
    var text = text
    text.withUTF8 { buf in
        var rest = UnsafeRawBufferPointer(buf)
        while !rest.isEmpty {
            let n = write(2, rest.baseAddress, rest.count)
            if n <= 0 { return }
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }
}
