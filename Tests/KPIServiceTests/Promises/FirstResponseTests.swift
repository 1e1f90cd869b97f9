import Foundation
import KPICore
import KPIService
import Testing

@Suite("Promises: first response belongs to the replying agent")
struct FirstResponseTests {
    /// kpis.md `first_response_s`: a session handed from a1 to a2 before any
    /// reply counts for a2, who answered; the session itself stays a1's.
    /// Read from a real `kpi-ingest backfill`.
    @Test func handedOverSessionCountsForTheAgentWhoAnswered() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        try produce([
            // S: b1 writes to a1 at 10:00:00; a2 answers 30 s later.
            .chat("c1", "2026-11-20T10:00:00+08:00", session: "S", buyer: "b1", agent: "a1", from: "buyer"),
            .chat("c2", "2026-11-20T10:00:30+08:00", session: "S", buyer: "b1", agent: "a2", from: "agent"),
            // T: b2 writes to a1 at 11:00; a1 answers after 60 s.
            .chat("c3", "2026-11-20T11:00:00+08:00", session: "T", buyer: "b2", agent: "a1", from: "buyer"),
            .chat("c4", "2026-11-20T11:01:00+08:00", session: "T", buyer: "b2", agent: "a1", from: "agent"),
            .pageView("p1", "2026-11-20T12:00:00+08:00", visitor: "v1", session: "v1-1"),
        ], bootstrap: bootstrap)
        let config = try writeConfig("""
            teams:
              - {name: cs, agents: [a1, a2], leads: [lead]}
            """)
        let run = try runBackfill(bootstrap: bootstrap, config: config, from: "2026-11-19")
        #expect(run.status == 0, "\(run.log)")
        let a1 = run.snapshot("agent", "s1", "a1", "day", "2026-11-20")
        let a2 = run.snapshot("agent", "s1", "a2", "day", "2026-11-20")
        #expect(metricText(a1, "sessions") == "2")             // S and T started with a1
        #expect(metricText(a1, "first_response_s") == "60")    // T only: S was answered by a2
        #expect(metricText(a2, "sessions") == "0")
        #expect(metricText(a2, "first_response_s") == "30")    // S: 10:00:00 → 10:00:30
        for (scope, id) in [("team", Optional("cs")), ("shop", nil)] {
            let s = run.snapshot(scope, "s1", id, "day", "2026-11-20")
            #expect(metricText(s, "first_response_s") == "45")  // (30 + 60) / 2
            #expect(metricText(s, "sessions") == "2")
        }
    }
}
