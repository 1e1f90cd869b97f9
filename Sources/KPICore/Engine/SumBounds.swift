/// Upper bounds on a shop's sums of amounts, so that no money or time sum of
/// any of its windows can wrap around (issue 13: two `order_paid` of
/// 92233720368547758.07 made a shop's sales −0.02).
///
/// Every amount an event adds to a counter is ≥ 0 and at most
/// `FieldReader.maxAmountMinorUnits` (decoder), but a window sums many of
/// them. Per shop and kind, `bounds` is at least every sum of that kind in
/// any window (calendar or rolling) of any of the shop's scopes: it starts
/// at the sums restored from a checkpoint (or 0) and grows by each amount
/// counted, never shrinks. An event whose amount would take it past
/// `limit` (2^53 minor units: 90,071,992,547,409.92 at 2 fraction digits,
/// the largest counter a checkpoint holds) is not counted
/// (`IngestOutcome.sumOverflow`), so every sum, every difference of two
/// (`net_sales`) and every checkpoint stays exact.
///
/// - `sales`: `order_paid.amount`, in `sales` and `agent_sales` (an agent's,
///   team's or channel's sum is part of the shop's);
/// - `refunds`: `order_refunded.amount`;
/// - `spend`: `cost` of impressions and clicks, `ad_spend.amount` (channel
///   and campaign scopes);
/// - `dwell`: `dwell_ms` of page views.
///
/// The check is one add and compare on the shop's state, which the event
/// touches anyway.
struct SumBounds {
    enum Kind: Int, CaseIterable { case sales, refunds, spend, dwell }

    var bounds = InlineArray<4, Int64>(repeating: 0)

    /// The largest sum allowed (a checkpoint's counter bound).
    static let limit = CheckpointFormat.counterBound

    /// What `event` adds to a bounded sum, if anything.
    @inline(__always)
    static func contribution(of e: borrowing ShopEvent) -> (Kind, Int64)? {
        switch e.type {
        case .orderPaid: e.amount.map { (.sales, $0.minorUnits) }
        case .orderRefunded: e.amount.map { (.refunds, $0.minorUnits) }
        case .adImpression, .adClick: e.cost.map { (.spend, $0.minorUnits) }
        case .adSpend: e.amount.map { (.spend, $0.minorUnits) }
        case .pageView: e.dwellMillis.map { (.dwell, $0) }
        default: nil
        }
    }

    /// Takes `event`'s amount into its bound; false (nothing changed) when
    /// the sums could then overflow.
    @inline(__always)
    mutating func take(_ e: borrowing ShopEvent) -> Bool {
        guard let (kind, amount) = Self.contribution(of: e) else { return true }
        let (sum, overflow) = bounds[kind.rawValue].addingReportingOverflow(amount)
        if overflow || sum > Self.limit || amount < 0 { return false }
        bounds[kind.rawValue] = sum
        return true
    }

    /// The counters each kind bounds.
    static func counters(_ kind: Kind) -> [Counter] {
        switch kind {
        case .sales: [.sales, .agentSales]
        case .refunds: [.refunds]
        case .spend: [.spend]
        case .dwell: [.dwellSumMillis]
        }
    }
}

extension PartitionKPIState {
    /// Sets every shop's sum bounds from the state as it is (after a restore
    /// from a checkpoint): per kind, over the shop's scopes, the largest of
    /// any calendar window's sum and of the sum of all its hour buckets
    /// (every rolling window sums some of them) — so at least any sum a
    /// window holds or a rolling window reads. The hour-bucket total
    /// saturates at `Int64.max` (such a shop's further amounts are then
    /// refused rather than wrapped).
    /// Whether `ingest` may refuse `event` (`future`, `late`, and
    /// `sum_overflow`) when it comes to be counted after every event seen so
    /// far, the latest at `latestSeen` (see `mayRefuse(eventTime:…)`).
    ///
    /// For `sum_overflow` it keeps `foreseenSumBound`, a bound of every
    /// shop's bounded sums once all events asked about so far are counted
    /// (the largest bound at the last reset plus every amount since, across
    /// shops and kinds): while it stays within the limit, no shop's sum can
    /// pass it, whatever order the buffered events are counted in. Ordinary
    /// data never comes near it (2^53 minor units); past it, every event with
    /// an amount keeps its bytes.
    public mutating func mayRefuse(_ event: borrowing ShopEvent, recordTimestamp: EventTime?, latestSeen: EventTime) -> Bool {
        var may = mayRefuse(eventTime: event.time, recordTimestamp: recordTimestamp, latestSeen: latestSeen)
        if let (_, amount) = SumBounds.contribution(of: event) {
            let (sum, overflow) = foreseenSumBound.addingReportingOverflow(max(0, amount))
            foreseenSumBound = overflow ? .max : sum
            if amount < 0 || overflow || sum > SumBounds.limit { may = true }
        }
        return may
    }

    mutating func resetSumBounds() {
        defer {
            foreseenSumBound = shops.reduce(0) { m, shop in
                (0..<4).reduce(m) { max($0, shop.sums.bounds[$1]) }
            }
        }
        for k in shops.indices { shops[k].sums = SumBounds() }
        for scope in scopes {
            let shop = Int(scope.shop)
            guard shop < shops.count else { continue }
            for kind in SumBounds.Kind.allCases {
                for c in SumBounds.counters(kind) {
                    var largest: Int64 = 0
                    for w in scope.windows { largest = max(largest, w.counters[c]) }
                    var buckets: Int64 = 0
                    for (_, b) in scope.rolling.buckets {
                        let (s, o) = buckets.addingReportingOverflow(max(0, b[c]))
                        buckets = o ? .max : s
                    }
                    largest = max(largest, buckets)
                    if largest > shops[shop].sums.bounds[kind.rawValue] { shops[shop].sums.bounds[kind.rawValue] = largest }
                }
            }
        }
    }
}
