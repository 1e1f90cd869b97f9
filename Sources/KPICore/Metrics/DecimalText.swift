/// Deterministic decimal text of exact values.
///
/// Rounding rule: half away from zero ("half-up" for the non-negative values
/// KPIs have) on the exact integer quotient, computed in 128-bit integers —
/// never through binary floating point.
/// - numbers: 4 fraction digits, trailing zeros trimmed, no exponent
///   (`0.4083`, `18.4`, `1`, `0`);
/// - money: exactly `fractionDigits` digits (`"15230.50"`, `"-3.00"`).
public enum DecimalText {
    public static let numberFractionDigits = 4

    /// round(numerator × scale / denominator), half away from zero.
    public static func roundedQuotient(_ numerator: Int64, _ denominator: Int64, scale: Int64) -> Int64 {
        Int64(roundedQuotient128(numerator, denominator, scale: scale))
    }

    static func roundedQuotient128(_ numerator: Int64, _ denominator: Int64, scale: Int64) -> Int128 {
        precondition(denominator > 0)
        let n = Int128(numerator) * Int128(scale)
        let d = Int128(denominator)
        let magnitude = ((n < 0 ? -n : n) * 2 + d) / (2 * d)
        return n < 0 ? -magnitude : magnitude
    }

    static func pow10(_ k: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<k { p *= 10 }
        return p
    }

    /// A number with at most 4 fraction digits.
    public static func number(_ f: Fraction) -> String {
        var out: [UInt8] = []
        appendNumber(f, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendNumber(_ f: Fraction, to out: inout [UInt8]) {
        let scale = pow10(numberFractionDigits)
        let scaled = roundedQuotient128(f.numerator, f.denominator, scale: scale)
        let whole = scaled.magnitude / UInt128(scale)
        var magnitude = UInt64(scaled.magnitude % UInt128(scale))
        if scaled < 0 { out.append(0x2D) }
        appendInteger(UInt64(whole), to: &out)
        if magnitude == 0 { return }
        var digits = numberFractionDigits
        while magnitude % 10 == 0 { magnitude /= 10; digits -= 1 }
        out.append(0x2E)
        appendPadded(magnitude, width: digits, to: &out)
    }

    /// Money as a decimal string without quotes.
    public static func money(_ minorUnits: Int64, fractionDigits: Int) -> String {
        var out: [UInt8] = []
        appendMoney(minorUnits, fractionDigits: fractionDigits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendMoney(_ minorUnits: Int64, fractionDigits: Int, to out: inout [UInt8]) {
        let unit = UInt64(pow10(fractionDigits))
        let magnitude = minorUnits.magnitude
        if minorUnits < 0 { out.append(0x2D) }
        appendInteger(magnitude / unit, to: &out)
        if fractionDigits > 0 {
            out.append(0x2E)
            appendPadded(magnitude % unit, width: fractionDigits, to: &out)
        }
    }

    public static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(0x2D) }
        appendInteger(v.magnitude, to: &out)
    }

    static func appendInteger(_ v: UInt64, to out: inout [UInt8]) {
        if v == 0 { out.append(0x30); return }
        var digits = InlineArray<20, UInt8>(repeating: 0)
        var n = 0
        var v = v
        while v > 0 { digits[n] = UInt8(0x30 + v % 10); v /= 10; n += 1 }
        while n > 0 { n -= 1; out.append(digits[n]) }
    }

    static func appendPadded(_ v: UInt64, width: Int, to out: inout [UInt8]) {
        var digits = InlineArray<20, UInt8>(repeating: 0x30)
        var v = v
        var i = width - 1
        while i >= 0 { digits[i] = UInt8(0x30 + v % 10); v /= 10; i -= 1 }
        for j in 0..<width { out.append(digits[j]) }
    }
}
