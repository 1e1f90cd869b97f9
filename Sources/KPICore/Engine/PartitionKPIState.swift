import HeapModule

/// What `PartitionKPIState.ingest` did with an event.
public enum IngestOutcome: UInt8, Sendable, Hashable {
    /// Counted in every window it belongs to.
    case counted
    /// Same `event_id` already counted within retention: ignored.
    case duplicate
    /// Its `day` window is no longer retained: counted nowhere (dead-letter `late`).
    case late
    /// `ts` more than `futureSkew` ahead of the record timestamp (dead-letter `future`).
    case future
    /// Its amount would take one of its shop's sums past what an `Int64`
    /// holds (`SumBounds`): counted nowhere (dead-letter `sum_overflow`).
    case sumOverflow
    /// Names a new agent, channel or campaign id of a shop that has
    /// `maxIDsPerShop` ids of that kind already: counted nowhere (dead-letter `too_many_ids`).
    case tooManyIDs
}

/// Per-shop lookup tables and the per-shop state that joins events:
/// chat sessions, browsing sessions and buyer histories.
struct ShopState {
    let shopID: String
    let shopScope: Int32
    var agentScopes: [String: Int32] = [:]
    /// Per configured team (same index); −1 until the team is first used.
    var teamScopes: [Int32]
    var channelScopes: [String: Int32] = [:]
    var campaignScopes: [String: Int32] = [:]
    /// Chat and browsing sessions by `session_id` (see `SessionTable` for
    /// why not `[String: …]`; `chatSessions` / `browsingSessions` below are
    /// the same sessions as dictionaries).
    var chats = SessionTable<ChatSession>()
    var browsing = SessionTable<BrowsingSession>()
    var buyers: [UInt64: BuyerHistory] = [:]
    /// Bounds on the shop's sums of amounts (derived: reset on restore).
    var sums = SumBounds()

    /// The chat sessions as a dictionary (for checkpoints; not the hot path).
    var chatSessions: [String: ChatSession] {
        get { chats.dictionary }
        set { chats = SessionTable(newValue) }
    }

    /// The browsing sessions as a dictionary (for checkpoints; not the hot path).
    var browsingSessions: [String: BrowsingSession] {
        get { browsing.dictionary }
        set { browsing = SessionTable(newValue) }
    }

    /// Adds a page view to its browsing session (`id`, whose `StableHash`
    /// is `hash`, at `position` in `browsing`, nil when new); the session
    /// before and after. `visitorNote`: what this view noted of its visitor.
    mutating func recordView(session id: @autoclosure () -> String, hash: UInt64, position: Int?, time: Int64, tie: UInt64, channel: Int32,
                             campaign: Int32, visitorNote: VisitorNote) -> (previous: BrowsingSession?, current: BrowsingSession) {
        let fresh = BrowsingSession(firstTime: time, firstTie: tie, channel: channel, campaign: campaign, views: 1,
                                    lastTime: time, visitorNote: visitorNote)
        guard let index = position else {
            browsing.insert(id(), hash: hash, fresh)
            return (nil, fresh)
        }
        var s = browsing.values[index]
        let previous = s
        s.views += 1
        if time > s.lastTime { s.lastTime = time }
        s.visitorNote = visitorNote
        if time != s.firstTime ? time < s.firstTime : tie < s.firstTie {
            s.firstTime = time; s.firstTie = tie; s.channel = channel; s.campaign = campaign
        }
        browsing.values[index] = s
        return (previous, s)
    }
}

/// All KPI state of one input partition (every event of a shop is on one
/// partition, and the watermark is per partition): the windows of every
/// scope, the chat sessions, attribution history and dedup ids.
///
/// A value type without I/O or clock reads. Feed events with `ingest`, let
/// time pass with `advanceWatermark`, collect output with `drainChanged`.
/// Memory is bounded by retention: windows, sessions, buyer histories and
/// dedup ids are dropped as the watermark moves past their horizon.
public struct PartitionKPIState {
    public let partition: Int32
    public let configuration: KPIConfiguration
    /// Earliest event time the input is known to cover; windows starting
    /// before it are `complete: false`. nil: complete. Learned as the
    /// inputs' first records are read (`RecordPipeline`): a change is
    /// emitted with every window whose `complete` flag it flips.
    public var coverageStart: EventTime? {
        didSet { if coverageStart != oldValue { coverageChanged() } }
    }
    /// The configured time zone (for `SnapshotJSON`).
    public let zone: ZoneRules

