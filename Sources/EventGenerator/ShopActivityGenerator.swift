import KPICore

/// Deterministic synthetic shop activity (events.md) as Kafka-ready records,
/// for `kpi-ingest generate`, the demo and load tests.
///
/// Each record gets the next time of an `EmissionTimeline` (exact count,
/// daily rhythm). At that time it emits the earliest story step that is due
/// (a chat reply, the next page of a session, a payment...), or, when none
/// is, starts a new story. Story steps wait in a min-heap, so output stays in
/// event-time order while stories interleave; a step due while another
/// record is being emitted goes out with the next record time, which only
/// stretches delays by the gap between records. With `dirty`, about 2% of
/// the records are faults of `InjectedFault`.
public struct ShopActivityGenerator: Sendable, Sequence, IteratorProtocol {
    public let options: GeneratorOptions
    /// What has been produced so far.
    public private(set) var stats = GeneratorStats()

    var random: SeededRandom
    var timeline: EmissionTimeline
    var shops: [ShopProfile]
    /// `shop_id` bytes per shop, shared by every record key of the shop.
    let shopIDs: [[UInt8]]
    let shopWeights: [Int64]
    var pending = PendingSteps()
    var writer: RecordWriter
    /// Recent valid records, for `.duplicate` re-sends (dirty mode only).
    var recent: [GeneratedRecord] = []
    var recentNext = 0
    let startMillis: Int64
    /// End of a bounded run.
    let endMillis: Int64?
    let offsetMillis: Int64

    static let second: Int64 = 1000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    /// Share of dirty records, per ten thousand.
    static let dirtyPerTenThousand: Int64 = 200
    static let recentCapacity = 256

    /// - Precondition: `shops >= 1`, `rate >= 1`, `duration` not negative.
    public init(_ options: GeneratorOptions) {
        precondition(options.shops >= 1, "shops must be at least 1")
        precondition(options.rate >= 1, "rate must be at least 1")
        precondition((options.duration?.millis ?? 0) >= 0, "duration must not be negative")
        self.options = options
        random = SeededRandom(seed: options.seed)
        // The cast of shops comes from its own stream, so it does not shift
        // when the activity code draws differently.
        var castRandom = SeededRandom(seed: options.seed ^ 0xCA57_0F_5B0B5)
        let shops = (1...options.shops).map { ShopProfile(number: $0, random: &castRandom) }
        self.shops = shops
        shopIDs = shops.map(\.id)
        shopWeights = runningSums(shops.map { _ in castRandom.between(1, 10) })
        startMillis = options.start.millis
        endMillis = options.duration.map { options.start.millis + $0.millis }
        offsetMillis = Int64(options.utcOffsetSeconds) * 1000
        timeline = EmissionTimeline(
            start: options.start.millis, duration: options.duration?.millis,
            rate: Int64(options.rate), utcOffsetSeconds: options.utcOffsetSeconds)
        writer = RecordWriter(utcOffsetSeconds: options.utcOffsetSeconds)
        scheduleFirstSpendReports()
    }

    /// `rate × duration` for a bounded run, `nil` in follow mode.
    public var plannedCount: Int? { timeline.plannedCount.map { Int($0) } }

    /// Story steps waiting in memory (bounded by `maxPendingSteps`, roughly).
    public var pendingSteps: Int { pending.count }

    /// The next record, or `nil` once a bounded run has produced `plannedCount`.
    public mutating func next() -> GeneratedRecord? {
        guard let now = timeline.next(&random) else { return nil }
        if options.dirty && random.below(10_000) < Self.dirtyPerTenThousand, let record = makeFault(at: now) {
            return record
        }
        if let due = pending.earliest, due <= now {
            return emit(pending.popEarliest(), at: now)
        }
        return startStory(at: now)
    }

    // MARK: - Emitting steps

    /// Writes `step` as an event at `now` and plans what follows it.
    mutating func emit(_ step: PendingStep, at now: Int64) -> GeneratedRecord {
        var step = step
        step.time = now
        prepare(&step)
        let style = drawTimestampStyle(allowAbsent: true)
        let record = makeRecord(step, eventTime: now, recordTime: now, style: style, sabotage: .none,
                                fault: style == .absent ? .missingTs : nil)
        plan(after: step)
        return record
    }

    /// Mostly RFC 3339 at the shop offset, some UTC, some epoch ms, a few absent.
    mutating func drawTimestampStyle(allowAbsent: Bool) -> TimestampStyle {
        let r = random.below(1000)
        if r < 860 { return .local }
        if r < 940 { return .utc }
        if r < 996 || !allowAbsent { return .epochMillis }
        return .absent
    }

    /// Builds the record of `step`, counts it, and keeps it for duplicates.
    mutating func makeRecord(
        _ step: PendingStep, eventTime: Int64, recordTime: Int64, style: TimestampStyle,
        sabotage: Sabotage, fault: InjectedFault?
    ) -> GeneratedRecord {
        writer.begin(sabotage)
        writeEvent(step, eventTime: eventTime, style: style)
        let type = step.kind.eventType
        let record = GeneratedRecord(
            topic: type.topic, key: shopIDs[Int(step.shop)], value: writer.finish(),
            timestamp: EventTime(millis: recordTime), fault: fault)
        stats.record(type.topic, type: type, fault: fault)
        if fault == nil || fault == .missingTs {
            shops[Int(step.shop)].hasStarted = true
            if options.dirty { remember(record) }
        }
        return record
    }

