/// Decodes one Kafka record value (a JSON object, events.md) straight into a
/// `ShopEvent`, or says exactly why the record is rejected.
///
/// A single pass over the bytes, no Foundation: the hot path of ingestion runs
/// at millions of records per second per core. Every record is validated as
/// JSON in full, including fields it ignores, so a record is either an event or
/// a rejection with a stable reason code, never a guess.
///
/// Contract details decided here (events.md leaves them open):
/// - A field the decoder reads (events.md's fields) given twice in one
///   object is `malformed_json`: which value was meant cannot be known, and
///   parsers disagree (last one wins, first one wins). Unknown fields are
///   ignored, twice or not. A duplicate written with escapes
///   (`"amount"` and `"am\u006funt"`) is the same key.
/// - `null` for an optional field means absent; for a required one, missing.
/// - Fields the event's `type` does not carry are ignored like unknown fields,
///   whatever their value (an `amount` on a `chat_message` is not checked).
/// - Nesting deeper than 64 levels is `malformed_json`.
/// - `event_id` / `shop_id` lengths count Unicode scalars.
/// - Amounts, as numbers or strings, follow JSON's number grammar (no `+`,
///   spaces or leading zeros). At 2 digits `1.500` is `bad_amount`: the
///   contract caps the digits written, trailing zeros too. A JSON number
///   may have an exponent when its value is an exact amount (`1.5e1` is
///   15, `1e-3` at 2 digits is `bad_amount`); a decimal string may not.
/// - An amount above `FieldReader.maxAmountMinorUnits` (10^15 minor units)
///   is `bad_amount`, so no amount can wrap a sum around.
/// - `ts` / `promised_ship_by` that are a bool, object or array are
///   `wrong_type`; a string or number that does not parse is `bad_timestamp`.
/// - When several things are wrong, the first is reported, checked in this
///   order: JSON syntax, `event_id`, `type`, `shop_id`, `ts`, then the type's
///   fields in events.md order.
public struct EventDecoder: Sendable {
    /// The most fraction digits an amount may have; also the scale of `Money`
    /// minor units (2: "129.5" is 12950).
    public let fractionDigits: Int

    /// A decoder for amounts with at most `fractionDigits` (0...18) fraction digits.
    public init(fractionDigits: Int = 2) {
        precondition((0...18).contains(fractionDigits), "fractionDigits must be 0...18 to fit Int64 minor units")
        self.fractionDigits = fractionDigits
    }

