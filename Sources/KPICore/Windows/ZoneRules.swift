import Foundation

/// The configured IANA time zone: UTC offsets at instants and local-day
/// boundaries. Calls Foundation; used when a window is created and when a
/// snapshot is written, never per event (see `DayTable` for the per-event path).
public struct ZoneRules: Sendable {
    public let identifier: String
    let zone: TimeZone
    let calendar: Calendar

    public init(identifier: String) throws(KPICoreError) {
        guard let zone = TimeZone(identifier: identifier) else { throw .unknownTimeZone(identifier) }
        self.identifier = identifier
        self.zone = zone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    /// Seconds east of UTC in effect at `time` (e.g. 28800 for +08:00).
    public func utcOffsetSeconds(at time: EventTime) -> Int {
        zone.secondsFromGMT(for: Self.date(time.millis))
    }

    /// The UTC offset at `time`, and the instant it holds until (the zone's
    /// next transition; `.max` when none is known).
    func utcOffset(at time: EventTime) -> (seconds: Int, until: Int64) {
        let date = Self.date(time.millis)
        let until = zone.nextDaylightSavingTimeTransition(after: date).map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) } ?? .max
        return (zone.secondsFromGMT(for: date), until)
    }

    /// The local calendar day (days since 1970-01-01) containing `millis`.
    func localDay(containing millis: Int64) -> Int64 {
        CivilTime.floorDiv(millis + Int64(utcOffsetSeconds(at: EventTime(millis: millis))) * 1000, 86_400_000)
    }

    /// The first instant of local day `day` (local midnight, or the first
    /// existing instant when midnight falls into a DST gap).
    func startOfDay(_ day: Int64) -> Int64 {
        // Local noon of that day is always inside it, whatever the DST rules.
        let noonLocal = day * 86_400_000 + 43_200_000
        let offset = Int64(zone.secondsFromGMT(for: Self.date(noonLocal))) * 1000
        let start = calendar.startOfDay(for: Self.date(noonLocal - offset))
        return Int64((start.timeIntervalSince1970 * 1000).rounded())
    }
}

/// The UTC offset of the last instant asked for, kept until the zone's next
/// transition: for clocks that move forward (evaluation ticks), one
/// Foundation call per offset change instead of one per tick.
struct ZoneOffsetCache: Sendable {
    private var from: Int64 = .max
    private var until: Int64 = .min
    private var seconds = 0

    /// Seconds east of UTC at `time`.
    mutating func utcOffsetSeconds(at time: EventTime, _ rules: ZoneRules) -> Int {
        if time.millis >= from && time.millis < until { return seconds }
        let (s, u) = rules.utcOffset(at: time)
        (from, until, seconds) = (time.millis, u, s)
        return s
    }

    /// Milliseconds since the local epoch at `time` (UTC time + offset).
    mutating func localMillis(_ time: EventTime, _ rules: ZoneRules) -> Int64 {
        time.millis + Int64(utcOffsetSeconds(at: time, rules)) * 1000
    }
}
