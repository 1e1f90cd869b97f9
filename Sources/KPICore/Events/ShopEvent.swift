/// A point in event time: milliseconds since the Unix epoch (UTC).
///
/// Integer milliseconds rather than `Date`, so that the hot path compares and
/// buckets times without floating point.
public struct EventTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var millis: Int64

    @inlinable public init(millis: Int64) { self.millis = millis }

    @inlinable public static func < (lhs: EventTime, rhs: EventTime) -> Bool { lhs.millis < rhs.millis }
    @inlinable public static func + (lhs: EventTime, rhs: Duration) -> EventTime { EventTime(millis: lhs.millis + rhs.millis) }
    @inlinable public static func - (lhs: EventTime, rhs: Duration) -> EventTime { EventTime(millis: lhs.millis - rhs.millis) }
    @inlinable public static func - (lhs: EventTime, rhs: EventTime) -> Duration { Duration(millis: lhs.millis - rhs.millis) }

    public var description: String { "\(millis)ms" }
}

extension EventTime {
    /// A length of event time in milliseconds (`30s`, `5m`, `24h` in config).
    public struct Duration: Hashable, Comparable, Sendable {
        public var millis: Int64
        @inlinable public init(millis: Int64) { self.millis = millis }
        @inlinable public static func seconds(_ s: Int64) -> Duration { Duration(millis: s * 1000) }
        @inlinable public static func minutes(_ m: Int64) -> Duration { Duration(millis: m * 60_000) }
        @inlinable public static func hours(_ h: Int64) -> Duration { Duration(millis: h * 3_600_000) }
        @inlinable public static func days(_ d: Int64) -> Duration { Duration(millis: d * 86_400_000) }
        @inlinable public static func < (lhs: Duration, rhs: Duration) -> Bool { lhs.millis < rhs.millis }
    }
}

/// An exact amount of money in integer minor units (cents for 2 fraction digits).
///
/// Money is never a `Double`: sums must be right to the last cent.
public struct Money: Hashable, Comparable, Sendable, AdditiveArithmetic {
    public var minorUnits: Int64

    @inlinable public init(minorUnits: Int64) { self.minorUnits = minorUnits }
    public static let zero = Money(minorUnits: 0)
    @inlinable public static func + (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits + rhs.minorUnits) }
    @inlinable public static func - (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits - rhs.minorUnits) }
    @inlinable public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }
}

/// The three co-partitioned input topics (events.md).
public enum InputTopic: UInt8, CaseIterable, Hashable, Sendable {
    case orders, chats, traffic
}

/// Every event type of events.md, each belonging to one input topic.
public enum EventType: UInt8, CaseIterable, Hashable, Sendable {
    case orderCreated, orderPaid, orderCancelled, orderRefunded, orderShipped
    case chatMessage, chatRating
    case pageView, adImpression, adClick, adSpend

    /// The `type` string on the wire.
    public var name: String {
        switch self {
        case .orderCreated: "order_created"
        case .orderPaid: "order_paid"
        case .orderCancelled: "order_cancelled"
        case .orderRefunded: "order_refunded"
        case .orderShipped: "order_shipped"
        case .chatMessage: "chat_message"
        case .chatRating: "chat_rating"
        case .pageView: "page_view"
        case .adImpression: "ad_impression"
        case .adClick: "ad_click"
        case .adSpend: "ad_spend"
        }
    }

    /// The topic that carries this type.
    public var topic: InputTopic {
        switch self {
        case .orderCreated, .orderPaid, .orderCancelled, .orderRefunded, .orderShipped: .orders
        case .chatMessage, .chatRating: .chats
        case .pageView, .adImpression, .adClick, .adSpend: .traffic
        }
    }
}

/// Who sent a chat message.
public enum ChatSender: UInt8, Hashable, Sendable {
    case buyer, agent
}

/// One decoded input event (events.md), flat: the fields its `type` does not
/// carry are `nil` / `false`.
///
/// The text fields are kept as UTF-8 inside the event (`EventText`); each
/// of their properties makes its `String` when read.
public struct ShopEvent: Hashable, Sendable {
    public var type: EventType
    /// `ts`, or the Kafka record timestamp when `ts` is absent.
    public var time: EventTime
    /// The ids, channel and page (read by the engine without making `String`s).
    var text: EventText

