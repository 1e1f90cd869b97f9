import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: a flood of one-off ids is bounded")
struct IDFloodTests {
    /// `kpi-ingest backfill` over 2,000 chat messages of shop s1, each naming
    /// a new agent id, with `kpi.max_ids_per_shop: 50`: the first 50 agents
    /// have their windows; the other 1,950 messages are on `kpi.deadletter`
    /// with reason `too_many_ids` and count nowhere (the shop's day has 50
    /// inquiries). The engine test takes the same to a million ids.
    @Test func backfillDeadLettersTheIDsBeyondTheCap() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce((0..<2000).map { i in
            .chat("c\(i)", String(format: "2026-11-20T10:%02d:%02d+08:00", i / 60 % 60, i % 60), session: "S\(i)",
                  buyer: "b\(i)", agent: "a\(i)", from: "buyer")
        }, bootstrap: bootstrap)
        let config = try writeConfig("""
            kpi:
              max_ids_per_shop: 50
            """)
        let run = try runBackfill(bootstrap: bootstrap, config: config, from: "2026-11-20")
        #expect(run.status == 0, "\(run.log)")
        let agents = Set(run.snapshots.compactMap { s -> String? in
            let scope = s["scope"] as! [String: Any]
            return scope["type"] as? String == "agent" ? scope["id"] as? String : nil
        })
        #expect(agents == Set((0..<50).map { "a\($0)" }))
        #expect(metricText(run.snapshot("shop", "s1", nil, "day", "2026-11-20"), "inquiries") == "50")
        let dead = try onOwnThread { try readAll(TopicNames().deadLetter, bootstrap: bootstrap) }
        let reasons = dead.map { r in
            String(decoding: r.headers.first { $0.name == "kpi.reason" }?.value ?? [], as: UTF8.self)
        }
        #expect(reasons.count == 1950)
        #expect(Set(reasons) == ["too_many_ids"])
        // Each with its original bytes (the pipeline foresaw the refusal and kept them).
        #expect(dead.allSatisfy { String(decoding: $0.value ?? [], as: UTF8.self).contains("\"type\":\"chat_message\"") })
        #expect(run.log.contains("too_many_ids 1950"), "\(run.log)")
    }
}
