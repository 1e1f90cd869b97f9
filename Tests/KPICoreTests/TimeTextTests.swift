import Foundation
import Testing
import KPICore

@Suite struct TimeTextTests {
    @Test func durations() {
        #expect(TimeText.duration("30s")?.millis == 30_000)
        #expect(TimeText.duration("5m")?.millis == 300_000)
        #expect(TimeText.duration("2h")?.millis == 7_200_000)
        #expect(TimeText.duration("7d")?.millis == 604_800_000)
        #expect(TimeText.duration("250ms")?.millis == 250)
        #expect(TimeText.duration("5") == nil)
        #expect(TimeText.duration("-5m") == nil)
        #expect(TimeText.duration("m") == nil)
        #expect(TimeText.duration("1.5h") == nil)
    }

    @Test func instants() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        // 2026-11-01 00:00 +08:00 = 2026-10-31T16:00:00Z = 1793462400 s (`date -u -d 2026-10-31T16:00:00Z +%s`).
        #expect(TimeText.instant("2026-11-01", timeZone: shanghai)?.millis == 1_793_462_400_000)
        #expect(TimeText.instant("2026-10-31T16:00:00Z", timeZone: shanghai)?.millis == 1_793_462_400_000)
        // New York's DST ends 2026-11-01 at 02:00 EDT; midnight is still EDT (-04:00): 04:00Z.
        let ny = try #require(TimeZone(identifier: "America/New_York"))
        let nyMidnight: Int64 = 1_793_462_400_000 + 12 * 3_600_000
        #expect(TimeText.instant("2026-11-01", timeZone: ny)?.millis == nyMidnight)
        // The day after is EST (-05:00): 2026-11-02T05:00Z.
        let nyNextMidnight: Int64 = 1_793_462_400_000 + (24 + 13) * 3_600_000
        #expect(TimeText.instant("2026-11-02", timeZone: ny)?.millis == nyNextMidnight)
        #expect(TimeText.instant("2026-02-30", timeZone: shanghai) == nil)
        #expect(TimeText.instant("yesterday", timeZone: shanghai) == nil)
    }
}