    var days: DayTable
    var scopes: [ScopeState] = []
    var shops: [ShopState] = []
    /// The most agent, channel or campaign ids one shop has of one kind
    /// (for `mayRefuse`'s `too_many_ids` foresight).
    var largestIDTable = 0
    var shopIndex: [String: Int32] = [:]
    /// Agent id → indices of the configured teams that list it.
    let teamsByAgent: [String: [Int]]
    /// `internKey(StableHash(id), type, shop)` → shop index (type `.shop`)
    /// or scope index (agent, channel, campaign); see `shopIndex(for:)`.
    // cache: derived, not checkpointed (rebuilt from `shopIndex` and the shops' scope tables on use)
    var internedScopes = IDMap<Int32>(empty: 0)

    // Durations in ms, read on the hot path.
    let lateness: Int64
    let attribution: Int64
    let timeout: Int64
    let within: Int64
    let skew: Int64
    let finalHorizon: Int64
    let threshold: Int

    var maxEventTime: Int64? = nil
    /// For `mayRefuse(_:…)`: a bound of every shop's bounded sums once the
    /// events asked about so far are counted (SumBounds.swift).
    var foreseenSumBound: Int64 = 0
    /// The latest Kafka record timestamp of the events handed over (the
    /// partition's clock as its producers wrote it): a record after a gap of
    /// `idleTimeout` moves time on first (`PartitionWork`). nil: none yet.
    public var lastRecordTime: Int64? = nil
    var watermarkMillis: Int64? = nil
    var watermarkHour: Int32? = nil
    /// The watermark at or after which `watermarkActions` has work.
    var nextWatermarkAction: Int64 = .min
    var nextDayStart: Int64 = .min

    /// Oldest retained local day, and the first instant of it: earlier events are late.
    var retainedFromDay: Int64 = .min
    var retainedFromTime: Int64 = .min
    var retainedWeekStart: Int64 = .min
    var retainedMonthStart: Int64 = .min

    /// Event id hash → local day of the event; dropped with the day.
    var seenEvents = IDMap<Int64>(empty: 0)
    var turnDeadlines = TurnDeadlineQueue()
    /// Windows evicted since the last drain, with their last metrics.
    var evicted: [EvictedWindow] = []

    // Change tracking: work proportional to change, not to the state's size.
    /// Scopes changed since the last `drainChanged`, each once (`ChangeQueue.emission`).
    var emissionQueue: [Int32] = []
    /// Scopes with a watched window changed since the last `takeWatchedChanges` (`ChangeQueue.watch`).
    var watchQueue: [Int32] = []
    /// When calendar windows' `closed` and `final` flags flip (window end,
    /// end + `finalHorizon`), by scope: a drain looks at those scopes again.
    // cache: derived, not checkpointed (rebuilt from the windows)
    var flagDeadlines = Heap<FlagDeadline>()
    /// The watermark hour of the last drain: when it moves, every scope's
    /// rolling windows may have changed (their hours slide).
    // cache: derived, not checkpointed
    var drainedHour: Int32? = nil
    /// Whether `drainChanged` is used (the live service emits what changed
    /// since the last drain). A backfill takes every snapshot once, at the
    /// end (`finalSnapshots`), and keeps no emission queue.
    public var tracksEmissions = true {
        didSet { if tracksEmissions != oldValue { updateWantedQueues() } }
    }
    /// Which windows alert rules and the no-data watch read: changes to them
    /// are queued for `takeWatchedChanges`. nil: none.
    public var watch: WindowWatch? = nil {
        didSet { updateWantedQueues() }
    }

    /// Per `kpi.snapshots` record key, the highest revision published there
    /// (read back on assignment): a window's next revision continues above
    /// it, so revisions never go backwards across restarts, replays and
    /// rebalances. Consulted at a window's first emission after a restore,
    /// then settled (`settleRevisionFloors`). Not checkpointed.
    public var revisionFloors: [String: Int] = [:]

    // One-entry cache: consecutive events mostly fall on the same day.
    var cachedDay: Int64 = .min
    var cachedWeek: Int64 = 0
    var cachedMonth: Int64 = 0

    public init(partition: Int32, configuration: KPIConfiguration, coverageStart: EventTime?) throws(KPICoreError) {
        try configuration.validate()
        self.partition = partition
        self.configuration = configuration
        self.coverageStart = coverageStart
        self.zone = try ZoneRules(identifier: configuration.timeZoneID)
        self.days = DayTable(rules: zone)
        var byAgent: [String: [Int]] = [:]
        for (i, team) in configuration.teams.enumerated() {
            for a in Set(team.agents) { byAgent[a, default: []].append(i) }
        }
        teamsByAgent = byAgent
        lateness = configuration.allowedLateness.millis
        attribution = configuration.attributionWindow.millis
        timeout = configuration.replyTimeout.millis
        within = configuration.responseWithin.millis
        skew = configuration.futureSkew.millis
        finalHorizon = max(configuration.attributionWindow.millis, configuration.replyTimeout.millis)
        threshold = configuration.distinctExactThreshold
    }

