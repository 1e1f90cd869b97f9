import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

/// The built `kpi-ingest` executable, beside the test bundle.
func kpiIngestExecutable() throws -> URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("kpi-ingest")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    throw TestFailure("kpi-ingest executable not found near \(CommandLine.arguments[0]); run `swift build` first")
}

/// Starts `kpi-ingest` with arguments, its stderr collected into a file
/// (`directory`: its working directory, else the test's).
func launch(_ arguments: [String], log: URL, environment: [String: String] = [:], directory: URL? = nil) throws -> Process {
    let p = Process()
    p.executableURL = try kpiIngestExecutable()
    if let directory { p.currentDirectoryURL = directory }
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    p.standardError = handle
    p.standardOutput = handle
    try p.run()
    return p
}

/// A snapshot JSON object without the fields that differ between runs by
/// design: `emitted_at`, and what is "as of" the drain that emitted it —
/// `revision` and `watermark`, a rolling window's `end` (the watermark), and
/// a paced target's `pace` and the status judged against it. A live run
/// drains every emit interval, a backfill at evaluation ticks and at its end,
/// and a scope × window that did not change is not emitted again. Metrics,
/// flags, window identity, targets and scores are compared exactly.
func comparable(_ json: [UInt8]) throws -> NSDictionary {
    var object = try JSONSerialization.jsonObject(with: Data(json)) as! [String: Any]
    for field in ["revision", "emitted_at", "watermark"] { object[field] = nil }
    var window = object["window"] as! [String: Any]
    if (window["type"] as! String).hasPrefix("rolling") { window["end"] = nil }
    object["window"] = window
    if let targets = object["targets"] as? [String: [String: Any]] {
        object["targets"] = targets.mapValues { t -> [String: Any] in
            guard t["pace"] != nil else { return t }
            var t = t
            t["pace"] = nil
            t["status"] = nil
            return t
        }
    }
    return object as NSDictionary
}

