import Testing
import KPICore

@Suite struct EventRejectionTests {
    @Test func reasonCodesAreStable() {
        // Users see these on dead letters and dashboards: a change here is a breaking change.
        let codes: [(RejectReason, String)] = [
            (.malformedJSON, "malformed_json"), (.notAnObject, "not_an_object"),
            (.missingField(.amount), "missing_field:amount"), (.wrongType(.dwellMillis), "wrong_type:dwell_ms"),
            (.unknownType, "unknown_type"), (.negativeAmount, "negative_amount"),
            (.badAmount(.cost), "bad_amount:cost"), (.badTimestamp, "bad_timestamp"),
            (.invalidValue(.eventID), "invalid_value:event_id"), (.missingField(.time), "missing_field:ts"),
            (.wrongType(.promisedShipBy), "wrong_type:promised_ship_by"),
            (.future, "future"), (.late, "late"), (.duplicate, "duplicate"),
        ]
        for (reason, code) in codes { #expect(reason.code == code) }
    }

    @Test func malformedPayloads() {
        let payloads = [
            "", "   ", "\n", "null", " null ", "{", "}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1}x", "{\"a\":1}{}",
            "{'a':1}", "{a:1}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":.5}",
            "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":[1,2}", "{\"a\":[1,]}",
            "{\"a\":{\"b\"}}", "{\"a\":\"x}", "{,}", "{\"a\":1,,\"b\":2}", "[1,2", "[1,]", "\"abc", "nullx", "truefalse",
            "\u{FEFF}{}",  // a byte order mark is not JSON
        ]
        for p in payloads {
            #expect(code(decode(p, topic: .orders)) == "malformed_json", "payload \(p.debugDescription)")
        }
        #expect(code(EventDecoder().decode([UInt8](), topic: .orders, recordTimestamp: nil)) == "malformed_json")
        #expect(code(EventDecoder().decode(UnsafeRawBufferPointer(start: nil, count: 0), topic: .orders, recordTimestamp: nil)) == "malformed_json")
    }

    @Test func validJSONThatIsNotAnObject() {
        for p in ["[]", "[1,{\"a\":2}]", "\"x\"", "5", " -1.5e3 ", "true", "false", "[null]"] {
            #expect(code(decode(p, topic: .orders)) == "not_an_object", "payload \(p)")
        }
    }

    @Test func nestingIsLimitedTo64Levels() {
        // The top-level object is level 1, so a field may hold 63 nested arrays.
        let ok = fullSamples[.orderPaid]!.with("x", String(repeating: "[", count: 63) + String(repeating: "]", count: 63))
        #expect(code(ok.decoded()) == "decoded")
        let deep = fullSamples[.orderPaid]!.with("x", String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
        #expect(code(deep.decoded()) == "malformed_json")
        let deepObjects = fullSamples[.orderPaid]!.with("x", String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64))
        #expect(code(deepObjects.decoded()) == "malformed_json")
        #expect(code(decode(String(repeating: "[", count: 64) + String(repeating: "]", count: 64), topic: .orders)) == "not_an_object")
        #expect(code(decode(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), topic: .orders)) == "malformed_json")
        // A hostile record: far deeper than any stack could recurse. Must return, not crash.
        #expect(code(decode(String(repeating: "[", count: 200_000), topic: .orders)) == "malformed_json")
        #expect(code(decode(#"{"a":"# + String(repeating: "[", count: 200_000), topic: .orders)) == "malformed_json")
    }

    @Test func missingRequiredFieldsPerType() {
        for (type, sample) in fullSamples {
            for field in ["event_id", "type", "shop_id"] + requiredFields[type]! {
                #expect(code(sample.without(field).decoded()) == "missing_field:\(field)", "\(type.name) without \(field)")
                #expect(code(sample.with(field, "null").decoded()) == "missing_field:\(field)", "\(type.name) with null \(field)")
            }
        }
    }

    @Test func missingTimestampWithoutRecordTimestamp() {
        let json = fullSamples[.chatMessage]!.without("ts").json
        #expect(code(decode(json, topic: .chats, recordTimestamp: nil)) == "missing_field:ts")
        #expect(code(decode(fullSamples[.chatMessage]!.with("ts", "null").json, topic: .chats, recordTimestamp: nil)) == "missing_field:ts")
    }

    @Test func wrongJSONTypes() {
        let cases: [(EventType, String, String, String)] = [
            (.orderPaid, "event_id", "5", "wrong_type:event_id"),
            (.orderPaid, "type", "5", "wrong_type:type"),
            (.orderPaid, "shop_id", "[]", "wrong_type:shop_id"),
            (.orderPaid, "order_id", "77", "wrong_type:order_id"),
            (.orderPaid, "agent_id", "true", "wrong_type:agent_id"),
            (.orderPaid, "campaign_id", "{}", "wrong_type:campaign_id"),
            (.orderPaid, "ts", "true", "wrong_type:ts"),
            (.orderPaid, "ts", "{}", "wrong_type:ts"),
            (.orderShipped, "promised_ship_by", "[]", "wrong_type:promised_ship_by"),
            (.chatMessage, "from", "true", "wrong_type:from"),
            (.chatMessage, "auto", #""yes""#, "wrong_type:auto"),
            (.chatMessage, "auto", "1", "wrong_type:auto"),
            (.chatRating, "score", "4.5", "wrong_type:score"),
            (.chatRating, "score", "4.0", "wrong_type:score"),
            (.chatRating, "score", "4e0", "wrong_type:score"),
            (.chatRating, "score", #""4""#, "wrong_type:score"),
            (.pageView, "landing", "1", "wrong_type:landing"),
            (.pageView, "dwell_ms", "1.5", "wrong_type:dwell_ms"),
            (.pageView, "dwell_ms", #""10""#, "wrong_type:dwell_ms"),
            (.pageView, "page", "[]", "wrong_type:page"),
            (.adClick, "visitor_id", "42", "wrong_type:visitor_id"),
        ]
        for (type, field, raw, expected) in cases {
            #expect(code(fullSamples[type]!.with(field, raw).decoded()) == expected, "\(type.name).\(field) = \(raw)")
        }
    }

    @Test func unknownTypeOrTypeOfAnotherTopic() {
        let paid = fullSamples[.orderPaid]!
        for raw in [#""order_lost""#, #""ORDER_PAID""#, #""""#, #""order_paid ""#, #""order_pai""#] {
            #expect(code(paid.with("type", raw).decoded()) == "unknown_type", "type \(raw)")
        }
        // Each type is only accepted on its own topic.
        for (type, sample) in fullSamples {
            for topic in InputTopic.allCases {
                let expected = topic == type.topic ? "decoded" : "unknown_type"
                #expect(code(decode(sample.json, topic: topic)) == expected, "\(type.name) on \(topic)")
            }
        }
    }

    @Test func badTimestamps() {
        let chat = fullSamples[.chatMessage]!
        let bad = [
            #""2026-11-21T10:15:30""#, #""2026-11-21""#, #""2026-11-21 10:15:30Z""#, #""2026-11-21T10:15Z""#,
            #""2026-13-01T00:00:00Z""#, #""2026-00-01T00:00:00Z""#, #""2026-11-31T00:00:00Z""#,
            #""2025-02-29T00:00:00Z""#, #""2026-11-21T24:00:00Z""#, #""2026-11-21T10:60:00Z""#,
            #""2026-11-21T10:15:61Z""#, #""2026-11-21T10:15:30.Z""#, #""2026-11-21T10:15:30.1234567890Z""#,
            #""2026-11-21T10:15:30+08""#, #""2026-11-21T10:15:30+0800""#, #""2026-11-21T10:15:30+24:00""#,
            #""2026-11-21T10:15:30+08:00 ""#, #"" 2026-11-21T10:15:30Z""#, #""2026-11-21T10:15:30ZZ""#,
            #""26-11-21T10:15:30Z""#, #""yesterday""#, #""""#, #""1763691330123""#,
            "1.5", "1e3", "1763691330123.0", "99999999999999999999",
        ]
        for raw in bad {
            #expect(code(chat.with("ts", raw).decoded()) == "bad_timestamp", "ts \(raw)")
        }
        #expect(code(fullSamples[.orderShipped]!.with("promised_ship_by", #""soon""#).decoded()) == "bad_timestamp")
        #expect(code(fullSamples[.orderShipped]!.with("promised_ship_by", "2.5").decoded()) == "bad_timestamp")
    }

    @Test func invalidValues() {
        #expect(code(fullSamples[.chatMessage]!.with("from", #""bot""#).decoded()) == "invalid_value:from")
        #expect(code(fullSamples[.chatMessage]!.with("from", #""Agent""#).decoded()) == "invalid_value:from")
        for raw in ["0", "6", "-1", "99999999999999999999"] {
            #expect(code(fullSamples[.chatRating]!.with("score", raw).decoded()) == "invalid_value:score", "score \(raw)")
        }
        #expect(code(fullSamples[.pageView]!.with("dwell_ms", "-1").decoded()) == "invalid_value:dwell_ms")
        #expect(event(fullSamples[.pageView]!.with("dwell_ms", "0").decoded())?.dwellMillis == 0)
    }

    @Test func firstProblemInContractOrderIsReported() {
        // Both event_id and amount are missing: event_id is checked first.
        let both = fullSamples[.orderPaid]!.without("event_id").without("amount")
        #expect(code(both.decoded()) == "missing_field:event_id")
        // Syntax beats contract: a missing type does not hide trailing garbage.
        #expect(code(decode(#"{"event_id":"e"} x"#, topic: .orders)) == "malformed_json")
    }

    @Test func rejectionDetailNamesTheProblem() {
        guard case .failure(let r) = fullSamples[.orderPaid]!.with("amount", #""1.234""#).decoded() else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.detail.contains("amount"))
        #expect(r.detail.contains("1.234"))
        guard case .failure(let m) = decode(#"{"a":1,}"#, topic: .orders) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(m.detail.contains("byte 7"))  // the '}' after the trailing comma
    }
}