    private mutating func remember(_ record: GeneratedRecord) {
        if recent.count < Self.recentCapacity {
            recent.append(record)
        } else {
            recent[recentNext] = record
            recentNext = (recentNext + 1) % Self.recentCapacity
        }
    }

    /// Queues a future step, within the memory bound. A step after the end
    /// of a bounded run is never emitted, so it is not kept. Steps far ahead
    /// (`PendingSteps.longWait`) may fill three quarters of
    /// `maxPendingSteps` and are dropped beyond it (an order then never
    /// ships, a late reply never comes), so running sessions and chats always
    /// find room.
    mutating func schedule(_ step: PendingStep, now: Int64) {
        if let endMillis, step.time >= endMillis { return }
        let waitsLong = step.time - now > PendingSteps.longWait
        if waitsLong && pending.longCount >= options.maxPendingSteps / 4 * 3 { return }
        pending.push(step, waitsLong: waitsLong)
    }

    // MARK: - Dirty records

    /// A dirty record at `now`, or `nil` when the drawn kind cannot apply yet
    /// (nothing to duplicate, the stream too young for out-of-order or late).
    mutating func makeFault(at now: Int64) -> GeneratedRecord? {
        let r = random.below(100)
        if r < 30 {
            guard !recent.isEmpty else { return nil }
            var record = recent[Int(random.below(Int64(recent.count)))]
            record.fault = .duplicate
            stats.record(record.topic, type: nil, fault: .duplicate)
            return record
        }
        let shop = Int32(random.pick(cumulative: shopWeights))
        if r < 50 {
            // Accepted, just behind the stream: a stand-alone impression or bounce.
            let lag = random.between(Self.minute, 8 * Self.minute)
            guard now - lag >= startMillis else { return nil }
            let kind: StepKind = random.chance(perMille: 500) ? .adImpression : .pageView
            let step = standaloneStep(kind, shop: shop, at: now - lag)
            return makeRecord(step, eventTime: now - lag, recordTime: now,
                              style: drawTimestampStyle(allowAbsent: false), sabotage: .none, fault: .outOfOrder)
        }
        if r < 60 {
            // Beyond any retention; only for a partition whose stream has begun,
            // so it cannot be the first thing the ingester sees there.
            guard shops[Int(shop)].hasStarted else { return nil }
            let eventTime = now - 40 * Self.day - random.below(20 * Self.day)
            let step = standaloneStep(anyStandaloneKind(), shop: shop, at: eventTime)
            return makeRecord(step, eventTime: eventTime, recordTime: now,
                              style: drawTimestampStyle(allowAbsent: false), sabotage: .none, fault: .late)
        }
        if r < 70 {
            let step = standaloneStep(anyStandaloneKind(), shop: shop, at: now)
            var record = makeRecord(step, eventTime: now, recordTime: now,
                                    style: drawTimestampStyle(allowAbsent: false), sabotage: .none, fault: .malformed)
            if random.chance(perMille: 600) {
                record.value.removeLast(Int(random.between(1, Int64(record.value.count - 1))))
            } else {
                // 0xFF never occurs in UTF-8: not JSON whatever follows.
                record.value = [0xFF, 0xFE] + (0..<random.between(6, 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            return record
        }
        if r < 90 {
            let kind = anyStandaloneKind()
            let index = Int(random.below(Int64(Self.requiredFieldCount(kind))))
            let missing = r < 80
            let step = standaloneStep(kind, shop: shop, at: now)
            return makeRecord(step, eventTime: now, recordTime: now, style: drawTimestampStyle(allowAbsent: false),
                              sabotage: missing ? .omit(index) : .wrongType(index),
                              fault: missing ? .missingField : .wrongType)
        }
        let kinds: [StepKind] = [.orderCreated, .orderPaid, .orderRefunded]
        let step = standaloneStep(kinds[Int(random.below(3))], shop: shop, at: now)
        return makeRecord(step, eventTime: now, recordTime: now, style: drawTimestampStyle(allowAbsent: false),
                          sabotage: .negativeAmount, fault: .negativeAmount)
    }

    private mutating func anyStandaloneKind() -> StepKind {
        Self.standaloneKinds[Int(random.below(Int64(Self.standaloneKinds.count)))]
    }

    /// Kinds a fault record can take (an `ad_spend` id is tied to its period).
    static let standaloneKinds: [StepKind] = [
        .adImpression, .adClick, .pageView, .chatQuestion, .chatAutoReply, .chatAnswer, .chatRating,
        .orderCreated, .orderPaid, .orderCancelled, .orderRefunded, .orderShipped,
    ]

    /// Required fields of events.md per kind, in writing order (event_id, type, shop_id, then the type's own).
    static func requiredFieldCount(_ kind: StepKind) -> Int {
        switch kind {
        case .adImpression, .adClick, .pageView: 5
        case .adSpend: 6
        case .chatQuestion, .chatFollowUp, .chatAutoReply, .chatAnswer, .chatRating: 7
        case .orderCreated, .orderPaid, .orderRefunded: 6
        case .orderCancelled: 5
        case .orderShipped: 4
        }
    }
}
