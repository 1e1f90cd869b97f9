/// A cache of local-midnight instants for a contiguous run of local days, so
/// that mapping an event time to its local day is an array probe, not a
/// Foundation call. Filled lazily (one `ZoneRules` call per new day) and
/// trimmed as days leave retention.
struct DayTable {
    let rules: ZoneRules
    /// Local day number of `starts[0]`.
    private(set) var firstDay: Int64 = 0
    /// `starts[i]` = first instant of local day `firstDay + i`; one more entry
    /// than days covered, so day `i` is `starts[i] ..< starts[i + 1]`.
    private(set) var starts: [Int64] = []

    /// Farther than this from the table, a time is resolved without caching
    /// (an absurd timestamp must not fill the table with years of days).
    static let maximumGap: Int64 = 400

    init(rules: ZoneRules) { self.rules = rules }

    /// The local day containing `millis`.
    mutating func day(containing millis: Int64) -> Int64 {
        if starts.isEmpty {
            let d = rules.localDay(containing: millis)
            firstDay = d
            starts = [rules.startOfDay(d), rules.startOfDay(d + 1)]
        }
        // Days are 23...25 h long, so the estimate is off by at most one.
        var i = CivilTime.floorDiv(millis - starts[0], 86_400_000)
        if i < -Self.maximumGap || i > Int64(starts.count) + Self.maximumGap {
            return rules.localDay(containing: millis)
        }
        while i < 0 { prepend(); i += 1 }
        while i + 1 >= Int64(starts.count) { append() }
        while millis < starts[Int(i)] {
            if i == 0 { prepend(); i += 1 }
            i -= 1
        }
        while millis >= starts[Int(i + 1)] {
            i += 1
            if i + 1 >= Int64(starts.count) { append() }
        }
        return firstDay + i
    }

    /// The first instant of local day `day`.
    mutating func start(ofDay day: Int64) -> Int64 {
        let i = day - firstDay
        if !starts.isEmpty, i >= 0, i < Int64(starts.count) { return starts[Int(i)] }
        if !starts.isEmpty, i >= -Self.maximumGap, i < Int64(starts.count) + Self.maximumGap {
            while day < firstDay { prepend() }
            while day - firstDay >= Int64(starts.count) { append() }
            return starts[Int(day - firstDay)]
        }
        return rules.startOfDay(day)
    }

    private mutating func append() { starts.append(rules.startOfDay(firstDay + Int64(starts.count))) }
    private mutating func prepend() {
        firstDay -= 1
        starts.insert(rules.startOfDay(firstDay), at: 0)
    }

    /// Forgets days before `day`.
    mutating func trim(before day: Int64) {
        let n = day - firstDay
        guard n > 0 else { return }
        if n >= Int64(starts.count) - 1 { starts = []; return }
        starts.removeFirst(Int(n))
        firstDay = day
    }
}