    /// Decodes one Kafka record value from `topic`, or throws why it is
    /// rejected. `recordTimestamp` is the record's timestamp, used when the
    /// event has no `ts`; nil when the record had none, and then a missing
    /// `ts` is `missing_field:ts`.
    ///
    /// The hot path's form: the event is returned directly (wrapping it in a
    /// `Result`, ~270 bytes of fields, cost ~10% of decoding).
    public func event(in bytes: UnsafeRawBufferPointer, topic: InputTopic, recordTimestamp: EventTime?) throws(EventRejection) -> ShopEvent {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw EventRejection(reason: .malformedJSON, detail: "empty payload")
        }
        // Kafka payloads are plain bytes; reading them as UInt8 is always valid.
        return try decodeEvent(base.assumingMemoryBound(to: UInt8.self), count: bytes.count, topic: topic, recordTimestamp: recordTimestamp)
    }

    /// `event(in:topic:recordTimestamp:)` as a `Result`, for callers that keep rejections as values.
    public func decode(_ bytes: UnsafeRawBufferPointer, topic: InputTopic, recordTimestamp: EventTime?) -> Result<ShopEvent, EventRejection> {
        Result { () throws(EventRejection) in try event(in: bytes, topic: topic, recordTimestamp: recordTimestamp) }
    }

    /// Decodes one Kafka record value held in an array (see the buffer overload).
    public func decode(_ bytes: [UInt8], topic: InputTopic, recordTimestamp: EventTime?) -> Result<ShopEvent, EventRejection> {
        bytes.withUnsafeBytes { decode($0, topic: topic, recordTimestamp: recordTimestamp) }
    }

    // MARK: The pass over the object

    private func decodeEvent(
        _ p: UnsafePointer<UInt8>, count: Int, topic: InputTopic, recordTimestamp: EventTime?
    ) throws(EventRejection) -> ShopEvent {
        var cursor = JSONCursor(bytes: p, count: count)
        cursor.skipWhitespace()
        guard let first = cursor.peek() else { throw EventRejection(reason: .malformedJSON, detail: "empty payload") }
        guard first == UInt8(ascii: "{") else { throw try rejectNonObject(&cursor) }

        var fields = RawFields()
        cursor.pos += 1
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "}") {
            cursor.pos += 1
        } else {
            while true {
                cursor.skipWhitespace()
                guard cursor.peek() == UInt8(ascii: "\"") else { throw cursor.unexpected(expected: "a key") }
                let key = try cursor.scanString()
                try cursor.expect(UInt8(ascii: ":"), "':'")
                let value = try cursor.scanValue(depth: 1)
                let repeated = key.escaped
                    ? fields.store(value, escapedKey: p + key.start, count: key.end - key.start)
                    : fields.store(value, key: p + key.start, count: key.end - key.start)
                if repeated { throw duplicateKey(p + key.start, count: key.end - key.start, at: key.start) }
                cursor.skipWhitespace()
                guard let b = cursor.peek() else { throw cursor.unexpected(expected: "',' or '}'") }
                if b == UInt8(ascii: ",") { cursor.pos += 1; continue }
                if b == UInt8(ascii: "}") { cursor.pos += 1; break }
                throw cursor.unexpected(expected: "',' or '}'")
            }
        }
        cursor.skipWhitespace()
        guard cursor.pos == count else { throw cursor.unexpected(expected: "end of input") }

        return try FieldReader(bytes: p, fractionDigits: fractionDigits)
            .event(from: fields, topic: topic, recordTimestamp: recordTimestamp)
    }

    /// The rejection for a field given twice.
    @inline(never)
    private func duplicateKey(_ k: UnsafePointer<UInt8>, count n: Int, at offset: Int) -> EventRejection {
        let name = String(decoding: UnsafeBufferPointer(start: k, count: min(n, 64)), as: UTF8.self)
        return EventRejection(reason: .malformedJSON, detail: "field \"\(name)\" given twice (second at byte \(offset - 1))")
    }

    /// The rejection for a payload that does not start with `{`: malformed
    /// unless it is one complete JSON value other than `null`.
    @inline(never)
    private func rejectNonObject(_ cursor: inout JSONCursor) throws(EventRejection) -> EventRejection {
        let value = try cursor.scanValue(depth: 0)
        cursor.skipWhitespace()
        guard cursor.pos == cursor.end else { throw cursor.unexpected(expected: "end of input") }
        if value.kind == .absent { return EventRejection(reason: .malformedJSON, detail: "null payload") }
        return EventRejection(reason: .notAnObject, detail: "payload is \(value.kind.jsonName), expected an object")
    }
}

/// The span of every field the decoder knows, filled while scanning the
/// object; unknown keys are dropped. `store` says when a known key comes a
/// second time (a present `null` counts: its span is not empty).
struct RawFields {
    var eventID = RawValue.absent
    var type = RawValue.absent
    var time = RawValue.absent
    var shopID = RawValue.absent
    var orderID = RawValue.absent
    var buyerID = RawValue.absent
    var amount = RawValue.absent
    var agentID = RawValue.absent
    var channel = RawValue.absent
    var campaignID = RawValue.absent
    var promisedShipBy = RawValue.absent
    var sessionID = RawValue.absent
    var from = RawValue.absent
    var auto = RawValue.absent
    var score = RawValue.absent
    var visitorID = RawValue.absent
    var page = RawValue.absent
    var landing = RawValue.absent
    var dwellMillis = RawValue.absent
    var cost = RawValue.absent

