/// Writes a `KPISnapshot` as the JSON object of interfaces.md, bytes in the
/// exact key order, no whitespace, no trailing newline.
///
/// Times are RFC 3339 with the zone's offset at that instant; `emitted_at`
/// always carries milliseconds (as in the interfaces.md example), other
/// times only when they have a sub-second part.
public enum SnapshotJSON {
    public static func encode(_ s: KPISnapshot, fractionDigits: Int, zone: ZoneRules) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512 + 40 * s.metrics.count)
        append(s, fractionDigits: fractionDigits, zone: zone, to: &out)
        return out
    }

    public static func append(_ s: KPISnapshot, fractionDigits: Int, zone: ZoneRules, to out: inout [UInt8]) {
        raw(#"{"kind":"kpi_snapshot","scope":{"type":"#, &out)
        string(s.scope.type.name, &out)
        raw(#","shop_id":"#, &out)
        string(s.scope.shopID, &out)
        if let id = s.scope.id {
            raw(#","id":"#, &out)
            string(id, &out)
        }
        raw(#"},"window":{"type":"#, &out)
        string(s.window.type.name, &out)
        raw(#","id":"#, &out)
        string(s.window.id, &out)
        raw(#","start":"#, &out)
        time(s.window.start, zone, alwaysMillis: false, &out)
        raw(#","end":"#, &out)
        time(s.window.end, zone, alwaysMillis: false, &out)
        raw(#","closed":"#, &out)
        raw(s.window.closed ? "true" : "false", &out)
        raw(#"},"revision":"#, &out)
        DecimalText.appendInteger(Int64(s.revision), to: &out)
        raw(#","complete":"#, &out)
        raw(s.complete ? "true" : "false", &out)
        raw(#","final":"#, &out)
        raw(s.final ? "true" : "false", &out)
        raw(#","watermark":"#, &out)
        if let w = s.watermark { time(w, zone, alwaysMillis: false, &out) } else { raw("null", &out) }
        raw(#","emitted_at":"#, &out)
        time(s.emittedAt, zone, alwaysMillis: true, &out)
        raw(#","metrics":{"#, &out)
        for (i, m) in s.metrics.enumerated() {
            if i > 0 { out.append(0x2C) }
            string(m.name, &out)
            out.append(0x3A)
            value(m.value, fractionDigits: fractionDigits, &out)
        }
        raw(#"},"targets":{"#, &out)
        for (i, t) in s.targets.enumerated() {
            if i > 0 { out.append(0x2C) }
            string(t.metric, &out)
            out.append(0x3A)
            TargetJSON.appendStatus(t, fractionDigits: fractionDigits, to: &out)
        }
        raw(#"},"score":"#, &out)
        if let score = s.score {
            ScoreJSON.append(score, fractionDigits: fractionDigits, to: &out)
        } else {
            raw("null", &out)
        }
        out.append(0x7D)
    }

    static func value(_ v: MetricValue, fractionDigits: Int, _ out: inout [UInt8]) {
        switch v {
        case .count(let n):
            DecimalText.appendInteger(n, to: &out)
        case .money(let m):
            out.append(0x22)
            DecimalText.appendMoney(m.minorUnits, fractionDigits: fractionDigits, to: &out)
            out.append(0x22)
        case .number(let f):
            if let f { DecimalText.appendNumber(f, to: &out) } else { raw("null", &out) }
        case .moneyRatio(let f):
            if let f {
                out.append(0x22)
                let minor = DecimalText.roundedQuotient(f.numerator, f.denominator, scale: 1)
                DecimalText.appendMoney(minor, fractionDigits: fractionDigits, to: &out)
                out.append(0x22)
            } else {
                raw("null", &out)
            }
        }
    }

    static func time(_ t: EventTime, _ zone: ZoneRules, alwaysMillis: Bool, _ out: inout [UInt8]) {
        out.append(0x22)
        CivilTime.appendRFC3339(t, utcOffsetSeconds: zone.utcOffsetSeconds(at: t),
                                milliseconds: alwaysMillis || t.millis % 1000 != 0, to: &out)
        out.append(0x22)
    }

    @inline(__always)
    static func raw(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        // Runs between the bytes to escape are copied whole (ids and
        // messages mostly have none): this writes every line of a backfill.
        s.withUTF8 { bytes in
            var from = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                guard b == 0x22 || b == 0x5C || b < 0x20 else { continue }
                if from < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from..<i])) }
                from = i + 1
                switch b {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(0x6E)
                case 0x0D: out.append(0x5C); out.append(0x72)
                case 0x09: out.append(0x5C); out.append(0x74)
                default:
                    let hex: StaticString = "0123456789abcdef"
                    let digits = hex.utf8Start
                    out.append(0x5C); out.append(0x75); out.append(0x30); out.append(0x30)
                    out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)])
                }
            }
            if from < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from...])) }
        }
        out.append(0x22)
    }
}