    /// Largest event time seen − allowed lateness (or as advanced); nil before any event.
    public var watermark: EventTime? { watermarkMillis.map(EventTime.init(millis:)) }

    // MARK: - Ingest

    /// Counts one decoded event. Never throws; synchronous.
    ///
    /// `recordTimestamp`: the Kafka record timestamp, for the `future` check
    /// (nil skips it). `seen`: the latest event time of events of this
    /// partition already read but not yet counted (`.min`: none): the
    /// watermark they imply counts for the `late` check, so the order in
    /// which a caller hands events over cannot make an old one look on time.
    public mutating func ingest(_ event: ShopEvent, recordTimestamp: EventTime?, seen: Int64 = .min) -> IngestOutcome {
        let t = event.time.millis
        if let r = recordTimestamp, t - r.millis > skew { return .future }
        if t < retainedFromTime { return .late }
        // Only when `seen` implies a later local day than the watermark's (rare): a day-table lookup.
        if seen > t && seen - lateness >= nextDayStart && t < retainedFrom(watermark: seen - lateness) { return .late }
        let idHash = event.eventIDHash
        let p = place(t)
        if seenEvents.updateValue(p.day, forKey: idHash) != nil { return .duplicate }
        let shop = shopIndex(of: event)
        if idCap > 0 && overIDCap(event, shop: shop) { return .tooManyIDs }
        guard shops[Int(shop)].sums.take(event) else { return .sumOverflow }
        apply(event, shop: shop, at: p, tie: idHash)
        if maxEventTime.map({ t > $0 }) ?? true {
            maxEventTime = t
            raiseWatermark(to: t - lateness)
        }
        return .counted
    }

    /// Whether `ingest` may refuse an event (`future`, `late`) when it comes
    /// to be counted after every event seen so far, the latest at
    /// `latestSeen`: a caller that buffers events keeps the original bytes of
    /// those only, for the dead-letter topic. Conservative: true whenever the
    /// watermark could by then have left the event's day out of retention.
    public mutating func mayRefuse(eventTime t: EventTime, recordTimestamp: EventTime?, latestSeen: EventTime) -> Bool {
        if let r = recordTimestamp, t.millis - r.millis > skew { return true }
        let wm = max(latestSeen.millis, t.millis, watermarkMillis.map { $0 + lateness } ?? .min) - lateness
        return t.millis < days.start(ofDay: days.day(containing: wm) - Int64(configuration.retention.days))
    }

    /// Whether `ingest` may refuse `event` as `tooManyIDs` when it comes to
    /// be counted after up to `buffered` events not counted yet: it names an
    /// agent, channel or campaign id, and the shop with the most ids of one
    /// kind could reach the cap by then. Conservative, and cheap: no lookup.
    public func mayRefuseIDs(_ event: borrowing ShopEvent, buffered: Int) -> Bool {
        let cap = idCap
        guard cap > 0, largestIDTable + buffered >= cap else { return false }
        return event.text.has(.agentID) || event.text.has(.channel) || event.text.has(.campaignID)
    }

    /// Announces an event that will be ingested soon (a few events from
    /// now): starts loading its dedup slot, so that `ingest` finds it in the
    /// cache. Changes nothing; skipping it changes nothing either.
    ///
    /// Every `ingest` probes the dedup table, which holds every event id of
    /// the retention period and so is far larger than the CPU caches: the
    /// probe is a cache miss that announcing overlaps with the work on the
    /// events in between. `mutating` only so that a call on a state held in
    /// an array works in place (a non-mutating call may copy the state).
    public mutating func prefetch(_ event: borrowing ShopEvent) {
        seenEvents.prefetch(event.eventIDHash)
    }

    /// How many events ahead to `prefetch`: far enough for the load to
    /// arrive even after a run of cheap events (an event takes 0.2-1 µs, a
    /// miss ~0.1 µs), near enough that the line is still cached when used
    /// (16 measured no better).
    public static let prefetchDistance = 8

    /// How many events of one partition a caller that may choose (a
    /// backfill) should ingest back to back: a partition's state (its
    /// scopes' windows, sessions and id tables) is far larger than the CPU
    /// caches, and a long run reuses what its first events brought in.
    /// Decode + aggregate of 1M generated records (200 shops, 64 partitions,
    /// thread CPU, alternating in one quarter hour) took 1363 ns/record when
    /// each poll's ~80 events per partition were ingested at once, 1068 in
    /// runs of 1024, 1026 in runs of 2048 and 996 in runs of 4096.
    public static let preferredRunLength = 2048

