import KPICore

/// An exact decimal number as written in the config (`0.85`, `30`, `1.2`,
/// `15230.50`): `units × 10^-scale`. Targets, weights, caps and rates stay
/// exact so comparisons with the engine's exact fractions never depend on
/// binary floating point, and money is never a `Double`.
public struct DecimalValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The digits as an integer: `0.85` → 85.
    public var units: Int64
    /// Digits after the point: `0.85` → 2.
    public var scale: Int

    public init(units: Int64, scale: Int) {
        self.units = units; self.scale = scale
    }

    public init(_ integer: Int64) { self.init(units: integer, scale: 0) }

    /// Parses `-12`, `0.85`, `+3.5`, `.5`, `1_000`; nil for anything else
    /// (exponents, `inf`, text), beyond 18 fraction digits, or beyond `Int64` as units.
    public init?(_ text: String) {
        var s = Substring(text.filter { $0 != "_" })
        var negative = false
        if let first = s.first, first == "-" || first == "+" { negative = first == "-"; s = s.dropFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let whole = parts[0], fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
              (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.count <= 18,
              let digits = Int64(whole + fraction) else { return nil }
        self.init(units: negative ? -digits : digits, scale: fraction.count)
    }

    /// The value as the exact fraction `units / 10^scale`.
    public var fraction: Fraction { Fraction(units, Self.pow10(scale)) }

    /// An approximation for display and for weights that are only ever used
    /// as proportions (pace shape); never used for money.
    public var doubleValue: Double { Double(units) / Double(Self.pow10(scale)) }

    /// This value in minor units of money with `fractionDigits` digits, or nil
    /// when it has more digits than that (`1.005` with 2) or overflows.
    public func minorUnits(fractionDigits: Int) -> Int64? {
        if scale > fractionDigits {
            // Only trailing zeros may be dropped: 1.50 is fine with 1 digit, 1.55 is not.
            let drop = Self.pow10(scale - fractionDigits)
            guard units % drop == 0 else { return nil }
            return units / drop
        }
        let (v, overflow) = units.multipliedReportingOverflow(by: Self.pow10(fractionDigits - scale))
        return overflow ? nil : v
    }

    public var isNegative: Bool { units < 0 }
    public var isZero: Bool { units == 0 }

    public static func < (a: DecimalValue, b: DecimalValue) -> Bool {
        Int128(a.units) * Int128(pow10(b.scale)) < Int128(b.units) * Int128(pow10(a.scale))
    }

    /// Equality by value: `1.0 == 1`.
    public static func == (a: DecimalValue, b: DecimalValue) -> Bool {
        Int128(a.units) * Int128(pow10(b.scale)) == Int128(b.units) * Int128(pow10(a.scale))
    }

    public func hash(into hasher: inout Hasher) {
        // Hash the normalized form so equal values hash alike.
        var u = units, s = scale
        while s > 0 && u % 10 == 0 { u /= 10; s -= 1 }
        hasher.combine(u); hasher.combine(s)
    }

    /// The exact sum, or nil on overflow.
    public static func sum(_ values: [DecimalValue]) -> DecimalValue? {
        let scale = values.map(\.scale).max() ?? 0
        var total: Int64 = 0
        for v in values {
            let (scaled, o1) = v.units.multipliedReportingOverflow(by: pow10(scale - v.scale))
            let (t, o2) = total.addingReportingOverflow(scaled)
            if o1 || o2 { return nil }
            total = t
        }
        return DecimalValue(units: total, scale: scale)
    }

    public var description: String {
        guard scale > 0 else { return String(units) }
        let p = Self.pow10(scale)
        let m = units.magnitude
        let frac = String(m % UInt64(p))
        return (units < 0 ? "-" : "") + String(m / UInt64(p)) + "." + String(repeating: "0", count: scale - frac.count) + frac
    }

    static func pow10(_ k: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<max(0, min(k, 18)) { p *= 10 }
        return p
    }
}
