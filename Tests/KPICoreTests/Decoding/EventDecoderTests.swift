import Testing
import KPICore

// Epoch values used below, worked out by hand (and checked with `date -u -d ... +%s`):
// 1970-01-01 .. 2026-01-01 = 56 years, 14 leap days (1972...2024) = 20454 days,
//   so 2026-01-01T00:00Z = 20454 * 86400 = 1_767_225_600 s.
// 2026-11-21 is day 324 of 2026 (Jan..Oct = 304 days, + 20) -> day 20778,
//   so 2026-11-21T00:00Z = 20778 * 86400 = 1_795_219_200 s,
//   and 02:15:00Z = + 8100 s = 1_795_227_300 s.
// 2024-02-29: 1970..2024 = 54 years, 13 leap days = 19723 days, + 31 + 28 = 19782
//   -> 19782 * 86400 = 1_709_164_800 s.

@Suite struct EventDecoderExamplesTests {
    @Test func orderPaidExampleFromEventsMD() {
        let json = #"{"event_id":"o-77-paid","type":"order_paid","ts":"2026-11-21T10:15:30+08:00","shop_id":"s1","order_id":"77","buyer_id":"b9","amount":"129.50","agent_id":"a3","channel":"search"}"#
        // 10:15:30+08:00 = 02:15:30Z = 1_795_227_300 + 30 s.
        let expected = ShopEvent(
            type: .orderPaid, eventID: "o-77-paid", time: EventTime(millis: 1_795_227_330_000), shopID: "s1",
            orderID: "77", buyerID: "b9", amount: Money(minorUnits: 12_950), agentID: "a3", channel: "search")
        #expect(event(decode(json, topic: .orders)) == expected)
    }

    @Test func chatMessageExampleFromEventsMD() {
        let json = #"{"event_id":"c-1-4","type":"chat_message","ts":1763691330123,"shop_id":"s1","session_id":"c-1","buyer_id":"b9","agent_id":"a3","from":"agent"}"#
        let expected = ShopEvent(
            type: .chatMessage, eventID: "c-1-4", time: EventTime(millis: 1_763_691_330_123), shopID: "s1",
            buyerID: "b9", agentID: "a3", sessionID: "c-1", from: .agent, isAutoReply: false)
        #expect(event(decode(json, topic: .chats)) == expected)
    }

    @Test func pageViewExampleFromEventsMD() {
        let json = #"{"event_id":"t-5","type":"page_view","ts":"2026-11-21T02:15:00Z","shop_id":"s1","visitor_id":"v42","session_id":"v42-1","page":"/item/77","channel":"ads","campaign_id":"cmp-9","landing":true,"dwell_ms":35000}"#
        let expected = ShopEvent(
            type: .pageView, eventID: "t-5", time: EventTime(millis: 1_795_227_300_000), shopID: "s1",
            channel: "ads", campaignID: "cmp-9", sessionID: "v42-1", visitorID: "v42", page: "/item/77",
            isLanding: true, dwellMillis: 35_000)
        #expect(event(decode(json, topic: .traffic)) == expected)
    }
}

@Suite struct EventDecoderTypesTests {
    /// The time of samples with `"ts":1763691330123`.
    let sampleTime = EventTime(millis: 1_763_691_330_123)

    @Test func orderCreatedWithOptionalsAndItems() {
        let expected = ShopEvent(
            type: .orderCreated, eventID: "o-1-created", time: EventTime(millis: 1_795_227_300_000), shopID: "s1",
            orderID: "1", buyerID: "b1", amount: Money(minorUnits: 5_990), agentID: "a1", channel: "search",
            campaignID: "cmp-1")
        #expect(event(fullSamples[.orderCreated]!.decoded()) == expected)
    }

