import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: revisions never go backwards")
struct RevisionTests {
    /// Half an hour of three shops' activity, wave `k` (distinct event ids per wave).
    static func wave(_ k: Int) -> [InputEvent] {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let f = ISO8601DateFormatter()
        f.timeZone = zone
        f.formatOptions = [.withInternetDateTime]
        var out: [InputEvent] = []
        for shop in ["s1", "s2", "s3"] {
            for i in 0..<60 {
                let t = f.string(from: Date(timeIntervalSince1970: Double(activityStart.millis) / 1000 + Double(k * 1800 + i * 30)))
                out.append(.pageView("w\(k)-\(shop)-pv\(i)", t, shop: shop, visitor: "v\(i % 7)", session: "w\(k)-\(i / 3)"))
                if i % 6 == 0 {
                    out.append(.chat("w\(k)-\(shop)-c\(i)", t, shop: shop, session: "w\(k)-S\(i)", buyer: "b\(i)", agent: "a\(i % 3)", from: "buyer"))
                }
                if i % 10 == 5 {
                    out.append(.order("w\(k)-\(shop)-o\(i)", t, shop: shop, order: "w\(k)-\(i)", buyer: "b\(i - 5)", amount: "12.50"))
                }
            }
        }
        return out
    }

    /// A real `kpi-ingest run` SIGKILLed after it published the second wave's
    /// snapshots, then restarted: by replaying everything (no checkpoint), or
    /// from a checkpoint that covers only the first wave. Read in order,
    /// every key's revisions on `kpi.snapshots` only grow.
    @Test(arguments: [false, true])
    func revisionsOnTheTopicOnlyGrowAcrossAKillAndARestart(checkpointed: Bool) throws {
        let broker = try brokerWithTopics(partitions: 3)
        let bootstrap = broker.bootstrapServers
        let config = try writeConfig("{}")
        let group = "revisions-\(checkpointed)"
        let env = ["KPI_INGEST_KAFKA_PROPERTIES_SESSION_TIMEOUT_MS": "6000",
                   "KPI_INGEST_KAFKA_PROPERTIES_HEARTBEAT_INTERVAL_MS": "500",
                   // Long enough that no checkpoint covers the second wave.
                   "KPI_INGEST_OUTPUT_CHECKPOINT_INTERVAL": checkpointed ? "20s" : "1h"]
        try produce(Self.wave(0), bootstrap: bootstrap)
        let first = try RunningIngester(bootstrap: bootstrap, config: config, group: group, environment: env)
        #expect(first.waitUntilReady(), "\(first.output)")
        func pageViews(_ shop: String) -> String? {
            metricText(jsonObjects(first.get("/api/v1/snapshots?scope=shop&shop=\(shop)&window=day")?.body ?? "").first, "pv")
        }
        #expect(waitFor(seconds: 30) { pageViews("s1") == "60" }, "\(first.output)")
        if checkpointed {
            // A checkpoint of every partition that covers the first wave.
            #expect(waitFor(seconds: 60) {
                let records = (try? onOwnThread { try readAll(TopicNames().state, bootstrap: bootstrap) }) ?? []
                let manifests = records.filter { r in r.key.map { !$0.contains(UInt8(ascii: "/")) } ?? false }
                return Set(manifests.compactMap(\.key)).count == 3
            })
        }
        try produce(Self.wave(1), bootstrap: bootstrap)
        #expect(waitFor(seconds: 30) { ["s1", "s2", "s3"].allSatisfy { pageViews($0) == "120" } }, "\(first.output)")
        Thread.sleep(forTimeInterval: 1.5)   // published on kpi.snapshots too
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        let second = try RunningIngester(bootstrap: bootstrap, config: config, group: group, environment: env)
        defer { second.stop() }
        #expect(second.waitUntilReady(), "\(second.output)")
        #expect(try waitUntilGroupCaughtUp(group: group, bootstrap: bootstrap, partitions: 3))
        Thread.sleep(forTimeInterval: 1.5)   // one more emit interval
        #expect(second.stop() == 0, "\(second.output)")
        #expect(second.output.contains("restoring from checkpoint") == checkpointed, "\(second.output)")

        let records = try onOwnThread { try readAll(TopicNames().snapshots, bootstrap: bootstrap) }.sorted { $0.offset < $1.offset }
        var last: [String: Int] = [:]
        var backwards: [String] = []
        var restarted = 0
        for r in records {
            let key = String(decoding: r.key!, as: UTF8.self)
            let object = try JSONSerialization.jsonObject(with: Data(r.value!)) as! [String: Any]
            let revision = object["revision"] as! Int
            if let before = last[key] {
                if revision <= before { backwards.append("\(key): \(before) then \(revision)") }
            }
            if revision == 1 && last[key] != nil { restarted += 1 }
            last[key] = revision
        }
        #expect(!records.isEmpty)
        #expect(backwards.isEmpty, "\(backwards.count) keys went backwards, e.g. \(backwards.prefix(5))")
        #expect(restarted == 0)
        // And the second run ended where the input does.
        let day = records.last { String(decoding: $0.key!, as: UTF8.self) == "shop|s1||day|2026-11-20" }
        #expect(day.map { metricText(try? JSONSerialization.jsonObject(with: Data($0.value!)) as? [String: Any], "pv") } == "120")
    }
}
