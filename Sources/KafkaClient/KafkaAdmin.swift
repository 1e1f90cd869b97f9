import CRdKafka

/// Topic administration on a real broker (CreateTopics). The embedded broker
/// does not answer CreateTopics: use `EmbeddedBroker.createTopic` there.
public final class KafkaAdmin: Sendable {
    let client: NativeClient

    public init(configuration: KafkaConfiguration) throws(KafkaError) {
        let conf = try configuration.makeNativeConfiguration()
        client = try NativeClient(kind: RD_KAFKA_PRODUCER, nativeConfiguration: conf, bootstrapServers: configuration.bootstrapServers)
    }

    /// A topic to create.
    public struct NewTopic: Sendable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int32
        /// Topic configs, e.g. `cleanup.policy=compact` for the state topic.
        public var configs: [String: String]

        public init(name: String, partitions: Int32, replicationFactor: Int32 = 1, configs: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    /// Creates topics; one that already exists is not an error.
    public func createTopics(_ topics: [NewTopic], timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard !topics.isEmpty else { return }
        var errbuf = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for t in topics {
            guard let nt = rd_kafka_NewTopic_new(t.name, t.partitions, t.replicationFactor, &errbuf, errbuf.count) else {
                let reason = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw KafkaError(.admin, "Invalid topic \(t.name): \(reason)")
            }
            newTopics.append(nt)
            for (k, v) in t.configs.sorted(by: { $0.key < $1.key }) { _ = rd_kafka_NewTopic_set_config(nt, k, v) }
        }
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, NativeClient.milliseconds(timeout), &errbuf, errbuf.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, NativeClient.milliseconds(timeout), &errbuf, errbuf.count)
        newTopics.withUnsafeMutableBufferPointer { buf in
            rd_kafka_CreateTopics(client.handle, buf.baseAddress, buf.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, NativeClient.milliseconds(timeout) + 1000) else {
            throw KafkaError(.admin, "CreateTopics got no answer from Kafka at \(client.bootstrapServers) within \(timeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError(.admin, "CreateTopics failed at \(client.bootstrapServers): \(text.isEmpty ? String(cString: rd_kafka_err2str(err)) : text)", rdkafkaName: String(cString: rd_kafka_err2name(err)))
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(.admin, "CreateTopics returned an unexpected event")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let r = results[i]
            let e = rd_kafka_topic_result_error(r)
            if e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(r))
                let text = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? ""
                throw KafkaError(.admin, "Could not create topic \(name): \(text)", rdkafkaName: String(cString: rd_kafka_err2name(e)))
            }
        }
    }
}
