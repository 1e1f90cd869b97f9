/// JSON text of targets and paces, in the conventions of the snapshot's
/// metrics (interfaces.md): counts as integers, money as decimal strings with
/// the configured fraction digits, other numbers with at most 4 decimals.
///
/// A target status is `{"target":30,"status":"ok"}`, plus `"pace"` when an
/// open window's total was compared with the pace:
/// `{"target":"10000.00","status":"breach","pace":"5000.00"}`.
enum TargetJSON {
    static func appendStatus(_ t: TargetStatus, fractionDigits: Int, to out: inout [UInt8]) {
        SnapshotJSON.raw(#"{"target":"#, &out)
        appendTarget(t.target, fractionDigits: fractionDigits, to: &out)
        SnapshotJSON.raw(#","status":"#, &out)
        SnapshotJSON.string(t.status.name, &out)
        if let pace = t.pace {
            SnapshotJSON.raw(#","pace":"#, &out)
            appendPace(pace, metric: t.metric, fractionDigits: fractionDigits, to: &out)
        }
        out.append(0x7D)
    }

    static func appendTarget(_ v: TargetValue, fractionDigits: Int, to out: inout [UInt8]) {
        switch v {
        case .count(let n): DecimalText.appendInteger(n, to: &out)
        case .money(let m):
            out.append(0x22)
            DecimalText.appendMoney(m.minorUnits, fractionDigits: fractionDigits, to: &out)
            out.append(0x22)
        case .decimal(let f): DecimalText.appendNumber(f, to: &out)
        }
    }

    /// A pace in the metric's unit: money rounded half-up to the minor unit,
    /// anything else (a count's pace is fractional) as a number.
    static func appendPace(_ f: Fraction, metric: String, fractionDigits: Int, to out: inout [UInt8]) {
        switch MetricCatalog.valueShape(of: metric) {
        case .money?, .moneyRatio?:
            out.append(0x22)
            DecimalText.appendMoney(DecimalText.roundedQuotient(f.numerator, f.denominator, scale: 1),
                                    fractionDigits: fractionDigits, to: &out)
            out.append(0x22)
        default:
            DecimalText.appendNumber(f, to: &out)
        }
    }

    /// Human text of a value for alert messages (`45.2`, `4000.00`, `120`).
    static func text(_ v: MetricValue?, fractionDigits: Int) -> String {
        guard let v else { return "null" }
        var out: [UInt8] = []
        SnapshotJSON.value(v, fractionDigits: fractionDigits, &out)
        return String(decoding: out.filter { $0 != 0x22 }, as: UTF8.self)
    }

    static func text(_ v: TargetValue, fractionDigits: Int) -> String {
        var out: [UInt8] = []
        appendTarget(v, fractionDigits: fractionDigits, to: &out)
        return String(decoding: out.filter { $0 != 0x22 }, as: UTF8.self)
    }

    static func text(pace f: Fraction, metric: String, fractionDigits: Int) -> String {
        var out: [UInt8] = []
        appendPace(f, metric: metric, fractionDigits: fractionDigits, to: &out)
        return String(decoding: out.filter { $0 != 0x22 }, as: UTF8.self)
    }
}
