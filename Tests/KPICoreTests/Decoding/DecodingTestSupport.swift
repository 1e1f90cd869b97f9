import KPICore

/// The Kafka record timestamp the tests pass unless they test its absence.
let recordTime = EventTime(millis: 1_000)

/// Decodes `json` (UTF-8) from `topic` with a 2-digit decoder unless told otherwise.
func decode(
    _ json: String, topic: InputTopic, recordTimestamp: EventTime? = recordTime, fractionDigits: Int = 2
) -> Result<ShopEvent, EventRejection> {
    EventDecoder(fractionDigits: fractionDigits).decode(Array(json.utf8), topic: topic, recordTimestamp: recordTimestamp)
}

/// The decoded event, or nil (the failing test then reports the rejection).
func event(_ result: Result<ShopEvent, EventRejection>) -> ShopEvent? {
    if case .success(let e) = result { return e }
    return nil
}

/// The rejection's reason code, or "decoded" when the record was accepted.
func code(_ result: Result<ShopEvent, EventRejection>) -> String {
    switch result {
    case .success: "decoded"
    case .failure(let r): r.reason.code
    }
}

/// A minimal valid record of each type, as `(key, raw JSON value)` pairs in
/// events.md order, so tests can drop, replace or reorder fields.
struct Sample {
    var topic: InputTopic
    var fields: [(key: String, value: String)]

    /// The JSON object text of the fields, in order.
    var json: String { "{" + fields.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}" }

    /// The same record with `key`'s value replaced (appended when absent).
    func with(_ key: String, _ value: String) -> Sample {
        var s = self
        if let i = s.fields.firstIndex(where: { $0.key == key }) { s.fields[i].value = value } else { s.fields.append((key, value)) }
        return s
    }

    /// The same record without `key`.
    func without(_ key: String) -> Sample {
        var s = self
        s.fields.removeAll { $0.key == key }
        return s
    }

    func decoded(fractionDigits: Int = 2) -> Result<ShopEvent, EventRejection> {
        decode(json, topic: topic, fractionDigits: fractionDigits)
    }
}

/// Every event type with all its fields set, required and optional.
let fullSamples: [EventType: Sample] = [
    .orderCreated: Sample(topic: .orders, fields: [
        ("event_id", #""o-1-created""#), ("type", #""order_created""#), ("ts", #""2026-11-21T02:15:00Z""#),
        ("shop_id", #""s1""#), ("order_id", #""1""#), ("buyer_id", #""b1""#), ("amount", "59.9"),
        ("agent_id", #""a1""#), ("channel", #""search""#), ("campaign_id", #""cmp-1""#),
        ("items", #"[{"sku":"x-1","qty":2,"price":"29.95"}]"#),
    ]),
    .orderPaid: Sample(topic: .orders, fields: [
        ("event_id", #""o-77-paid""#), ("type", #""order_paid""#), ("ts", #""2026-11-21T10:15:30+08:00""#),
        ("shop_id", #""s1""#), ("order_id", #""77""#), ("buyer_id", #""b9""#), ("amount", #""129.50""#),
        ("agent_id", #""a3""#), ("channel", #""search""#), ("campaign_id", #""cmp-9""#), ("items", "[]"),
    ]),
    .orderCancelled: Sample(topic: .orders, fields: [
        ("event_id", #""o-2-cancelled""#), ("type", #""order_cancelled""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("order_id", #""2""#), ("buyer_id", #""b2""#),
    ]),
    .orderRefunded: Sample(topic: .orders, fields: [
        ("event_id", #""o-3-refunded""#), ("type", #""order_refunded""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("order_id", #""3""#), ("buyer_id", #""b3""#), ("amount", "10"),
    ]),
    .orderShipped: Sample(topic: .orders, fields: [
        ("event_id", #""o-4-shipped""#), ("type", #""order_shipped""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("order_id", #""4""#), ("promised_ship_by", #""2026-11-22T10:00:00+08:00""#),
    ]),
    .chatMessage: Sample(topic: .chats, fields: [
        ("event_id", #""c-1-4""#), ("type", #""chat_message""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("session_id", #""c-1""#), ("buyer_id", #""b9""#), ("agent_id", #""a3""#),
        ("from", #""agent""#), ("auto", "true"),
    ]),
    .chatRating: Sample(topic: .chats, fields: [
        ("event_id", #""c-1-r""#), ("type", #""chat_rating""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("session_id", #""c-1""#), ("buyer_id", #""b9""#), ("agent_id", #""a3""#),
        ("score", "5"),
    ]),
    .pageView: Sample(topic: .traffic, fields: [
        ("event_id", #""t-5""#), ("type", #""page_view""#), ("ts", #""2026-11-21T02:15:00Z""#),
        ("shop_id", #""s1""#), ("visitor_id", #""v42""#), ("session_id", #""v42-1""#), ("page", #""/item/77""#),
        ("channel", #""ads""#), ("campaign_id", #""cmp-9""#), ("landing", "true"), ("dwell_ms", "35000"),
    ]),
    .adImpression: Sample(topic: .traffic, fields: [
        ("event_id", #""t-6""#), ("type", #""ad_impression""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("campaign_id", #""cmp-9""#), ("channel", #""ads""#), ("cost", #""0.35""#),
    ]),
    .adClick: Sample(topic: .traffic, fields: [
        ("event_id", #""t-7""#), ("type", #""ad_click""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("campaign_id", #""cmp-9""#), ("channel", #""ads""#), ("visitor_id", #""v42""#),
        ("cost", "0.5"),
    ]),
    .adSpend: Sample(topic: .traffic, fields: [
        ("event_id", #""t-8""#), ("type", #""ad_spend""#), ("ts", "1763691330123"),
        ("shop_id", #""s1""#), ("campaign_id", #""cmp-9""#), ("channel", #""ads""#), ("amount", "1234.56"),
    ]),
]

/// The fields each type requires beyond `event_id`, `type`, `shop_id` (events.md).
let requiredFields: [EventType: [String]] = [
    .orderCreated: ["order_id", "buyer_id", "amount"],
    .orderPaid: ["order_id", "buyer_id", "amount"],
    .orderCancelled: ["order_id", "buyer_id"],
    .orderRefunded: ["order_id", "buyer_id", "amount"],
    .orderShipped: ["order_id"],
    .chatMessage: ["session_id", "buyer_id", "agent_id", "from"],
    .chatRating: ["session_id", "buyer_id", "agent_id", "score"],
    .pageView: ["visitor_id", "session_id"],
    .adImpression: ["campaign_id", "channel"],
    .adClick: ["campaign_id", "channel"],
    .adSpend: ["campaign_id", "channel", "amount"],
]

/// A tiny deterministic PRNG (SplitMix64) so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
