/// An exact rational number in 128-bit integers, kept reduced with a
/// positive denominator.
///
/// Why not `Double`: targets, paces, scores and payouts decide who is paged
/// and who is paid; `0.1 + 0.2 != 0.3` must never flip a comparison or a cent.
/// Inputs come from `Int64` counters and configured decimals, so products of
/// two of them fit; callers that sum many terms round first (see `Scorecard`).
struct ExactRatio: Sendable, Hashable, Comparable {
    private(set) var numerator: Int128
    private(set) var denominator: Int128

    init(_ numerator: Int128, _ denominator: Int128 = 1) {
        precondition(denominator != 0, "zero denominator")
        var n = numerator, d = denominator
        if d < 0 { n = -n; d = -d }
        let g = Self.gcd(n.magnitude, d.magnitude)
        if g > 1 { n /= Int128(g); d /= Int128(g) }
        self.numerator = n
        self.denominator = d
    }

    init(_ f: Fraction) { self.init(Int128(f.numerator), Int128(f.denominator)) }
    init(_ v: Int64) { self.init(Int128(v), 1) }

    static let zero = ExactRatio(0)
    static let one = ExactRatio(1)

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    static func + (a: ExactRatio, b: ExactRatio) -> ExactRatio {
        let g = Int128(gcd(a.denominator.magnitude, b.denominator.magnitude))
        return ExactRatio(a.numerator * (b.denominator / g) + b.numerator * (a.denominator / g),
                          a.denominator / g * b.denominator)
    }

    static func - (a: ExactRatio, b: ExactRatio) -> ExactRatio { a + ExactRatio(-b.numerator, b.denominator) }

    static func * (a: ExactRatio, b: ExactRatio) -> ExactRatio {
        // Cross-reduce first so the products stay small.
        let g1 = Int128(gcd(a.numerator.magnitude, b.denominator.magnitude)).nonZero
        let g2 = Int128(gcd(b.numerator.magnitude, a.denominator.magnitude)).nonZero
        return ExactRatio((a.numerator / g1) * (b.numerator / g2), (a.denominator / g2) * (b.denominator / g1))
    }

    static func / (a: ExactRatio, b: ExactRatio) -> ExactRatio {
        precondition(b.numerator != 0, "division by zero")
        return a * ExactRatio(b.denominator, b.numerator)
    }

    static func < (a: ExactRatio, b: ExactRatio) -> Bool {
        a.numerator * b.denominator < b.numerator * a.denominator
    }

    static func min(_ a: ExactRatio, _ b: ExactRatio) -> ExactRatio { b < a ? b : a }

    /// round(self × scale), half away from zero (half-up for the
    /// non-negative values used here).
    func rounded(scale: Int128 = 1) -> Int128 {
        let n = numerator * scale
        let magnitude = (n.magnitude * 2 + denominator.magnitude) / (2 * denominator.magnitude)
        return n < 0 ? -Int128(magnitude) : Int128(magnitude)
    }

    /// As an `Int64` fraction when it fits, else rounded to 10⁻⁴ (the
    /// precision numbers are written with).
    var fraction: Fraction {
        if let n = Int64(exactly: numerator), let d = Int64(exactly: denominator) { return Fraction(n, d) }
        return Fraction(Int64(clamping: rounded(scale: 10_000)), 10_000)
    }
}

private extension Int128 {
    var nonZero: Int128 { self == 0 ? 1 : self }
}

extension Fraction {
    /// An exact decimal written in config (`"0.35"`, `"30"`, `"1.2"`,
    /// `"-0.5"`), or nil when the text is not a plain decimal of at most
    /// 15 fraction digits. No exponent, no binary floating point.
    public init?(decimal text: String) {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() }
        else if digits.first == "+" { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2 else { return nil }
        let fractional = parts.count == 2 ? parts[1] : ""
        guard (parts.count == 1 || !fractional.isEmpty), fractional.count <= 15,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), fractional.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var scale: Int64 = 1
        for _ in 0..<fractional.count { scale *= 10 }
        guard let w = whole.isEmpty ? 0 : Int64(whole), let f = fractional.isEmpty ? 0 : Int64(fractional) else { return nil }
        let (scaled, o1) = w.multipliedReportingOverflow(by: scale)
        let (sum, o2) = scaled.addingReportingOverflow(f)
        guard !o1, !o2 else { return nil }
        let reduced = ExactRatio(Int128(negative ? -sum : sum), Int128(scale))
        self.init(Int64(reduced.numerator), Int64(reduced.denominator))
    }
}

extension Money {
    /// An amount written in major units (`"10000.00"`, `"500"`) as exact
    /// minor units for `fractionDigits`; nil when the text has more fraction
    /// digits than the currency or is not a plain decimal.
    public init?(decimal text: String, fractionDigits: Int) {
        guard let f = Fraction(decimal: text) else { return nil }
        let unit = DecimalText.pow10(fractionDigits)
        let minor = ExactRatio(f) * ExactRatio(unit)
        guard minor.denominator == 1, let v = Int64(exactly: minor.numerator) else { return nil }
        self.init(minorUnits: v)
    }
}
