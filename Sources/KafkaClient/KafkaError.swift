import CRdKafka

/// The one error type of the Kafka client layer: what failed, librdkafka's
/// error name and text when it came from librdkafka, and what the user can do.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; stable for callers to switch on.
    public enum Code: String, Sendable {
        case configuration          // a client property librdkafka refused
        case clientCreation         // rd_kafka_new failed
        case brokerUnreachable      // no broker answered within the timeout
        case unknownTopic           // a topic that does not exist on the cluster
        case subscription
        case assignment
        case seek
        case offsets                // store / commit / offsets-for-times / watermarks
        case produce                // enqueue failed
        case delivery               // the broker did not acknowledge a record
        case flush                  // records still unacknowledged after the flush timeout
        case admin                  // CreateTopics and other admin requests
        case mockCluster            // the embedded broker
        case consume                // an error surfaced by poll
    }

    public var code: Code
    /// librdkafka's error name (`_TRANSPORT`, `UNKNOWN_TOPIC_OR_PART`...), when it came from librdkafka.
    public var rdkafkaName: String?
    /// What went wrong, what it concerned, and what to do about it.
    public var message: String

    public init(_ code: Code, _ message: String, rdkafkaName: String? = nil) {
        self.code = code
        self.message = message
        self.rdkafkaName = rdkafkaName
    }

    /// An error from a librdkafka response code, with the operation's context.
    init(_ code: Code, _ context: String, rdkafkaError err: rd_kafka_resp_err_t) {
        self.code = code
        self.rdkafkaName = String(cString: rd_kafka_err2name(err))
        self.message = "\(context): \(String(cString: rd_kafka_err2str(err)))"
    }

    public var description: String {
        if let rdkafkaName { return "\(message) [\(code.rawValue), \(rdkafkaName)]" }
        return "\(message) [\(code.rawValue)]"
    }
}