    // shop.orders
    /// `amount` of order_created / order_paid / order_refunded / ad_spend.
    public var amount: Money?
    public var promisedShipBy: EventTime?

    // shop.chats
    public var from: ChatSender?
    /// `auto: true`: an automatic reply, not a human response.
    public var isAutoReply: Bool
    /// `chat_rating.score`, 1...5.
    public var score: Int?

    // shop.traffic
    /// `landing: true` on a page_view.
    public var isLanding: Bool
    public var dwellMillis: Int64?
    /// `cost` on ad_impression / ad_click.
    public var cost: Money?

    public var eventID: String {
        get { text[.eventID] ?? "" }
        set { text.set(.eventID, newValue) }
    }
    public var shopID: String {
        get { text[.shopID] ?? "" }
        set { text.set(.shopID, newValue) }
    }
    public var orderID: String? {
        get { text[.orderID] }
        set { text.set(.orderID, newValue) }
    }
    public var buyerID: String? {
        get { text[.buyerID] }
        set { text.set(.buyerID, newValue) }
    }
    public var agentID: String? {
        get { text[.agentID] }
        set { text.set(.agentID, newValue) }
    }
    public var channel: String? {
        get { text[.channel] }
        set { text.set(.channel, newValue) }
    }
    public var campaignID: String? {
        get { text[.campaignID] }
        set { text.set(.campaignID, newValue) }
    }
    public var sessionID: String? {
        get { text[.sessionID] }
        set { text.set(.sessionID, newValue) }
    }
    public var visitorID: String? {
        get { text[.visitorID] }
        set { text.set(.visitorID, newValue) }
    }
    public var page: String? {
        get { text[.page] }
        set { text.set(.page, newValue) }
    }

    public init(
        type: EventType, eventID: String, time: EventTime, shopID: String,
        orderID: String? = nil, buyerID: String? = nil, amount: Money? = nil,
        agentID: String? = nil, channel: String? = nil, campaignID: String? = nil,
        promisedShipBy: EventTime? = nil, sessionID: String? = nil, from: ChatSender? = nil,
        isAutoReply: Bool = false, score: Int? = nil, visitorID: String? = nil,
        page: String? = nil, isLanding: Bool = false, dwellMillis: Int64? = nil, cost: Money? = nil
    ) {
        self.init(type: type, time: time,
                  text: EventText([eventID, shopID, orderID, buyerID, agentID, channel, campaignID, sessionID, visitorID, page]),
                  amount: amount, promisedShipBy: promisedShipBy, from: from, isAutoReply: isAutoReply, score: score,
                  isLanding: isLanding, dwellMillis: dwellMillis, cost: cost)
    }

    /// The decoder's initializer: the text already in place.
    init(type: EventType, time: EventTime, text: EventText, amount: Money? = nil, promisedShipBy: EventTime? = nil,
         from: ChatSender? = nil, isAutoReply: Bool = false, score: Int? = nil, isLanding: Bool = false,
         dwellMillis: Int64? = nil, cost: Money? = nil) {
        self.type = type; self.time = time; self.text = text; self.amount = amount
        self.promisedShipBy = promisedShipBy; self.from = from; self.isAutoReply = isAutoReply; self.score = score
        self.isLanding = isLanding; self.dwellMillis = dwellMillis; self.cost = cost
    }
}

extension ShopEvent {
    /// `StableHash` of `event_id` (the dedup key), from the bytes in place.
    @inline(__always)
    var eventIDHash: UInt64 { text.hash(.eventID) ?? StableHash.hash("") }
}

extension ShopEvent {
    /// Whether a Kafka record key is exactly this event's `shop_id` (UTF-8,
    /// compared in place): the input topics are keyed by shop (events.md),
    /// so a record keyed otherwise may sit on another shop's partition.
    @inline(__always)
    public func isKeyed(by key: UnsafeRawBufferPointer?) -> Bool {
        guard let key else { return false }
        return text.withUTF8(.shopID) { id in
            guard id.count == key.count else { return false }
            for i in 0..<id.count where id[i] != key[i] { return false }
            return true
        } ?? false
    }
}
