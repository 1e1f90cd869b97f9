import KPICore

/// How an event's `ts` is written (events.md allows all of these).
enum TimestampStyle {
    /// RFC 3339 with milliseconds at the shop's offset: `2026-11-21T10:15:30.123+08:00`.
    case local
    /// RFC 3339 with milliseconds in UTC: `2026-11-21T02:15:30.123Z`.
    case utc
    /// Integer epoch milliseconds.
    case epochMillis
    /// No `ts`: the record timestamp carries the time.
    case absent
}

/// A deliberate defect the writer puts into the event it writes.
enum Sabotage: Equatable {
    case none
    /// Leave out the n-th required field (in writing order).
    case omit(Int)
    /// Give the n-th required field a value of the wrong JSON type.
    case wrongType(Int)
    /// Write `amount` negated.
    case negativeAmount
}

/// The JSON type a required field must have, to pick a wrong one.
enum FieldKind {
    case text, amount, integer
}

/// RFC 3339 text of record times, via `CivilTime.appendRFC3339`, remembered
/// per second: consecutive records mostly fall in the same second, and only
/// the three millisecond digits differ.
struct TimestampText {
    let utcOffsetSeconds: Int
    private var second: Int64 = .min
    /// `YYYY-MM-DDTHH:MM:SS` of `second`.
    private var head: [UInt8] = []
    /// `Z` or `+08:00`.
    private var tail: [UInt8] = []

    init(utcOffsetSeconds: Int) { self.utcOffsetSeconds = utcOffsetSeconds }

    mutating func append(_ millis: Int64, to out: inout [UInt8]) {
        let s = CivilTime.floorDiv(millis, 1000)
        if s != second {
            var text: [UInt8] = []
            CivilTime.appendRFC3339(EventTime(millis: s * 1000), utcOffsetSeconds: utcOffsetSeconds, milliseconds: false, to: &text)
            second = s
            head = Array(text[..<19])
            tail = Array(text[19...])
        }
        out.append(contentsOf: head)
        let ms = millis - s * 1000
        out.append(UInt8(ascii: "."))
        out.append(UInt8(truncatingIfNeeded: 0x30 + ms / 100))
        out.append(UInt8(truncatingIfNeeded: 0x30 + ms / 10 % 10))
        out.append(UInt8(truncatingIfNeeded: 0x30 + ms % 10))
        out.append(contentsOf: tail)
    }
}

/// Writes one event's JSON object straight into bytes: no Foundation, no
/// per-field `String`. Fields are written in order; `required` numbers the
/// required ones so a `Sabotage` can hit exactly one of them.
struct RecordWriter {
    private(set) var out: [UInt8] = []
    var sabotage: Sabotage = .none
    private var requiredIndex = 0
    private var needsComma = false
    private var localText: TimestampText
    private var utcText = TimestampText(utcOffsetSeconds: 0)

    init(utcOffsetSeconds: Int) {
        localText = TimestampText(utcOffsetSeconds: utcOffsetSeconds)
    }

    mutating func begin(_ sabotage: Sabotage) {
        out = []
        out.reserveCapacity(320)
        out.append(UInt8(ascii: "{"))
        self.sabotage = sabotage
        requiredIndex = 0
        needsComma = false
    }

    /// The finished object; the writer gives up its buffer (no copy).
    mutating func finish() -> [UInt8] {
        out.append(UInt8(ascii: "}"))
        let bytes = out
        out = []
        return bytes
    }

    @inline(__always) mutating func lit(_ s: StaticString) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    @inline(__always) mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }

    /// Plain text without characters that need escaping (names from our own enums).
    @inline(__always) mutating func text(_ s: String) { out.append(contentsOf: s.utf8) }

    @inline(__always) mutating func quote() { out.append(UInt8(ascii: "\"")) }

    mutating func int(_ value: Int64) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var v = value.magnitude
        let first = out.count
        repeat {
            out.append(UInt8(truncatingIfNeeded: 0x30 + v % 10))
            v /= 10
        } while v > 0
        out[first...].reverse()
    }

    /// `,"name":` (the comma only after a first field).
    mutating func key(_ name: StaticString) {
        if needsComma { out.append(UInt8(ascii: ",")) }
        needsComma = true
        quote(); lit(name); quote(); out.append(UInt8(ascii: ":"))
    }

    /// Starts a required field. True: the caller writes the value. False: the
    /// sabotage took this field (left it out, or wrote a wrong-typed value).
    mutating func required(_ name: StaticString, _ kind: FieldKind) -> Bool {
        let index = requiredIndex
        requiredIndex += 1
        switch sabotage {
        case .omit(index):
            return false
        case .wrongType(index):
            key(name)
            writeWrongValue(for: kind, variant: index)
            return false
        default:
            key(name)
            return true
        }
    }

    private mutating func writeWrongValue(for kind: FieldKind, variant: Int) {
        switch (kind, variant % 3) {
        case (.text, 0): lit("42")
        case (.text, 1): lit("true")
        case (.text, _): lit("[\"x\"]")
        case (.amount, 0): lit("true")
        case (.amount, 1): lit("{\"value\":\"1.00\"}")
        case (.amount, _): lit("[12.5]")
        case (.integer, 0): lit("\"five\"")
        case (.integer, 1): lit("true")
        case (.integer, _): lit("[5]")
        }
    }

    /// A money value from cents: `"129.50"` as a string, or the shortest
    /// number (`129.5`, `129`, `0.05`); negated under `.negativeAmount`.
    mutating func amount(_ cents: Int64, asString: Bool) {
        let cents = sabotage == .negativeAmount ? -max(cents, 1) : cents
        if asString { quote() }
        if cents < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = Int64(cents.magnitude)
        int(magnitude / 100)
        let fraction = magnitude % 100
        if asString || fraction != 0 {
            out.append(UInt8(ascii: "."))
            out.append(UInt8(truncatingIfNeeded: 0x30 + fraction / 10))
            if asString || fraction % 10 != 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + fraction % 10))
            }
        }
        if asString { quote() }
    }

    /// A time value (for `ts` and `promised_ship_by`) in `style` (not `.absent`).
    mutating func time(_ millis: Int64, _ style: TimestampStyle) {
        switch style {
        case .local: quote(); localText.append(millis, to: &out); quote()
        case .utc: quote(); utcText.append(millis, to: &out); quote()
        case .epochMillis, .absent: int(millis)
        }
    }
}