    /// Stores `value` under the key spelled by the `count` bytes at `k`, by
    /// comparing bytes (length first, then the first byte): no `String` is
    /// built for keys.
    /// Returns true when the key was already stored (a duplicate).
    @inline(__always)
    mutating func store(_ value: RawValue, key k: UnsafePointer<UInt8>, count n: Int) -> Bool {
        @inline(__always) func matches(_ word: StaticString) -> Bool { JSONCursor.equal(k, n, word) }
        @inline(__always) func put(_ slot: inout RawValue) -> Bool {
            let repeated = slot.end != 0
            slot = value
            return repeated
        }
        switch n {
        case 2:
            if matches("ts") { return put(&time) }
        case 4:
            switch k[0] {
            case UInt8(ascii: "t"): if matches("type") { return put(&type) }
            case UInt8(ascii: "f"): if matches("from") { return put(&from) }
            case UInt8(ascii: "a"): if matches("auto") { return put(&auto) }
            case UInt8(ascii: "p"): if matches("page") { return put(&page) }
            case UInt8(ascii: "c"): if matches("cost") { return put(&cost) }
            default: break
            }
        case 5:
            if matches("score") { return put(&score) }
        case 6:
            if matches("amount") { return put(&amount) }
        case 7:
            switch k[0] {
            case UInt8(ascii: "s"): if matches("shop_id") { return put(&shopID) }
            case UInt8(ascii: "c"): if matches("channel") { return put(&channel) }
            case UInt8(ascii: "l"): if matches("landing") { return put(&landing) }
            default: break
            }
        case 8:
            switch k[0] {
            case UInt8(ascii: "e"): if matches("event_id") { return put(&eventID) }
            case UInt8(ascii: "o"): if matches("order_id") { return put(&orderID) }
            case UInt8(ascii: "b"): if matches("buyer_id") { return put(&buyerID) }
            case UInt8(ascii: "a"): if matches("agent_id") { return put(&agentID) }
            case UInt8(ascii: "d"): if matches("dwell_ms") { return put(&dwellMillis) }
            default: break
            }
        case 10:
            switch k[0] {
            case UInt8(ascii: "s"): if matches("session_id") { return put(&sessionID) }
            case UInt8(ascii: "v"): if matches("visitor_id") { return put(&visitorID) }
            default: break
            }
        case 11:
            if matches("campaign_id") { return put(&campaignID) }
        case 16:
            if matches("promised_ship_by") { return put(&promisedShipBy) }
        default:
            break
        }
        return false
    }

    /// `store` for a key written with escapes (`"event\u005fid"`): JSON says it
    /// is the same key, so it is unescaped first. Rare, so off the fast path.
    @inline(never)
    mutating func store(_ value: RawValue, escapedKey k: UnsafePointer<UInt8>, count n: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { buffer in
            let length = ValueParsing.unescape(k, count: n, into: buffer)
            guard let base = buffer.baseAddress else { return false }
            return store(value, key: UnsafePointer(base), count: length)
        }
    }
}

/// Turns the recorded spans of one record into typed event fields, enforcing
/// the per-type contract of events.md.
struct FieldReader {
    let bytes: UnsafePointer<UInt8>
    let fractionDigits: Int

    /// The largest amount (`amount`, `cost`) accepted, in minor units:
    /// 10,000,000,000,000.00 at 2 fraction digits. Far above any real order
    /// or spend; a shop's sums of them are bounded too (`SumBounds`: at most
    /// 2^53 minor units per window, then `sum_overflow`).
    public static let maxAmountMinorUnits: Int64 = 1_000_000_000_000_000

    /// Upper bounds of events.md, in Unicode scalars.
    static let maxEventIDLength = 128
    static let maxShopIDLength = 64