    /// Moves the watermark forward (never back): decides pending chat turns,
    /// closes and evicts windows. For an idle input or the end of a replay.
    public mutating func advanceWatermark(to time: EventTime) {
        raiseWatermark(to: time.millis)
    }

    mutating func apply(_ e: ShopEvent, shop: Int32, at p: Placement, tie: UInt64) {
        let shopScope = shops[Int(shop)].shopScope
        switch e.type {
        case .pageView:
            ingestPageView(e, shop: shop, at: p, tie: tie)
        case .orderCreated, .orderPaid:
            ingestOrder(e, shop: shop, at: p)
        case .orderRefunded:
            add(CounterDelta(.refunds, e.amount?.minorUnits ?? 0), to: shopScope, at: p)
        case .orderShipped:
            if let promised = e.promisedShipBy {
                var d = CounterDelta(.shippedWithPromise)
                if t(p) <= promised.millis { d.append(.shippedOnTime) }
                add(d, to: shopScope, at: p)
            }
        case .orderCancelled:
            break
        case .adImpression, .adClick, .adSpend:
            var d: CounterDelta
            switch e.type {
            case .adImpression: d = CounterDelta(.impressions); if let c = e.cost { d.append(.spend, c.minorUnits) }
            case .adClick: d = CounterDelta(.clicks); if let c = e.cost { d.append(.spend, c.minorUnits) }
            default: d = CounterDelta(.spend, e.amount?.minorUnits ?? 0)
            }
            if e.text.has(.channel) { add(d, to: channelScope(shop, of: e), at: p) }
            if e.text.has(.campaignID) { add(d, to: campaignScope(shop, of: e), at: p) }
        case .chatMessage:
            ingestChatMessage(e, shop: shop, at: p, tie: tie)
        case .chatRating:
            guard e.text.has(.agentID), let score = e.score else { return }
            var d = CounterDelta(.ratings)
            d.append(.ratingSum, Int64(score))
            if score >= 4 { d.append(.ratingsGood) }
            addService(d, agent: agentScope(shop, of: e), at: p)
        }
    }

    @inline(__always) func t(_ p: Placement) -> Int64 { p.time }

    mutating func ingestPageView(_ e: ShopEvent, shop: Int32, at p: Placement, tie: UInt64) {
        let shopScope = shops[Int(shop)].shopScope
        var d = CounterDelta(.pageViews)
        if let dwell = e.dwellMillis {
            d.append(.dwellSumMillis, dwell)
            d.append(.dwellCount)
        }
        add(d, to: shopScope, at: p)
        let visitor = e.text.hash(.visitorID)
        let channel = e.text.has(.channel) ? channelScope(shop, of: e) : -1
        let campaign = e.text.has(.campaignID) ? campaignScope(shop, of: e) : -1
        let sessionHash = e.text.hash(.sessionID) ?? 0
        let session = e.text.withUTF8(.sessionID) { shops[Int(shop)].browsing.position(of: $0, hash: sessionHash) } ?? nil
        var note = VisitorNote()
        if let v = visitor {
            note = VisitorNote(visitor: IDSet.key(v), day: p.day, hour: p.hour, channel: channel, campaign: campaign)
            // A repeat of the session's last note would change no set: skipped.
            if session.map({ shops[Int(shop)].browsing.values[$0].visitorNote != note }) ?? true {
                noteVisitor(v, in: shopScope, at: p)
                if channel >= 0 { noteVisitor(v, in: channel, at: p) }
                if campaign >= 0 { noteVisitor(v, in: campaign, at: p) }
            }
        }
        if e.isLanding && campaign >= 0 {
            add(CounterDelta(.arrivals), to: campaign, at: p)
            if channel >= 0 { add(CounterDelta(.arrivals), to: channel, at: p) }
        }
        if e.text.has(.sessionID) {
            noteBrowsing(shop: shop, session: e.text[.sessionID]!, hash: sessionHash, position: session, at: p, tie: tie,
                         channel: channel, campaign: campaign, visitorNote: note)
        }
    }

