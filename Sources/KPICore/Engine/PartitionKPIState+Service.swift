/// Chat messages, turns and order attribution (kpis.md "Customer service").
///
/// Arrival-order independence: a session keeps its messages sorted by event
/// time and its turns are re-derived from them (and the watermark) on every
/// change; the difference to what was added before is retracted / added.
/// Likewise an order without `agent_id` is re-attributed when a chat message
/// that could precede it arrives later, and inquiry conversion is evaluated
/// from the buyer's payment times whenever a window is recomputed.
extension PartitionKPIState {
    mutating func ingestChatMessage(_ e: ShopEvent, shop: Int32, at p: Placement, tie: UInt64) {
        guard let from = e.from, e.text.has(.agentID) else { return }
        // Auto replies are not human responses: no turn, no attribution, not in answer_ratio.
        if from == .agent && e.isAutoReply { return }
        let agent = agentScope(shop, of: e)
        let buyer = e.text.hash(.buyerID)
        addService(CounterDelta(from == .buyer ? .buyerMessages : .agentMessages), agent: agent, at: p)
        let mark = ChatMark(time: p.time, tie: tie, agent: agent, fromBuyer: from == .buyer)
        if let buyer {
            // One lookup of the buyer for both questions below.
            let since = from == .buyer ? days.start(ofDay: p.day) : .max
            let (inquired, hasOrders, converts) = Self.noteMark(mark, inquiredSince: since, attribution: attribution,
                                                                in: &shops[Int(shop)].buyers[buyer, default: BuyerHistory()])
            // A follow-up in the same hour and day to the same agent notes no new first inquiry (six table updates saved).
            if from == .buyer && !inquired { noteInquiry(buyer, agent: agent, at: p, converts: converts) }
            // Re-attribution only for a buyer with orders (most chats have none yet).
            if hasOrders { reattributeOrders(shop: shop, buyer: buyer, after: mark.time) }
        }
        if let h = e.text.hash(.sessionID) {
            let k = Int(shop)
            let i: Int
            if let found = e.text.withUTF8(.sessionID, { shops[k].chats.position(of: $0, hash: h) }) ?? nil {
                i = found
                shops[k].chats.values[i].insert(mark)
            } else {
                var session = ChatSession()
                session.insert(mark)
                i = shops[k].chats.insert(e.text[.sessionID]!, hash: h, session)
            }
            rederive(shop: shop, position: i, session: shops[k].chats.ids[i])
        }
    }

    /// Adds a chat mark to a buyer's history. `inquired`: the buyer already
    /// wrote to the mark's agent earlier in the mark's UTC hour, at or after
    /// `since` (the start of its local day), so that inquiry was noted in
    /// every window and rolling hour this one falls in, at an earlier time.
    /// `hasOrders`: the buyer has orders to re-attribute. `converts`: a
    /// payment of the buyer falls within `attribution` from the mark (for a
    /// buyer mark, whether an inquiry first at its time is converted).
    @inline(__always)
    static func noteMark(_ mark: ChatMark, inquiredSince since: Int64, attribution: Int64,
                         in history: inout BuyerHistory) -> (inquired: Bool, hasOrders: Bool, converts: Bool) {
        let i = history.insert(mark)
        let hour = CivilTime.floorDiv(mark.time, 3_600_000)
        var j = i - 1
        var inquired = false
        while j >= 0, history.marks[j].time >= since, CivilTime.floorDiv(history.marks[j].time, 3_600_000) == hour {
            if history.marks[j].fromBuyer && history.marks[j].agent == mark.agent { inquired = true; break }
            j -= 1
        }
        let converts = mark.fromBuyer && !inquired && !history.payments.isEmpty
            && history.hasPayment(from: mark.time, through: mark.time + attribution)
        return (inquired, !history.orders.isEmpty, converts)
    }

    /// Re-derives a session's turns and applies the difference, when its
    /// pending turn's deadline `deadline` is still the one it waits for. A
    /// session's outcome depends on the watermark only through that
    /// deadline (`ChatSession.derive`), so a stale queue entry (the turn was
    /// answered, or the deadline moved) would change nothing.
    mutating func rederive(shop: Int32, session id: String, deadline: Int64) {
        guard let i = shops[Int(shop)].chats.position(of: id, hash: StableHash.hash(id)),
              shops[Int(shop)].chats.values[i].scheduledDeadline == deadline else { return }
        rederive(shop: shop, position: i, session: id)
    }

    /// `rederive(shop:session:deadline:)` for the session at position `i` of the shop's
    /// chat table: the session is read and updated in place (no lookups by id).
    mutating func rederive(shop: Int32, position i: Int, session id: String) {
        let k = Int(shop)
        let (change, deadline) = shops[k].chats.values[i].rederive(watermark: watermarkMillis, timeout: timeout)
        if let c = change { applySessionChange(from: c.old, to: c.new) }
        let queued = shops[k].chats.values[i].scheduledDeadline
        // nil once no turn is pending: queue entries for it are then stale.
        shops[k].chats.values[i].scheduledDeadline = deadline
        if let d = deadline, d != queued {
            turnDeadlines.push(.init(deadline: d, shop: shop, session: id))
            if d < nextWatermarkAction { nextWatermarkAction = d }
        }
    }

