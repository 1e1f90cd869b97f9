/// The KPI engine's part of the service configuration (kpis.md): time zone,
/// week start, lateness, retention, attribution and chat horizons, distinct
/// count threshold, money format and customer-service teams.
public struct KPIConfiguration: Sendable, Hashable {
    /// A customer-service group: its agents are aggregated into one `team` scope per shop.
    public struct Team: Sendable, Hashable {
        public var name: String
        public var agents: [String]
        public var leads: [String]
        public init(name: String, agents: [String], leads: [String] = []) {
            self.name = name; self.agents = agents; self.leads = leads
        }
    }

    /// How many periods a calendar window is kept after it closes, per window kind.
    public struct Retention: Sendable, Hashable {
        public var days: Int
        public var weeks: Int
        public var months: Int
        public init(days: Int, weeks: Int, months: Int) {
            self.days = days; self.weeks = weeks; self.months = months
        }
    }

    /// IANA time zone of the calendar windows.
    public var timeZoneID: String = "Asia/Shanghai"
    /// First day of a `week` window: 1 = Monday ... 7 = Sunday.
    public var firstWeekday: Int = 1
    /// Watermark = largest event time seen − this.
    public var allowedLateness: EventTime.Duration = .minutes(5)
    public var retention = Retention(days: 2, weeks: 2, months: 2)
    /// Order → agent attribution look-back, and the inquiry → payment horizon.
    public var attributionWindow: EventTime.Duration = .hours(24)
    /// A chat turn not answered within this is unanswered.
    public var replyTimeout: EventTime.Duration = .minutes(10)
    /// `response_within_3m_rate` threshold.
    public var responseWithin: EventTime.Duration = .seconds(180)
    /// An event whose time is more than this ahead of its record timestamp is rejected as `future`.
    public var futureSkew: EventTime.Duration = .hours(1)
    /// A partition whose inputs deliver nothing for this long has its time
    /// moved on without events (`PartitionKPIState.lastRecordTime`); 0: never.
    /// Not part of a checkpoint's fingerprint (it changes when time moves, not what an event counts).
    public var idleTimeout: EventTime.Duration = .minutes(5)
    /// Distinct counts are exact up to this many ids per scope × window, then estimated.
    public var distinctExactThreshold: Int = 10_000
    /// Per shop, at most this many distinct agent ids, and as many channel
    /// and campaign ids, are kept (a scope each, untrusted input): an event
    /// naming one more is counted nowhere (`IngestOutcome.tooManyIDs`,
    /// dead-letter `too_many_ids`). 0: no cap.
    public var maxIDsPerShop: Int = 10_000
    /// Fraction digits of money (minor units per major unit = 10^fractionDigits).
    public var fractionDigits: Int = 2
    public var teams: [Team] = []

    public init() {}

    /// Throws the first problem found, as a `KPICoreError` naming the field.
    public func validate() throws(KPICoreError) {
        func positive(_ d: EventTime.Duration, _ field: String, allowZero: Bool = true) throws(KPICoreError) {
            if d.millis < 0 || (!allowZero && d.millis == 0) {
                throw .invalidConfiguration(field: field, reason: "must be \(allowZero ? "≥ 0" : "> 0"), is \(d.millis) ms")
            }
        }
        guard (1...7).contains(firstWeekday) else {
            throw .invalidConfiguration(field: "firstWeekday", reason: "must be 1 (Monday) ... 7 (Sunday), is \(firstWeekday)")
        }
        try positive(allowedLateness, "allowedLateness")
        try positive(attributionWindow, "attributionWindow")
        try positive(replyTimeout, "replyTimeout", allowZero: false)
        try positive(responseWithin, "responseWithin")
        try positive(futureSkew, "futureSkew")
        try positive(idleTimeout, "idleTimeout")
        guard retention.days >= 0, retention.weeks >= 0, retention.months >= 0 else {
            throw .invalidConfiguration(field: "retention", reason: "must not be negative")
        }
        guard maxIDsPerShop >= 0 else {
            throw .invalidConfiguration(field: "maxIDsPerShop", reason: "must be ≥ 0")
        }
        guard distinctExactThreshold >= 0 else {
            throw .invalidConfiguration(field: "distinctExactThreshold", reason: "must be ≥ 0")
        }
        guard (0...9).contains(fractionDigits) else {
            throw .invalidConfiguration(field: "fractionDigits", reason: "must be 0...9, is \(fractionDigits)")
        }
        var names = Set<String>()
        for team in teams where !names.insert(team.name).inserted {
            throw .invalidConfiguration(field: "teams", reason: "duplicate team name \(team.name)")
        }
    }
}
