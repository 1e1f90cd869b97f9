/// A field of an input event, named as on the wire (events.md).
///
/// Rejection reasons carry one of these rather than a free `String`, so the set
/// of reason codes is closed: they become metric labels and dead-letter
/// headers, where an unbounded set would be a cardinality leak.
public enum EventField: String, CaseIterable, Hashable, Sendable {
    case eventID = "event_id"
    case type = "type"
    case time = "ts"
    case shopID = "shop_id"
    case orderID = "order_id"
    case buyerID = "buyer_id"
    case amount = "amount"
    case agentID = "agent_id"
    case channel = "channel"
    case campaignID = "campaign_id"
    case promisedShipBy = "promised_ship_by"
    case sessionID = "session_id"
    case from = "from"
    case auto = "auto"
    case score = "score"
    case visitorID = "visitor_id"
    case page = "page"
    case landing = "landing"
    case dwellMillis = "dwell_ms"
    case cost = "cost"
}

/// Why an input record was not counted: the one reason enum of the whole
/// product. The decoder produces the syntax and contract reasons; the engine
/// adds `future`, `late` and `duplicate`.
public enum RejectReason: Hashable, Sendable {
    /// Not JSON: bad syntax, invalid UTF-8, an unpaired surrogate escape,
    /// trailing bytes, nesting deeper than the decoder's limit, or an
    /// empty / `null` payload.
    case malformedJSON
    /// Valid JSON, but not an object.
    case notAnObject
    /// A field the event's `type` requires is absent or `null`.
    case missingField(EventField)
    /// A field has the wrong JSON type (a bool amount, a fractional score, ...).
    case wrongType(EventField)
    /// `type` is not one of events.md, or belongs to another topic.
    case unknownType
    /// `amount` or `cost` is below zero.
    case negativeAmount
    /// An amount that is not an exact decimal within range: exponent notation,
    /// more fraction digits than configured, overflow, or not a number at all.
    case badAmount(EventField)
    /// `ts` or `promised_ship_by` is present but not a valid timestamp.
    case badTimestamp
    /// A value of the right type outside its allowed set or range.
    case invalidValue(EventField)
    /// The event time is too far ahead of the Kafka record timestamp (engine),
    /// or of a time its producer does not control: the broker's log-append
    /// time, or the time the ingester read it (the pipeline).
    case future
    /// The record's key is not its `shop_id` (missing or another key): the
    /// topics are co-partitioned by shop, so it may sit on the wrong partition.
    case keyMismatch
    /// Its amount would take one of its shop's sums past what the engine
    /// can hold exactly (engine, `SumBounds`).
    case sumOverflow
    /// The event is older than every window that can still change (engine).
    case late
    /// The `event_id` was already counted (engine).
    case duplicate
    /// A new agent, channel or campaign id of a shop at `kpi.max_ids_per_shop` (engine).
    case tooManyIDs

    /// The stable reason code: counted per code and written to the dead-letter
    /// topic, so users see it. Never change an existing code.
    public var code: String {
        switch self {
        case .malformedJSON: "malformed_json"
        case .notAnObject: "not_an_object"
        case .missingField(let f): "missing_field:" + f.rawValue
        case .wrongType(let f): "wrong_type:" + f.rawValue
        case .unknownType: "unknown_type"
        case .negativeAmount: "negative_amount"
        case .badAmount(let f): "bad_amount:" + f.rawValue
        case .badTimestamp: "bad_timestamp"
        case .invalidValue(let f): "invalid_value:" + f.rawValue
        case .future: "future"
        case .keyMismatch: "key_mismatch"
        case .sumOverflow: "sum_overflow"
        case .late: "late"
        case .duplicate: "duplicate"
        case .tooManyIDs: "too_many_ids"
        }
    }
}

/// A record that was not turned into a `ShopEvent`: the reason code plus a
/// human-readable detail naming the field or byte offset, for the dead-letter
/// record and logs.
public struct EventRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable, counted reason.
    public var reason: RejectReason
    /// What exactly was wrong, naming the field or byte offset (for people, may change).
    public var detail: String

    /// A rejection for `reason`, explained by `detail`.
    public init(reason: RejectReason, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// `code: detail`, for logs.
    public var description: String { reason.code + ": " + detail }
}
