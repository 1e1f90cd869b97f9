import Testing
@testable import KPICore

@Suite struct SnapshotJSONTests {
    @Test func handBuiltSnapshotBytes() throws {
        let zone = try ZoneRules(identifier: "Asia/Shanghai")
        let snapshot = KPISnapshot(
            scope: Scope(type: .agent, shopID: "s1", id: "a3"),
            window: WindowRef(type: .day, id: "2026-11-21", start: local(2026, 11, 21), end: local(2026, 11, 22), closed: false),
            revision: 12, complete: true, final: false,
            watermark: local(2026, 11, 21, 15, 2, 11),
            emittedAt: local(2026, 11, 21, 15, 7, 11, ms: 402),
            metrics: [
                KPIMetric(name: "inquiries", value: .count(120)),
                KPIMetric(name: "first_response_s", value: .number(Fraction(18_400, 1_000))),   // 18.4 s
                KPIMetric(name: "inquiry_conversion_rate", value: .number(Fraction(49, 120))),  // 0.408333… → 0.4083
                KPIMetric(name: "agent_sales", value: .money(Money(minorUnits: 1_523_050))),
                KPIMetric(name: "agent_aov", value: .moneyRatio(nil)),
            ])
        let expected = #"{"kind":"kpi_snapshot","scope":{"type":"agent","shop_id":"s1","id":"a3"},"#
            + #""window":{"type":"day","id":"2026-11-21","start":"2026-11-21T00:00:00+08:00","end":"2026-11-22T00:00:00+08:00","closed":false},"#
            + #""revision":12,"complete":true,"final":false,"watermark":"2026-11-21T15:02:11+08:00","#
            + #""emitted_at":"2026-11-21T15:07:11.402+08:00","#
            + #""metrics":{"inquiries":120,"first_response_s":18.4,"inquiry_conversion_rate":0.4083,"agent_sales":"15230.50","agent_aov":null},"#
            + #""targets":{},"score":null}"#
        #expect(String(decoding: SnapshotJSON.encode(snapshot, fractionDigits: 2, zone: zone), as: UTF8.self) == expected)
    }

    @Test func shopScopeHasNoIDAndStringsAreEscaped() throws {
        let zone = try ZoneRules(identifier: "UTC")
        let snapshot = KPISnapshot(
            scope: Scope(type: .shop, shopID: "s\"1\\"), window: WindowRef(type: .rolling24h, id: "rolling_24h",
            start: EventTime(millis: 0), end: EventTime(millis: 1_500), closed: false),
            revision: 1, complete: false, final: false, watermark: nil, emittedAt: EventTime(millis: 0), metrics: [])
        let json = String(decoding: SnapshotJSON.encode(snapshot, fractionDigits: 2, zone: zone), as: UTF8.self)
        #expect(json.hasPrefix(#"{"kind":"kpi_snapshot","scope":{"type":"shop","shop_id":"s\"1\\"},"window":{"type":"rolling_24h""#))
        #expect(json.contains(#""start":"1970-01-01T00:00:00Z","end":"1970-01-01T00:00:01.500Z""#))
        #expect(json.contains(#""watermark":null,"emitted_at":"1970-01-01T00:00:00.000Z","metrics":{}"#))
    }

    @Test func numberRounding() {
        #expect(DecimalText.number(Fraction(1, 3)) == "0.3333")
        #expect(DecimalText.number(Fraction(2, 3)) == "0.6667")
        #expect(DecimalText.number(Fraction(1, 8)) == "0.125")
        #expect(DecimalText.number(Fraction(5, 100_000)) == "0.0001")   // 0.00005 → half-up
        #expect(DecimalText.number(Fraction(4, 100_000)) == "0")        // 0.00004 → down
        #expect(DecimalText.number(Fraction(7, 1)) == "7")
        #expect(DecimalText.number(Fraction(-1, 3)) == "-0.3333")
        // 9e18 ms / 1000: no overflow (128-bit intermediate).
        #expect(DecimalText.number(Fraction(9_000_000_000_000_000_000, 1_000)) == "9000000000000000")
        #expect(DecimalText.money(-300, fractionDigits: 2) == "-3.00")
        #expect(DecimalText.money(5, fractionDigits: 2) == "0.05")
        #expect(DecimalText.money(1234, fractionDigits: 0) == "1234")
        #expect(DecimalText.roundedQuotient(-3, 2, scale: 1) == -2)     // −1.5 → half away from zero
    }
}
