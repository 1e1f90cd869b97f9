import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

/// `kpi-ingest broker` in a process of its own (so a test can pause it with
/// SIGSTOP or kill it): the process and its bootstrap address.
func launchBroker(partitions: Int32, log: URL) throws -> (Process, String) {
    let p = Process()
    p.executableURL = try kpiIngestExecutable()
    p.arguments = ["broker", "--partitions", String(partitions), "--config", shippedConfigPath]
    let out = Pipe()
    p.standardOutput = out
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    p.standardError = try FileHandle(forWritingTo: log)
    try p.run()
    // The first line of its standard output is the bootstrap address.
    var line = [UInt8]()
    let handle = out.fileHandleForReading
    while true {
        let byte = handle.readData(ofLength: 1)
        guard let b = byte.first else { throw TestFailure("the broker process printed no address") }
        if b == UInt8(ascii: "\n") { break }
        line.append(b)
    }
    return (p, String(decoding: line, as: UTF8.self))
}

/// A configuration file of built-in defaults (no targets, no receivers).
func defaultsConfigFile() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-defaults-\(UUID().uuidString).yaml")
    try Data("{}\n".utf8).write(to: url)
    return url.path
}

/// Per shop, `orders_paid` summed over its day windows (the latest snapshot
/// of each key on `kpi.snapshots`): every order counted once, whichever
/// local day it fell on.
func ordersPaidPerShop(bootstrap: String) throws -> [String: Int] {
    let published = try onOwnThread { try readAll(TopicNames().snapshots, bootstrap: bootstrap) }
    var latest: [[UInt8]: [UInt8]] = [:]
    for r in published.sorted(by: { $0.offset < $1.offset }) { latest[r.key!] = r.value! }
    var out: [String: Int] = [:]
    for value in latest.values {
        let o = try JSONSerialization.jsonObject(with: Data(value)) as! [String: Any]
        let scope = o["scope"] as! [String: Any], window = o["window"] as! [String: Any]
        guard scope["type"] as? String == "shop", window["type"] as? String == "day" else { continue }
        let metrics = o["metrics"] as! [String: Any]
        out[scope["shop_id"] as! String, default: 0] += (metrics["orders_paid"] as? Int) ?? 0
    }
    return out
}

/// Dead letters on the broker, counted by their `kpi.reason`.
func deadLetterReasons(bootstrap: String) throws -> [String: Int] {
    let dead = try onOwnThread { try readAll(TopicNames().deadLetter, bootstrap: bootstrap) }
    var out: [String: Int] = [:]
    for r in dead {
        let reason = r.headers.first { $0.name == DeadLetterSink.Header.reason }?.value.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        out[reason, default: 0] += 1
    }
    return out
}

func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

/// Issue 13, faults of a real `kpi-ingest run` process.
@Suite("Faults: a real kpi-ingest run process", .serialized)
struct ProcessFaultTests {
    /// (2) A record with no `ts` and a record timestamp of 9999-12-31, and
    /// a producer whose clock runs 3 days fast, moved the partition's
    /// watermark there: every later event of every shop on the partition
    /// was dead-lettered `late`. They are `future` now (ahead of the
    /// consumer's clock), and the other shops' events count.
    @Test func oneProducersClockCannotSilenceOtherShops() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let now = nowMillis()
        let minute: Int64 = 60_000, day: Int64 = 86_400_000
        let endOf9999: Int64 = 253_402_300_799_000   // 9999-12-31T23:59:59Z
        let pageView = { (id: String, shop: String) in
            #"{"event_id":"\#(id)","type":"page_view","shop_id":"\#(shop)","visitor_id":"v","session_id":"v-1"}"# }
        try produceRaw([
            RawRecord(.orders, key: "s1", orderPaid("a1", shop: "s1", at: now - 40 * minute, amount: "10"), timestamp: now - 40 * minute),
            RawRecord(.orders, key: "s2", orderPaid("a2", shop: "s2", at: now - 39 * minute, amount: "10"), timestamp: now - 39 * minute),
            // No ts: the record timestamp, 9999-12-31, is the event time.
            RawRecord(.traffic, key: "s1", pageView("poison", "s1"), timestamp: endOf9999),
            // A producer whose clock runs 3 days fast sets both.
            RawRecord(.orders, key: "s2", orderPaid("fast-1", shop: "s2", at: now + 3 * day, amount: "10"), timestamp: now + 3 * day),
            RawRecord(.traffic, key: "s2", pageView("fast-2", "s2"), timestamp: now + 3 * day),
            // Everyone else, after them on the partition.
            RawRecord(.orders, key: "s1", orderPaid("b1", shop: "s1", at: now - 30 * minute, amount: "10"), timestamp: now - 30 * minute),
            RawRecord(.orders, key: "s2", orderPaid("b2", shop: "s2", at: now - 29 * minute, amount: "10"), timestamp: now - 29 * minute),
            RawRecord(.orders, key: "s3", orderPaid("b3", shop: "s3", at: now - 20 * minute, amount: "10"), timestamp: now - 20 * minute),
        ], bootstrap: bootstrap)

        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-poison-\(UUID().uuidString).log")
        let run = try launch(["run", "--config", try defaultsConfigFile(), "--brokers", bootstrap, "--group-id", "poison", "--port", "0"],
                             log: log, environment: ["KPI_INGEST_OUTPUT_SNAPSHOT_EMIT_INTERVAL": "200ms"])
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        #expect(try waitUntilGroupCaughtUp(group: "poison", bootstrap: bootstrap, partitions: 1))
        Thread.sleep(forTimeInterval: 1)
        kill(run.processIdentifier, SIGTERM)
        run.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(run.terminationStatus == 0, "\(output)")

        let reasons = try deadLetterReasons(bootstrap: bootstrap)
        #expect(reasons == ["future": 3], "\(reasons)")
        #expect(try ordersPaidPerShop(bootstrap: bootstrap) == ["s1": 2, "s2": 2, "s3": 1])
    }

