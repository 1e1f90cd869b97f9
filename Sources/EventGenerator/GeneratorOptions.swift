import KPICore

/// What to generate: how many shops, how fast, over which stretch of event
/// time, and whether to mix in broken records. Same options, same records.
public struct GeneratorOptions: Sendable, Equatable {
    /// Seeds every random choice; a different seed gives different activity.
    public var seed: UInt64
    /// Number of shops, named `s1` ... `sN`.
    public var shops: Int
    /// Records per second of event time, on average: over the whole run when
    /// bounded (the daily rhythm only shapes the density inside it), over a
    /// whole day in follow mode (nights are slower, evenings faster).
    public var rate: Int
    /// Length of event time to cover; `nil` = unbounded (follow mode).
    public var duration: EventTime.Duration?
    /// Event time of the first record.
    public var start: EventTime
    /// Mix about 2% of dirty records in (duplicates, out-of-order, late,
    /// malformed, missing field, wrong type, negative amount).
    public var dirty: Bool
    /// The shops' UTC offset: drives the daily rhythm and the `+08:00` of `ts`.
    public var utcOffsetSeconds: Int
    /// Bound on the future story steps held in memory (about 64 bytes each).
    /// Steps more than 10 minutes ahead (shipping, refunds, orders hours after
    /// a chat) may use three quarters of it and are no longer planned beyond
    /// that. When the bound is reached, only stand-alone ad impressions start
    /// until running stories have drained below it. With the default, follow
    /// mode keeps every story up to about 2,000 records/s; far higher rates
    /// shift the mix towards impressions and drop some shipments.
    public var maxPendingSteps: Int

    public init(
        seed: UInt64 = 1, shops: Int = 5, rate: Int = 100,
        duration: EventTime.Duration? = .hours(1), start: EventTime,
        dirty: Bool = false, utcOffsetSeconds: Int = 8 * 3600,
        maxPendingSteps: Int = 1 << 20
    ) {
        self.seed = seed; self.shops = shops; self.rate = rate; self.duration = duration
        self.start = start; self.dirty = dirty; self.utcOffsetSeconds = utcOffsetSeconds
        self.maxPendingSteps = maxPendingSteps
    }
}

/// One Kafka-ready record: topic, key (the `shop_id` bytes), JSON value and
/// the record timestamp (when the record was produced, in event time).
public struct GeneratedRecord: Sendable, Equatable {
    public var topic: InputTopic
    /// The `shop_id`, so every event of a shop lands on one partition.
    public var key: [UInt8]
    /// One JSON object (events.md), or broken bytes for a `.malformed` fault.
    public var value: [UInt8]
    /// The Kafka record timestamp. Equals the event's `ts` except for
    /// `.outOfOrder` and `.late` records, whose `ts` lies behind it.
    public var timestamp: EventTime
    /// What is deliberately irregular about this record, `nil` for a plain one.
    public var fault: InjectedFault?

    public init(topic: InputTopic, key: [UInt8], value: [UInt8], timestamp: EventTime, fault: InjectedFault? = nil) {
        self.topic = topic; self.key = key; self.value = value; self.timestamp = timestamp; self.fault = fault
    }
}

/// The irregularities the generator puts in on purpose, so an end-to-end test
/// knows what the ingester must do with each record.
public enum InjectedFault: UInt8, Sendable, Hashable, CaseIterable {
    /// An exact re-send (same bytes, key, timestamp) of an earlier valid record: counts once.
    case duplicate
    /// A valid event whose `ts` is 1..8 minutes behind the stream: accepted.
    case outOfOrder
    /// A valid event whose `ts` is 40..60 days behind the stream: rejected `late`.
    case late
    /// Not a JSON object: a truncated object or garbage bytes: rejected.
    case malformed
    /// A required field (events.md) is absent: rejected.
    case missingField
    /// A required field has the wrong JSON type: rejected.
    case wrongType
    /// `amount` is negative: rejected.
    case negativeAmount
    /// No `ts`: valid (the record timestamp is the event time). Also appears
    /// without `dirty`, as events.md allows it.
    case missingTs

    /// Whether the ingester must reject (dead-letter) the record.
    public var isRejected: Bool {
        switch self {
        case .late, .malformed, .missingField, .wrongType, .negativeAmount: true
        case .duplicate, .outOfOrder, .missingTs: false
        }
    }
}

/// Counts of what a generator has produced so far, for the `generate` summary
/// line and for end-to-end checks:
/// `total == valid + duplicates + rejected`, where `valid` is what the
/// ingester should accept and count.
public struct GeneratorStats: Sendable, Equatable {
    /// Every record produced, dirty ones included.
    public internal(set) var total = 0
    /// Records per topic, dirty ones included (indexed by `InputTopic.rawValue`).
    var perTopic = [Int](repeating: 0, count: InputTopic.allCases.count)
    /// Valid events per type (indexed by `EventType.rawValue`): plain records
    /// plus `.outOfOrder` and `.missingTs` ones; no duplicates, no rejected ones.
    var perType = [Int](repeating: 0, count: EventType.allCases.count)

    public internal(set) var duplicates = 0
    public internal(set) var malformed = 0
    public internal(set) var missingField = 0
    public internal(set) var wrongType = 0
    public internal(set) var negativeAmount = 0
    public internal(set) var lateEvents = 0
    /// Accepted events that arrive behind the stream (included in `valid`).
    public internal(set) var outOfOrder = 0
    /// Valid events without `ts` (included in `valid`).
    public internal(set) var missingTs = 0

    public init() {}

    /// Records written to `topic`, dirty ones included.
    public func count(_ topic: InputTopic) -> Int { perTopic[Int(topic.rawValue)] }
    /// Valid events of `type` (see `valid`).
    public func count(_ type: EventType) -> Int { perType[Int(type.rawValue)] }
    /// Records of one fault kind.
    public func count(_ fault: InjectedFault) -> Int {
        switch fault {
        case .duplicate: duplicates
        case .outOfOrder: outOfOrder
        case .late: lateEvents
        case .malformed: malformed
        case .missingField: missingField
        case .wrongType: wrongType
        case .negativeAmount: negativeAmount
        case .missingTs: missingTs
        }
    }
    /// Events the ingester should accept and count once.
    public var valid: Int { perType.reduce(0, +) }
    /// Records the ingester should reject (dead-letter), by any reason.
    public var rejected: Int { malformed + missingField + wrongType + negativeAmount + lateEvents }

    mutating func record(_ topic: InputTopic, type: EventType?, fault: InjectedFault?) {
        total += 1
        perTopic[Int(topic.rawValue)] += 1
        if let fault {
            switch fault {
            case .duplicate: duplicates += 1
            case .outOfOrder: outOfOrder += 1
            case .late: lateEvents += 1
            case .malformed: malformed += 1
            case .missingField: missingField += 1
            case .wrongType: wrongType += 1
            case .negativeAmount: negativeAmount += 1
            case .missingTs: missingTs += 1
            }
            if fault.isRejected || fault == .duplicate { return }
        }
        if let type { perType[Int(type.rawValue)] += 1 }
    }
}
