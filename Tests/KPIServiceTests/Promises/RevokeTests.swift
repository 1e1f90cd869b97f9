import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Promises: revoked partitions leave /metrics; /readyz turns 503 as shutdown starts")
struct RevokeTests {
    /// The partitions a `kpi-ingest run` reports a watermark for on `/metrics`.
    private func watermarkPartitions(_ ingester: RunningIngester) -> Set<Int32> {
        let metrics = ingester.get("/metrics")?.body ?? ""
        var out = Set<Int32>()
        for line in metrics.split(separator: "\n") where line.hasPrefix("kpi_ingest_watermark_seconds{partition=\"") {
            let rest = line.dropFirst("kpi_ingest_watermark_seconds{partition=\"".count)
            if let p = Int32(rest.prefix { $0 != "\"" }) { out.insert(p) }
        }
        return out
    }

    /// Two real `kpi-ingest run` processes: the first holds both partitions
    /// (a shop on each, so each has a watermark), the second joins and takes
    /// one. The first's `/metrics` then shows the series of its own
    /// partition only (before, the one it gave up kept its last watermark,
    /// lag and restore progress), the second's those of the other. SIGTERM to
    /// the first: `/readyz` answers 503 while it flushes and leaves, before
    /// its HTTP side goes.
    @Test func aRevokedPartitionsSeriesGoAndReadinessEndsWithTheStop() throws {
        let broker = try brokerWithTopics(partitions: 2)
        let bootstrap = broker.bootstrapServers
        try produce([
            .pageView("a", "2026-11-20T10:00:00+08:00", shop: "s1", visitor: "v1", session: "v1-1"),
            .pageView("b", "2026-11-20T11:00:00+08:00", shop: "s2", visitor: "v2", session: "v2-1"),
        ], bootstrap: bootstrap, partitionOf: { $0 == "s1" ? 0 : 1 })
        let config = try writeConfig("kpi: {}\n")
        let first = try RunningIngester(bootstrap: bootstrap, config: config, group: "revoke")
        defer { first.stop() }
        #expect(first.waitUntilReady(), "\(first.output)")
        #expect(waitFor(seconds: 30) { watermarkPartitions(first) == [0, 1] }, "\(first.output)")

        let second = try RunningIngester(bootstrap: bootstrap, config: config, group: "revoke")
        defer { second.stop() }
        var a = Set<Int32>(), b = Set<Int32>()
        #expect(waitFor(seconds: 120) {
            a = watermarkPartitions(first)
            b = watermarkPartitions(second)
            return a.count == 1 && b.count == 1 && a.union(b) == [0, 1] && second.get("/readyz")?.status == 200
        }, "first \(a), second \(b): \(first.output) \(second.output)")

        // The stop: not ready from its start, until the HTTP side closes.
        kill(first.process.processIdentifier, SIGTERM)
        var statuses: [Int] = []
        while first.process.isRunning, let status = first.get("/readyz")?.status {
            if statuses.last != status { statuses.append(status) }
            Thread.sleep(forTimeInterval: 0.005)
        }
        #expect(statuses.last == 503, "\(statuses) \(first.output)")
        #expect(first.stop() == 0)
    }
}
