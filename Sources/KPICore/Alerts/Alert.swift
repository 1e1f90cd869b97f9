/// One alert notification or listing entry: the value on `kpi.alerts` and
/// the body of a webhook POST (interfaces.md "Alert"). Encode with `AlertJSON`.
public struct Alert: Sendable, Hashable {
    /// `rule|scope type|shop|id|window type|window id`, stable for a rule ×
    /// scope × window (empty id field for a shop scope).
    public var id: String
    public var state: AlertState
    public var rule: String
    public var scope: Scope
    public var windowType: WindowType
    public var windowID: String
    public var metric: String
    public var direction: MetricDirection
    /// The metric's value when evaluated; nil → `null`.
    public var value: MetricValue?
    public var target: TargetValue
    /// The paced threshold (open window, cumulative total), metric unit; nil → `null`.
    public var pace: Fraction?
    /// firing/pending: when the breach began; resolved: when it resolved.
    public var since: EventTime
    /// The evaluation tick that produced it (not written; for ordering and logs).
    public var at: EventTime
    public var leads: [String]
    public var message: String
    /// From the rule; written as a trailing `"severity"` only when set.
    public var severity: String?
    /// A re-send of a firing alert after the repeat interval.
    public var isRepeat: Bool

    public init(id: String, state: AlertState, rule: String, scope: Scope, windowType: WindowType, windowID: String,
                metric: String, direction: MetricDirection, value: MetricValue?, target: TargetValue, pace: Fraction?,
                since: EventTime, at: EventTime, leads: [String], message: String, severity: String? = nil,
                isRepeat: Bool = false) {
        self.id = id; self.state = state; self.rule = rule; self.scope = scope; self.windowType = windowType
        self.windowID = windowID; self.metric = metric; self.direction = direction; self.value = value
        self.target = target; self.pace = pace; self.since = since; self.at = at; self.leads = leads
        self.message = message; self.severity = severity; self.isRepeat = isRepeat
    }

    /// The stable alert id: `rule|scope|shop|id|window|window id`, each
    /// component escaped (`RecordKey`), so ids holding `|` cannot collide.
    public static func id(rule: String, scope: Scope, windowType: WindowType, windowID: String) -> String {
        RecordKey.join([rule, scope.type.name, scope.shopID, scope.id ?? "", windowType.name, windowID])
    }
}

/// Writes an `Alert` as the JSON object of interfaces.md: keys in contract
/// order, no whitespace, no trailing newline, numbers as in snapshots
/// (counts integers, money decimal strings, other numbers ≤ 4 decimals),
/// `since` RFC 3339 at the zone's offset.
public enum AlertJSON {
    public static func encode(_ a: Alert, fractionDigits: Int, zone: ZoneRules) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(400)
        append(a, fractionDigits: fractionDigits, zone: zone, to: &out)
        return out
    }

    public static func append(_ a: Alert, fractionDigits: Int, zone: ZoneRules, to out: inout [UInt8]) {
        SnapshotJSON.raw(#"{"kind":"kpi_alert","id":"#, &out)
        SnapshotJSON.string(a.id, &out)
        SnapshotJSON.raw(#","state":"#, &out)
        SnapshotJSON.string(a.state.name, &out)
        SnapshotJSON.raw(#","rule":"#, &out)
        SnapshotJSON.string(a.rule, &out)
        SnapshotJSON.raw(#","scope":{"type":"#, &out)
        SnapshotJSON.string(a.scope.type.name, &out)
        SnapshotJSON.raw(#","shop_id":"#, &out)
        SnapshotJSON.string(a.scope.shopID, &out)
        if let id = a.scope.id {
            SnapshotJSON.raw(#","id":"#, &out)
            SnapshotJSON.string(id, &out)
        }
        SnapshotJSON.raw(#"},"window":{"type":"#, &out)
        SnapshotJSON.string(a.windowType.name, &out)
        SnapshotJSON.raw(#","id":"#, &out)
        SnapshotJSON.string(a.windowID, &out)
        SnapshotJSON.raw(#"},"metric":"#, &out)
        SnapshotJSON.string(a.metric, &out)
        SnapshotJSON.raw(#","direction":"#, &out)
        SnapshotJSON.string(a.direction.name, &out)
        SnapshotJSON.raw(#","value":"#, &out)
        if let v = a.value { SnapshotJSON.value(v, fractionDigits: fractionDigits, &out) } else { SnapshotJSON.raw("null", &out) }
        SnapshotJSON.raw(#","target":"#, &out)
        TargetJSON.appendTarget(a.target, fractionDigits: fractionDigits, to: &out)
        SnapshotJSON.raw(#","pace":"#, &out)
        if let p = a.pace {
            TargetJSON.appendPace(p, metric: a.metric, fractionDigits: fractionDigits, to: &out)
        } else {
            SnapshotJSON.raw("null", &out)
        }
        SnapshotJSON.raw(#","since":"#, &out)
        SnapshotJSON.time(a.since, zone, alwaysMillis: false, &out)
        SnapshotJSON.raw(#","leads":["#, &out)
        for (i, l) in a.leads.enumerated() {
            if i > 0 { out.append(0x2C) }
            SnapshotJSON.string(l, &out)
        }
        SnapshotJSON.raw(#"],"message":"#, &out)
        SnapshotJSON.string(a.message, &out)
        if let s = a.severity {
            SnapshotJSON.raw(#","severity":"#, &out)
            SnapshotJSON.string(s, &out)
        }
        out.append(0x7D)
    }
}