    /// Updates a browsing session and moves its bounce contribution when its
    /// first page view or its view count changed.
    mutating func noteBrowsing(shop: Int32, session id: @autoclosure () -> String, hash: UInt64, position: Int?, at p: Placement, tie: UInt64,
                               channel: Int32, campaign: Int32, visitorNote: VisitorNote) {
        let (previous, current) = shops[Int(shop)].recordView(session: id(), hash: hash, position: position, time: p.time, tie: tie,
                                                              channel: channel, campaign: campaign, visitorNote: visitorNote)
        guard let old = previous else {
            var d = CounterDelta(.browseSessions)
            d.append(.bouncedSessions)
            addBrowsing(d, shop: shop, channel: channel, campaign: campaign, at: p)
            return
        }
        if current.firstTime != old.firstTime || current.firstTie != old.firstTie {
            var retract = CounterDelta(.browseSessions, -1)
            if old.views == 1 { retract.append(.bouncedSessions, -1) }
            let oldPlace = place(old.firstTime)
            if oldPlace.day >= retainedFromDay {
                addBrowsing(retract, shop: shop, channel: old.channel, campaign: old.campaign, at: oldPlace)
            }
            addBrowsing(CounterDelta(.browseSessions), shop: shop, channel: channel, campaign: campaign, at: p)
        } else if old.views == 1 {
            let firstPlace = place(current.firstTime)
            if firstPlace.day >= retainedFromDay {
                addBrowsing(CounterDelta(.bouncedSessions, -1), shop: shop, channel: current.channel,
                            campaign: current.campaign, at: firstPlace)
            }
        }
    }

    mutating func addBrowsing(_ d: CounterDelta, shop: Int32, channel: Int32, campaign: Int32, at p: Placement) {
        add(d, to: shops[Int(shop)].shopScope, at: p)
        if channel >= 0 { add(d, to: channel, at: p) }
        if campaign >= 0 { add(d, to: campaign, at: p) }
    }

    // MARK: - Placement and window lookup

    mutating func place(_ t: Int64) -> Placement {
        let day = days.day(containing: t)
        if day != cachedDay {
            cachedDay = day
            cachedWeek = WindowID.weekStart(ofDay: day, firstWeekday: configuration.firstWeekday)
            cachedMonth = WindowID.monthStart(ofDay: day)
        }
        return Placement(time: t, day: day, week: cachedWeek, month: cachedMonth,
                         hour: Int32(truncatingIfNeeded: CivilTime.floorDiv(t, 3_600_000)))
    }

    func retainedStart(_ type: WindowType) -> Int64 {
        switch type {
        case .day: retainedFromDay
        case .week: retainedWeekStart
        default: retainedMonthStart
        }
    }

    /// The first local day of the window after the one starting at `startDay`.
    func nextStartDay(_ type: WindowType, after startDay: Int64) -> Int64 {
        switch type {
        case .day: startDay + 1
        case .week: startDay + 7
        default: WindowID.addMonths(1, toMonthStart: startDay)
        }
    }

    static let calendarTypes: [WindowType] = [.day, .week, .month]

    /// Index of the window of `type` containing `p` in scope `s`, created
    /// when `create` and still retained; nil when evicted.
    @inline(__always)
    mutating func windowIndex(_ s: Int, _ type: WindowType, _ p: Placement, create: Bool) -> Int? {
        let startDay = p.startDay(of: type)
        let n = scopes[s].windows.count
        var i = 0
        while i < n {
            if scopes[s].windows[i].startDay == startDay && scopes[s].windows[i].type == type { return i }
            i += 1
        }
        guard create, startDay >= retainedStart(type) else { return nil }
        let start = days.start(ofDay: startDay)
        let end = days.start(ofDay: nextStartDay(type, after: startDay))
        scopes[s].windows.append(WindowAggregate(type: type, startDay: startDay, start: start, end: end))
        noteFlagDeadlines(scope: s, end: end)
        return n
    }

    /// The day, week and month windows of scope `s` containing `p`, created
    /// when still retained (−1 where not retained). Every event contributes
    /// to several scopes, each to three windows: a scan of the scope's
    /// windows per contribution was ~25% of ingest. The slots of the last
    /// day seen are cached in the scope and re-validated here, so eviction
    /// and restore need not know about the cache.
    @inline(__always)
    mutating func calendarSlots(_ s: Int, _ p: Placement) -> WindowSlots {
        if let w = scopes[s].cachedSlots(p) { return w }
        return calendarSlotsSlow(s, p)
    }

