import KPICore

/// How busy a shop is at each minute of its local day: quiet at night, a peak
/// late in the morning and a higher one in the evening, as e-commerce traffic
/// looks. Weights are relative (their daily mean is about 100).
enum DailyRhythm {
    /// Weight at the middle of each local hour 0...23.
    static let hourly: [Int64] = [
        60, 34, 20, 14, 12, 14, 24, 44, 70, 100, 126, 132,
        112, 100, 104, 110, 106, 100, 106, 126, 148, 155, 134, 96,
    ]

    /// One weight per local minute, linear between hour midpoints, so the
    /// density has no steps at the full hour.
    static let perMinute: [Int64] = (0..<1440).map { minute in
        let shifted = (minute + 1440 - 30) % 1440
        let hour = shifted / 60, frac = Int64(shifted % 60)
        return (hourly[hour] * (60 - frac) + hourly[(hour + 1) % 24] * frac) / 60
    }

    /// Sum of `perMinute`: the weight of a whole day.
    static let daySum: Int64 = perMinute.reduce(0, +)

    /// The weight of the local minute containing `millis` (UTC ms) at `offsetMillis`.
    @inline(__always)
    static func weight(atMillis millis: Int64, offsetMillis: Int64) -> Int64 {
        let local = millis + offsetMillis
        let minuteOfDay = CivilTime.floorDiv(local, 60_000) % 1440
        return perMinute[Int(minuteOfDay < 0 ? minuteOfDay + 1440 : minuteOfDay)]
    }
}

/// The event times of the records to produce, one per record, non-decreasing.
///
/// Time is cut into shop-local minutes; each gets a share of the records in
/// proportion to its `DailyRhythm` weight × length, with the remainder
/// carried exactly (integer arithmetic), so a bounded run holds exactly
/// `rate × duration` times and the day still has its shape. Inside a minute
/// the times are stratified (record j of c falls in the j-th c-th of it), so
/// they come out sorted without sorting.
struct EmissionTimeline {
    private let offsetMillis: Int64
    private let end: Int64?
    /// Records of a segment = (carry + numerator × segmentWeight) / denominator.
    private let numerator: UInt64
    private let denominator: UInt64
    private var carry: UInt64 = 0

    private var segmentStart: Int64
    private var segmentLength: Int64 = 0
    private var segmentCount: Int64 = 0
    private var indexInSegment: Int64 = 0
    private var nextSegmentStart: Int64

    /// Records the bounded run will hold (`nil` when unbounded).
    let plannedCount: Int64?

    init(start: Int64, duration: Int64?, rate: Int64, utcOffsetSeconds: Int) {
        offsetMillis = Int64(utcOffsetSeconds) * 1000
        segmentStart = start
        nextSegmentStart = start
        if let duration {
            let end = start + duration
            self.end = end
            let total = rate * duration / 1000
            plannedCount = total
            var weightSum: UInt64 = 0
            var t = start
            while t < end {
                let next = min(Self.minuteEnd(after: t, offsetMillis: offsetMillis), end)
                weightSum += UInt64(next - t) * UInt64(DailyRhythm.weight(atMillis: t, offsetMillis: offsetMillis))
                t = next
            }
            numerator = UInt64(total)
            denominator = max(weightSum, 1)
        } else {
            end = nil
            plannedCount = nil
            // A whole day (weight 60_000 × daySum) must get rate × 86_400 records.
            numerator = UInt64(rate) * 1440
            denominator = 1000 * UInt64(DailyRhythm.daySum)
        }
    }

    private static func minuteEnd(after t: Int64, offsetMillis: Int64) -> Int64 {
        (CivilTime.floorDiv(t + offsetMillis, 60_000) + 1) * 60_000 - offsetMillis
    }

    /// The next record's event time, or `nil` when a bounded run is complete.
    mutating func next(_ random: inout SeededRandom) -> Int64? {
        while indexInSegment == segmentCount {
            segmentStart = nextSegmentStart
            if let end, segmentStart >= end { return nil }
            var segmentEnd = Self.minuteEnd(after: segmentStart, offsetMillis: offsetMillis)
            if let end { segmentEnd = min(segmentEnd, end) }
            nextSegmentStart = segmentEnd
            segmentLength = segmentEnd - segmentStart
            let weight = UInt64(segmentLength) * UInt64(DailyRhythm.weight(atMillis: segmentStart, offsetMillis: offsetMillis))
            let product = numerator.multipliedFullWidth(by: weight)
            let (low, overflow) = product.low.addingReportingOverflow(carry)
            let (quotient, remainder) = denominator.dividingFullWidth((product.high + (overflow ? 1 : 0), low))
            carry = remainder
            segmentCount = Int64(quotient)
            indexInSegment = 0
        }
        let j = indexInSegment
        indexInSegment += 1
        // (j·L + u) / c with u in 0..<L lies in [j·L/c, (j+1)·L/c): sorted, inside the segment.
        let numeratorInSegment = j * segmentLength + random.below(segmentLength)
        return segmentStart + numeratorInSegment / segmentCount
    }
}
