/// The kinds of window every scope is aggregated over (kpis.md "Windows").
/// Declaration order is the output sort order.
public enum WindowType: UInt8, CaseIterable, Comparable, Sendable, Hashable {
    case day, week, month, rolling24h, rolling7d, rolling30d

    /// `window.type` in the snapshot JSON.
    public var name: String {
        switch self {
        case .day: "day"
        case .week: "week"
        case .month: "month"
        case .rolling24h: "rolling_24h"
        case .rolling7d: "rolling_7d"
        case .rolling30d: "rolling_30d"
        }
    }

    public var isCalendar: Bool { self == .day || self == .week || self == .month }

    /// Length of a rolling window in hour buckets (0 for calendar windows).
    var rollingHours: Int32 {
        switch self {
        case .rolling24h: 24
        case .rolling7d: 168
        case .rolling30d: 720
        default: 0
        }
    }

    public static func < (a: WindowType, b: WindowType) -> Bool { a.rawValue < b.rawValue }
}

/// One window of one scope as it appears in a snapshot.
public struct WindowRef: Sendable, Hashable {
    public var type: WindowType
    /// `2026-11-21`, `2026-W47`, `2026-11`, or the type name for rolling windows.
    public var id: String
    public var start: EventTime
    public var end: EventTime
    /// The watermark has passed `end` (always false for rolling windows).
    public var closed: Bool

    public init(type: WindowType, id: String, start: EventTime, end: EventTime, closed: Bool) {
        self.type = type; self.id = id; self.start = start; self.end = end; self.closed = closed
    }
}

/// Local-calendar identities of windows, from local day numbers (days since
/// 1970-01-01 in the configured zone). Pure integer arithmetic.
public enum WindowID {
    /// First local day of the week containing `day`, weeks starting on
    /// `firstWeekday` (1 = Monday ... 7 = Sunday).
    @inlinable
    public static func weekStart(ofDay day: Int64, firstWeekday: Int) -> Int64 {
        day - Int64((CivilTime.isoWeekday(days: day) - firstWeekday + 7) % 7)
    }

    /// First local day of the month containing `day`.
    @inlinable
    public static func monthStart(ofDay day: Int64) -> Int64 {
        let d = CivilTime.date(days: day)
        return day - Int64(d.day - 1)
    }

    /// First local day of the month `months` after the one starting at `monthStartDay`.
    public static func addMonths(_ months: Int, toMonthStart monthStartDay: Int64) -> Int64 {
        let d = CivilTime.date(days: monthStartDay)
        let index = d.year * 12 + (d.month - 1) + months
        let year = index >= 0 ? index / 12 : (index - 11) / 12
        return CivilTime.days(year: year, month: index - year * 12 + 1, day: 1)
    }

    /// `2026-11-21`.
    public static func dayID(_ day: Int64) -> String {
        let d = CivilTime.date(days: day)
        return "\(pad(d.year, 4))-\(pad(d.month, 2))-\(pad(d.day, 2))"
    }

    /// `2026-11`.
    public static func monthID(_ monthStartDay: Int64) -> String {
        let d = CivilTime.date(days: monthStartDay)
        return "\(pad(d.year, 4))-\(pad(d.month, 2))"
    }

    /// `2026-W47`. A week belongs to the year that holds at least four of its
    /// days, i.e. the year of its fourth day, and is numbered from the first
    /// such week of that year. For weeks starting Monday this is exactly the
    /// ISO 8601 week (the fourth day is Thursday); for other first weekdays it
    /// is the same rule shifted (Sunday start: the year of the Wednesday).
    public static func weekID(_ weekStartDay: Int64) -> (year: Int, week: Int, id: String) {
        let anchor = weekStartDay + 3
        let year = CivilTime.date(days: anchor).year
        let week = Int((anchor - CivilTime.days(year: year, month: 1, day: 1)) / 7) + 1
        return (year, week, "\(pad(year, 4))-W\(pad(week, 2))")
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