    @Test func orderCancelledRefundedShipped() {
        #expect(event(fullSamples[.orderCancelled]!.decoded()) == ShopEvent(
            type: .orderCancelled, eventID: "o-2-cancelled", time: sampleTime, shopID: "s1", orderID: "2", buyerID: "b2"))
        #expect(event(fullSamples[.orderRefunded]!.decoded()) == ShopEvent(
            type: .orderRefunded, eventID: "o-3-refunded", time: sampleTime, shopID: "s1", orderID: "3", buyerID: "b3",
            amount: Money(minorUnits: 1_000)))
        // promised_ship_by 2026-11-22T10:00:00+08:00 = 2026-11-22T02:00Z = (20779 * 86400 + 7200) s = 1_795_312_800 s.
        #expect(event(fullSamples[.orderShipped]!.decoded()) == ShopEvent(
            type: .orderShipped, eventID: "o-4-shipped", time: sampleTime, shopID: "s1", orderID: "4",
            promisedShipBy: EventTime(millis: 1_795_312_800_000)))
    }

    @Test func chatMessageAutoReplyAndRating() {
        #expect(event(fullSamples[.chatMessage]!.decoded()) == ShopEvent(
            type: .chatMessage, eventID: "c-1-4", time: sampleTime, shopID: "s1", buyerID: "b9", agentID: "a3",
            sessionID: "c-1", from: .agent, isAutoReply: true))
        #expect(event(fullSamples[.chatMessage]!.with("from", #""buyer""#).with("auto", "false").decoded())?.from == .buyer)
        #expect(event(fullSamples[.chatMessage]!.with("auto", "false").decoded())?.isAutoReply == false)
        #expect(event(fullSamples[.chatRating]!.decoded()) == ShopEvent(
            type: .chatRating, eventID: "c-1-r", time: sampleTime, shopID: "s1", buyerID: "b9", agentID: "a3",
            sessionID: "c-1", score: 5))
        #expect(event(fullSamples[.chatRating]!.with("score", "1").decoded())?.score == 1)
    }

    @Test func adEvents() {
        #expect(event(fullSamples[.adImpression]!.decoded()) == ShopEvent(
            type: .adImpression, eventID: "t-6", time: sampleTime, shopID: "s1", channel: "ads", campaignID: "cmp-9",
            cost: Money(minorUnits: 35)))
        #expect(event(fullSamples[.adClick]!.decoded()) == ShopEvent(
            type: .adClick, eventID: "t-7", time: sampleTime, shopID: "s1", channel: "ads", campaignID: "cmp-9",
            visitorID: "v42", cost: Money(minorUnits: 50)))
        #expect(event(fullSamples[.adSpend]!.decoded()) == ShopEvent(
            type: .adSpend, eventID: "t-8", time: sampleTime, shopID: "s1", amount: Money(minorUnits: 123_456),
            channel: "ads", campaignID: "cmp-9"))
    }

    @Test func optionalFieldsAbsentOrNull() {
        // Only the required fields: every optional is nil / false.
        let minimal = fullSamples[.pageView]!.without("page").without("channel").without("campaign_id")
            .without("landing").without("dwell_ms")
        #expect(event(minimal.decoded()) == ShopEvent(
            type: .pageView, eventID: "t-5", time: EventTime(millis: 1_795_227_300_000), shopID: "s1",
            sessionID: "v42-1", visitorID: "v42"))
        // Explicit null is the same as absent.
        let nulls = fullSamples[.pageView]!.with("page", "null").with("channel", "null").with("campaign_id", "null")
            .with("landing", "null").with("dwell_ms", "null")
        #expect(event(nulls.decoded()) == event(minimal.decoded()))
        let order = fullSamples[.orderPaid]!.with("agent_id", "null").with("items", "null").without("channel")
        let decoded = event(order.decoded())
        #expect(decoded?.agentID == nil)
        #expect(decoded?.channel == nil)
        #expect(decoded?.campaignID == "cmp-9")
        #expect(event(fullSamples[.adClick]!.with("cost", "null").without("visitor_id").decoded())?.cost == nil)
        #expect(event(fullSamples[.orderShipped]!.without("promised_ship_by").decoded())?.promisedShipBy == nil)
    }

    @Test func fieldsTheTypeDoesNotCarryAreIgnored() {
        // An amount on a chat message is an unknown field there, whatever its value.
        let chat = fullSamples[.chatMessage]!.with("amount", "true").with("score", #""x""#).with("order_id", "7")
        #expect(event(chat.decoded()) == event(fullSamples[.chatMessage]!.decoded()))
    }

    @Test func unknownFieldsOfAnyShapeAreSkipped() {
        let extras = fullSamples[.orderPaid]!
            .with("extra", #"{"a":[1,2,{"b":null,"c":[[],{}]}],"d":"x\"}y","e":-1.5e-3}"#)
            .with("flags", "[true,false,null]").with("n", "0").with("ratio", "-12.5E+7").with("note", #""备注 \u00e9""#)
            .with("deep", "[[[[[[[[[[1]]]]]]]]]]")
        #expect(event(extras.decoded()) == event(fullSamples[.orderPaid]!.decoded()))
    }

    @Test func whitespaceAroundEverything() {
        let json = " \n\t{ \"event_id\" : \"c-1-4\" ,\r\n \"type\":\"chat_message\", \"ts\" :1763691330123 ,\"shop_id\":\"s1\","
            + "\"session_id\":\"c-1\",\"buyer_id\":\"b9\",\"agent_id\":\"a3\",\"from\" : \"agent\" } \n"
        #expect(event(decode(json, topic: .chats))?.eventID == "c-1-4")
        #expect(event(decode(json, topic: .chats))?.time == sampleTime)
    }

    /// Issue 13 (7): `"amount"` or `"shop_id"` twice was taken silently, the
    /// last one winning: a record that says two things is malformed.
    @Test func aKnownFieldGivenTwiceIsMalformed() {
        let s = fullSamples[.orderPaid]!
        for extra in [#","amount":"1.00""#, #","shop_id":"s2""#, #","event_id":"second""#, #","agent_id":null"#,
                      #","am\u006funt":2"#, #","ts":1"#] {
            let json = String(s.json.dropLast()) + extra + "}"
            let result = decode(json, topic: .orders)
            #expect(code(result) == "malformed_json", "\(extra)")
            if case .failure(let r) = result { #expect(r.detail.contains("given twice"), "\(r.detail)") }
        }
        // A first value of null counts too: which one was meant is unknown.
        let nullFirst = #"{"event_id":"e","type":"order_paid","shop_id":null,"shop_id":"s1","order_id":"1","buyer_id":"b","amount":1}"#
        #expect(code(decode(nullFirst, topic: .orders)) == "malformed_json")
        // Unknown fields are ignored, twice or not; so are repeats inside nested values.
        let unknownTwice = String(s.json.dropLast()) + #","note":"a","note":"b","items":[{"amount":1,"amount":2}]}"#
        #expect(event(decode(unknownTwice, topic: .orders)) == event(s.decoded()))
    }

    @Test func keysWrittenWithEscapesAreTheSameKeys() {
        let json = #"{"event\u005fid":"e1","typ\u0065":"chat_rating","shop_id":"s1","session_id":"c","buyer_id":"b","agent_id":"a","\u0073core":3}"#
        let e = event(decode(json, topic: .chats))
        #expect(e?.eventID == "e1")
        #expect(e?.score == 3)
    }
}

@Suite struct EventDecoderTimestampTests {
    /// The `ts` a chat_message with `ts` = `raw` decodes to, nil when rejected.
    func time(_ raw: String, record: EventTime? = recordTime) -> EventTime? {
        let json = fullSamples[.chatMessage]!.with("ts", raw).json
        return event(decode(json, topic: .chats, recordTimestamp: record))?.time
    }

    @Test func rfc3339WithOffsets() {
        #expect(time(#""2026-11-21T02:15:00Z""#) == EventTime(millis: 1_795_227_300_000))
        // +08:00: 10:15:30 local is 02:15:30Z.
        #expect(time(#""2026-11-21T10:15:30.123+08:00""#) == EventTime(millis: 1_795_227_330_123))
        // -05:30: 20:45:00.402 local on the 20th is 02:15:00.402Z on the 21st.
        #expect(time(#""2026-11-20T20:45:00.402-05:30""#) == EventTime(millis: 1_795_227_300_402))
        #expect(time(#""2026-11-21T02:15:00+00:00""#) == EventTime(millis: 1_795_227_300_000))
        // 00:30+01:00 on New Year's day is 23:30Z the day before: 1_767_225_600 - 1800 s.
        #expect(time(#""2026-01-01T00:30:00+01:00""#) == EventTime(millis: 1_767_223_800_000))
        #expect(time(#""2026-11-21t02:15:00z""#) == EventTime(millis: 1_795_227_300_000))
    }

    @Test func fractionsTruncateToMilliseconds() {
        let base: Int64 = 1_795_227_300_000
        #expect(time(#""2026-11-21T02:15:00.1Z""#) == EventTime(millis: base + 100))
        #expect(time(#""2026-11-21T02:15:00.12Z""#) == EventTime(millis: base + 120))
        #expect(time(#""2026-11-21T02:15:00.9999Z""#) == EventTime(millis: base + 999))
        #expect(time(#""2026-11-21T02:15:00.123456789Z""#) == EventTime(millis: base + 123))
    }

    @Test func calendarEdges() {
        #expect(time(#""2024-02-29T00:00:00Z""#) == EventTime(millis: 1_709_164_800_000))
        #expect(time(#""1969-12-31T23:59:59.999Z""#) == EventTime(millis: -1))
        #expect(time(#""1970-01-01T00:00:00Z""#) == EventTime(millis: 0))
        // A leap second lands on the next second: 23:59:60Z on 2016-12-31 = 2017-01-01T00:00:00Z = 1_483_228_800 s.
        #expect(time(#""2016-12-31T23:59:60Z""#) == EventTime(millis: 1_483_228_800_000))
    }

    @Test func epochMilliseconds() {
        #expect(time("1763691330123") == EventTime(millis: 1_763_691_330_123))
        #expect(time("0") == EventTime(millis: 0))
        #expect(time("-5") == EventTime(millis: -5))
    }

    @Test func absentOrNullUsesTheRecordTimestamp() {
        let noTS = fullSamples[.chatMessage]!.without("ts").json
        #expect(event(decode(noTS, topic: .chats, recordTimestamp: EventTime(millis: 77)))?.time == EventTime(millis: 77))
        #expect(time("null", record: EventTime(millis: 78)) == EventTime(millis: 78))
        // ts present: the record timestamp is not used.
        #expect(time("12", record: EventTime(millis: 78)) == EventTime(millis: 12))
    }

    @Test func promisedShipByHasTheSameFormats() {
        let shipped = fullSamples[.orderShipped]!
        #expect(event(shipped.with("promised_ship_by", "1795312800000").decoded())?.promisedShipBy == EventTime(millis: 1_795_312_800_000))
        #expect(event(shipped.with("promised_ship_by", #""2026-11-22T02:00:00.5Z""#).decoded())?.promisedShipBy == EventTime(millis: 1_795_312_800_500))
    }
}

@Suite struct EventDecoderAmountTests {
    /// The minor units of an order_paid `amount` written as `raw`, or the rejection code.
    func amount(_ raw: String, fractionDigits: Int = 2) -> String {
        let result = fullSamples[.orderPaid]!.with("amount", raw).decoded(fractionDigits: fractionDigits)
        if case .success(let e) = result { return e.amount.map { String($0.minorUnits) } ?? "nil" }
        return code(result)
    }

    @Test func numbersAndStringsAtTwoDigits() {
        #expect(amount("129.5") == "12950")
        #expect(amount("129.50") == "12950")
        #expect(amount(#""129.50""#) == "12950")
        #expect(amount(#""129.5""#) == "12950")
        #expect(amount("100") == "10000")
        #expect(amount(#""100""#) == "10000")
        #expect(amount("0") == "0")
        #expect(amount("0.01") == "1")
        #expect(amount(#""0.10""#) == "10")
        #expect(amount("-0") == "0")
        #expect(amount(#""-0.00""#) == "0")
        // The largest amount accepted: 10^15 minor units.
        #expect(amount("10000000000000.00") == "1000000000000000")
    }

    /// Issue 13 (5): two `order_paid` of 92233720368547758.07 (Int64.max
    /// minor units) made a shop's sales -0.02. No amount above 10^15 minor
    /// units is taken.
    @Test func amountsAboveTheMaximumAreRejected() {
        for raw in ["92233720368547758.07", #""92233720368547758.07""#, "10000000000000.01", "1e16", "100000000000000000000"] {
            #expect(amount(raw) == "bad_amount:amount", "amount \(raw)")
        }
        let json = fullSamples[.orderPaid]!.with("amount", "92233720368547758.07").json
        if case .failure(let r) = decode(json, topic: .orders) {
            #expect(r.detail.contains("largest amount accepted, 10000000000000.00"), "\(r.detail)")
        }
        #expect(code(fullSamples[.adClick]!.with("cost", "10000000000000.01").decoded()) == "bad_amount:cost")
    }

    /// Issue 13 (7): `1.5e1` is a JSON number events.md allows: a number
    /// with an exponent is an amount when its value is exact in minor units.
    @Test func numbersWithAnExponentAreExactAmounts() {
        #expect(amount("1.5e1") == "1500")          // 15.00
        #expect(amount("1.5E+1") == "1500")
        #expect(amount("1e3") == "100000")          // 1000.00
        #expect(amount("1.5e2") == "15000")         // 150.00
        #expect(amount("1500e-3") == "150")         // 1.50: the zeros moved past the cents are zeros
        #expect(amount("25e-2") == "25")            // 0.25
        #expect(amount("0e5") == "0")
        #expect(amount("-0e1") == "0")
        #expect(amount("12.3400e1") == "12340")     // 123.40
        #expect(amount("1e-3") == "bad_amount:amount")      // 0.001 is not a whole cent
        #expect(amount("1.005e0") == "bad_amount:amount")
        #expect(amount("-1e2") == "negative_amount")
        #expect(amount("1e400") == "bad_amount:amount")
        #expect(amount("1e15") == "bad_amount:amount")      // 10^17 minor units: above the maximum
        // A long mantissa of an exact value: 1.5 at 2 digits.
        #expect(amount("1500000000000000000000000e-24") == "150")
        #expect(amount("1e3", fractionDigits: 0) == "1000")
        #expect(amount("15e-1", fractionDigits: 0) == "bad_amount:amount")
    }

    @Test func otherFractionDigitSettings() {
        #expect(amount(#""100""#, fractionDigits: 0) == "100")
        #expect(amount("7", fractionDigits: 0) == "7")
        #expect(amount("1.5", fractionDigits: 0) == "bad_amount:amount")
        #expect(amount("1.5", fractionDigits: 3) == "1500")
        #expect(amount(#""0.001""#, fractionDigits: 3) == "1")
        #expect(amount("0.0001", fractionDigits: 3) == "bad_amount:amount")
    }

    @Test func rejectedAmounts() {
        // A decimal string keeps the plain grammar: no exponent there.
        for raw in [#""1.234""#, "1.234", "1.000", #""1E3""#, #""1.5e1""#, #""+1""#, #"" 1""#, #""1 ""#, #""1.""#,
                    #"".5""#, #""01""#, #""""#, #""abc""#, #""1,5""#, #""0x10""#, "92233720368547758.08",
                    "100000000000000000000", #""-""#] {
            #expect(amount(raw) == "bad_amount:amount", "amount \(raw)")
        }
        #expect(amount("-1") == "negative_amount")
        #expect(amount(#""-0.01""#) == "negative_amount")
        #expect(amount("true") == "wrong_type:amount")
        #expect(amount("{}") == "wrong_type:amount")
        #expect(amount("[1]") == "wrong_type:amount")
        #expect(amount("null") == "missing_field:amount")
    }

    @Test func costFollowsTheSameRules() {
        let click = fullSamples[.adClick]!
        #expect(code(click.with("cost", "-1").decoded()) == "negative_amount")
        #expect(code(click.with("cost", #""1.234""#).decoded()) == "bad_amount:cost")
        #expect(code(click.with("cost", "false").decoded()) == "wrong_type:cost")
        #expect(event(click.with("cost", #""12""#).decoded())?.cost == Money(minorUnits: 1_200))
    }
}

@Suite struct EventDecoderStringTests {
    /// The buyer_id a chat_message with `buyer_id` = `raw` decodes to, or the rejection code.
    func buyer(_ raw: String) -> String {
        let result = fullSamples[.chatMessage]!.with("buyer_id", raw).decoded()
        if case .success(let e) = result { return e.buyerID ?? "nil" }
        return code(result)
    }

    @Test func simpleEscapes() {
        #expect(buyer(#""b\"9\\\/\b\f\n\r\t""#) == "b\"9\\/\u{08}\u{0C}\n\r\t")
        #expect(buyer(#""\u0000""#) == "\u{0}")
    }

    @Test func unicodeEscapesAndSurrogatePairs() {
        #expect(buyer(#""\u00e9t\u00E9""#) == "été")
        #expect(buyer(#""\u4e2d\u6587""#) == "中文")
        #expect(buyer(#""\ud83d\ude00!""#) == "😀!")
        #expect(buyer(#""\uD83D\uDE00""#) == "😀")
    }

    @Test func rawUTF8IsKept() {
        #expect(buyer(#""买家-é-😀""#) == "买家-é-😀")
    }

    @Test func badEscapesAreMalformed() {
        for raw in [#""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, #""\ud83dx""#, #""\ud83d\n""#, #""\u12G4""#,
                    #""\u12""#, #""\x""#, #""\'""#, #""\""#] {
            #expect(buyer(raw) == "malformed_json", "buyer_id \(raw)")
        }
    }

    @Test func invalidUTF8AndControlCharactersAreMalformed() {
        let chat = fullSamples[.chatMessage]!.json
        let prefix = Array(chat.utf8.prefix(while: { $0 != UInt8(ascii: "}") })) + Array(#","note":"a"#.utf8)
        let suffix = Array(#"b"}"#.utf8)
        let bad: [[UInt8]] = [
            [0xFF], [0x80], [0xC0, 0x80], [0xC1, 0xBF],  // stray continuation, overlong
            [0xED, 0xA0, 0x80],  // an encoded surrogate (U+D800)
            [0xE4, 0xB8], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],  // truncated, above U+10FFFF
            [0xE0, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80],  // overlong 3- and 4-byte forms
            [0x01], [0x1F], [0x0A],  // raw control characters
        ]
        let decoder = EventDecoder()
        // The bytes sit in a field nobody reads: the record is still not JSON.
        #expect(code(decoder.decode(prefix + suffix, topic: .chats, recordTimestamp: recordTime)) == "decoded")
        for bytes in bad {
            #expect(code(decoder.decode(prefix + bytes + suffix, topic: .chats, recordTimestamp: recordTime)) == "malformed_json", "\(bytes)")
        }
        // The valid multi-byte forms at each length edge pass.
        for bytes: [UInt8] in [[0xC2, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]] {
            #expect(code(decoder.decode(prefix + bytes + suffix, topic: .chats, recordTimestamp: recordTime)) == "decoded", "\(bytes)")
        }
    }

    /// Strings are scanned 8 bytes at a time: every special byte (quote,
    /// escape, control character, non-ASCII) at every offset into a word, and
    /// in the record's last few bytes, is still seen.
    @Test func specialBytesAtEveryOffset() {
        let decoder = EventDecoder()
        let chat = fullSamples[.chatMessage]!.json
        let prefix = Array(chat.utf8.prefix(while: { $0 != UInt8(ascii: "}") })) + Array(#","note":""#.utf8)
        for offset in 0..<20 {
            let pad = [UInt8](repeating: UInt8(ascii: "x"), count: offset)
            for tail in 0..<10 {
                let end = [UInt8](repeating: UInt8(ascii: "y"), count: tail) + Array(#""}"#.utf8)
                let cases: [(bytes: [UInt8], code: String)] = [
                    ([], "decoded"), (Array(#"\\"#.utf8), "decoded"), (Array(#"\""#.utf8), "decoded"),
                    ([0xC3, 0xA9], "decoded"), ([0x1F], "malformed_json"), ([0xFF], "malformed_json"),
                    (Array(#"\q"#.utf8), "malformed_json"), ([0x7F], "decoded"), ([0x20], "decoded"),
                ]
                for c in cases {
                    let record = prefix + pad + c.bytes + end
                    #expect(code(decoder.decode(record, topic: .chats, recordTimestamp: recordTime)) == c.code,
                            "offset \(offset), tail \(tail), \(c.bytes)")
                }
                // A record cut inside the string is unterminated.
                #expect(code(decoder.decode(prefix + pad, topic: .chats, recordTimestamp: recordTime)) == "malformed_json")
            }
            // The string's own bytes come back verbatim.
            let id = String(repeating: "b", count: offset) + "\u{7F} é"
            #expect(event(fullSamples[.chatMessage]!.with("buyer_id", "\"\(id)\"").decoded())?.buyerID == id)
        }
    }

    @Test func idLengthLimitsCountCharacters() {
        let rating = fullSamples[.chatRating]!
        let x128 = String(repeating: "x", count: 128), e128 = String(repeating: "é", count: 128)
        #expect(event(rating.with("event_id", "\"\(x128)\"").decoded())?.eventID == x128)
        #expect(event(rating.with("event_id", "\"\(e128)\"").decoded())?.eventID == e128)  // 256 bytes, 128 chars
        #expect(event(rating.with("event_id", "\"" + String(repeating: #"\u0041"#, count: 128) + "\"").decoded())?.eventID
            == String(repeating: "A", count: 128))
        #expect(code(rating.with("event_id", "\"\(x128)x\"").decoded()) == "invalid_value:event_id")
        #expect(code(rating.with("event_id", "\"\(e128)é\"").decoded()) == "invalid_value:event_id")
        #expect(code(rating.with("event_id", #""""#).decoded()) == "invalid_value:event_id")
        let x64 = String(repeating: "s", count: 64)
        #expect(event(rating.with("shop_id", "\"\(x64)\"").decoded())?.shopID == x64)
        #expect(code(rating.with("shop_id", "\"\(x64)s\"").decoded()) == "invalid_value:shop_id")
        #expect(code(rating.with("shop_id", #""""#).decoded()) == "invalid_value:shop_id")
    }
}
