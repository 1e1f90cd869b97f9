/// Checkpoint encoding of the state that joins events: chat sessions,
/// browsing sessions, buyer histories, and windows evicted but not yet drained.

/// Scope types by index, so the reader can check that every scope reference
/// in the join state points at a scope of the right kind (a wrong index
/// would trap later in the engine, not here).
struct CheckpointScopeTable {
    let types: [ScopeType]

    func check(_ i: Int64, _ type: ScopeType, allowNone: Bool = false) throws(KPICoreError) -> Int32 {
        if allowNone && i == -1 { return -1 }
        guard i >= 0, i < Int64(types.count), types[Int(i)] == type else {
            throw CheckpointReader.corrupt("\(type.name) scope reference \(i)")
        }
        return Int32(i)
    }
}

extension CheckpointWriter {
    mutating func mark(_ m: ChatMark) {
        time(m.time)
        fixed64(m.tie)
        // The sender flag rides in the agent index's low bit.
        varint(UInt64(UInt32(bitPattern: m.agent)) << 1 | (m.fromBuyer ? 1 : 0))
    }

    /// `lastTime` is not written: it is the latest message time.
    mutating func chatSession(_ s: ChatSession) {
        count(s.messages.count)
        for m in s.messages { mark(m) }
        bool(s.applied.head != nil)
        if let h = s.applied.head {
            time(h.start)
            signed(Int64(h.agent))
            signed(h.firstDelay)
            bool(h.hasUnanswered)
            signed(Int64(h.firstAgent))
        }
        count(s.applied.turns.count)
        for t in s.applied.turns {
            time(t.start)
            signed(Int64(t.agent))
            signed(t.delay)
        }
        optionalTime(s.scheduledDeadline)
    }

    mutating func browsingSession(_ s: BrowsingSession) {
        time(s.firstTime)
        fixed64(s.firstTie)
        signed(Int64(s.channel))
        signed(Int64(s.campaign))
        count(Int(s.views))
        signed(s.lastTime &- s.firstTime)
    }

    mutating func buyerHistory(_ h: BuyerHistory) {
        count(h.marks.count)
        for m in h.marks { mark(m) }
        count(h.orders.count)
        for o in h.orders {
            time(o.time)
            bool(o.paid)
            signed(o.amount)
            signed(Int64(o.agent))
        }
        count(h.payments.count)
        for p in h.payments { time(p) }
    }

    /// Metric names are not written: they follow from the scope type.
    mutating func snapshot(_ s: KPISnapshot) {
        byte(s.scope.type.rawValue)
        string(s.scope.shopID)
        optionalString(s.scope.id)
        byte(s.window.type.rawValue)
        string(s.window.id)
        time(s.window.start.millis)
        time(s.window.end.millis)
        byte((s.window.closed ? 1 : 0) | (s.complete ? 2 : 0) | (s.final ? 4 : 0))
        count(s.revision)
        optionalTime(s.watermark?.millis)
        time(s.emittedAt.millis)
        count(s.metrics.count)
        for m in s.metrics { metricValue(m.value) }
    }
}

extension CheckpointReader {
    mutating func mark(_ scopes: CheckpointScopeTable) throws(KPICoreError) -> ChatMark {
        let t = try time()
        let tie = try fixed64()
        let packed = try varint()
        guard packed >> 33 == 0 else { throw Self.corrupt("chat mark agent") }
        let agent = try scopes.check(Int64(packed >> 1), .agent)
        return ChatMark(time: t, tie: tie, agent: agent, fromBuyer: packed & 1 != 0)
    }

    /// Messages must come sorted, as the engine keeps them.
    mutating func marks(_ scopes: CheckpointScopeTable) throws(KPICoreError) -> [ChatMark] {
        let n = try count(minimumBytes: 10)
        var marks: [ChatMark] = []
        marks.reserveCapacity(n)
        for _ in 0..<n {
            let m = try mark(scopes)
            if let last = marks.last, m.precedes(last) { throw Self.corrupt("chat marks out of order") }
            marks.append(m)
        }
        return marks
    }

