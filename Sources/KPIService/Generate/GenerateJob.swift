import EventGenerator
import Foundation
import KafkaClient
import KPICore

/// `kpi-ingest generate`: writes the generator's records to the input topics,
/// keyed by shop, as fast as the broker takes them; or, in follow mode,
/// paced so that each record goes out when the wall clock reaches its time.
public struct GenerateJob {
    public var options: GeneratorOptions
    public var topics: TopicNames
    /// Pace records in real time (follow mode) instead of writing at full speed.
    public var paced: Bool

    public init(options: GeneratorOptions, topics: TopicNames = TopicNames(), paced: Bool = false) {
        self.options = options
        self.topics = topics
        self.paced = paced
    }

    /// Produces every record (until `stop` in follow mode), flushes, and
    /// returns what was written. Delivery failures are thrown by the flush.
    @discardableResult
    public func run(producer: KafkaProducer, stop: StopSignal = StopSignal(), progress: inout ProgressLine, now: () -> EventTime = { EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000)) }) throws -> GeneratorStats {
        var generator = ShopActivityGenerator(options)
        let names = InputTopic.allCases.map(topics.name(of:))
        var written = 0
        let planned = generator.plannedCount
        while !stop.isRequested, let record = generator.next() {
            if paced {
                var wait = record.timestamp.millis - now().millis
                while wait > 0 && !stop.isRequested {
                    producer.poll()
                    Thread.sleep(forTimeInterval: Double(min(wait, 200)) / 1000)
                    wait = record.timestamp.millis - now().millis
                }
                if stop.isRequested { break }
            }
            try producer.send(topic: names[Int(record.topic.rawValue)], key: record.key, value: record.value, timestampMillis: record.timestamp.millis)
            written += 1
            if written % 20_000 == 0 {
                producer.poll()
                progress.update("generate: \(written)\(planned.map { " / \($0)" } ?? "") records")
            }
        }
        try producer.flush(timeout: .seconds(60))
        return generator.stats
    }
}
