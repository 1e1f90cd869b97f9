/// The pace of a cumulative target: the share of it that should be reached
/// at a moment of an open window (kpis.md: "target × elapsed fraction of the
/// window (in event time)").
///
/// Even pace: elapsed = (t − start) / (end − start), so a DST day of 23 or
/// 25 hours paces over its real length. With a `PaceShape`: the weights of
/// the local hours elapsed over the weights of all local hours of the
/// window, an hour partly elapsed counting in proportion. Hours are stepped
/// from the window start (a local midnight) in real time, so the shape
/// follows local hours across DST changes of whole hours.
public enum Pace {
    /// Elapsed fraction in 0...1 of `start ..< end` at `time`, even pace.
    static func evenFraction(start: EventTime, end: EventTime, at time: EventTime) -> ExactRatio {
        if time <= start || end <= start { return .zero }
        if time >= end { return .one }
        return ExactRatio(Int128(time.millis - start.millis), Int128(end.millis - start.millis))
    }

    /// The paced threshold `target × fraction`, in the target's unit.
    static func threshold(_ target: TargetValue, fraction: ExactRatio) -> ExactRatio { target.exact * fraction }
}

/// Cumulative hour weights of one window under one shape.
struct PaceTable: Sendable {
    let start: Int64
    let end: Int64
    /// `weights[h]`: weight of the local hour beginning `h` hours after start.
    let weights: [Int64]
    /// `cumulative[h]`: weight × milliseconds of hours `0 ..< h`.
    let cumulative: [Int64]

    static let hour: Int64 = 3_600_000

    init(start: EventTime, end: EventTime, shape: PaceShape, zone: ZoneRules) {
        self.start = start.millis; self.end = end.millis
        let span = Swift.max(0, end.millis - start.millis)
        let hours = Int((span + Self.hour - 1) / Self.hour)
        var w: [Int64] = []
        var c: [Int64] = [0]
        w.reserveCapacity(hours); c.reserveCapacity(hours + 1)
        for h in 0..<hours {
            let from = start.millis + Int64(h) * Self.hour
            let to = Swift.min(from + Self.hour, end.millis)
            let local = from + Int64(zone.utcOffsetSeconds(at: EventTime(millis: from))) * 1000
            let hourOfDay = Int(CivilTime.floorDiv(local, Self.hour) % 24 + 24) % 24
            let weight = hourOfDay < shape.hourlyWeights.count ? Swift.max(0, shape.hourlyWeights[hourOfDay]) : 0
            w.append(weight)
            c.append(c[h] + weight * (to - from))
        }
        weights = w; cumulative = c
    }

    func fraction(at time: EventTime) -> ExactRatio {
        let total = cumulative[cumulative.count - 1]
        if total <= 0 || time.millis >= end { return .one }
        if time.millis <= start { return .zero }
        let h = Int((time.millis - start) / Self.hour)
        let partial = time.millis - start - Int64(h) * Self.hour
        return ExactRatio(Int128(cumulative[h] + weights[h] * partial), Int128(total))
    }
}

/// Pace tables by window and shape, built once per window (a month has
/// ~744 hours, each needing a zone offset) and dropped with the window.
struct PaceCache: Sendable {
    struct Key: Hashable, Sendable {
        var start: Int64
        var end: Int64
        var shape: PaceShape
    }
    private var tables: [Key: PaceTable] = [:]

    mutating func fraction(start: EventTime, end: EventTime, at time: EventTime, shape: PaceShape?,
                           zone: ZoneRules) -> ExactRatio {
        guard let shape, shape != .even else { return Pace.evenFraction(start: start, end: end, at: time) }
        let key = Key(start: start.millis, end: end.millis, shape: shape)
        if let t = tables[key] { return t.fraction(at: time) }
        let t = PaceTable(start: start, end: end, shape: shape, zone: zone)
        tables[key] = t
        return t.fraction(at: time)
    }

    /// Forgets the tables of windows that ended at or before `time`.
    mutating func forget(endingBy time: EventTime) {
        tables = tables.filter { $0.key.end > time.millis }
    }
}
