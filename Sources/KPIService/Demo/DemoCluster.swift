import EventGenerator
import Foundation
import KafkaClient
import KPICore

/// `kpi-ingest demo` without the HTTP part: an embedded Kafka-protocol broker
/// on loopback with the service's topics, a generator writing a short
/// backlog then following real time, and the live ingester consuming it —
/// each on a thread of its own, all stopped by one `StopSignal`.
public final class DemoCluster: Sendable {
    public let broker: EmbeddedBroker
    public let topics: TopicNames
    /// Enough partitions that the broker's ~5 MiB per-partition retention
    /// keeps the backlog and hours of live data at demo rates.
    public static let inputPartitions: Int32 = 12

    /// A broker with the service's topics: the inputs with `inputPartitions`
    /// each, the outputs with one, and `extraTopics` (e.g. the topics of
    /// `kind: kafka` receivers) with one.
    public init(topics: TopicNames = TopicNames(), inputPartitions: Int32 = DemoCluster.inputPartitions,
                extraTopics: [String] = []) throws {
        broker = try EmbeddedBroker()
        self.topics = topics
        for t in topics.inputs { try broker.createTopic(t, partitions: inputPartitions) }
        for t in [topics.snapshots, topics.alerts, topics.deadLetter, topics.state] + extraTopics where !topics.inputs.contains(t) {
            try broker.createTopic(t, partitions: 1)
        }
    }

    /// Starts the generator: `backlog` of history at full speed, then paced in
    /// real time at `rate` events per second (daily average) until `stop`.
    public func startGenerator(rate: Int, shops: Int, backlog: EventTime.Duration, utcOffsetSeconds: Int, stop: StopSignal, seed: UInt64 = 1,
                               onFinish: @escaping @Sendable () -> Void = {}) -> Thread {
        let bootstrap = broker.bootstrapServers
        let topics = self.topics
        let thread = Thread {
            StopSignal.unblockTerminationSignals()
            do {
                let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
                let now = EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000))
                let options = GeneratorOptions(seed: seed, shops: shops, rate: rate, duration: nil, start: now - backlog, dirty: true, utcOffsetSeconds: utcOffsetSeconds)
                var progress = ProgressLine(forceEnabled: false)
                try GenerateJob(options: options, topics: topics, paced: true).run(producer: producer, stop: stop, progress: &progress)
            } catch {
                FileHandle.standardError.write(Data("demo generator stopped: \(error)\n".utf8))
            }
            onFinish()
        }
        thread.name = "demo-generator"
        thread.start()
        return thread
    }
}
