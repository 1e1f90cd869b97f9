import CRdKafka
import Synchronization

/// A record to produce: topic, optional partition, key, value, headers, timestamp.
public struct ProducerRecord: Sendable {
    public var topic: String
    /// nil: the partitioner chooses by key (murmur2-compatible `consistent_random` default of librdkafka).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [(name: String, value: [UInt8])]
    /// Explicit record timestamp in epoch milliseconds; nil: now.
    public var timestampMillis: Int64?

    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [(name: String, value: [UInt8])] = [], timestampMillis: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMillis = timestampMillis
    }
}

/// Delivery outcomes gathered from librdkafka's delivery-report callback.
final class DeliveryReports: @unchecked Sendable {
    struct State {
        var delivered: Int = 0
        var failed: Int = 0
        var firstErrors: [KafkaError] = []
    }
    let state = Mutex(State())
}

/// A Kafka producer over librdkafka. Thread-safe: `send` may be called from
/// any thread. Delivery failures are surfaced as errors by `flush` (and
/// counted in `deliveryFailures`), never silently dropped.
public final class KafkaProducer: Sendable {
    let client: NativeClient
    let reports: DeliveryReports
    private let reportsRetain: Unmanaged<DeliveryReports>

    public init(configuration: KafkaConfiguration) throws(KafkaError) {
        let config = configuration.withProducerDefaults()
        let reports = DeliveryReports()
        self.reports = reports
        let conf = try config.makeNativeConfiguration()
        let retained = Unmanaged.passRetained(reports)
        reportsRetain = retained
        rd_kafka_conf_set_opaque(conf, retained.toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf, producerDeliveryCallback)
        do {
            client = try NativeClient(kind: RD_KAFKA_PRODUCER, nativeConfiguration: conf, bootstrapServers: config.bootstrapServers)
        } catch {
            retained.release()
            throw error
        }
    }

    deinit {
        rd_kafka_flush(client.handle, 5000)
        let r = reportsRetain
        withExtendedLifetime(client) {}
        r.release()
    }

    /// Fails with a clear message when no broker answers within `timeout`.
    public func waitUntilReachable(timeout: Duration) throws(KafkaError) {
        try client.waitUntilReachable(timeout: timeout)
    }

    /// Partition counts of `topics`; fails naming any missing topic.
    public func partitionCounts(topics: [String], timeout: Duration = .seconds(10)) throws(KafkaError) -> [String: Int32] {
        try client.partitionCounts(topics: topics, timeout: timeout)
    }

    /// Enqueues one record (copied). When librdkafka's local queue is full it
    /// serves delivery reports and retries, so a fast producer is slowed, not failed.
    public func send(_ record: ProducerRecord) throws(KafkaError) {
        try send(topic: record.topic, partition: record.partition, key: record.key, value: record.value, headers: record.headers, timestampMillis: record.timestampMillis)
    }

    /// Enqueues one record (copied); see `send(_:)`.
    public func send(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [(name: String, value: [UInt8])] = [], timestampMillis: Int64? = nil) throws(KafkaError) {
        var err = RD_KAFKA_RESP_ERR_NO_ERROR
        var attempts = 0
        repeat {
            err = enqueue(topic: topic, partition: partition, key: key, value: value, headers: headers, timestampMillis: timestampMillis)
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(client.handle, 10)
                attempts += 1
            }
        } while err == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempts < 60_000
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.produce, "Could not produce to \(topic)", rdkafkaError: err)
        }
    }

    private func enqueue(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [(name: String, value: [UInt8])], timestampMillis: Int64?) -> rd_kafka_resp_err_t {
        // rd_kafka_producev is variadic (unavailable from Swift): build the
        // rd_kafka_vu_t array for rd_kafka_produceva. Every pointer must stay
        // valid during the call; librdkafka copies (RD_KAFKA_MSG_F_COPY).
        let headerNames = headers.map { Array($0.name.utf8CString) }
        return topic.withCString { topicC in
            withOptionalBytes(key) { keyPtr, keyLen in
                withOptionalBytes(value) { valuePtr, valueLen in
                    var vus: [rd_kafka_vu_t] = []
                    vus.reserveCapacity(6 + headers.count)
                    var vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = topicC; vus.append(vu)
                    vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = RD_KAFKA_MSG_F_COPY; vus.append(vu)
                    if let partition { vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_PARTITION; vu.u.i32 = partition; vus.append(vu) }
                    if let keyPtr { vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_KEY; vu.u.mem.ptr = keyPtr; vu.u.mem.size = keyLen; vus.append(vu) }
                    if let valuePtr { vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_VALUE; vu.u.mem.ptr = valuePtr; vu.u.mem.size = valueLen; vus.append(vu) }
                    if let timestampMillis { vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_TIMESTAMP; vu.u.i64 = timestampMillis; vus.append(vu) }
                    return withHeaderPointers(headers, headerNames) { headerVUs in
                        vus.append(contentsOf: headerVUs)
                        let error = vus.withUnsafeBufferPointer { rd_kafka_produceva(client.handle, $0.baseAddress, $0.count) }
                        guard let error else { return RD_KAFKA_RESP_ERR_NO_ERROR }
                        let code = rd_kafka_error_code(error)
                        rd_kafka_error_destroy(error)
                        return code
                    }
                }
            }
        }
    }

    /// Serves delivery reports without blocking (call now and then from long produce loops).
    public func poll() { rd_kafka_poll(client.handle, 0) }

    /// Waits until every record enqueued so far is acknowledged, then fails
    /// if any delivery failed since the last flush.
    public func flush(timeout: Duration = .seconds(30)) throws(KafkaError) {
        let err = rd_kafka_flush(client.handle, NativeClient.milliseconds(timeout))
        let (failed, first) = reports.state.withLock { s in
            defer { s.failed = 0; s.firstErrors.removeAll() }
            return (s.failed, s.firstErrors.first)
        }
        if failed > 0, let first {
            throw KafkaError(.delivery, "\(failed) record(s) were not delivered; first: \(first.message)", rdkafkaName: first.rdkafkaName)
        }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.flush, "Records still unacknowledged after \(timeout) (\(rd_kafka_outq_len(client.handle)) in flight) to Kafka at \(client.bootstrapServers)", rdkafkaError: err)
        }
    }

    /// Records acknowledged by the broker since the producer started.
    public var deliveredCount: Int { reports.state.withLock { $0.delivered } }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeMutableRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body(UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!), $0.count) }
}

private func withHeaderPointers<R>(_ headers: [(name: String, value: [UInt8])], _ names: [[CChar]], _ body: ([rd_kafka_vu_t]) -> R) -> R {
    func go(_ i: Int, _ acc: [rd_kafka_vu_t]) -> R {
        if i == headers.count { return body(acc) }
        return names[i].withUnsafeBufferPointer { namePtr in
            headers[i].value.withUnsafeBytes { valuePtr in
                var vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_HEADER
                vu.u.header.name = namePtr.baseAddress
                vu.u.header.val = valuePtr.baseAddress
                vu.u.header.size = valuePtr.count
                return go(i + 1, acc + [vu])
            }
        }
    }
    return go(0, [])
}

private let producerDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = { _, message, opaque in
    guard let message, let opaque else { return }
    let reports = Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue()
    let err = message.pointee.err
    reports.state.withLock { s in
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            s.delivered += 1
        } else {
            s.failed += 1
            if s.firstErrors.count < 8 {
                let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "-"
                s.firstErrors.append(KafkaError(.delivery, "Delivery to \(topic)[\(message.pointee.partition)] failed", rdkafkaError: err))
            }
        }
    }
}
