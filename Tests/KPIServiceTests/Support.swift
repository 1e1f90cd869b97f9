import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Synchronization
import Testing

/// Runs `body` on a thread of its own (consumers stay on one thread; blocking
/// Kafka calls must not occupy Swift's small cooperative pool) and waits.
func onOwnThread<T: Sendable>(seconds: Double = 180, _ body: @escaping @Sendable () throws -> T) throws -> T {
    try BackgroundRun(body).join(seconds: seconds)
}

/// A blocking body on a thread of its own, joined later (the semaphore
/// orders the accesses to `result`).
final class BackgroundRun<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            result = Result { try body() }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The body's result; fails the caller after `seconds`.
    @discardableResult
    func join(seconds: Double = 60) throws -> T {
        guard done.wait(timeout: .now() + seconds) == .success else { throw TestFailure("did not finish within \(seconds) s") }
        return try result!.get()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Where the tests' generated shop activity starts: 2026-11-20T00:00:00+08:00
/// (`date -u -d 2026-11-19T16:00:00Z +%s` = 1795104000).
let activityStart = EventTime(millis: 1_795_104_000_000)

/// An embedded broker with the service's topics, `partitions` each.
func brokerWithTopics(partitions: Int32, topics: TopicNames = TopicNames()) throws -> EmbeddedBroker {
    let broker = try EmbeddedBroker()
    for t in topics.inputs { try broker.createTopic(t, partitions: partitions) }
    for t in [topics.deadLetter, topics.snapshots, topics.alerts, topics.state] { try broker.createTopic(t, partitions: 1) }
    return broker
}

/// Writes `options`' generated shop activity to the broker's input topics
/// (as `kpi-ingest generate` does) and returns the generator's own counts.
func produceGenerated(_ options: GeneratorOptions, bootstrap: String) throws -> GeneratorStats {
    try onOwnThread {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        var progress = ProgressLine(forceEnabled: false)
        return try GenerateJob(options: options).run(producer: producer, progress: &progress)
    }
}

/// Every record of a topic (all partitions) from the beginning to the end offsets.
func readAll(_ topic: String, bootstrap: String) throws -> [OwnedRecord] {
    var out: [OwnedRecord] = []
    try KafkaConsumer.readToEnd(topic: topic, configuration: KafkaConfiguration(bootstrapServers: bootstrap), timeout: .seconds(60)) {
        out.append(OwnedRecord($0))
    }
    return out
}

/// Waits until `group` has committed the end offset of every non-empty input
/// partition: everything written has been processed and acknowledged.
func waitUntilGroupCaughtUp(group: String, bootstrap: String, partitions: Int32, seconds: Double = 90) throws -> Bool {
    try onOwnThread {
        let c = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: group)
        var ends: [TopicPartition: Int64] = [:]
        for t in TopicNames().inputs {
            for p in 0..<partitions { ends[TopicPartition(t, p)] = try c.watermarkOffsets(TopicPartition(t, p)).high }
        }
        let until = Date().addingTimeInterval(seconds)
        var committed: [TopicPartition: Int64?] = [:]
        while Date() < until {
            committed = try c.committedOffsets(Array(ends.keys))
            if ends.allSatisfy({ $0.value == 0 || committed[$0.key] == .some($0.value) }) { return true }
            Thread.sleep(forTimeInterval: 0.3)
        }
        let behind = ends.filter { $0.value != 0 && committed[$0.key] != .some($0.value) }
            .map { "\($0.key.topic)[\($0.key.partition)] committed \((committed[$0.key] ?? nil).map(String.init) ?? "none") of \($0.value)" }
        Issue.record("group \(group) not caught up: \(behind.sorted().joined(separator: ", "))")
        return false
    }
}

