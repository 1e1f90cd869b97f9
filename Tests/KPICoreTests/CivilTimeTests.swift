import Testing
@testable import KPICore

@Suite struct CivilTimeTests {
    @Test func knownDaysRoundTrip() {
        // 2000-03-01: 30 years (7 leap days) = 10957 days to 2000-01-01, + 31 + 29 = 11017.
        #expect(CivilTime.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilTime.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilTime.date(days: 11_017) == (2000, 3, 1))
        #expect(CivilTime.date(days: -1) == (1969, 12, 31))
        for d in Int64(-800_000)...Int64(800_000) where d % 997 == 0 {
            let c = CivilTime.date(days: d)
            #expect(CivilTime.days(year: c.year, month: c.month, day: c.day) == d)
        }
    }

    @Test func weekday() {
        #expect(CivilTime.isoWeekday(days: 0) == 4)  // Thursday
        #expect(CivilTime.isoWeekday(days: CivilTime.days(year: 2026, month: 11, day: 23)) == 1)  // a Monday
    }

    @Test func formatsWithOffset() {
        // 2026-11-21T02:15:00Z = 1795227300 s (`date -u -d 2026-11-21T02:15:00Z +%s`).
        let t = EventTime(millis: 1_795_227_300_000)
        #expect(CivilTime.rfc3339(t, utcOffsetSeconds: 0) == "2026-11-21T02:15:00Z")
        #expect(CivilTime.rfc3339(t, utcOffsetSeconds: 8 * 3600) == "2026-11-21T10:15:00+08:00")
        #expect(CivilTime.rfc3339(t + .millis(402), utcOffsetSeconds: -5 * 3600 - 1800, milliseconds: true) == "2026-11-20T20:45:00.402-05:30")
    }
}
extension EventTime.Duration { static func millis(_ v: Int64) -> Self { .init(millis: v) } }