    func event(from f: RawFields, topic: InputTopic, recordTimestamp: EventTime?) throws(EventRejection) -> ShopEvent {
        // Text fields go straight into the event's `EventText`, in events.md
        // order like every check; then one initializer call builds the
        // event: mutating a `var` event field by field made the optimizer
        // copy the whole (~270-byte) struct.
        var text = EventText()
        try bounded(f.eventID, .eventID, maxLength: Self.maxEventIDLength, into: &text, as: .eventID)
        let type = try eventType(f.type, topic: topic)
        try bounded(f.shopID, .shopID, maxLength: Self.maxShopIDLength, into: &text, as: .shopID)
        guard let time = try timestamp(f.time, .time) ?? recordTimestamp else {
            throw EventRejection(reason: .missingField(.time), detail: "no \"ts\" and the record has no timestamp")
        }
        switch type {
        case .orderCreated, .orderPaid:
            try required(f.orderID, .orderID, type, into: &text, as: .orderID)
            try required(f.buyerID, .buyerID, type, into: &text, as: .buyerID)
            let amount = try amount(f.amount, .amount, requiredBy: type)
            try optional(f.agentID, .agentID, into: &text, as: .agentID)
            try optional(f.channel, .channel, into: &text, as: .channel)
            try optional(f.campaignID, .campaignID, into: &text, as: .campaignID)
            return ShopEvent(type: type, time: time, text: text, amount: amount)
        case .orderCancelled:
            try required(f.orderID, .orderID, type, into: &text, as: .orderID)
            try required(f.buyerID, .buyerID, type, into: &text, as: .buyerID)
            return ShopEvent(type: type, time: time, text: text)
        case .orderRefunded:
            try required(f.orderID, .orderID, type, into: &text, as: .orderID)
            try required(f.buyerID, .buyerID, type, into: &text, as: .buyerID)
            let amount = try amount(f.amount, .amount, requiredBy: type)
            return ShopEvent(type: type, time: time, text: text, amount: amount)
        case .orderShipped:
            try required(f.orderID, .orderID, type, into: &text, as: .orderID)
            let promisedShipBy = try timestamp(f.promisedShipBy, .promisedShipBy)
            return ShopEvent(type: type, time: time, text: text, promisedShipBy: promisedShipBy)
        case .chatMessage:
            try required(f.sessionID, .sessionID, type, into: &text, as: .sessionID)
            try required(f.buyerID, .buyerID, type, into: &text, as: .buyerID)
            try required(f.agentID, .agentID, type, into: &text, as: .agentID)
            let from = try sender(f.from)
            let isAutoReply = try flag(f.auto, .auto)
            return ShopEvent(type: type, time: time, text: text, from: from, isAutoReply: isAutoReply)
        case .chatRating:
            try required(f.sessionID, .sessionID, type, into: &text, as: .sessionID)
            try required(f.buyerID, .buyerID, type, into: &text, as: .buyerID)
            try required(f.agentID, .agentID, type, into: &text, as: .agentID)
            let score = try score(f.score)
            return ShopEvent(type: type, time: time, text: text, score: score)
        case .pageView:
            try required(f.visitorID, .visitorID, type, into: &text, as: .visitorID)
            try required(f.sessionID, .sessionID, type, into: &text, as: .sessionID)
            try optional(f.page, .page, into: &text, as: .page)
            try optional(f.channel, .channel, into: &text, as: .channel)
            try optional(f.campaignID, .campaignID, into: &text, as: .campaignID)
            let isLanding = try flag(f.landing, .landing)
            let dwellMillis = try dwell(f.dwellMillis)
            return ShopEvent(type: type, time: time, text: text, isLanding: isLanding, dwellMillis: dwellMillis)
        case .adImpression, .adClick:
            try required(f.campaignID, .campaignID, type, into: &text, as: .campaignID)
            try required(f.channel, .channel, type, into: &text, as: .channel)
            // visitor_id is only defined on clicks; on an impression it is an unknown field.
            if type == .adClick { try optional(f.visitorID, .visitorID, into: &text, as: .visitorID) }
            let cost = try amount(f.cost, .cost, requiredBy: nil)
            return ShopEvent(type: type, time: time, text: text, cost: cost)
        case .adSpend:
            try required(f.campaignID, .campaignID, type, into: &text, as: .campaignID)
            try required(f.channel, .channel, type, into: &text, as: .channel)
            let amount = try amount(f.amount, .amount, requiredBy: type)
            return ShopEvent(type: type, time: time, text: text, amount: amount)
        }
    }

    // MARK: Fields by kind

    private func required(_ v: RawValue, _ field: EventField, _ type: EventType,
                          into text: inout EventText, as slot: EventText.Field) throws(EventRejection) {
        guard v.kind != .absent else { throw missing(field, type.name) }
        guard v.isString else { throw wrongType(field, v, expected: "a string") }
        withText(v) { text.append(slot, UnsafeBufferPointer(start: $0, count: $1)) }
    }

    private func optional(_ v: RawValue, _ field: EventField,
                          into text: inout EventText, as slot: EventText.Field) throws(EventRejection) {
        if v.kind == .absent { return }
        guard v.isString else { throw wrongType(field, v, expected: "a string") }
        withText(v) { text.append(slot, UnsafeBufferPointer(start: $0, count: $1)) }
    }