    /// Looks the windows up (creating them in the order day, week, month, as
    /// each contribution always has) and caches the result when all three exist.
    @inline(never)
    mutating func calendarSlotsSlow(_ s: Int, _ p: Placement) -> WindowSlots {
        var w = WindowSlots()
        w.day = windowIndex(s, .day, p, create: true).map { Int32($0) } ?? -1
        w.week = windowIndex(s, .week, p, create: true).map { Int32($0) } ?? -1
        w.month = windowIndex(s, .month, p, create: true).map { Int32($0) } ?? -1
        if w.day >= 0 && w.week >= 0 && w.month >= 0 {
            scopes[s].slotsDay = p.day
            scopes[s].slots = w
        }
        return w
    }

    // MARK: - Contributions (every window of a scope at once)

    mutating func add(_ d: CounterDelta, to scope: Int32, at p: Placement) {
        let s = Int(scope)
        let w = calendarSlots(s, p)
        scopes[s].add(d, w, hour: p.hour, watermarkHour: watermarkHour)
        touch(s)
    }

    mutating func noteVisitor(_ id: UInt64, in scope: Int32, at p: Placement) {
        let s = Int(scope)
        let w = calendarSlots(s, p)
        scopes[s].noteVisitor(id, w, hour: p.hour, threshold: threshold)
        touch(s)
    }

    mutating func noteBuyer(_ id: UInt64, in scope: Int32, at p: Placement) {
        let s = Int(scope)
        let w = calendarSlots(s, p)
        scopes[s].noteBuyer(id, w, hour: p.hour, threshold: threshold)
        touch(s)
    }

    /// Puts scope `s` in the change queues it belongs in (once each until taken).
    @inline(__always)
    mutating func touch(_ s: Int) {
        if scopes[s].queued != scopes[s].wanted { enqueue(s) }
    }

    @inline(never)
    mutating func enqueue(_ s: Int) {
        let missing = scopes[s].wanted.subtracting(scopes[s].queued)
        if missing.contains(.emission) { emissionQueue.append(Int32(s)) }
        if missing.contains(.watch) { watchQueue.append(Int32(s)) }
        scopes[s].queued.formUnion(missing)
    }

    /// The queues scope `s` belongs in under the current settings.
    func wantedQueues(_ s: Int) -> ChangeQueue {
        var q = ChangeQueue()
        if tracksEmissions { q.insert(.emission) }
        if scopes[s].watched != 0 { q.insert(.watch) }
        return q
    }

    /// The coverage moved: every scope is looked at by the next drain (the
    /// windows whose `complete` flag flipped are emitted). Rare: once per
    /// input at the start of a replay.
    mutating func coverageChanged() {
        for s in scopes.indices {
            scopes[s].rolling.dirty = true
            touch(s)
        }
    }

    /// After `tracksEmissions` or `watch` changed: every scope's watched
    /// windows and queues again; each scope is queued once, so that the
    /// next drain and the next watch read see everything.
    mutating func updateWantedQueues() {
        flagDeadlines = Heap()
        for s in scopes.indices {
            for w in scopes[s].windows { noteFlagDeadlines(scope: s, end: w.end) }
            scopes[s].watched = watch?.mask(for: scopes[s].scope) ?? 0
            scopes[s].wanted = wantedQueues(s)
            scopes[s].queued.formIntersection(scopes[s].wanted)
            touch(s)
        }
    }

    /// The customer-service scopes credited for `agent`: the agent, its teams, the shop.
    func serviceScopes(agent: Int32) -> (agent: Int32, teams: [Int32], shop: Int32) {
        let a = scopes[Int(agent)]
        return (agent, a.teams, shops[Int(a.shop)].shopScope)
    }

    mutating func addService(_ d: CounterDelta, agent: Int32, at p: Placement) {
        let targets = serviceScopes(agent: agent)
        add(d, to: targets.agent, at: p)
        for team in targets.teams { add(d, to: team, at: p) }
        add(d, to: targets.shop, at: p)
    }

    /// `converts`: a payment of the buyer falls within the attribution window from `p`.
    mutating func noteInquiry(_ buyer: UInt64, agent: Int32, at p: Placement, converts: Bool) {
        let targets = serviceScopes(agent: agent)
        noteInquiry(buyer, scope: targets.agent, at: p, converts: converts)
        for team in targets.teams { noteInquiry(buyer, scope: team, at: p, converts: converts) }
        noteInquiry(buyer, scope: targets.shop, at: p, converts: converts)
    }

    mutating func noteInquiry(_ buyer: UInt64, scope: Int32, at p: Placement, converts: Bool) {
        let s = Int(scope)
        scopes[s].rolling.noteInquiry(buyer, time: p.time)
        let w = calendarSlots(s, p)
        scopes[s].noteInquiry(buyer, w, time: p.time, converts: converts)
        touch(s)
    }

