import CRdKafka

/// librdkafka client properties (`bootstrap.servers`, `group.id`, security...),
/// passed through as they are, plus the defaults this service relies on.
///
/// Secrets (passwords, keys, tokens) never appear in `description`, logs or
/// errors: see `redacted`.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = bootstrapServers
    }

    public var bootstrapServers: String { properties["bootstrap.servers"] ?? "" }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// Consumer defaults of this service (see shared/notes/librdkafka-2.0.2.md):
    /// read from the earliest offset when there is no committed one (the 2.0.2
    /// default `largest` silently skips data), store offsets only after
    /// processing, and bound what librdkafka prefetches per partition (1 MiB:
    /// in 2.0.2 these limits apply to each partition, so large ones let a
    /// replay buffer whole topics). A partition whose local queue was full is
    /// fetched again only when librdkafka's broker thread wakes, up to 1 s
    /// later (#2879): `KafkaConsumer.poll` wakes it every
    /// `fetchWakeInterval`, so bounded queues do not starve a fast consumer.
    /// Explicit properties win.
    public func withConsumerDefaults(groupID: String?) -> KafkaConfiguration {
        var c = self
        let defaults: [String: String] = [
            "auto.offset.reset": "earliest",
            "enable.auto.offset.store": "false",
            "enable.auto.commit": "true",
            "queued.min.messages": "100000",
            "queued.max.messages.kbytes": "1024",
            "fetch.wait.max.ms": "100",
            "fetch.error.backoff.ms": "100",
        ]
        for (k, v) in defaults where c.properties[k] == nil { c.properties[k] = v }
        if let groupID {
            c.properties["group.id"] = groupID
        } else {
            // librdkafka 2.0.2 refuses even a manual assign without a group id
            // (_UNKNOWN_GROUP). A replay uses a private id that never joins a
            // group (assign only) and never commits.
            c.properties["group.id"] = "kpi-ingest.replay"
            c.properties["enable.auto.commit"] = "false"
        }
        return c
    }

    /// Producer defaults: batch well for throughput, keep latency low.
    public func withProducerDefaults() -> KafkaConfiguration {
        var c = self
        let defaults: [String: String] = [
            "linger.ms": "20",
            "batch.size": "1000000",
            "queue.buffering.max.messages": "1000000",
            "queue.buffering.max.kbytes": "1048576",
            "enable.idempotence": "false",
        ]
        for (k, v) in defaults where c.properties[k] == nil { c.properties[k] = v }
        return c
    }

    /// Whether a property's value must be hidden from logs and messages.
    public static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return k.contains("password") || k.contains("secret") || k.contains("token")
            || k.hasSuffix(".key.pem") || k == "ssl.key.location" || k.contains("sasl.oauthbearer.config")
            || k.contains("sasl.jaas")
    }

    /// The properties with secret values replaced by `***`.
    public var redacted: [String: String] {
        var r = properties
        for k in r.keys where Self.isSecret(k) { r[k] = "***" }
        return r
    }

    public var description: String {
        redacted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// Builds a librdkafka configuration object. The caller owns the result
    /// until it hands it to `rd_kafka_new`.
    func makeNativeConfiguration() throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.configuration, "rd_kafka_conf_new failed") }
        var errbuf = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errbuf, errbuf.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let shown = Self.isSecret(key) ? "***" : value
                let reason = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw KafkaError(.configuration, "Kafka client property \(key)=\(shown) was refused: \(reason). Fix it in kafka.properties of the config.")
            }
        }
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        return conf
    }
}