@Suite("Live ingestion: restart and scale-out")
struct RestartTests {
    /// The restart restores by replaying the inputs (resuming from a
    /// checkpoint, `checkpointed: true`, is off until it passes this test).
    @Test(arguments: [true, false])
    func killedMidStreamAndRestartedEqualsBackfill(checkpointed: Bool) throws {
        let broker = try brokerWithTopics(partitions: 3)
        let bootstrap = broker.bootstrapServers
        let options = GeneratorOptions(seed: 5, shops: 5, rate: 6, duration: .hours(2), start: activityStart, dirty: true)
        let stats = try produceGenerated(options, bootstrap: bootstrap)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-restart-\(UUID().uuidString).log")
        // The shipped configuration (it has teams, so team scopes are compared too).
        let configPath = shippedConfigPath
        let service = try ServiceConfiguration.load(path: configPath, environment: [:])
        let group = "restart-test-\(checkpointed)"
        let args = ["run", "--config", configPath, "--brokers", bootstrap, "--group-id", group, "--port", "0"]
        // A short session: the SIGKILLed member stays in the group until its
        // session expires, and the mock cluster's rebalance then waits
        // session.timeout − 1 s more (librdkafka's 45 s default: ~90 s
        // without commits, as a group rebalancing refuses them).
        var env = ["KPI_INGEST_KAFKA_PROPERTIES_SESSION_TIMEOUT_MS": "6000",
                   "KPI_INGEST_KAFKA_PROPERTIES_HEARTBEAT_INTERVAL_MS": "500"]
        if checkpointed { env["KPI_INGEST_OUTPUT_CHECKPOINT_INTERVAL"] = "1s" }

        // First run: killed (SIGKILL) as soon as it has published something.
        let first = try launch(args, log: log, environment: env)
        // Killed as soon as it has notified some alerts (checkpointed: and a
        // checkpoint covers some input, i.e. a manifest with offsets > 0).
        func progressed() -> Bool {
            guard ((try? onOwnThread { try readAll(TopicNames().alerts, bootstrap: bootstrap) })?.count ?? 0) > 0 else { return false }
            if !checkpointed { return true }
            let records = (try? onOwnThread { try readAll(TopicNames().state, bootstrap: bootstrap) }) ?? []
            return records.contains { r in
                guard let key = r.key, !key.contains(UInt8(ascii: "/")), let value = r.value else { return false }
                let text = String(decoding: value, as: UTF8.self)
                guard let offsets = text.components(separatedBy: "offsets=").last else { return false }
                return offsets.split(separator: ",").contains { Int64($0).map { $0 > 0 } ?? false }
            }
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !progressed() { Thread.sleep(forTimeInterval: 0.2) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // Alerts the first run already published: the restart must not send them again.
        let alertsBeforeKill = try onOwnThread { try readAll(TopicNames().alerts, bootstrap: bootstrap) }.count
        #expect(alertsBeforeKill > 0, "the first run was killed before it notified anything: the no-re-notification check below would prove nothing")
        #expect(first.terminationReason == .uncaughtSignal)

        // Second run: restores by replay, catches up, then stops gracefully.
        let second = try launch(args, log: log, environment: env)
        let caughtUp = try waitUntilGroupCaughtUp(group: group, bootstrap: bootstrap, partitions: 3)
        #expect(caughtUp)
        Thread.sleep(forTimeInterval: 1.5)  // one more emit interval
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        let runLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(second.terminationStatus == 0, "run log: \(runLog)")
        #expect(runLog.contains("restoring from checkpoint") == checkpointed)

        // The latest snapshot per key on kpi.snapshots...
        let published = try onOwnThread { try readAll(TopicNames().snapshots, bootstrap: bootstrap) }
        var latest: [[UInt8]: [UInt8]] = [:]
        for r in published.sorted(by: { $0.offset < $1.offset }) { latest[r.key!] = r.value! }

        // ... equals, field by field, what a backfill of the same input computes.
        let result = try onOwnThread {
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            var progress = ProgressLine(forceEnabled: false)
            // From before the month: no window is cut by --from (the live run replayed everything too).
            let result = try BackfillJob(service: service, from: activityStart - .days(60), until: nil)
                .run(consumer: consumer, deadLetters: DeadLetterSink(producer: nil, topic: "unused"), progress: &progress, emittedAt: { activityStart })
            try consumer.close()
            return result
        }
        let (snapshots, summary) = (result.snapshots, result.summary)
        #expect(summary.consumed == stats.total)
        // Handed over while the replay runs, as `kpi-ingest backfill --alerts`
        // spools them (here after every poll): partition by partition, the
        // same notifications in the same order, and none kept in the result.
        let handedOver = try onOwnThread { () throws -> (kept: Int, alerts: [Alert]) in
            let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
            var progress = ProgressLine(forceEnabled: false)
            var byPartition: [Int32: [Alert]] = [:]
            var job = BackfillJob(service: service, from: activityStart - .days(60), until: nil)
            job.alertsHeldLimit = 1
            job.alertSink = { partition, alerts in byPartition[partition, default: []] += alerts }
            let kept = try job.run(consumer: consumer, deadLetters: DeadLetterSink(producer: nil, topic: "unused"),
                                   progress: &progress, emittedAt: { activityStart }).alerts.count
            try consumer.close()
            return (kept, byPartition.keys.sorted().flatMap { byPartition[$0]! })
        }
        #expect(handedOver.kept == 0)
        #expect(handedOver.alerts == result.alerts)
        let zone = try ZoneRules(identifier: "Asia/Shanghai")

        // Alerts: every notification on kpi.alerts exactly once, across the
        // kill and the restart, and exactly the ones a backfill raises, in
        // the same order per alert id, byte for byte (alerts are evaluated in
        // event time; their JSON has no wall-clock field).
        let liveAlerts = try onOwnThread { try readAll(TopicNames().alerts, bootstrap: bootstrap) }.sorted { $0.offset < $1.offset }
        var livePerID: [String: [String]] = [:]
        for r in liveAlerts { livePerID[String(decoding: r.key!, as: UTF8.self), default: []].append(String(decoding: r.value!, as: UTF8.self)) }
        var backfillPerID: [String: [String]] = [:]
        for a in result.alerts { backfillPerID[a.id, default: []].append(String(decoding: AlertJSON.encode(a, fractionDigits: 2, zone: zone), as: UTF8.self)) }
        #expect(liveAlerts.count == result.alerts.count, "live published \(liveAlerts.count) alert notifications (\(alertsBeforeKill) before the kill), the backfill raised \(result.alerts.count)")
        #expect(Set(livePerID.keys) == Set(backfillPerID.keys))
        var alertMismatches = 0
        for (id, expected) in backfillPerID where livePerID[id] != expected {
            alertMismatches += 1
            if alertMismatches < 3 { Issue.record("alert \(id)\nlive:     \(livePerID[id] ?? [])\nbackfill: \(expected)") }
        }
        #expect(alertMismatches == 0)
        #expect(latest.count == snapshots.count)
        #expect(snapshots.contains { $0.scope.type == .team })
        var mismatches = 0
        for s in snapshots {
            let key = Array("\(s.scope.type.name)|\(s.scope.shopID)|\(s.scope.id ?? "")|\(s.window.type.name)|\(s.window.id)".utf8)
            guard let live = latest[key] else { mismatches += 1; continue }
            if try comparable(live) != comparable(SnapshotJSON.encode(s, fractionDigits: 2, zone: zone)) {
                mismatches += 1
                if mismatches < 3 { Issue.record("differs: \(String(decoding: live, as: UTF8.self))\nbackfill: \(String(decoding: SnapshotJSON.encode(s, fractionDigits: 2, zone: zone), as: UTF8.self))") }
            }
        }
        #expect(mismatches == 0)

        // The live run reached the end of every shop's input: per shop, the
        // newest watermark it published is the backfill's final one, and no
        // snapshot claims a watermark beyond it. (Same zone and format, so
        // the RFC 3339 texts order as the instants do.)
        func watermarks(_ objects: [[String: Any]]) -> [String: [String]] {
            Dictionary(grouping: objects) { ($0["scope"] as! [String: Any])["shop_id"] as! String }
                .mapValues { $0.map { $0["watermark"] as! String } }
        }
        let liveMarks = watermarks(try latest.values.map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] })
        let backfillMarks = watermarks(try snapshots.map { try JSONSerialization.jsonObject(with: Data(SnapshotJSON.encode($0, fractionDigits: 2, zone: zone))) as! [String: Any] })
        #expect(Set(liveMarks.keys) == Set(backfillMarks.keys))
        for (shop, marks) in backfillMarks {
            let end = marks.max()!
            #expect(liveMarks[shop]?.max() == end, "shop \(shop): live run stopped short of the input's end")
            #expect(liveMarks[shop]?.allSatisfy { $0 <= end } == true)
        }
    }
}