    /// `event_id` / `shop_id`: required on every event, 1...maxLength scalars.
    private func bounded(_ v: RawValue, _ field: EventField, maxLength: Int,
                         into text: inout EventText, as slot: EventText.Field) throws(EventRejection) {
        guard v.kind != .absent else { throw missing(field, "every event") }
        guard v.isString else { throw wrongType(field, v, expected: "a string") }
        // The raw span has at least one byte per scalar, so only a long span
        // needs counting; an escaped span is never empty.
        let scalars = v.count > maxLength ? withText(v) { Self.scalarCount($0, $1) } : v.count
        if v.count == 0 || scalars > maxLength {
            throw EventRejection(
                reason: .invalidValue(field),
                detail: "\"\(field.rawValue)\" must be 1...\(maxLength) characters, got \(scalars)")
        }
        withText(v) { text.append(slot, UnsafeBufferPointer(start: $0, count: $1)) }
    }

    /// The Unicode scalars in valid UTF-8: the bytes that are not continuation bytes.
    private static func scalarCount(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var count = 0
        for i in 0..<n where p[i] & 0xC0 != 0x80 { count += 1 }
        return count
    }

    private func eventType(_ v: RawValue, topic: InputTopic) throws(EventRejection) -> EventType {
        guard v.kind != .absent else { throw missing(.type, "every event") }
        guard v.isString else { throw wrongType(.type, v, expected: "a string") }
        guard let type = withText(v, Self.eventType) else {
            throw EventRejection(reason: .unknownType, detail: "unknown type \(text(v))")
        }
        guard type.topic == topic else {
            throw EventRejection(reason: .unknownType, detail: "type \"\(type.name)\" does not belong on the \(topic) topic")
        }
        return type
    }

    /// The event type spelled by `n` bytes at `p`, matched on bytes.
    private static func eventType(_ p: UnsafePointer<UInt8>, _ n: Int) -> EventType? {
        @inline(__always) func matches(_ word: StaticString) -> Bool { JSONCursor.equal(p, n, word) }
        switch n {
        case 8: return matches("ad_click") ? .adClick : matches("ad_spend") ? .adSpend : nil
        case 9: return matches("page_view") ? .pageView : nil
        case 10: return matches("order_paid") ? .orderPaid : nil
        case 11: return matches("chat_rating") ? .chatRating : nil
        case 12: return matches("chat_message") ? .chatMessage : nil
        case 13:
            return matches("order_created") ? .orderCreated
                : matches("order_shipped") ? .orderShipped
                : matches("ad_impression") ? .adImpression : nil
        case 14: return matches("order_refunded") ? .orderRefunded : nil
        case 15: return matches("order_cancelled") ? .orderCancelled : nil
        default: return nil
        }
    }

    /// `amount` / `cost`: a JSON number or decimal string, exact in minor units.
    /// `requiredBy` is the type that requires it, nil when optional.
    private func amount(_ v: RawValue, _ field: EventField, requiredBy type: EventType?) throws(EventRejection) -> Money? {
        switch v.kind {
        case .absent:
            if let type { throw missing(field, type.name) }
            return nil
        case .number, .string, .escapedString:
            break
        default:
            throw wrongType(field, v, expected: "a number or a decimal string")
        }
        let digits = fractionDigits
        let exponent = v.kind == .number
        let parsed = withText(v) { p, n in ValueParsing.amount(p, count: n, fractionDigits: digits, exponent: exponent) }
        switch parsed {
        case .minorUnits(let units):
            if units > Self.maxAmountMinorUnits { throw tooLarge(field, v) }
            return Money(minorUnits: units)
        case .negative:
            throw EventRejection(reason: .negativeAmount, detail: "\"\(field.rawValue)\" is negative: \(text(v))")
        case .notDecimal:
            throw badAmount(field, v, exponent ? "is not a decimal number" : "is not a plain decimal (no exponent, sign or spaces)")
        case .tooManyFractionDigits:
            throw badAmount(field, v, "has more than \(fractionDigits) fraction digits")
        case .outOfRange:
            throw tooLarge(field, v)
        }
    }

    @inline(never)
    private func tooLarge(_ field: EventField, _ v: RawValue) -> EventRejection {
        let most = DecimalText.money(Self.maxAmountMinorUnits, fractionDigits: fractionDigits)
        return badAmount(field, v, "is above the largest amount accepted, \(most)")
    }