    /// (1) The broker paused (SIGSTOP) for longer than a checkpoint waits,
    /// with a checkpoint due every second and the group session running
    /// out: the process crashed or exited. It waits, says so (and /readyz
    /// says not ready), resumes, and counts everything exactly once.
    @Test func aBrokerPausedWhileCheckpointsAreDueIsWaitedFor() throws {
        let brokerLog = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-broker-\(UUID().uuidString).log")
        let (broker, bootstrap) = try launchBroker(partitions: 2, log: brokerLog)
        defer { kill(broker.processIdentifier, SIGCONT); kill(broker.processIdentifier, SIGTERM) }
        let shops = ["s1", "s2", "s3", "s4"]
        let now = nowMillis()
        func orders(_ batch: String, _ count: Int, from start: Int64) -> [RawRecord] {
            shops.flatMap { shop in
                (0..<count).map { i in
                    let t = start + Int64(i) * 60_000
                    return RawRecord(.orders, key: shop, orderPaid("\(batch)-\(shop)-\(i)", shop: shop, at: t, amount: "1"), timestamp: t)
                }
            }
        }
        try produceRaw(orders("a", 5, from: now - 50 * 60_000), bootstrap: bootstrap)

        let ingester = try RunningIngester(bootstrap: bootstrap, config: try defaultsConfigFile(), group: "pause", environment: [
            "KPI_INGEST_OUTPUT_CHECKPOINT_INTERVAL": "1s",
            "KPI_INGEST_OUTPUT_SNAPSHOT_EMIT_INTERVAL": "200ms",
            // The session runs out during the pause: the partitions are lost and assigned again.
            "KPI_INGEST_KAFKA_PROPERTIES_SESSION_TIMEOUT_MS": "10000",
            "KPI_INGEST_KAFKA_PROPERTIES_HEARTBEAT_INTERVAL_MS": "1000",
        ])
        let (run, base) = (ingester.process, "http://127.0.0.1:\(ingester.port)")
        func output() -> String { ingester.output }
        #expect(try waitUntilGroupCaughtUp(group: "pause", bootstrap: bootstrap, partitions: 2))
        #expect(ingester.waitUntilReady(seconds: 30), "\(output())")

        // The pause: longer than a checkpoint waits for the broker (15 s), and than the session (10 s).
        kill(broker.processIdentifier, SIGSTOP)
        let pausedAt = Date()
        var notReady: String?
        var brokerDown = false
        while Date().timeIntervalSince(pausedAt) < 35 {
            if let r = DemoTests.get("\(base)/readyz"), r.status == 503 { notReady = r.body }
            if let m = DemoTests.get("\(base)/metrics")?.body, m.contains("kpi_ingest_broker_up 0") { brokerDown = true }
            Thread.sleep(forTimeInterval: 1)
        }
        #expect(run.isRunning, "the process ended during the broker's pause: \(output())")
        #expect(notReady?.contains("broker") == true, "/readyz while the broker was paused: \(notReady ?? "never 503")")
        #expect(brokerDown)
        kill(broker.processIdentifier, SIGCONT)

        // After the pause: more orders, all counted, nothing twice.
        try produceRaw(orders("b", 3, from: now - 10 * 60_000), bootstrap: bootstrap)
        #expect(try waitUntilGroupCaughtUp(group: "pause", bootstrap: bootstrap, partitions: 2, seconds: 120))
        #expect(waitFor(seconds: 30) { DemoTests.get("\(base)/readyz")?.status == 200 }, "\(output())")
        Thread.sleep(forTimeInterval: 1)
        #expect(run.isRunning, "\(output())")
        kill(run.processIdentifier, SIGTERM)
        run.waitUntilExit()
        #expect(run.terminationStatus == 0, "\(output())")
        #expect(output().contains("broker unreachable"), "\(output())")
        #expect(output().contains("broker reachable again"), "\(output())")
        #expect(try ordersPaidPerShop(bootstrap: bootstrap) == ["s1": 8, "s2": 8, "s3": 8, "s4": 8])
    }

