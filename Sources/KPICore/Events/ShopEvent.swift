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
public struct ShopEvent: Hashable, Sendable {
    public var type: EventType
    public var eventID: String
    /// `ts`, or the Kafka record timestamp when `ts` is absent.
    public var time: EventTime
    public var shopID: String

    // shop.orders
    public var orderID: String?
    public var buyerID: String?
    /// `amount` of order_created / order_paid / order_refunded / ad_spend.
    public var amount: Money?
    public var agentID: String?
    public var channel: String?
    public var campaignID: String?
    public var promisedShipBy: EventTime?

    // shop.chats
    public var sessionID: String?
    public var from: ChatSender?
    /// `auto: true`: an automatic reply, not a human response.
    public var isAutoReply: Bool
    /// `chat_rating.score`, 1...5.
    public var score: Int?

    // shop.traffic
    public var visitorID: String?
    public var page: String?
    /// `landing: true` on a page_view.
    public var isLanding: Bool
    public var dwellMillis: Int64?
    /// `cost` on ad_impression / ad_click.
    public var cost: Money?

    public init(
        type: EventType, eventID: String, time: EventTime, shopID: String,
        orderID: String? = nil, buyerID: String? = nil, amount: Money? = nil,
        agentID: String? = nil, channel: String? = nil, campaignID: String? = nil,
        promisedShipBy: EventTime? = nil, sessionID: String? = nil, from: ChatSender? = nil,
        isAutoReply: Bool = false, score: Int? = nil, visitorID: String? = nil,
        page: String? = nil, isLanding: Bool = false, dwellMillis: Int64? = nil, cost: Money? = nil
    ) {
        self.type = type; self.eventID = eventID; self.time = time; self.shopID = shopID
        self.orderID = orderID; self.buyerID = buyerID; self.amount = amount
        self.agentID = agentID; self.channel = channel; self.campaignID = campaignID
        self.promisedShipBy = promisedShipBy; self.sessionID = sessionID; self.from = from
        self.isAutoReply = isAutoReply; self.score = score; self.visitorID = visitorID
        self.page = page; self.isLanding = isLanding; self.dwellMillis = dwellMillis; self.cost = cost
    }
}
