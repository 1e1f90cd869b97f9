/// A configured target, exact, in the unit the metric is written in.
public enum TargetValue: Sendable, Hashable {
    /// For counts (`pv`, `orders_paid`, `inquiries`).
    case count(Int64)
    /// For money totals and money per unit (`sales`, `aov`, `cost_per_order`), in minor units.
    case money(Money)
    /// For rates, means and ratios (`0.35`, `30` seconds, `4.5` stars), an exact decimal.
    case decimal(Fraction)

    /// The value as an exact ratio in the metric's unit (minor units for money).
    var exact: ExactRatio {
        switch self {
        case .count(let n): ExactRatio(n)
        case .money(let m): ExactRatio(m.minorUnits)
        case .decimal(let f): ExactRatio(f)
        }
    }

    /// Builds the right case for `metric` from the text written in config:
    /// money in major units with at most `fractionDigits` digits
    /// (`"10000.00"`), counts as integers (`"500"`), everything else as a
    /// decimal (`"0.35"`, `"30"`). nil for an unknown metric or text that
    /// does not fit (see `TargetRule.problems` for the messages).
    public static func parse(_ text: String, metric: String, fractionDigits: Int) -> TargetValue? {
        switch MetricCatalog.valueShape(of: metric) {
        case .money?, .moneyRatio?:
            return Money(decimal: text, fractionDigits: fractionDigits).map(TargetValue.money)
        case .count?:
            return Int64(text).map(TargetValue.count)
        case .number?:
            return Fraction(decimal: text).map(TargetValue.decimal)
        case nil:
            return nil
        }
    }
}

/// The JSON form of a metric's value (`MetricValue` case), without the value.
public enum MetricValueShape: Sendable, Hashable {
    case count, money, number, moneyRatio

    var targetCase: String {
        switch self {
        case .count: "a count (integer)"
        case .money, .moneyRatio: "money"
        case .number: "a decimal"
        }
    }

    func accepts(_ target: TargetValue) -> Bool {
        switch (self, target) {
        case (.count, .count), (.money, .money), (.moneyRatio, .money), (.number, .decimal): true
        default: false
        }
    }
}

/// What "enough data" means for a rate, mean or ratio: the number of
/// observations behind it (kpis.md: "once the denominator reaches a
/// configured minimum sample").
public enum MetricSample: Sendable, Hashable {
    /// The value's exact denominator divided by `divisor` (e.g. answered
    /// sessions = denominator / 1000 for `first_response_s`, whose
    /// denominator is in milliseconds per second).
    case denominator(divisor: Int64)
    /// Another metric of the same snapshot (`roas` = sales / spend has a money
    /// denominator; its sample is the number of paid orders).
    case metric(String)
}

extension MetricCatalog {
    /// The `MetricValue` case a metric is written with; nil for an unknown name.
    public static func valueShape(of name: String) -> MetricValueShape? {
        byName[name]?.valueShape
    }

    /// How the sample size of a rate/mean/ratio is read; nil for totals and unknown names.
    public static func sample(of name: String) -> MetricSample? {
        guard let metric = byName[name], metric.kind != .total else { return nil }
        switch metric {
        // Means over milliseconds: formula denominator = observations × 1000.
        case .firstResponse, .avgResponse, .avgStay: return .denominator(divisor: 1000)
        case .roas: return .metric(Metric.ordersPaid.name)
        default: return .denominator(divisor: 1)
        }
    }

    /// The sample behind `name` in `snapshot`: 0 for a null value (zero
    /// denominator), nil for totals.
    static func sampleSize(of name: String, in snapshot: KPISnapshot) -> Int64? {
        switch sample(of: name) {
        case nil: return nil
        case .metric(let other)?:
            if case .count(let n)? = snapshot[metric: other] { return n }
            return 0
        case .denominator(let divisor)?:
            switch snapshot[metric: name] {
            case .number(let f?)?, .moneyRatio(let f?)?: return f.denominator / divisor
            default: return 0
            }
        }
    }
}

extension MetricValue {
    /// The value as an exact ratio in its written unit (minor units for
    /// money); nil for a null ratio.
    var exact: ExactRatio? {
        switch self {
        case .count(let n): ExactRatio(n)
        case .money(let m): ExactRatio(m.minorUnits)
        case .number(let f), .moneyRatio(let f): f.map(ExactRatio.init)
        }
    }
}