    mutating func noteAttributedPayer(_ buyer: UInt64, agent: Int32, at p: Placement, sign: Int64) {
        let targets = serviceScopes(agent: agent)
        for scope in [targets.agent] + targets.teams + [targets.shop] {
            let s = Int(scope)
            let w = calendarSlots(s, p)
            for i in [w.day, w.week, w.month] where i >= 0 {
                let n = (scopes[s].windows[Int(i)].attributedPayers[buyer] ?? 0) + Int32(sign)
                scopes[s].windows[Int(i)].attributedPayers[buyer] = n > 0 ? n : nil
                scopes[s].windows[Int(i)].markChanged()
            }
            scopes[s].rolling.noteAttributedPayer(buyer, hour: p.hour, sign: sign)
            touch(s)
        }
    }

    /// A payment at `payment` converts the buyer's first inquiries, at most
    /// the attribution window before it, in the windows containing the
    /// inquiry `p` (a buyer message to `agent`) of the agent's service scopes.
    mutating func notePayment(_ buyer: UInt64, payment: Int64, inquiry p: Placement, agent: Int32) {
        let targets = serviceScopes(agent: agent)
        for scope in [targets.agent] + targets.teams + [targets.shop] {
            let s = Int(scope)
            var w = WindowSlots()
            w.day = windowIndex(s, .day, p, create: false).map(Int32.init) ?? -1
            w.week = windowIndex(s, .week, p, create: false).map(Int32.init) ?? -1
            w.month = windowIndex(s, .month, p, create: false).map(Int32.init) ?? -1
            scopes[s].notePayment(buyer, w, payment: payment, attribution: attribution)
            // The rolling windows' conversion is computed when read.
            scopes[s].rolling.dirty = true
            touch(s)
        }
    }

    // MARK: - Scope interning

    // Scope interning: every event names its shop, most name an agent, a
    // channel or a campaign. Looking those up in the `String`-keyed tables
    // costs a SipHash pass per lookup (~18% of ingest); `internedScopes`
    // answers the same question from the ids' `StableHash` (a few
    // multiplies over the bytes) and an integer-keyed probe. Every hit is
    // verified against the scope's own id, so the tables above stay the
    // single source of truth (a checkpoint restores them; this cache
    // refills itself on the first misses).

    /// The `internedScopes` key of id hash `h` for a scope kind in a shop.
    @inline(__always)
    static func internKey(_ h: UInt64, _ type: ScopeType, shop: Int32) -> UInt64 {
        h ^ (UInt64(type.rawValue) &+ 1) &* 0x9E37_79B9_7F4A_7C15 ^ (UInt64(UInt32(bitPattern: shop)) &+ 1) &* 0xC2B2_AE3D_27D4_EB4F
    }

    /// The scope of `type` (agent, channel, campaign) in `shop` whose id is
    /// `e`'s `field`, when interned.
    @inline(__always)
    func internedScope(_ key: UInt64, _ type: ScopeType, shop: Int32, _ e: borrowing ShopEvent, _ field: EventText.Field) -> Int32? {
        guard let s = internedScopes[key], Int(s) < scopes.count else { return nil }
        // Field by field: copying the whole `ScopeState` would retain all its buffers.
        let i = Int(s)
        return scopes[i].shop == shop && scopes[i].scope.type == type && (scopes[i].scope.id.map { e.text.field(field, equals: $0) } ?? false) ? s : nil
    }

    /// The index of `e`'s shop, created on first sight.
    mutating func shopIndex(of e: borrowing ShopEvent) -> Int32 {
        let key = Self.internKey(e.text.hash(.shopID) ?? 0, .shop, shop: -1)
        if let i = internedScopes[key], Int(i) < shops.count, e.text.field(.shopID, equals: shops[Int(i)].shopID) { return i }
        let i = shopIndexSlow(for: e.shopID)
        internedScopes.updateValue(i, forKey: key)
        return i
    }

    mutating func shopIndexSlow(for id: String) -> Int32 {
        if let i = shopIndex[id] { return i }
        let i = Int32(shops.count)
        let scope = newScope(Scope(type: .shop, shopID: id), shop: i)
        shops.append(ShopState(shopID: id, shopScope: scope,
                               teamScopes: [Int32](repeating: -1, count: configuration.teams.count)))
        shopIndex[id] = i
        return i
    }

    /// `maxIDsPerShop` (0: none).
    @inline(__always) var idCap: Int { configuration.maxIDsPerShop }

