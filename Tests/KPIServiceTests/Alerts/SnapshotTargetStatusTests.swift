import KPICore
@testable import KPIService
import Testing

/// The `targets` status a snapshot shows must be the one the alerts judge
/// by, also for a window whose metrics stand still: a shop whose sales stop
/// falls behind its pace as the day goes on, and its dashboard must turn red
/// when the alert fires, not stay green until the next order.
@Suite("Snapshot target status follows the pace")
struct SnapshotTargetStatusTests {
    /// 2026-11-21 hh:mm in Asia/Shanghai (UTC+8):
    /// `date -u -d 2026-11-20T16:00:00Z +%s` = 1795190400 (local midnight).
    static func at(_ h: Int64, _ m: Int64 = 0) -> EventTime {
        EventTime(millis: (1_795_190_400 + h * 3600 + m * 60) * 1000)
    }

    /// s1 has a day sales target of 10000.00 on an even pace; s2 (same
    /// partition, no target) keeps the watermark moving. No lateness, so
    /// the watermark is the newest event time.
    static func work(emits: Bool = true) throws -> PartitionWork {
        let service = try validConfig("""
            kpi:
              time_zone: Asia/Shanghai
              allowed_lateness: 0s
            targets:
              - rule: s1-sales
                metric: sales
                scope: {type: shop, ids: [s1]}
                window: day
                value: "10000.00"
            """)
        let state = try PartitionKPIState(partition: 0, configuration: service.kpi, coverageStart: nil)
        return service.partitionWork(state: state, emits: emits)
    }

    static func paid(_ id: String, _ t: EventTime, minor: Int64) -> ShopEvent {
        ShopEvent(type: .orderPaid, eventID: id, time: t, shopID: "s1", orderID: id, buyerID: "b-\(id)",
                  amount: Money(minorUnits: minor))
    }

    static func view(_ id: String, _ t: EventTime) -> ShopEvent {
        ShopEvent(type: .pageView, eventID: id, time: t, shopID: "s2", sessionID: "v-\(id)", visitorID: "v-\(id)")
    }

    /// The day's s1 sales line: revision, status and pace (minor units) of `sales`.
    struct Line: Equatable, CustomStringConvertible {
        var revision: Int
        var status: TargetStatus.Status
        var pace: Fraction?
        var description: String { "rev \(revision) \(status.name) pace \(pace.map { "\($0)" } ?? "-")" }
    }

    static func s1Day(_ snapshots: [KPISnapshot]) -> Line? {
        guard let s = snapshots.first(where: { $0.scope == Scope(type: .shop, shopID: "s1") && $0.window.type == .day }),
              let t = s.targets.first(where: { $0.metric == "sales" }) else { return nil }
        return Line(revision: s.revision, status: t.status, pace: t.pace)
    }

    /// Live cadence: snapshots taken after every event, as the one-second
    /// drain would. The pace at time t of the day is 10000.00 × t / 24 h.
    @Test func aShopWhoseSalesStopTurnsRedWhenItFallsBehindThePace() throws {
        let work = try Self.work()
        var alerts: [Alert] = []
        func feed(_ e: ShopEvent) -> Line? {
            _ = work.ingest(e, recordTimestamp: nil)
            alerts += work.takeAlerts()
            return Self.s1Day(work.takeSnapshots(emittedAt: e.time))
        }
        // 09:00: 6000.00 paid; pace 10000.00 × 9/24 = 3750.00 → ok.
        #expect(feed(Self.paid("o1", Self.at(9), minor: 600_000)) == Line(revision: 1, status: .ok, pace: Fraction(375_000, 1)))
        // 10:00, 12:00, 14:00: pace 4166.67, 5000.00, 5833.33, all ≤ 6000.00:
        // still ok, nothing to emit again for s1.
        #expect(feed(Self.view("v1", Self.at(10))) == nil)
        #expect(feed(Self.view("v2", Self.at(12))) == nil)
        #expect(feed(Self.view("v3", Self.at(14))) == nil)
        // 14:30: pace 10000.00 × 14.5/24 = 6041.67 (exactly 1_000_000 × 29/48
        // = 1_812_500/3 minor units) > 6000.00 → breach, emitted again as
        // revision 2 although no s1 event came in.
        #expect(feed(Self.view("v4", Self.at(14, 30))) == Line(revision: 2, status: .breach, pace: Fraction(1_812_500, 3)))
        #expect(alerts.isEmpty)   // pending: the open-window hold is 5 min
        // 15:00: still behind (pace 6250.00): no new revision; the alert
        // fires now (pending since 14:30, held 5 min), and the snapshot
        // already says breach.
        #expect(feed(Self.view("v5", Self.at(15))) == nil)
        #expect(alerts.map(\.state) == [.firing])
        #expect(alerts.first?.id.hasPrefix("s1-sales") == true)
        // 15:30: 500.00 more → 6500.00 against 10000.00 × 15.5/24 = 6458.33 → ok (revision 3).
        #expect(feed(Self.paid("o2", Self.at(15, 30), minor: 50_000)) == Line(revision: 3, status: .ok, pace: Fraction(1_937_500, 3)))
    }

    /// A total is not judged in the first hour of its day (`min_elapsed`,
    /// default 1 h); the status leaves `insufficient_sample` at 01:00 by
    /// time alone.
    @Test func aTotalIsJudgedOnceTheFirstHourHasPassed() throws {
        let work = try Self.work()
        func feed(_ e: ShopEvent) -> Line? {
            _ = work.ingest(e, recordTimestamp: nil)
            return Self.s1Day(work.takeSnapshots(emittedAt: e.time))
        }
        // 00:30: 100.00 paid, too early to judge.
        #expect(feed(Self.paid("o1", Self.at(0, 30), minor: 10_000)) == Line(revision: 1, status: .insufficientSample, pace: nil))
        // 01:00: pace 10000.00 / 24 = 416.67 (1_000_000/24 = 125_000/3) > 100.00 → breach.
        #expect(feed(Self.view("v1", Self.at(1))) == Line(revision: 2, status: .breach, pace: Fraction(125_000, 3)))
    }

    /// Backfill cadence: one snapshot per window, taken at the end and as of
    /// the end (revision 1): the status and pace are those the live cadence
    /// shows at the same watermark, and the alert fired as it did live.
    @Test func backfillSnapshotsAreAsOfTheEnd() throws {
        let work = try Self.work(emits: false)
        let events = [Self.paid("o1", Self.at(9), minor: 600_000), Self.view("v1", Self.at(10)),
                      Self.view("v2", Self.at(12)), Self.view("v3", Self.at(14)), Self.view("v4", Self.at(14, 30)),
                      Self.view("v5", Self.at(15))]
        for e in events { _ = work.ingest(e, recordTimestamp: nil) }
        // Watermark 15:00: pace 10000.00 × 15/24 = 6250.00 > 6000.00 → breach.
        #expect(Self.s1Day(work.finalSnapshots(emittedAt: Self.at(16))) == Line(revision: 1, status: .breach, pace: Fraction(625_000, 1)))
        // Pending at 14:30, firing at 15:00 (held 5 min), as live.
        #expect(work.takeAlerts().map(\.state) == [.firing])
    }
}
