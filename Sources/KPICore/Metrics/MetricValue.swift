/// An exact ratio of two integers; `denominator > 0`.
public struct Fraction: Sendable, Hashable {
    public var numerator: Int64
    public var denominator: Int64
    public init(_ numerator: Int64, _ denominator: Int64) {
        self.numerator = numerator; self.denominator = denominator
    }
}

/// The value of one metric in a snapshot. Ratios keep their exact integer
/// numerator and denominator; they are rounded only when written (see
/// `DecimalText`), so the written bytes are deterministic.
public enum MetricValue: Sendable, Hashable {
    /// An integer count (JSON integer).
    case count(Int64)
    /// An exact amount (JSON decimal string, `"15230.50"`).
    case money(Money)
    /// A rate, mean or ratio (JSON number, 4 decimals half-up); `nil`: zero denominator (JSON `null`).
    case number(Fraction?)
    /// Money per unit, e.g. `aov` (JSON money string rounded half-up to the minor unit); `nil` → `null`.
    case moneyRatio(Fraction?)

    /// `numerator / denominator`, or nil for a zero denominator.
    static func ratio(_ numerator: Int64, _ denominator: Int64) -> MetricValue {
        .number(denominator == 0 ? nil : Fraction(numerator, denominator))
    }

    static func moneyPer(_ numerator: Int64, _ denominator: Int64) -> MetricValue {
        .moneyRatio(denominator == 0 ? nil : Fraction(numerator, denominator))
    }

    /// The value as a `Double` (tests and dashboards; never for output bytes). nil for JSON null.
    public var doubleValue: Double? {
        switch self {
        case .count(let v): Double(v)
        case .money(let m): Double(m.minorUnits)
        case .number(let f): f.map { Double($0.numerator) / Double($0.denominator) }
        case .moneyRatio(let f): f.map { Double(DecimalText.roundedQuotient($0.numerator, $0.denominator, scale: 1)) }
        }
    }
}

/// One named metric of a snapshot.
public struct KPIMetric: Sendable, Hashable {
    public var name: String
    public var value: MetricValue
    public init(name: String, value: MetricValue) { self.name = name; self.value = value }
}
