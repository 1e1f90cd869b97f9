import Foundation
import KPICore
import EventGenerator

// Test-side reading of generated records, independent of the generator's
// code: Foundation's JSONSerialization for the JSON, events.md for the schema.

/// A decoded JSON value that keeps the JSON type (a bool is not a number).
enum JSONValue: Equatable, Sendable {
    case string(String), integer(Int64), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    /// From JSONSerialization's output. A JSON `true` is an NSNumber whose
    /// objCType is "c"; integers and fractions have other objCTypes.
    init(_ any: Any) {
        switch any {
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.map(JSONValue.init))
        case let o as [String: Any]: self = .object(o.mapValues(JSONValue.init))
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .number(n.doubleValue)
            default: self = .integer(n.int64Value)
            }
        default: self = .null
        }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
}

/// The record's value as a JSON object, or nil when it is not one.
func jsonObject(_ record: GeneratedRecord) -> [String: JSONValue]? {
    guard let any = try? JSONSerialization.jsonObject(with: Data(record.value)),
          case .object(let fields) = JSONValue(any) else { return nil }
    return fields
}

/// The JSON type a field of events.md must have.
enum FieldType {
    case string, amount, integer, bool, time
}

/// events.md: required fields per type (besides event_id, type, shop_id).
let requiredFields: [String: [String]] = [
    "order_created": ["order_id", "buyer_id", "amount"],
    "order_paid": ["order_id", "buyer_id", "amount"],
    "order_cancelled": ["order_id", "buyer_id"],
    "order_refunded": ["order_id", "buyer_id", "amount"],
    "order_shipped": ["order_id"],
    "chat_message": ["session_id", "buyer_id", "agent_id", "from"],
    "chat_rating": ["session_id", "buyer_id", "agent_id", "score"],
    "page_view": ["visitor_id", "session_id"],
    "ad_impression": ["campaign_id", "channel"],
    "ad_click": ["campaign_id", "channel"],
    "ad_spend": ["campaign_id", "channel", "amount"],
]

/// events.md: the type of every field we know.
let fieldTypes: [String: FieldType] = [
    "event_id": .string, "type": .string, "shop_id": .string, "ts": .time,
    "order_id": .string, "buyer_id": .string, "amount": .amount, "agent_id": .string,
    "channel": .string, "campaign_id": .string, "items": .integer, "promised_ship_by": .time,
    "session_id": .string, "from": .string, "auto": .bool, "score": .integer,
    "visitor_id": .string, "page": .string, "landing": .bool, "dwell_ms": .integer, "cost": .amount,
]

/// Amount text with at most two fraction digits (events.md).
func isDecimalText(_ s: String) -> Bool {
    let parts = s.drop(while: { $0 == "-" }).split(separator: ".", omittingEmptySubsequences: false)
    return s.filter { $0 == "-" }.count <= (s.hasPrefix("-") ? 1 : 0)
        && (1...2).contains(parts.count) && !parts[0].isEmpty && parts[0].allSatisfy(\.isASCIIDigit)
        && (parts.count == 1 || ((1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigit)))
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// Cents of an amount value, if it is a well-formed one.
func cents(_ value: JSONValue) -> Int64? {
    switch value {
    case .string(let s) where isDecimalText(s):
        let negative = s.hasPrefix("-")
        let parts = s.drop(while: { $0 == "-" }).split(separator: ".", omittingEmptySubsequences: false)
        var c = Int64(parts[0])! * 100
        if parts.count > 1 { c += Int64(parts[1].padding(toLength: 2, withPad: "0", startingAt: 0))! }
        return negative ? -c : c
    case .integer(let i): return i * 100
    case .number(let d):
        let c = (d * 100).rounded()
        return abs(c - d * 100) < 1e-6 ? Int64(c) : nil
    default: return nil
    }
}

/// Milliseconds of a `ts`-like value: RFC 3339 with offset or epoch ms.
func millis(_ value: JSONValue) -> Int64? {
    switch value {
    case .integer(let ms): return ms
    case .string(let s): return parseRFC3339(s)
    default: return nil
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]` then `Z` or `+HH:MM` / `-HH:MM`, strictly.
func parseRFC3339(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    func digits(_ from: Int, _ count: Int) -> Int64? {
        guard from + count <= b.count else { return nil }
        var v: Int64 = 0
        for c in b[from..<(from + count)] {
            guard (0x30...0x39).contains(c) else { return nil }
            v = v * 10 + Int64(c - 0x30)
        }
        return v
    }
    guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
          let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2),
          let h = digits(11, 2), let mi = digits(14, 2), let sec = digits(17, 2),
          (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 60 else { return nil }
    var ms = CivilTime.days(year: Int(y), month: Int(mo), day: Int(d)) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000
    var i = 19
    if b[i] == 0x2E {
        guard let f = digits(20, 3) else { return nil }
        ms += f
        i = 23
    }
    if i == b.count - 1 && b[i] == 0x5A { return ms }
    guard i == b.count - 6, b[i] == 0x2B || b[i] == 0x2D, b[i + 3] == 0x3A,
          let oh = digits(i + 1, 2), let om = digits(i + 4, 2) else { return nil }
    let sign: Int64 = b[i] == 0x2D ? -1 : 1
    return ms - sign * (oh * 3_600_000 + om * 60_000)
}

/// What is wrong with an event object against events.md, or nil when it is valid.
func specViolation(_ fields: [String: JSONValue]) -> String? {
    guard let type = fields["type"]?.string, let extra = requiredFields[type] else {
        return fields["type"] == nil ? "missing type" : "bad type"
    }
    for name in ["event_id", "shop_id"] + extra where fields[name] == nil {
        return "missing \(name)"
    }
    for (name, value) in fields {
        guard let expected = fieldTypes[name] else { continue }
        switch (expected, value) {
        case (.string, .string(let s)) where !s.isEmpty: continue
        case (.integer, .integer(let i)) where i >= 0: continue
        case (.bool, .bool): continue
        case (.time, _) where millis(value) != nil: continue
        case (.amount, _):
            guard let c = cents(value) else { return "wrong type \(name)" }
            if c < 0 { return "negative \(name)" }
            continue
        default: return "wrong type \(name)"
        }
    }
    if let score = fields["score"], case .integer(let s) = score, !(1...5).contains(s) { return "score out of range" }
    if let from = fields["from"]?.string, from != "buyer" && from != "agent" { return "bad from" }
    return nil
}
