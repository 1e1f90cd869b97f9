/// Proleptic Gregorian calendar arithmetic on integers (Howard Hinnant's
/// `days_from_civil` / `civil_from_days`), used to format and parse event
/// times without a `DateFormatter` on the hot path.
public enum CivilTime {
    /// Days since 1970-01-01 of a Gregorian date (month 1...12, day 1...31).
    @inlinable
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The Gregorian date of a day number (days since 1970-01-01).
    @inlinable
    public static func date(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// ISO weekday of a day number: 1 = Monday ... 7 = Sunday.
    @inlinable
    public static func isoWeekday(days: Int64) -> Int {
        // 1970-01-01 was a Thursday (4).
        let r = (days + 3) % 7
        return Int(r < 0 ? r + 7 : r) + 1
    }

    /// `floor(a / b)` for a positive `b`.
    @inlinable
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// RFC 3339 text of `time` as seen at a fixed UTC offset, e.g.
    /// `2026-11-21T15:02:11+08:00`, or `...Z` for offset 0. Milliseconds are
    /// written only when `milliseconds` is true (`.402`).
    public static func rfc3339(_ time: EventTime, utcOffsetSeconds: Int, milliseconds: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(29)
        appendRFC3339(time, utcOffsetSeconds: utcOffsetSeconds, milliseconds: milliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the RFC 3339 text of `time` to a byte buffer (see `rfc3339`).
    public static func appendRFC3339(_ time: EventTime, utcOffsetSeconds: Int, milliseconds: Bool, to out: inout [UInt8]) {
        let local = time.millis + Int64(utcOffsetSeconds) * 1000
        let dayNumber = floorDiv(local, 86_400_000)
        let msOfDay = local - dayNumber * 86_400_000
        let (y, mo, d) = date(days: dayNumber)
        // The last `width` digits of `v`, without an array per field (every output line has a few).
        func put(_ v: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 { out.append(UInt8(0x30 + v / divisor % 10)); divisor /= 10 }
        }
        put(y, 4); out.append(0x2D); put(mo, 2); out.append(0x2D); put(d, 2)
        out.append(0x54)
        let secs = Int(msOfDay / 1000)
        put(secs / 3600, 2); out.append(0x3A); put(secs / 60 % 60, 2); out.append(0x3A); put(secs % 60, 2)
        if milliseconds { out.append(0x2E); put(Int(msOfDay % 1000), 3) }
        if utcOffsetSeconds == 0 {
            out.append(0x5A)
        } else {
            let sign: UInt8 = utcOffsetSeconds < 0 ? 0x2D : 0x2B
            let a = abs(utcOffsetSeconds) / 60
            out.append(sign); put(a / 60, 2); out.append(0x3A); put(a % 60, 2)
        }
    }
}
