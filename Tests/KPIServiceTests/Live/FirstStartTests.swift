import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Synchronization
import Testing

@Suite("Live ingestion: a first start")
struct FirstStartTests {
    /// A first start on a cluster where the state and alert topics were
    /// never written to (they do not exist yet): nothing to restore, so each
    /// partition replays its inputs and goes live; it must not wait for a
    /// checkpoint that cannot exist.
    @Test func missingStateAndAlertTopicsMeanNothingToRestore() throws {
        let broker = try EmbeddedBroker()
        let topics = TopicNames()
        for t in topics.inputs { try broker.createTopic(t, partitions: 2) }
        let bootstrap = broker.bootstrapServers
        _ = try produceGenerated(GeneratorOptions(seed: 3, shops: 4, rate: 2, duration: .minutes(30), start: activityStart), bootstrap: bootstrap)

        let live = Mutex<Set<Int32>>([])
        let sources = Mutex<[Int32: RestoreSource]>([:])
        var hooks = IngestHooks()
        hooks.assignment = { _, liveOnes in live.withLock { $0 = liveOnes } }
        hooks.restoreStarted = { p, source in sources.withLock { $0[p] = source } }
        var s = IngesterSettings(kafka: KafkaConfiguration(bootstrapServers: bootstrap))
        s.groupID = "first-start"
        s.publishSnapshots = false
        let settings = s
        let stop = StopSignal()
        let run = BackgroundRun { [hooks] in try LiveIngester(settings: settings, hooks: hooks).run(stop: stop) }
        let wentLive = waitFor(seconds: 60) { live.withLock { $0 } == [0, 1] }
        stop.request()
        try run.join()
        #expect(wentLive, "partitions live: \(live.withLock { $0 })")
        #expect(sources.withLock { $0 } == [0: .replay, 1: .replay])
    }
}
