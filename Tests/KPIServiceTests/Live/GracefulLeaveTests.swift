import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Live ingestion: graceful shutdown")
struct GracefulLeaveTests {
    /// SIGTERM to a real `kpi-ingest run`: it exits 0 within seconds and
    /// leaves the group, so the other member gets its partitions without
    /// waiting for the session timeout.
    ///
    /// Session timeout 20 s. A member that vanishes keeps its partitions
    /// until its session times out (20 s), then the 2.0.2 mock cluster's
    /// rebalance waits session.timeout − 1 s more: ~39 s. After a LeaveGroup
    /// only that rebalance wait remains: ~19 s (Kafka itself rebalances at once).
    @Test func sigtermLeavesTheGroupSoTheOtherMemberTakesOverAtOnce() throws {
        let broker = try brokerWithTopics(partitions: 6)
        let bootstrap = broker.bootstrapServers
        _ = try produceGenerated(GeneratorOptions(seed: 3, shops: 12, rate: 4, duration: .minutes(20), start: activityStart), bootstrap: bootstrap)
        let group = "graceful-leave"
        let session = ["session.timeout.ms": "30000", "heartbeat.interval.ms": "300"]

        // Member B, in process: owns all 6 partitions first.
        let board = SnapshotBoard()
        var settings = IngesterSettings(kafka: KafkaConfiguration(bootstrapServers: bootstrap, properties: session))
        settings.groupID = group
        settings.publishSnapshots = false
        let b = StopSignal()
        let hooks = board.hooks(instance: 1)
        let ingesterSettings = settings
        let memberB = BackgroundRun { try LiveIngester(settings: ingesterSettings, hooks: hooks).run(stop: b) }
        defer { b.request(); try? memberB.join() }
        #expect(waitFor(seconds: 60) { board.partitions(of: 1).count == 6 })

        // Member A: the real executable, which takes half of them.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-leave-\(UUID().uuidString).log")
        let a = try launch(["run", "--config", shippedConfigPath, "--brokers", bootstrap, "--group-id", group, "--port", "0"], log: log,
                           environment: ["KPI_INGEST_KAFKA_PROPERTIES_SESSION_TIMEOUT_MS": "30000",
                                         "KPI_INGEST_KAFKA_PROPERTIES_HEARTBEAT_INTERVAL_MS": "300"])
        defer { if a.isRunning { kill(a.processIdentifier, SIGKILL) } }
        #expect(waitFor(seconds: 60) { board.partitions(of: 1).count == 3 }, "member A never got partitions: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")

        // SIGTERM: A stops consuming, flushes, commits, leaves, exits 0.
        let terminated = Date()
        kill(a.processIdentifier, SIGTERM)
        let exited = waitFor(seconds: 15) { !a.isRunning }
        #expect(exited, "kpi-ingest run did not exit within 15 s of SIGTERM")
        let exitSeconds = Date().timeIntervalSince(terminated)
        if exited { #expect(a.terminationStatus == 0, "run log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")") }
        #expect(exitSeconds < 10)

        // B owns everything again well before a vanished member would be
        // replaced: the mock cluster's rebalance after a leave waits
        // session.timeout − 1 s (~29 s), after a vanished member the session
        // (30 s) and then that (~59 s + the poll cycle). With 20 s sessions
        // a leave took ~21 s alone and up to 38 s with the whole suite on
        // two cores, too close to the 39 s of a vanished member.
        #expect(waitFor(seconds: 90) { board.partitions(of: 1).count == 6 })
        let takeover = Date().timeIntervalSince(terminated)
        print("graceful leave: exit after \(exitSeconds) s, takeover after \(takeover) s")
        #expect(takeover < 50, "takeover after \(takeover) s: the member did not leave the group")
    }
}
