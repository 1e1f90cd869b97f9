import Foundation
import KPICore
import EventGenerator

// Test-side reading of generated records, independent of the generator's
// code: Foundation's JSONDecoder for the JSON, events.md for the schema.

/// A decoded JSON value that keeps the JSON type (a bool is not a number).
enum JSONValue: Decodable, Equatable, Sendable {
    case string(String), integer(Int64), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let v = try? c.decode(Bool.self) { self = .bool(v); return }
        if let v = try? c.decode(Int64.self) { self = .integer(v); return }
        if let v = try? c.decode(Double.self) { self = .number(v); return }
        if let v = try? c.decode(String.self) { self = .string(v); return }
        if let v = try? c.decode([JSONValue].self) { self = .array(v); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
}

/// The record's value as a JSON object, or nil when it is not one.
func jsonObject(_ record: GeneratedRecord) -> [String: JSONValue]? {
    guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(record.value)),
          case .object(let fields) = value else { return nil }
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
    s.range(of: #"^-?[0-9]+(\.[0-9]{1,2})?$"#, options: .regularExpression) != nil
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

func parseRFC3339(_ text: String) -> Int64? {
    let pattern = #"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"#
    guard let regex = try? NSRegularExpression(pattern: pattern),
          let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
    func group(_ i: Int) -> String? {
        Range(m.range(at: i), in: text).map { String(text[$0]) }
    }
    let days = CivilTime.days(year: Int(group(1)!)!, month: Int(group(2)!)!, day: Int(group(3)!)!)
    var ms = days * 86_400_000 + Int64(group(4)!)! * 3_600_000 + Int64(group(5)!)! * 60_000 + Int64(group(6)!)! * 1000
    if let fraction = group(7) { ms += Int64(fraction.dropFirst().prefix(3).padding(toLength: 3, withPad: "0", startingAt: 0))! }
    let zone = group(8)!
    if zone != "Z" {
        let sign: Int64 = zone.hasPrefix("-") ? -1 : 1
        let hh = Int64(zone.dropFirst().prefix(2))!, mm = Int64(zone.suffix(2))!
        ms -= sign * (hh * 3_600_000 + mm * 60_000)
    }
    return ms
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