    mutating func applySessionChange(from old: SessionOutcome, to new: SessionOutcome) {
        if old.head != new.head {
            if let h = old.head { applyHead(h, sign: -1) }
            if let h = new.head { applyHead(h, sign: 1) }
        }
        let n = max(old.turns.count, new.turns.count)
        for i in 0..<n {
            let o = i < old.turns.count ? old.turns[i] : nil
            let c = i < new.turns.count ? new.turns[i] : nil
            if o == c { continue }
            if let o { applyTurn(o, sign: -1) }
            if let c { applyTurn(c, sign: 1) }
        }
    }

    mutating func applyHead(_ h: SessionHead, sign: Int64) {
        let p = place(h.start)
        guard p.day >= retainedFromDay else { return }
        var d = CounterDelta(.chatSessions, sign)
        if h.hasUnanswered { d.append(.unansweredSessions, sign) }
        // The first reply's delay belongs to the agent who replied (kpis.md
        // `first_response_s`), the session to the agent of its first buyer message.
        let handedOver = h.firstDelay >= 0 && h.firstAgent != h.agent
        if h.firstDelay >= 0 && !handedOver {
            d.append(.firstTurnsAnswered, sign)
            d.append(.firstResponseSumMillis, sign * h.firstDelay)
        }
        addService(d, agent: h.agent, at: p)
        if handedOver {
            var first = CounterDelta(.firstTurnsAnswered, sign)
            first.append(.firstResponseSumMillis, sign * h.firstDelay)
            addService(first, agent: h.firstAgent, at: p)
        }
    }

    mutating func applyTurn(_ t: ChatTurn, sign: Int64) {
        let p = place(t.start)
        guard p.day >= retainedFromDay else { return }
        var d = CounterDelta(.turnsDecided, sign)
        if t.delay >= 0 {
            d.append(.turnsAnswered, sign)
            d.append(.responseSumMillis, sign * t.delay)
            if t.delay <= within { d.append(.answeredWithinTarget, sign) }
        }
        addService(d, agent: t.agent, at: p)
    }

    // MARK: - Orders

    mutating func ingestOrder(_ e: ShopEvent, shop: Int32, at p: Placement) {
        let paid = e.type == .orderPaid
        let amount = e.amount?.minorUnits ?? 0
        var d = CounterDelta(paid ? .ordersPaid : .ordersCreated)
        if paid { d.append(.sales, amount) }
        add(d, to: shops[Int(shop)].shopScope, at: p)
        let buyer = e.text.hash(.buyerID)
        if paid {
            if e.text.has(.channel) { add(d, to: channelScope(shop, of: e), at: p) }
            if e.text.has(.campaignID) { add(d, to: campaignScope(shop, of: e), at: p) }
            if let buyer {
                noteBuyer(buyer, in: shops[Int(shop)].shopScope, at: p)
                shops[Int(shop)].buyers[buyer, default: BuyerHistory()].insertPayment(p.time)
                markConversionCandidates(shop: shop, buyer: buyer, payment: p.time)
            }
        }
        let order = AttributableOrder(time: p.time, paid: paid, amount: amount, agent: -1)
        if e.text.hasText(.agentID) {
            applyAttributed(order, agent: agentScope(shop, of: e), buyer: buyer, sign: 1)
        } else if let buyer {
            var o = order
            o.agent = shops[Int(shop)].buyers[buyer]?.attributedAgent(at: p.time, window: attribution) ?? -1
            shops[Int(shop)].buyers[buyer, default: BuyerHistory()].orders.append(o)
            if o.agent >= 0 { applyAttributed(o, agent: o.agent, buyer: buyer, sign: 1) }
        }
    }

    mutating func applyAttributed(_ o: AttributableOrder, agent: Int32, buyer: UInt64?, sign: Int64) {
        let p = place(o.time)
        guard p.day >= retainedFromDay else { return }
        var d = CounterDelta(o.paid ? .agentOrdersPaid : .agentOrdersCreated, sign)
        if o.paid { d.append(.agentSales, sign * o.amount) }
        addService(d, agent: agent, at: p)
        if o.paid, let buyer { noteAttributedPayer(buyer, agent: agent, at: p, sign: sign) }
    }

    /// A chat message at `time` may now be the latest one before orders in
    /// `time ... time + attribution window`: re-attribute them.
    mutating func reattributeOrders(shop: Int32, buyer: UInt64, after time: Int64) {
        guard let history = shops[Int(shop)].buyers[buyer], !history.orders.isEmpty else { return }
        for (i, o) in history.orders.enumerated() where o.time >= time && o.time <= time + attribution {
            let agent = history.attributedAgent(at: o.time, window: attribution)
            guard agent != o.agent else { continue }
            if o.agent >= 0 { applyAttributed(o, agent: o.agent, buyer: buyer, sign: -1) }
            if agent >= 0 { applyAttributed(o, agent: agent, buyer: buyer, sign: 1) }
            shops[Int(shop)].buyers[buyer]!.orders[i].agent = agent
        }
    }

    /// A payment converts inquiries of the buyer made up to the attribution
    /// window before it: in the windows of those inquiries.
    mutating func markConversionCandidates(shop: Int32, buyer: UInt64, payment: Int64) {
        guard let marks = shops[Int(shop)].buyers[buyer]?.marks else { return }
        for m in marks where m.fromBuyer && m.time <= payment && m.time >= payment - attribution {
            notePayment(buyer, payment: payment, inquiry: place(m.time), agent: m.agent)
        }
    }
}