    /// (1) The broker killed (SIGKILL) with checkpoints due every second: the
    /// process stays up for a minute without it, says so (/readyz 503
    /// naming the broker, /healthz 200, kpi_ingest_broker_up 0), and a
    /// SIGTERM still ends it, within the stop's bounds, with the outputs it
    /// could not write said. (The mock cluster keeps its data in memory:
    /// nothing to resume with once it is killed; the pause test above
    /// covers resuming.)
    @Test func aBrokerKilledLeavesTheProcessUpAndStoppable() throws {
        let brokerLog = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-broker-\(UUID().uuidString).log")
        let (broker, bootstrap) = try launchBroker(partitions: 2, log: brokerLog)
        defer { kill(broker.processIdentifier, SIGKILL) }
        let now = nowMillis()
        let records = (0..<20).map { i in
            let t = now - 30 * 60_000 + Int64(i) * 60_000
            return RawRecord(.orders, key: "s1", orderPaid("k-\(i)", shop: "s1", at: t, amount: "1"), timestamp: t)
        }
        try produceRaw(records, bootstrap: bootstrap)
        let ingester = try RunningIngester(bootstrap: bootstrap, config: try defaultsConfigFile(), group: "killed", environment: [
            "KPI_INGEST_OUTPUT_CHECKPOINT_INTERVAL": "1s",
            "KPI_INGEST_OUTPUT_SNAPSHOT_EMIT_INTERVAL": "200ms",
        ])
        let (run, base) = (ingester.process, "http://127.0.0.1:\(ingester.port)")
        func output() -> String { ingester.output }
        #expect(try waitUntilGroupCaughtUp(group: "killed", bootstrap: bootstrap, partitions: 2))
        #expect(ingester.waitUntilReady(seconds: 30), "\(output())")

        kill(broker.processIdentifier, SIGKILL)
        broker.waitUntilExit()
        let killedAt = Date()
        var notReady: String?
        var brokerDown = false
        var healthy = true
        while Date().timeIntervalSince(killedAt) < 50 {
            if let r = DemoTests.get("\(base)/readyz"), r.status == 503 { notReady = r.body }
            if let m = DemoTests.get("\(base)/metrics")?.body, m.contains("kpi_ingest_broker_up 0") { brokerDown = true }
            if DemoTests.get("\(base)/healthz")?.status != 200 { healthy = false }
            Thread.sleep(forTimeInterval: 2)
        }
        #expect(run.isRunning, "the process ended without its broker: \(output())")
        #expect(healthy)
        #expect(notReady?.contains("broker") == true, "/readyz without the broker: \(notReady ?? "never 503")")
        #expect(brokerDown)
        #expect(output().contains("broker unreachable"), "\(output())")
        #expect(!output().contains("Fatal error"), "\(output())")

        let stopAt = Date()
        kill(run.processIdentifier, SIGTERM)
        #expect(waitFor(seconds: 90) { !run.isRunning }, "SIGTERM did not end the process without its broker: \(output())")
        #expect(Date().timeIntervalSince(stopAt) < 90)
    }
}