    /// Whether `e` names an agent, channel or campaign id `shop` does not
    /// have yet while it has `idCap` of that kind. Looks an id up only for a
    /// kind at its cap (a flood of one-off ids), so the usual event pays
    /// three count comparisons.
    func overIDCap(_ e: borrowing ShopEvent, shop: Int32) -> Bool {
        let cap = idCap
        let s = Int(shop)
        if e.text.has(.agentID) && shops[s].agentScopes.count >= cap && shops[s].agentScopes[e.text[.agentID]!] == nil { return true }
        if e.text.has(.channel) && shops[s].channelScopes.count >= cap && shops[s].channelScopes[e.text[.channel]!] == nil { return true }
        if e.text.has(.campaignID) && shops[s].campaignScopes.count >= cap
            && shops[s].campaignScopes[e.text[.campaignID]!] == nil { return true }
        return false
    }

    mutating func newScope(_ scope: Scope, shop: Int32) -> Int32 {
        scopes.append(ScopeState(scope: scope, shop: shop))
        let s = scopes.count - 1
        scopes[s].watched = watch?.mask(for: scope) ?? 0
        scopes[s].wanted = wantedQueues(s)
        return Int32(s)
    }

    /// A window of scope `s` ending at `end` is looked at again when its
    /// `closed` and `final` flags flip (only a drain needs that).
    mutating func noteFlagDeadlines(scope s: Int, end: Int64) {
        guard tracksEmissions else { return }
        flagDeadlines.insert(FlagDeadline(time: end, scope: Int32(s)))
        flagDeadlines.insert(FlagDeadline(time: end + finalHorizon, scope: Int32(s)))
    }

    /// The scope of `e`'s agent (`agent_id` present) in `shop`, created on first sight.
    mutating func agentScope(_ shop: Int32, of e: borrowing ShopEvent) -> Int32 {
        let key = Self.internKey(e.text.hash(.agentID)!, .agent, shop: shop)
        if let s = internedScope(key, .agent, shop: shop, e, .agentID) { return s }
        let s = agentScopeSlow(shop, e.text[.agentID]!)
        internedScopes.updateValue(s, forKey: key)
        return s
    }

    mutating func agentScopeSlow(_ shop: Int32, _ id: String) -> Int32 {
        if let s = shops[Int(shop)].agentScopes[id] { return s }
        let s = newScope(Scope(type: .agent, shopID: shops[Int(shop)].shopID, id: id), shop: shop)
        var teams: [Int32] = []
        for t in teamsByAgent[id] ?? [] {
            if shops[Int(shop)].teamScopes[t] < 0 {
                shops[Int(shop)].teamScopes[t] = newScope(
                    Scope(type: .team, shopID: shops[Int(shop)].shopID, id: configuration.teams[t].name), shop: shop)
            }
            teams.append(shops[Int(shop)].teamScopes[t])
        }
        scopes[Int(s)].teams = teams
        shops[Int(shop)].agentScopes[id] = s
        largestIDTable = max(largestIDTable, shops[Int(shop)].agentScopes.count)
        return s
    }

    /// The scope of `e`'s channel (present) in `shop`.
    mutating func channelScope(_ shop: Int32, of e: borrowing ShopEvent) -> Int32 {
        promotionScope(.channel, \.channelScopes, shop, e, .channel)
    }

    /// The scope of `e`'s campaign (present) in `shop`.
    mutating func campaignScope(_ shop: Int32, of e: borrowing ShopEvent) -> Int32 {
        promotionScope(.campaign, \.campaignScopes, shop, e, .campaignID)
    }

    /// The scope of a shop's channel or campaign (`table`: the shop's index
    /// of that kind) named by `e`'s `field`, created on first sight; the interned lookup first.
    @inline(__always)
    mutating func promotionScope(_ type: ScopeType, _ table: WritableKeyPath<ShopState, [String: Int32]>, _ shop: Int32,
                                 _ e: borrowing ShopEvent, _ field: EventText.Field) -> Int32 {
        let key = Self.internKey(e.text.hash(field)!, type, shop: shop)
        if let s = internedScope(key, type, shop: shop, e, field) { return s }
        let s = promotionScopeSlow(type, table, shop, e.text[field]!)
        internedScopes.updateValue(s, forKey: key)
        return s
    }

    mutating func promotionScopeSlow(_ type: ScopeType, _ table: WritableKeyPath<ShopState, [String: Int32]>, _ shop: Int32, _ id: String) -> Int32 {
        if let s = shops[Int(shop)][keyPath: table][id] { return s }
        let s = newScope(Scope(type: type, shopID: shops[Int(shop)].shopID, id: id), shop: shop)
        shops[Int(shop)][keyPath: table][id] = s
        largestIDTable = max(largestIDTable, shops[Int(shop)][keyPath: table].count)
        return s
    }
}