    mutating func chatSession(_ scopes: CheckpointScopeTable) throws(KPICoreError) -> ChatSession {
        var s = ChatSession()
        s.messages = try marks(scopes)
        guard let last = s.messages.map(\.time).max() else { throw Self.corrupt("chat session without messages") }
        s.lastTime = last
        if try bool() {
            let start = try time()
            let agent = try scopes.check(try signed(), .agent)
            let delay = try signed(in: -1...Self.timeBound, "first delay")
            let unanswered = try bool()
            let firstAgent = try scopes.check(try signed(), .agent)
            s.applied.head = SessionHead(start: start, agent: agent, firstDelay: delay, hasUnanswered: unanswered,
                                         firstAgent: firstAgent)
        }
        let n = try count(minimumBytes: 3)
        for _ in 0..<n {
            let start = try time()
            let agent = try scopes.check(try signed(), .agent)
            let delay = try signed(in: -1...Self.timeBound, "turn delay")
            s.applied.turns.append(ChatTurn(start: start, agent: agent, delay: delay))
        }
        s.scheduledDeadline = try optionalTime()
        return s
    }

    mutating func browsingSession(_ scopes: CheckpointScopeTable) throws(KPICoreError) -> BrowsingSession {
        let first = try time()
        let tie = try fixed64()
        let channel = try scopes.check(try signed(), .channel, allowNone: true)
        let campaign = try scopes.check(try signed(), .campaign, allowNone: true)
        let views = try unsigned(in: 1...UInt64(Int32.max), "views")
        let last = first &+ (try signed(in: 0...2 * Self.timeBound, "session length"))
        guard last <= Self.timeBound else { throw Self.corrupt("session end") }
        return BrowsingSession(firstTime: first, firstTie: tie, channel: channel, campaign: campaign,
                               views: Int32(views), lastTime: last)
    }

    mutating func buyerHistory(_ scopes: CheckpointScopeTable) throws(KPICoreError) -> BuyerHistory {
        var h = BuyerHistory()
        h.marks = try marks(scopes)
        let n = try count(minimumBytes: 4)
        h.orders.reserveCapacity(n)
        for _ in 0..<n {
            let t = try time()
            let paid = try bool()
            let amount = try signed()
            let agent = try scopes.check(try signed(), .agent, allowNone: true)
            h.orders.append(AttributableOrder(time: t, paid: paid, amount: amount, agent: agent))
        }
        let p = try count()
        h.payments.reserveCapacity(p)
        for _ in 0..<p {
            let t = try time()
            if let last = h.payments.last, t < last { throw Self.corrupt("payments out of order") }
            h.payments.append(t)
        }
        return h
    }

    mutating func snapshot() throws(KPICoreError) -> KPISnapshot {
        let scopeKind = try byte()
        guard let scopeType = ScopeType(rawValue: scopeKind) else { throw Self.corrupt("scope type \(scopeKind)") }
        let scope = Scope(type: scopeType, shopID: try string(), id: try optionalString())
        let windowKind = try byte()
        guard let windowType = WindowType(rawValue: windowKind) else { throw Self.corrupt("window type \(windowKind)") }
        let id = try string()
        let start = try time(), end = try time()
        let flags = try byte()
        guard flags < 8 else { throw Self.corrupt("snapshot flags \(flags)") }
        let revision = try varint()
        guard revision <= UInt64(Int32.max) else { throw Self.corrupt("revision \(revision)") }
        let watermark = try optionalTime()
        let emittedAt = try time()
        let names = MetricCatalog.names(for: scopeType)
        guard try varint() == UInt64(names.count) else { throw Self.corrupt("snapshot metric count") }
        var metrics: [KPIMetric] = []
        metrics.reserveCapacity(names.count)
        for name in names { metrics.append(KPIMetric(name: name, value: try metricValue())) }
        let window = WindowRef(type: windowType, id: id, start: EventTime(millis: start), end: EventTime(millis: end),
                               closed: flags & 1 != 0)
        return KPISnapshot(scope: scope, window: window, revision: Int(revision), complete: flags & 2 != 0,
                           final: flags & 4 != 0, watermark: watermark.map(EventTime.init(millis:)),
                           emittedAt: EventTime(millis: emittedAt), metrics: metrics)
    }
}
