/// An order event without `agent_id`, kept so its attribution can be
/// re-derived when a chat message that precedes it arrives later.
struct AttributableOrder {
    var time: Int64
    var paid: Bool
    var amount: Int64
    /// Scope index of the credited agent; −1 for a silent order.
    var agent: Int32
}

/// What the engine remembers about one buyer of one shop, keyed by the
/// buyer id's stable hash: chat messages for attribution, unattributed
/// orders for re-attribution, payment times for inquiry conversion.
struct BuyerHistory {
    /// Buyer and human agent messages with this buyer, sorted.
    var marks: [ChatMark] = []
    var orders: [AttributableOrder] = []
    /// `order_paid` times, sorted.
    var payments: [Int64] = []

    /// Inserts `m` in order; returns its index.
    @discardableResult
    mutating func insert(_ m: ChatMark) -> Int {
        var i = marks.count
        while i > 0 && m.precedes(marks[i - 1]) { i -= 1 }
        marks.insert(m, at: i)
        return i
    }

    mutating func insertPayment(_ t: Int64) {
        var i = payments.count
        while i > 0 && payments[i - 1] > t { i -= 1 }
        payments.insert(t, at: i)
    }

    /// kpis.md "Attribution": the agent of the latest chat message at or
    /// before `time` and at most `window` before it; −1 when none (silent).
    func attributedAgent(at time: Int64, window: Int64) -> Int32 {
        // Last mark with mark.time <= time (binary search).
        var lo = 0, hi = marks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if marks[mid].time <= time { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return -1 }
        let m = marks[lo - 1]
        return m.time >= time - window ? m.agent : -1
    }

    /// A payment at a time in `from ... through`.
    func hasPayment(from: Int64, through: Int64) -> Bool {
        var lo = 0, hi = payments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if payments[mid] < from { lo = mid + 1 } else { hi = mid }
        }
        return lo < payments.count && payments[lo] <= through
    }

    var isEmpty: Bool { marks.isEmpty && orders.isEmpty && payments.isEmpty }
}

/// One browsing session (`session_id` of page views) for `bounce_rate`: it
/// belongs to the window, channel and campaign of its first page view.
struct BrowsingSession {
    var firstTime: Int64
    var firstTie: UInt64
    /// Scope indices of the first view's channel / campaign; −1 when absent.
    var channel: Int32
    var campaign: Int32
    var views: Int32
    var lastTime: Int64
    /// Where the session's latest page view noted its visitor (see
    /// `VisitorNote`); not checkpointed, forgotten at every retention update.
    // cache: derived, not checkpointed
    var visitorNote = VisitorNote()
}

/// The distinct-visitor contributions one page view made: its visitor (hash)
/// noted in the shop, channel and campaign scopes, in the windows of one
/// local day and UTC hour.
///
/// A browsing session's next page views mostly repeat them exactly (same
/// visitor, source, day and hour), and then find the visitor in every set
/// already: six random probes of large tables per page view, ~8% of ingest.
/// Between retention updates nothing removes a visitor from those sets, so a
/// repeat can be skipped; retention forgets every note.
struct VisitorNote: Equatable {
    /// `StableHash` of the visitor id; 0: nothing noted.
    var visitor: UInt64 = 0
    var day: Int64 = 0
    var hour: Int32 = 0
    var channel: Int32 = -1
    var campaign: Int32 = -1
}
