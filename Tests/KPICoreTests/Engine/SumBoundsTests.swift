import Testing
@testable import KPICore

/// Issue 13 (5): sums of amounts never wrap around, in any window, also
/// across a restore from a checkpoint.
@Suite struct SumBoundsTests {
    /// The largest amount the decoder accepts: 10^15 minor units.
    static let most = FieldReader.maxAmountMinorUnits
    /// The largest sum a window holds (and a checkpoint restores): 2^53 = 9,007,199,254,740,992 minor units.
    static let limit: Int64 = 9_007_199_254_740_992

    @Test func aShopsSalesStopBeforeTheyWouldOverflowAndOtherShopsGoOn() {
        var state = makeState()
        var big = Events(shop: "big")
        var other = Events(shop: "s1")
        let t = local(2026, 11, 20, 10)
        // 9 × 10^15 ≤ 2^53 (9.007 × 10^15); a 10th is not.
        #expect(Self.limit == 1 << 53)
        for i in 0..<9 {
            #expect(state.ingest(big.order(.orderPaid, t + .seconds(Int64(i)), order: "o\(i)", buyer: "b", amount: Self.most),
                                 recordTimestamp: nil) == .counted)
        }
        #expect(state.ingest(big.order(.orderPaid, t + .hours(1), order: "last", buyer: "b", amount: Self.most),
                             recordTimestamp: nil) == .sumOverflow)
        // Refunds and spend have bounds of their own; another shop is not affected.
        #expect(state.ingest(big.order(.orderRefunded, t + .hours(1), order: "o1", buyer: "b", amount: Self.most),
                             recordTimestamp: nil) == .counted)
        #expect(state.ingest(other.order(.orderPaid, t + .hours(1), order: "x", buyer: "b", amount: 150, id: "other-1"),
                             recordTimestamp: nil) == .counted)
        for window in [WindowType.day, .week, .month] {
            #expect(state.snapshot(.shop, shop: "big", window)?[metric: "sales"] == .money(Money(minorUnits: 9 * Self.most)))
            #expect(state.snapshot(.shop, shop: "big", window)?[metric: "net_sales"] == .money(Money(minorUnits: 8 * Self.most)))
        }
        #expect(state.snapshot(.shop, shop: "s1", .day)?[metric: "sales"] == .money(Money(minorUnits: 150)))
    }

    /// A buffering caller (backfill, replay) keeps a record's bytes only when
    /// `mayRefuse` says it may be refused: a `sum_overflow` must be foreseen
    /// too, or its dead letter would lose the original bytes.
    @Test func mayRefuseForeseesASumOverflow() {
        var state = makeState()
        var big = Events(shop: "big")
        let t = local(2026, 11, 20, 10)
        let events = (0..<10).map { i in
            big.order(.orderPaid, t + .seconds(Int64(i)), order: "o\(i)", buyer: "b", amount: Self.most)
        }
        // All ten buffered before any is counted: the first nine fit (9 × 10^15 ≤ 2^53), the tenth may not.
        let foreseen = events.map { state.mayRefuse($0, recordTimestamp: nil, latestSeen: t + .seconds(9)) }
        #expect(foreseen == Array(repeating: false, count: 9) + [true])
        let outcomes = events.map { state.ingest($0, recordTimestamp: nil) }
        #expect(outcomes == Array(repeating: .counted, count: 9) + [.sumOverflow])
        // Past the bound every amount keeps its bytes; an event without one does not need to.
        let small = big.order(.orderPaid, t + .hours(1), order: "p", buyer: "b", amount: 1)
        let view = big.pageView(t + .hours(1), visitor: "v", session: "s")
        let smallMay = state.mayRefuse(small, recordTimestamp: nil, latestSeen: t + .hours(1))
        let viewMay = state.mayRefuse(view, recordTimestamp: nil, latestSeen: t + .hours(1))
        #expect(smallMay && !viewMay)
    }

    @Test func dwellTimesAndSpendAreBoundedToo() {
        var state = makeState()
        var e = Events(shop: "s1")
        let t = local(2026, 11, 20, 10)
        // dwell_ms has no maximum of its own: one page view of Int64.max ms is refused, one of 2^53 fits.
        #expect(state.ingest(e.pageView(t, visitor: "v", session: "a", dwell: .max), recordTimestamp: nil) == .sumOverflow)
        #expect(state.ingest(e.pageView(t, visitor: "v", session: "a", dwell: Self.limit), recordTimestamp: nil) == .counted)
        #expect(state.ingest(e.pageView(t + .seconds(1), visitor: "v", session: "a", dwell: 1), recordTimestamp: nil) == .sumOverflow)
        #expect(state.ingest(e.ad(.adClick, t, channel: "c", campaign: "k", cost: Self.limit), recordTimestamp: nil) == .counted)
        #expect(state.ingest(e.ad(.adSpend, t, channel: "c", campaign: "k", amount: 1), recordTimestamp: nil) == .sumOverflow)
        #expect(state.snapshot(.campaign, "k", shop: "s1", .day)?[metric: "spend"] == .money(Money(minorUnits: Self.limit)))
    }

    @Test func theBoundsSurviveARestoreFromACheckpoint() throws {
        var state = makeState()
        var big = Events(shop: "big")
        let t = local(2026, 11, 20, 10)
        for i in 0..<5 {
            #expect(state.ingest(big.order(.orderPaid, t + .seconds(Int64(i)), order: "o\(i)", buyer: "b", amount: Self.most), recordTimestamp: nil) == .counted)
        }
        var restored = try PartitionKPIState(checkpoint: state.checkpoint(), configuration: state.configuration)
        // The restored windows hold 5 × 10^15: 4 more fit, a 5th does not.
        for i in 0..<4 {
            #expect(restored.ingest(big.order(.orderPaid, t + .hours(1) + .seconds(Int64(i)), order: "p\(i)", buyer: "b", amount: Self.most),
                                    recordTimestamp: nil) == .counted)
        }
        #expect(restored.ingest(big.order(.orderPaid, t + .hours(2), order: "q", buyer: "b", amount: Self.most),
                                recordTimestamp: nil) == .sumOverflow)
        #expect(restored.snapshot(.shop, shop: "big", .month)?[metric: "sales"] == .money(Money(minorUnits: 9 * Self.most)))
    }
}
