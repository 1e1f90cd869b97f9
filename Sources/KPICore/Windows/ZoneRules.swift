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
