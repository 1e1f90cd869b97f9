import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KafkaClient
import KPICore
import KPIService
import Testing

// Support for the end-to-end tests that run a real `kpi-ingest backfill` or
// `kpi-ingest run` process against an embedded broker of the test process,
// with hand-written events: what a user would run and see.

/// One input event as JSON (events.md), `ts` an RFC 3339 text at +08:00.
struct InputEvent: Sendable {
    var topic: String
    var shop: String
    var json: String
    /// The Kafka record timestamp (default: the event time).
    var recordTime: EventTime

    /// `2026-11-20T10:00:00+08:00` → the instant.
    static func time(_ text: String) -> EventTime {
        TimeText.instant(text, timeZone: TimeZone(identifier: "Asia/Shanghai")!)!
    }

    private static func make(_ topic: String, _ fields: [(String, String)], shop: String, ts: String, recordTime: String?) -> InputEvent {
        var json = "{"
        json += fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        json += "}"
        return InputEvent(topic: topic, shop: shop, json: json, recordTime: time(recordTime ?? ts))
    }

    private static func q(_ s: String) -> String { "\"\(s)\"" }

    static func chat(_ id: String, _ ts: String, shop: String = "s1", session: String, buyer: String, agent: String,
                     from: String, recordTime: String? = nil) -> InputEvent {
        make(TopicNames().chats, [("event_id", q(id)), ("type", q("chat_message")), ("ts", q(ts)), ("shop_id", q(shop)),
                                  ("session_id", q(session)), ("buyer_id", q(buyer)), ("agent_id", q(agent)), ("from", q(from))],
             shop: shop, ts: ts, recordTime: recordTime)
    }

    static func order(_ id: String, _ ts: String, shop: String = "s1", type: String = "order_paid", order: String,
                      buyer: String, amount: String, agent: String? = nil, recordTime: String? = nil) -> InputEvent {
        var fields = [("event_id", q(id)), ("type", q(type)), ("ts", q(ts)), ("shop_id", q(shop)), ("order_id", q(order)),
                      ("buyer_id", q(buyer)), ("amount", q(amount))]
        if let agent { fields.append(("agent_id", q(agent))) }
        return make(TopicNames().orders, fields, shop: shop, ts: ts, recordTime: recordTime)
    }

    static func pageView(_ id: String, _ ts: String, shop: String = "s1", visitor: String, session: String,
                         recordTime: String? = nil) -> InputEvent {
        make(TopicNames().traffic, [("event_id", q(id)), ("type", q("page_view")), ("ts", q(ts)), ("shop_id", q(shop)),
                                    ("visitor_id", q(visitor)), ("session_id", q(session))],
             shop: shop, ts: ts, recordTime: recordTime)
    }
}

/// Writes the events, in order, keyed by shop (so a shop's events share a partition).
func produce(_ events: [InputEvent], bootstrap: String, partitionOf: (@Sendable (String) -> Int32)? = nil) throws {
    try onOwnThread {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        for e in events {
            try producer.send(topic: e.topic, partition: partitionOf?(e.shop), key: Array(e.shop.utf8), value: Array(e.json.utf8),
                              timestampMillis: e.recordTime.millis)
        }
        try producer.flush()
    }
}

/// A configuration file for a test: the YAML as given, in a fresh temporary file.
func writeConfig(_ yaml: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-\(UUID().uuidString).yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// A temporary file path (not created).
func temporaryPath(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-\(name)-\(UUID().uuidString)")
}

/// What a `kpi-ingest backfill` process wrote.
struct BackfillRun {
    var status: Int32
    var log: String
    var snapshots: [[String: Any]]
    var alerts: [[String: Any]]

    /// The snapshot of a scope × window (`id` nil for a shop scope).
    func snapshot(_ scope: String, _ shop: String, _ id: String?, _ window: String, _ windowID: String) -> [String: Any]? {
        snapshots.first { s in
            let sc = s["scope"] as! [String: Any], w = s["window"] as! [String: Any]
            return sc["type"] as? String == scope && sc["shop_id"] as? String == shop && sc["id"] as? String == id
                && w["type"] as? String == window && w["id"] as? String == windowID
        }
    }
}

/// Runs `kpi-ingest backfill` to the end and reads its outputs.
func runBackfill(bootstrap: String, config: String, from: String, until: String? = nil, environment: [String: String] = [:],
                 seconds: Double = 300) throws -> BackfillRun {
    let output = temporaryPath("snapshots.jsonl"), alerts = temporaryPath("alerts.jsonl"), log = temporaryPath("backfill.log")
    var args = ["backfill", "--config", config, "--brokers", bootstrap, "--from", from, "--output", output.path, "--alerts", alerts.path]
    if let until { args += ["--until", until] }
    let p = try launch(args, log: log, environment: environment)
    let finished = waitFor(seconds: seconds) { !p.isRunning }
    if !finished { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    func lines(_ url: URL) -> [[String: Any]] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        return data.split(separator: 10).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }
    return BackfillRun(status: finished ? p.terminationStatus : -1, log: text, snapshots: lines(output), alerts: lines(alerts))
}

/// A TCP port free right now on 127.0.0.1 (for `kpi-ingest run --port`).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A GET to the local HTTP API: status and body (nil when nothing answered).
func httpGet(_ url: String) -> (status: Int, body: String)? {
    final class Box: @unchecked Sendable { var result: (Int, String)? }
    let box = Box(), done = DispatchSemaphore(value: 0)
    URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
        if let http = response as? HTTPURLResponse { box.result = (http.statusCode, String(decoding: data ?? Data(), as: UTF8.self)) }
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 10)
    return box.result
}

/// A JSON array body as objects.
func jsonObjects(_ body: String) -> [[String: Any]] {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]) ?? []
}

/// Every record of `kpi.snapshots` as JSON objects, in offset order.
func publishedSnapshots(bootstrap: String) throws -> [[String: Any]] {
    try onOwnThread { try readAll(TopicNames().snapshots, bootstrap: bootstrap) }
        .sorted { $0.offset < $1.offset }
        .compactMap { r in r.value.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } }
}

/// A metric value of a snapshot as text (`"30"`, `"null"`, `"15.5"`).
func metricText(_ s: [String: Any]?, _ name: String) -> String? {
    guard let m = s?["metrics"] as? [String: Any], let v = m[name] else { return nil }
    if v is NSNull { return "null" }
    if let n = v as? NSNumber { return n.stringValue }
    return "\(v)"
}

/// A `kpi-ingest run` process on its own HTTP port, stopped (SIGTERM, then SIGKILL) by `stop`.
final class RunningIngester {
    let process: Process
    let port: Int
    let log: URL

    init(bootstrap: String, config: String, group: String, environment: [String: String] = [:]) throws {
        port = freePort()
        log = temporaryPath("run.log")
        process = try launch(["run", "--config", config, "--brokers", bootstrap, "--group-id", group, "--port", String(port)],
                             log: log, environment: environment)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func get(_ path: String) -> (status: Int, body: String)? { httpGet("http://127.0.0.1:\(port)\(path)") }

    /// Waits until `/readyz` answers 200.
    func waitUntilReady(seconds: Double = 120) -> Bool {
        waitFor(seconds: seconds) { get("/readyz")?.status == 200 }
    }

    /// SIGTERM and wait; the exit status (−1 when it had to be killed).
    @discardableResult
    func stop(seconds: Double = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        if waitFor(seconds: seconds, { !process.isRunning }) { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return -1
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
