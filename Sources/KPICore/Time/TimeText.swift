import Foundation

/// Times and durations as users write them on the command line and in the
/// config (interfaces.md): `30s`, `5m`, `2h`, `7d`; RFC 3339 instants or a
/// date (`2026-11-01`, local midnight in the configured time zone).
public enum TimeText {
    /// `30s`, `5m`, `2h`, `7d`, `250ms`; nil when not of that form.
    public static func duration(_ text: String) -> EventTime.Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)]
        for (suffix, millis) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "5ms" also ends in "s": only accept when the rest is all digits.
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let n = Int64(number), n >= 0 else { continue }
            let (v, overflow) = n.multipliedReportingOverflow(by: millis)
            return overflow ? nil : EventTime.Duration(millis: v)
        }
        return nil
    }

    /// An RFC 3339 instant, or a date meaning local midnight in `timeZone`; nil when neither.
    public static func instant(_ text: String, timeZone: TimeZone) -> EventTime? {
        var bytes = Array(text.utf8)
        if let t = bytes.withUnsafeMutableBufferPointer({ buf -> EventTime? in
            guard let base = buf.baseAddress else { return nil }
            return ValueParsing.rfc3339(UnsafePointer(base), count: buf.count)
        }) {
            return t
        }
        bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let y = Int(text.prefix(4)), let m = Int(text.dropFirst(5).prefix(2)), let d = Int(text.suffix(2)),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        let days = CivilTime.days(year: y, month: m, day: d)
        guard CivilTime.date(days: days) == (y, m, d) else { return nil }  // rejects 2026-02-30
        return localMidnight(days: days, timeZone: timeZone)
    }

    /// The UTC instant of local midnight starting day `days` in `timeZone`
    /// (where midnight does not exist on a DST day, the first instant after it).
    public static func localMidnight(days: Int64, timeZone: TimeZone) -> EventTime {
        let naive = days * 86_400_000
        // Two passes settle the offset around a transition.
        var guess = naive - Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(naive) / 1000))) * 1000
        guess = naive - Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(guess) / 1000))) * 1000
        return EventTime(millis: guess)
    }
}
