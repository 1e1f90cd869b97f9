import CRdKafka

/// A Kafka-protocol broker on loopback, from librdkafka's mock cluster
/// (`rd_kafka_mock_cluster_new`): what the demo and the tests talk to over
/// real TCP through the same client code as production.
///
/// Limits to know (librdkafka 2.0.2): it keeps only about the last 5 MiB of
/// each partition (older message sets vanish, like a small `retention.bytes`),
/// so size data with enough partitions; its first group join waits ~3 s; it
/// answers neither CreateTopics nor DescribeConfigs, hence `createTopic` here.
// @unchecked: the mock cluster API is thread-safe (each call is posted to the
// cluster's own thread and awaited), and the handle is immutable.
public final class EmbeddedBroker: @unchecked Sendable {
    private let client: NativeClient
    private let cluster: OpaquePointer
    /// `host:port,...` of the mock brokers, for `bootstrap.servers`.
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1) throws(KafkaError) {
        // The cluster's own handle never connects anywhere: keep it quiet.
        var conf = KafkaConfiguration(bootstrapServers: "", properties: ["log_level": "3"])
        conf.properties.removeValue(forKey: "bootstrap.servers")
        let native = try conf.makeNativeConfiguration()
        client = try NativeClient(kind: RD_KAFKA_PRODUCER, nativeConfiguration: native, bootstrapServers: "")
        guard let mc = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(.mockCluster, "Could not start the embedded Kafka broker (rd_kafka_mock_cluster_new failed)")
        }
        cluster = mc
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
        brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// Creates a topic (the mock's replacement for CreateTopics).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, min(replicationFactor, Int32(brokerCount)))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.mockCluster, "Could not create topic \(name) on the embedded broker", rdkafkaError: err)
        }
    }

    /// Takes a broker down: its connections close and it refuses new ones.
    public func setBrokerDown(_ brokerID: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_down(cluster, brokerID)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.mockCluster, "Could not take broker \(brokerID) down", rdkafkaError: err) }
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ brokerID: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_up(cluster, brokerID)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.mockCluster, "Could not bring broker \(brokerID) up", rdkafkaError: err) }
    }

    /// Adds a round-trip latency to every request a broker answers.
    public func setRoundTripTime(_ brokerID: Int32 = 1, milliseconds: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_rtt(cluster, brokerID, milliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.mockCluster, "Could not set the latency of broker \(brokerID)", rdkafkaError: err) }
    }

    /// Makes the next requests of one Kafka API (e.g. 1 = Fetch, 0 = Produce)
    /// fail with these error codes, in order.
    public func failNextRequests(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer { buf in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, buf.count, buf.baseAddress)
        }
    }

    /// Clears injected request errors of one API.
    public func clearRequestErrors(apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(cluster, apiKey)
    }
}
