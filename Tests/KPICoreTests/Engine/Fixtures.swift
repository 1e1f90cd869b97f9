import Testing
@testable import KPICore

/// Event time of a local wall-clock time at a fixed UTC offset (hours).
func local(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, ms: Int = 0, offset: Int = 8) -> EventTime {
    let days = CivilTime.days(year: y, month: mo, day: d)
    let secs = days * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset * 3600)
    return EventTime(millis: secs * 1000 + Int64(ms))
}

/// Small event builders; every event gets a unique id unless one is given.
struct Events {
    var shop = "s1"
    var next = 0

    mutating func id(_ given: String?) -> String {
        if let given { return given }
        next += 1
        return "e\(next)"
    }

    mutating func pageView(_ t: EventTime, visitor: String, session: String, channel: String? = nil, campaign: String? = nil,
                           landing: Bool = false, dwell: Int64? = nil, id: String? = nil) -> ShopEvent {
        ShopEvent(type: .pageView, eventID: self.id(id), time: t, shopID: shop, channel: channel, campaignID: campaign,
                  sessionID: session, visitorID: visitor, isLanding: landing, dwellMillis: dwell)
    }

    mutating func order(_ type: EventType, _ t: EventTime, order: String, buyer: String?, amount: Int64? = nil,
                        agent: String? = nil, channel: String? = nil, campaign: String? = nil,
                        promised: EventTime? = nil, id: String? = nil) -> ShopEvent {
        ShopEvent(type: type, eventID: self.id(id), time: t, shopID: shop, orderID: order, buyerID: buyer,
                  amount: amount.map { Money(minorUnits: $0) }, agentID: agent, channel: channel, campaignID: campaign,
                  promisedShipBy: promised)
    }

    mutating func chat(_ t: EventTime, session: String, buyer: String, agent: String, from: ChatSender,
                       auto: Bool = false, id: String? = nil) -> ShopEvent {
        ShopEvent(type: .chatMessage, eventID: self.id(id), time: t, shopID: shop, buyerID: buyer, agentID: agent,
                  sessionID: session, from: from, isAutoReply: auto)
    }

    mutating func rating(_ t: EventTime, session: String, buyer: String, agent: String, score: Int) -> ShopEvent {
        ShopEvent(type: .chatRating, eventID: id(nil), time: t, shopID: shop, buyerID: buyer, agentID: agent,
                  sessionID: session, score: score)
    }

    mutating func ad(_ type: EventType, _ t: EventTime, channel: String, campaign: String, cost: Int64? = nil,
                     amount: Int64? = nil) -> ShopEvent {
        ShopEvent(type: type, eventID: id(nil), time: t, shopID: shop, amount: amount.map { Money(minorUnits: $0) },
                  channel: channel, campaignID: campaign, cost: cost.map { Money(minorUnits: $0) })
    }
}

func makeState(_ configure: (inout KPIConfiguration) -> Void = { _ in }, coverageStart: EventTime? = nil) -> PartitionKPIState {
    var c = KPIConfiguration()
    configure(&c)
    return try! PartitionKPIState(partition: 0, configuration: c, coverageStart: coverageStart)
}

extension PartitionKPIState {
    /// Ingests all events in order (no record timestamps) and returns the outcomes.
    @discardableResult
    mutating func ingest(_ events: [ShopEvent]) -> [IngestOutcome] {
        events.map { ingest($0, recordTimestamp: nil) }
    }

    /// The current snapshot of one scope × window.
    func snapshot(_ type: ScopeType, _ id: String? = nil, shop: String = "s1", _ window: WindowType,
                  _ windowID: String? = nil) -> KPISnapshot? {
        currentSnapshots(emittedAt: EventTime(millis: 0)).first {
            $0.scope == Scope(type: type, shopID: shop, id: id) && $0.window.type == window
                && (windowID == nil || $0.window.id == windowID)
        }
    }

    /// The current snapshot of a shop-level scope × window.
    func snapshot(_ type: ScopeType, _ window: WindowType, _ windowID: String? = nil) -> KPISnapshot? {
        snapshot(type, nil, window, windowID)
    }

    /// A metric as written in the snapshot JSON (`"12.50"` with quotes for money, `null`, `0.6667`).
    func metric(_ name: String, _ type: ScopeType, _ id: String? = nil, shop: String = "s1", _ window: WindowType = .day,
                _ windowID: String? = nil) -> String? {
        guard let s = snapshot(type, id, shop: shop, window, windowID), let v = s[metric: name] else { return nil }
        var out: [UInt8] = []
        SnapshotJSON.value(v, fractionDigits: configuration.fractionDigits, &out)
        return String(decoding: out, as: UTF8.self)
    }
}