    /// `ts` / `promised_ship_by`: an RFC 3339 string or integer epoch milliseconds; nil when absent.
    private func timestamp(_ v: RawValue, _ field: EventField) throws(EventRejection) -> EventTime? {
        switch v.kind {
        case .absent:
            return nil
        case .string, .escapedString:
            if let t = withText(v, ValueParsing.rfc3339) { return t }
        case .number:
            if case .value(let ms) = ValueParsing.integer(bytes + v.start, count: v.count) { return EventTime(millis: ms) }
        default:
            throw wrongType(field, v, expected: "an RFC 3339 string or integer epoch milliseconds")
        }
        throw EventRejection(
            reason: .badTimestamp,
            detail: "\"\(field.rawValue)\" is not an RFC 3339 time with offset or integer epoch milliseconds: \(text(v))")
    }

    private func sender(_ v: RawValue) throws(EventRejection) -> ChatSender {
        guard v.kind != .absent else { throw missing(.from, EventType.chatMessage.name) }
        guard v.isString else { throw wrongType(.from, v, expected: "a string") }
        let sender: ChatSender? = withText(v) { p, n in
            JSONCursor.equal(p, n, "buyer") ? .buyer : JSONCursor.equal(p, n, "agent") ? .agent : nil
        }
        guard let sender else {
            throw EventRejection(reason: .invalidValue(.from), detail: "\"from\" must be \"buyer\" or \"agent\", got \(text(v))")
        }
        return sender
    }

    /// An optional bool (`auto`, `landing`), false when absent.
    private func flag(_ v: RawValue, _ field: EventField) throws(EventRejection) -> Bool {
        switch v.kind {
        case .absent, .false: return false
        case .true: return true
        default: throw wrongType(field, v, expected: "a bool")
        }
    }

    private func score(_ v: RawValue) throws(EventRejection) -> Int {
        guard v.kind != .absent else { throw missing(.score, EventType.chatRating.name) }
        guard v.kind == .number else { throw wrongType(.score, v, expected: "an integer") }
        switch ValueParsing.integer(bytes + v.start, count: v.count) {
        case .value(let s) where (1...5).contains(s):
            return Int(s)
        case .notInteger:
            throw wrongType(.score, v, expected: "an integer")
        case .value, .outOfRange:
            throw EventRejection(reason: .invalidValue(.score), detail: "\"score\" must be 1...5, got \(text(v))")
        }
    }

    private func dwell(_ v: RawValue) throws(EventRejection) -> Int64? {
        if v.kind == .absent { return nil }
        guard v.kind == .number else { throw wrongType(.dwellMillis, v, expected: "an integer") }
        switch ValueParsing.integer(bytes + v.start, count: v.count) {
        case .value(let ms) where ms >= 0:
            return ms
        case .notInteger:
            throw wrongType(.dwellMillis, v, expected: "an integer")
        case .value, .outOfRange:
            throw EventRejection(reason: .invalidValue(.dwellMillis), detail: "\"dwell_ms\" must be an integer >= 0, got \(text(v))")
        }
    }

    // MARK: Text

    /// Calls `body` with the UTF-8 bytes a string or number span stands for.
    @inline(__always)
    private func withText<R>(_ v: RawValue, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        if v.kind != .escapedString { return body(bytes + v.start, v.count) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: v.count) { buffer in
            let n = ValueParsing.unescape(bytes + v.start, count: v.count, into: buffer)
            return body(UnsafePointer(buffer.baseAddress!), n)
        }
    }

    /// A value as it appeared (strings quoted, cut at 64 bytes), for details.
    private func text(_ v: RawValue) -> String {
        let raw = String(decoding: UnsafeBufferPointer(start: bytes + v.start, count: min(v.count, 64)), as: UTF8.self)
        let shown = v.count > 64 ? raw + "..." : raw
        return v.isString ? "\"" + shown + "\"" : shown
    }

    // MARK: Rejections (out of line: only built on the error path)

    @inline(never)
    private func missing(_ field: EventField, _ requiredBy: String) -> EventRejection {
        EventRejection(reason: .missingField(field), detail: "\"\(field.rawValue)\" is required by \(requiredBy)")
    }

    @inline(never)
    private func wrongType(_ field: EventField, _ v: RawValue, expected: String) -> EventRejection {
        EventRejection(reason: .wrongType(field), detail: "\"\(field.rawValue)\" is \(v.kind.jsonName), expected \(expected)")
    }

    @inline(never)
    private func badAmount(_ field: EventField, _ v: RawValue, _ problem: String) -> EventRejection {
        EventRejection(reason: .badAmount(field), detail: "\"\(field.rawValue)\" \(text(v)) \(problem)")
    }
}
