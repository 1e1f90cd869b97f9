import Testing
@testable import KPICore

@Suite struct WindowTests {
    @Test func localMidnightSplitsDays() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.pageView(local(2026, 11, 21, 23, 59, 59, ms: 999), visitor: "v1", session: "a"),
            e.pageView(local(2026, 11, 22), visitor: "v2", session: "b"),
        ])
        #expect(state.metric("pv", .shop, nil, .day, "2026-11-21") == "1")
        #expect(state.metric("pv", .shop, nil, .day, "2026-11-22") == "1")
        let day = state.snapshot(.shop, .day, "2026-11-21")!
        // Asia/Shanghai is UTC+8 all year: 2026-11-21T00:00+08:00 = 2026-11-20T16:00Z.
        #expect(day.window.start == local(2026, 11, 21))
        #expect(day.window.end == local(2026, 11, 22))
        // Saturday 21st and Sunday 22nd share the Monday-start week 2026-W47 (Mon 16th ... Sun 22nd).
        #expect(state.metric("pv", .shop, nil, .week, "2026-W47") == "2")
        #expect(state.snapshot(.shop, .week)!.window.start == local(2026, 11, 16))
        #expect(state.metric("uv", .shop, nil, .week, "2026-W47") == "2")
    }

    @Test func sundayStartSplitsSaturdayFromSunday() {
        var e = Events()
        var state = makeState { $0.firstWeekday = 7 }
        state.ingest([
            e.pageView(local(2026, 11, 21, 12), visitor: "v1", session: "a"),   // Saturday
            e.pageView(local(2026, 11, 22, 12), visitor: "v1", session: "b"),   // Sunday
        ])
        // Sun 15 ... Sat 21: 4th day Wed 18 = day 322 of 2026 → week (322 − 1) / 7 + 1 = 46.
        // Sun 22 ... Sat 28: 4th day Wed 25 = day 329 → week 47.
        let w46 = state.snapshot(.shop, .week, "2026-W46")
        let w47 = state.snapshot(.shop, .week, "2026-W47")
        #expect(w46?[metric: "pv"] == .count(1))
        #expect(w47?[metric: "pv"] == .count(1))
        #expect(w47?.window.start == local(2026, 11, 22))
        #expect(w47?.window.end == local(2026, 11, 29))
    }

    @Test func isoWeekAtTheYearBoundary() {
        // 2026-12-28 is a Monday; its Thursday is 2026-12-31 → 2026-W53.
        // 2027-01-04 (Monday) starts 2027-W01. 2024-12-30 (Monday) → 2025-W01 (its Thursday is 2025-01-02).
        #expect(WindowID.weekID(CivilTime.days(year: 2026, month: 12, day: 28)).id == "2026-W53")
        #expect(WindowID.weekID(CivilTime.days(year: 2027, month: 1, day: 4)).id == "2027-W01")
        #expect(WindowID.weekID(CivilTime.days(year: 2024, month: 12, day: 30)).id == "2025-W01")
    }

    @Test(arguments: [(2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 1, 31), (2026, 12, 31)])
    func monthLengths(year: Int, month: Int, days: Int) {
        var e = Events()
        var state = makeState()
        state.ingest([e.pageView(local(year, month, 15, 12), visitor: "v", session: "a")])
        let m = state.snapshot(.shop, .month)!
        #expect(m.window.id == "\(year)-\(month < 10 ? "0" : "")\(month)")
        #expect(m.window.end.millis - m.window.start.millis == Int64(days) * 86_400_000)
        #expect(m.window.start == local(year, month, 1))
    }

    @Test func newYorkDSTDaysAndWeek() {
        var e = Events()
        var state = makeState { $0.timeZoneID = "America/New_York" }
        // 2026-03-08: clocks go 02:00 EST → 03:00 EDT. 01:59:59 EST and 03:00 EDT are one second apart.
        state.ingest([
            e.pageView(local(2026, 3, 8, 1, 59, 59, offset: -5), visitor: "v1", session: "a"),
            e.pageView(local(2026, 3, 8, 3, 0, 0, offset: -4), visitor: "v2", session: "b"),
            e.pageView(local(2026, 3, 8, 23, 59, 59, ms: 999, offset: -4), visitor: "v3", session: "c"),
            e.pageView(local(2026, 3, 9, 0, 0, 0, offset: -4), visitor: "v4", session: "d"),
        ])
        let day = state.snapshot(.shop, .day, "2026-03-08")!
        #expect(day[metric: "pv"] == .count(3))
        #expect(day.window.end.millis - day.window.start.millis == 23 * 3_600_000)
        let json = String(decoding: SnapshotJSON.encode(day, fractionDigits: 2, zone: state.zone), as: UTF8.self)
        #expect(json.contains(#""start":"2026-03-08T00:00:00-05:00","end":"2026-03-09T00:00:00-04:00""#))
        #expect(state.metric("pv", .shop, nil, .day, "2026-03-09") == "1")
        // Week Mon 2 ... Sun 8 March: 7 × 24 − 1 = 167 hours.
        let week = state.snapshot(.shop, .week, "2026-W10")!
        #expect(week.window.end.millis - week.window.start.millis == 167 * 3_600_000)
        #expect(week[metric: "pv"] == .count(3))
    }

    @Test func newYorkFallBackDayHas25Hours() {
        var e = Events()
        var state = makeState { $0.timeZoneID = "America/New_York" }
        // 2026-11-01: 02:00 EDT → 01:00 EST; the day runs 00:00−04:00 to 24:00−05:00.
        state.ingest([
            e.pageView(local(2026, 11, 1, 1, 30, offset: -4), visitor: "v1", session: "a"),
            e.pageView(local(2026, 11, 1, 1, 30, offset: -5), visitor: "v2", session: "b"),
        ])
        let day = state.snapshot(.shop, .day, "2026-11-01")!
        #expect(day[metric: "pv"] == .count(2))
        #expect(day.window.end.millis - day.window.start.millis == 25 * 3_600_000)
        #expect(day.window.start == local(2026, 11, 1, offset: -4))
    }

    @Test func unknownTimeZoneIsAnError() {
        var c = KPIConfiguration()
        c.timeZoneID = "Mars/Olympus_Mons"
        #expect(throws: KPICoreError.unknownTimeZone("Mars/Olympus_Mons")) {
            _ = try PartitionKPIState(partition: 0, configuration: c, coverageStart: nil)
        }
    }

    @Test func rollingWindowsTrailTheWatermark() {
        var e = Events()
        var state = makeState()
        state.ingest([
            e.pageView(local(2026, 11, 20, 9, 30), visitor: "v1", session: "a"),   // 25.5 h before the last
            e.pageView(local(2026, 11, 21, 9, 59), visitor: "v1", session: "b"),
            e.pageView(local(2026, 11, 21, 11), visitor: "v2", session: "c"),
        ])
        // Watermark 10:55 (+08:00) → hour bucket 10:00; rolling_24h starts at 11:00 the day before.
        let r24 = state.snapshot(.shop, .rolling24h)!
        #expect(r24.window.start == local(2026, 11, 20, 11))
        #expect(r24[metric: "pv"] == .count(2))
        #expect(r24[metric: "uv"] == .count(2))
        let r7 = state.snapshot(.shop, .rolling7d)!
        #expect(r7[metric: "pv"] == .count(3))
        #expect(r7[metric: "uv"] == .count(2))   // v1 twice
    }
}
