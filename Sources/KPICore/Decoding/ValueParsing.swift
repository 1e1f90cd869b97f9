/// Conversions of already-validated JSON spans into event values: unescaping
/// strings, exact decimal amounts, integers and RFC 3339 timestamps. All work
/// on `(pointer, count)` without allocating.
enum ValueParsing {
    // MARK: Strings

    /// Writes the UTF-8 of a string body whose escapes `JSONCursor` already
    /// validated into `out` and returns the bytes written. `out` needs no more
    /// than `count` bytes: every escape is at least as long as what it encodes
    /// (`\n` 2→1, `\uXXXX` 6→≤3, a surrogate pair 12→4).
    static func unescape(_ p: UnsafePointer<UInt8>, count: Int, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var i = 0, o = 0
        while i < count {
            let b = p[i]
            guard b == UInt8(ascii: "\\"), i + 1 < count else {
                out[o] = b; o += 1; i += 1
                continue
            }
            let replacement: UInt8
            switch p[i + 1] {
            case UInt8(ascii: "b"): replacement = 0x08
            case UInt8(ascii: "f"): replacement = 0x0C
            case UInt8(ascii: "n"): replacement = 0x0A
            case UInt8(ascii: "r"): replacement = 0x0D
            case UInt8(ascii: "t"): replacement = 0x09
            case UInt8(ascii: "u"):
                // Validated by the cursor; U+FFFD only guards a broken invariant.
                var scalar = UInt32(JSONCursor.hex4(p, at: i + 2, end: count) ?? 0xFFFD)
                i += 6
                if scalar & 0xFC00 == 0xD800, let low = JSONCursor.hex4(p, at: i + 2, end: count) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    i += 6
                }
                o += encodeUTF8(scalar, into: out, at: o)
                continue
            case let other: replacement = other  // \" \\ \/
            }
            out[o] = replacement; o += 1; i += 2
        }
        return o
    }

    @inline(__always)
    private static func encodeUTF8(_ s: UInt32, into out: UnsafeMutableBufferPointer<UInt8>, at o: Int) -> Int {
        switch s {
        case 0..<0x80:
            out[o] = UInt8(s)
            return 1
        case 0x80..<0x800:
            out[o] = UInt8(0xC0 | s >> 6)
            out[o + 1] = UInt8(0x80 | s & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[o] = UInt8(0xE0 | s >> 12)
            out[o + 1] = UInt8(0x80 | s >> 6 & 0x3F)
            out[o + 2] = UInt8(0x80 | s & 0x3F)
            return 3
        default:
            out[o] = UInt8(0xF0 | s >> 18)
            out[o + 1] = UInt8(0x80 | s >> 12 & 0x3F)
            out[o + 2] = UInt8(0x80 | s >> 6 & 0x3F)
            out[o + 3] = UInt8(0x80 | s & 0x3F)
            return 4
        }
    }

    // MARK: Amounts

    /// What a decimal amount text turned out to be.
    enum Amount {
        case minorUnits(Int64)
        case negative
        /// Not `-?(0|[1-9][0-9]*)(.[0-9]+)?`: exponent, sign `+`, spaces, empty...
        case notDecimal
        case tooManyFractionDigits
        case outOfRange
    }

    /// Exact minor units of a decimal text with at most `fractionDigits`
    /// fraction digits ("129.5" at 2 digits = 12950). The grammar is a JSON
    /// number without exponent, for JSON numbers and decimal strings alike.
    /// `-0` / `-0.00` are zero; any other negative value is `.negative`.
    ///
    /// `exponent`: the text is a JSON number, whose grammar also allows an
    /// exponent (`1.5e1`); such a number is an amount when its value is
    /// exact in minor units (`1.5e1` = 15, `1500e-3` = 1.5, but `1e-3` is not
    /// at 2 digits). Without an exponent the digits written are the rule
    /// (`1.500` has 3 fraction digits).
    static func amount(_ p: UnsafePointer<UInt8>, count n: Int, fractionDigits: Int, exponent: Bool = false) -> Amount {
        var i = 0
        let negative = n > 0 && p[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < n, JSONCursor.isDigit(p[i]) else { return .notDecimal }
        // No leading zeros: "007" is not a decimal in JSON's grammar.
        if p[i] == UInt8(ascii: "0"), i + 1 < n, JSONCursor.isDigit(p[i + 1]) { return .notDecimal }
        var units: Int64 = 0
        var overflow = false
        while i < n, JSONCursor.isDigit(p[i]) {
            units = accumulate(units, p[i], &overflow)
            i += 1
        }
        var fraction = 0
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n, JSONCursor.isDigit(p[i]) else { return .notDecimal }
            while i < n, JSONCursor.isDigit(p[i]) {
                units = accumulate(units, p[i], &overflow)
                fraction += 1
                i += 1
            }
        }
        guard i == n else {
            if exponent, p[i] | 0x20 == UInt8(ascii: "e") { return amountWithExponent(p, count: n, fractionDigits: fractionDigits) }
            return .notDecimal
        }
        guard fraction <= fractionDigits else { return .tooManyFractionDigits }
        for _ in fraction..<fractionDigits {
            let (m, o) = units.multipliedReportingOverflow(by: 10)
            units = m
            overflow = overflow || o
        }
        if overflow { return .outOfRange }
        if negative && units != 0 { return .negative }
        return .minorUnits(units)
    }

    /// `amount` of a JSON number written with an exponent (rare: off the
    /// common path). Its value is mantissa × 10^(exponent − fraction digits);
    /// trailing zeros of the mantissa are kept aside so that a long mantissa
    /// of an exact value (`1500000000000000000000e-21`) does not overflow.
    @inline(never)
    static func amountWithExponent(_ p: UnsafePointer<UInt8>, count n: Int, fractionDigits: Int) -> Amount {
        var i = 0
        let negative = n > 0 && p[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < n, JSONCursor.isDigit(p[i]) else { return .notDecimal }
        if p[i] == UInt8(ascii: "0"), i + 1 < n, JSONCursor.isDigit(p[i + 1]) { return .notDecimal }
        var mantissa: Int64 = 0
        var zeros = 0          // trailing zeros not yet multiplied in
        var fraction = 0
        var overflow = false
        var inFraction = false
        while i < n {
            let b = p[i]
            if b == UInt8(ascii: ".") {
                guard !inFraction, i + 1 < n, JSONCursor.isDigit(p[i + 1]) else { return .notDecimal }
                inFraction = true
                i += 1
                continue
            }
            guard JSONCursor.isDigit(b) else { break }
            if inFraction { fraction += 1 }
            if b == UInt8(ascii: "0") {
                zeros += 1
            } else {
                for _ in 0..<zeros { mantissa = accumulate(mantissa, UInt8(ascii: "0"), &overflow) }
                zeros = 0
                mantissa = accumulate(mantissa, b, &overflow)
            }
            i += 1
        }
        guard i < n, p[i] | 0x20 == UInt8(ascii: "e") else { return .notDecimal }
        i += 1
        var exponentNegative = false
        if i < n, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
            exponentNegative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < n else { return .notDecimal }
        var exponent = 0
        while i < n, JSONCursor.isDigit(p[i]) {
            // Saturated: any exponent past this is out of range or inexact anyway.
            exponent = min(exponent * 10 + Int(p[i] &- UInt8(ascii: "0")), 100_000)
            i += 1
        }
        guard i == n else { return .notDecimal }
        if exponentNegative { exponent = -exponent }
        if mantissa == 0 && !overflow { return .minorUnits(0) }
        if overflow { return .outOfRange }
        // Minor units = mantissa × 10^shift.
        var shift = zeros + exponent - fraction + fractionDigits
        if shift < 0 {
            // Exact only when the digits moved past the last minor unit are zeros.
            while shift < 0, mantissa % 10 == 0 { mantissa /= 10; shift += 1 }
            if shift < 0 { return .tooManyFractionDigits }
        }
        guard shift <= 18 else { return .outOfRange }
        for _ in 0..<shift {
            let (m, o) = mantissa.multipliedReportingOverflow(by: 10)
            if o { return .outOfRange }
            mantissa = m
        }
        return negative ? .negative : .minorUnits(mantissa)
    }

    @inline(__always)
    private static func accumulate(_ v: Int64, _ digit: UInt8, _ overflow: inout Bool) -> Int64 {
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int64(digit &- UInt8(ascii: "0")))
        if o1 || o2 { overflow = true }
        return s
    }

    // MARK: Integers

    /// What a JSON number turned out to be, read as an integer.
    enum Integer {
        case value(Int64)
        /// Has a fraction or an exponent (`5.0`, `1e3`).
        case notInteger
        case outOfRange
    }

    /// The integer value of a JSON number span `JSONCursor` validated.
    static func integer(_ p: UnsafePointer<UInt8>, count n: Int) -> Integer {
        var i = 0
        let negative = n > 0 && p[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < n else { return .notInteger }
        var v: Int64 = 0
        var overflow = false
        while i < n {
            let b = p[i]
            guard JSONCursor.isDigit(b) else { return .notInteger }
            v = accumulate(v, b, &overflow)
            i += 1
        }
        if overflow { return .outOfRange }
        return .value(negative ? -v : v)
    }

    // MARK: Timestamps

    /// Epoch milliseconds of an RFC 3339 date-time with a mandatory offset:
    /// `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)`, `t` / `z` in either case.
    /// Fraction digits past milliseconds are truncated. A leap second (`:60`)
    /// is accepted and lands on the next second, as in POSIX time.
    static func rfc3339(_ p: UnsafePointer<UInt8>, count n: Int) -> EventTime? {
        // The fixed-width part: 0123456789012345678
        //                       YYYY-MM-DDThh:mm:ss
        guard n >= 20,
              p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-"), p[10] | 0x20 == UInt8(ascii: "t"),
              p[13] == UInt8(ascii: ":"), p[16] == UInt8(ascii: ":"),
              let year = digits(p, 0, 4), let month = digits(p, 5, 2), let day = digits(p, 8, 2),
              let hour = digits(p, 11, 2), let minute = digits(p, 14, 2), let second = digits(p, 17, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if p[i] == UInt8(ascii: ".") {
            i += 1
            let first = i
            while i < n, JSONCursor.isDigit(p[i]) {
                if i - first < 3 { millis = millis * 10 + Int64(p[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            let count = i - first
            guard (1...9).contains(count) else { return nil }
            if count < 3 { for _ in count..<3 { millis *= 10 } }
        }
        guard i < n else { return nil }
        var offsetMinutes = 0
        if p[i] | 0x20 == UInt8(ascii: "z") {
            i += 1
        } else {
            guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-"), n - i >= 6, p[i + 3] == UInt8(ascii: ":"),
                  let oh = digits(p, i + 1, 2), let om = digits(p, i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (p[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        }
        guard i == n else { return nil }
        let days = CivilTime.days(year: year, month: month, day: day)
        let localSeconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return EventTime(millis: (localSeconds - Int64(offsetMinutes) * 60) * 1000 + millis)
    }

    /// The decimal value of `width` ASCII digits at `i`, or nil.
    @inline(__always)
    private static func digits(_ p: UnsafePointer<UInt8>, _ i: Int, _ width: Int) -> Int? {
        var v = 0
        for k in i..<(i + width) {
            let d = p[k] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
