import KPICore

/// What a pending step will emit: one event of a story.
enum StepKind: UInt8 {
    case adImpression, adClick, adSpend
    case pageView
    case chatQuestion, chatFollowUp, chatAutoReply, chatAnswer, chatRating
    case orderCreated, orderPaid, orderCancelled, orderRefunded, orderShipped

    var eventType: EventType {
        switch self {
        case .adImpression: .adImpression
        case .adClick: .adClick
        case .adSpend: .adSpend
        case .pageView: .pageView
        case .chatQuestion, .chatFollowUp, .chatAutoReply, .chatAnswer: .chatMessage
        case .chatRating: .chatRating
        case .orderCreated: .orderCreated
        case .orderPaid: .orderPaid
        case .orderCancelled: .orderCancelled
        case .orderRefunded: .orderRefunded
        case .orderShipped: .orderShipped
        }
    }
}

/// A future event of a story (chat → order → payment → shipping → refund,
/// click → landing → pages ...), carrying all the story state it needs, so a
/// story lives only in its pending steps and memory stays bounded.
/// The meaning of the generic fields depends on `kind`.
struct PendingStep {
    /// Planned event time; the step is emitted at the first record time at or after it.
    var time: Int64
    /// Tie-break among equal times: the order steps were planned in.
    var seq: UInt64 = 0
    var kind: StepKind
    /// `Channel.rawValue` or -1.
    var channel: Int8 = -1
    /// Page view: the landing page of an ad arrival (`landing: true`).
    var flag: Bool = false
    /// Write the step's optional detail: `dwell_ms`, a click's `visitor_id`,
    /// `items`, `promised_ship_by`, an explicit `"auto":false`.
    var showsDetail: Bool = false
    /// Planned more than `PendingSteps.longWait` ahead (counted against its own budget).
    var waitsLong: Bool = false
    /// Page number, chat turn, or rating score.
    var sub: Int16 = 0
    /// Index into the agents of the shop, or -1.
    var agent: Int16 = -1
    /// Index into the campaigns of the shop, or -1.
    var campaign: Int16 = -1
    var shop: Int32
    /// Story number: browsing/chat session, order, ad event, spend period.
    var story: Int64 = 0
    /// Visitor or buyer number.
    var party: Int64 = 0
    /// Cents: order or refund amount, ad cost, spend.
    var amount: Int64 = 0
    /// Pages in the session, items in the order, or promised ship time.
    var extra: Int64 = 0

    init(kind: StepKind, shop: Int32, time: Int64) {
        self.kind = kind; self.shop = shop; self.time = time
    }

    @inline(__always)
    func precedes(_ other: PendingStep) -> Bool {
        time < other.time || (time == other.time && seq < other.seq)
    }
}

/// Min-heap of pending steps by (time, seq): the story events due next.
struct PendingSteps {
    private var heap: [PendingStep] = []
    private var nextSeq: UInt64 = 0

    /// Steps further ahead than this (shipping, refunds, orders hours after a
    /// chat) are the ones that pile up at high rates.
    static let longWait: Int64 = 10 * 60_000

    var count: Int { heap.count }
    /// How many of `count` wait long.
    private(set) var longCount = 0

    /// Time of the earliest pending step.
    var earliest: Int64? { heap.first?.time }

    mutating func push(_ step: PendingStep, waitsLong: Bool) {
        var step = step
        step.seq = nextSeq
        step.waitsLong = waitsLong
        if waitsLong { longCount += 1 }
        nextSeq += 1
        heap.append(step)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard step.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = step
    }

    mutating func popEarliest() -> PendingStep {
        let top = heap[0]
        if top.waitsLong { longCount -= 1 }
        let last = heap.removeLast()
        if !heap.isEmpty {
            var parent = 0
            let n = heap.count
            while true {
                var child = 2 * parent + 1
                if child >= n { break }
                if child + 1 < n && heap[child + 1].precedes(heap[child]) { child += 1 }
                guard heap[child].precedes(last) else { break }
                heap[parent] = heap[child]
                parent = child
            }
            heap[parent] = last
        }
        return top
    }
}
