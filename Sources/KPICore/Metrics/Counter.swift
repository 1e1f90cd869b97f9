/// The additive quantities every metric is derived from. One `Counters`
/// value per scope × window (and per hour bucket); retractions subtract.
enum Counter: Int, CaseIterable {
    // shop operations
    case pageViews, dwellSumMillis, dwellCount, browseSessions, bouncedSessions
    case ordersCreated, ordersPaid, sales, refunds, shippedWithPromise, shippedOnTime
    // promotion
    case impressions, clicks, arrivals, spend
    // customer service
    case chatSessions, unansweredSessions, firstTurnsAnswered, firstResponseSumMillis
    case turnsDecided, turnsAnswered, responseSumMillis, answeredWithinTarget
    case buyerMessages, agentMessages
    case agentOrdersCreated, agentOrdersPaid, agentSales
    case ratings, ratingSum, ratingsGood
}

/// All `Counter`s of one scope × window (or hour bucket), inline (no heap).
struct Counters {
    var values = InlineArray<32, Int64>(repeating: 0)

    @inline(__always)
    subscript(_ c: Counter) -> Int64 {
        get { values[c.rawValue] }
        set { values[c.rawValue] = newValue }
    }

    @inline(__always)
    mutating func add(_ d: CounterDelta) {
        for i in 0..<d.count { values[Int(d.counters[i])] &+= d.amounts[i] }
    }

    @inline(__always)
    mutating func add(_ other: Counters, sign: Int64) {
        for i in 0..<32 { values[i] &+= sign &* other.values[i] }
    }
}

/// A small change to a few counters (at most 4), built per event without
/// allocating.
struct CounterDelta {
    var counters = InlineArray<4, UInt8>(repeating: 0)
    var amounts = InlineArray<4, Int64>(repeating: 0)
    var count = 0

    init() {}
    init(_ c: Counter, _ v: Int64 = 1) { append(c, v) }

    @inline(__always)
    mutating func append(_ c: Counter, _ v: Int64 = 1) {
        counters[count] = UInt8(c.rawValue)
        amounts[count] = v
        count += 1
    }

    /// The same change with every amount multiplied by `sign` (±1).
    func scaled(_ sign: Int64) -> CounterDelta {
        var d = self
        for i in 0..<count { d.amounts[i] = amounts[i] &* sign }
        return d
    }

    var isEmpty: Bool { count == 0 }
}
