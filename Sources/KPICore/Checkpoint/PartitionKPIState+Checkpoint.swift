/// Checkpoints: the complete state of a partition as bytes, and back
/// (interfaces.md "State, restore and scale-out"). The service writes them,
/// with the input offsets they cover, to the compacted state topic and
/// restores from them on assignment; see `CheckpointFormat` for the layout.
///
/// Derived caches are not written but rebuilt: the local-day table, the
/// one-entry placement cache, scope lookup tables, agent → team scopes,
/// rolling running sums, chat sessions' last message time.
extension PartitionKPIState {
    /// The complete state as bytes: a versioned, compact binary format (magic +
    /// format version + configuration fingerprint + checksum), deterministic
    /// (same state → same bytes: dictionaries are written sorted by key).
    public func checkpoint() -> [UInt8] {
        let seen = seenEvents.count
        var w = CheckpointWriter(capacity: 4096 + scopes.count * 2048 + seen * 24)
        w.raw(CheckpointFormat.magic)
        w.varint(CheckpointFormat.version)
        w.fixed64(CheckpointFormat.fingerprint(configuration))
        CheckpointFormat.writeSummary(configuration, to: &w)

        w.signed(Int64(partition))
        let base = watermarkMillis ?? maxEventTime ?? 0
        w.signed(base)
        w.baseTime = base
        w.optionalTime(coverageStart?.millis)

        // Clock and retention.
        w.optionalTime(maxEventTime)
        w.optionalTime(lastRecordTime)
        w.optionalTime(watermarkMillis)
        w.time(nextWatermarkAction)
        w.time(nextDayStart)
        w.day(retainedFromDay)
        w.time(retainedFromTime)
        w.day(retainedWeekStart)
        w.day(retainedMonthStart)

        w.count(shops.count)
        for shop in shops { w.string(shop.shopID) }

        w.count(scopes.count)
        for s in scopes {
            w.byte(s.scope.type.rawValue)
            w.count(Int(s.shop))
            w.optionalString(s.scope.id)
            w.count(s.windows.count)
            for window in s.windows { w.window(window) }
            w.rolling(s.rolling)
        }

        for shop in shops {
            let chats = shop.chatSessions.sorted { $0.key < $1.key }
            w.count(chats.count)
            for (id, session) in chats { w.string(id); w.chatSession(session) }
            let browsing = shop.browsingSessions.sorted { $0.key < $1.key }
            w.count(browsing.count)
            for (id, session) in browsing { w.string(id); w.browsingSession(session) }
            w.hashKeyed(shop.buyers) { $0.buyerHistory($1) }
        }

        w.hashKeyed(seenEvents) { $0.day($1) }

        // The heap's array as is: pushing it back in order rebuilds it unchanged.
        w.count(turnDeadlines.entries.count)
        for e in turnDeadlines.entries {
            w.time(e.deadline)
            w.count(Int(e.shop))
            w.string(e.session)
        }

        w.count(evicted.count)
        for e in evicted { w.snapshot(e.snapshot); w.bool(e.changed) }

        return w.finish()
    }

    /// Restores a state written by `checkpoint()`. Throws on corrupt or
    /// truncated bytes, an unknown format version, or a configuration whose
    /// fingerprint differs in anything that changes results — the service then
    /// falls back to a full replay.
    public init(checkpoint bytes: [UInt8], configuration: KPIConfiguration) throws(KPICoreError) {
        try self.init(checkpoint: bytes, configuration: configuration, verifyingChecksum: true)
    }

    /// `verifyingChecksum: false` is for fuzz tests of the structural checks
    /// behind the checksum.
    init(checkpoint bytes: [UInt8], configuration: KPIConfiguration, verifyingChecksum: Bool) throws(KPICoreError) {
        let magic = CheckpointFormat.magic
        guard bytes.count >= magic.count + 1 + CheckpointFormat.trailerSize, bytes.starts(with: magic) else {
            throw .corruptCheckpoint(reason: "not a KPI checkpoint")
        }
        var r = CheckpointReader(bytes, limit: bytes.count - CheckpointFormat.trailerSize)
        _ = try r.raw(magic.count)
        let version = try r.varint()
        guard version == CheckpointFormat.version else { throw .unsupportedCheckpointVersion(Int(clamping: version)) }
        if verifyingChecksum {
            var trailer = CheckpointReader(bytes, limit: bytes.count)
            _ = try trailer.raw(bytes.count - CheckpointFormat.trailerSize)
            guard try trailer.fixed64() == CheckpointFormat.checksum(bytes, count: r.limit) else {
                throw .corruptCheckpoint(reason: "checksum mismatch")
            }
        }
        let fingerprint = try r.fixed64()
        let written = try CheckpointFormat.readSummary(&r)
        guard fingerprint == CheckpointFormat.fingerprint(configuration) else {
            let current = CheckpointFormat.summary(configuration)
            for (a, b) in zip(written.fields, current.fields) where a.value != b.value {
                throw .checkpointConfigurationMismatch(field: a.name)
            }
            throw .checkpointConfigurationMismatch(field: "fingerprint")
        }

        let partition = try r.signed(in: Int64(Int32.min)...Int64(Int32.max), "partition")
        r.baseTime = try r.signed(in: -CheckpointReader.timeBound...CheckpointReader.timeBound, "base time")
        let coverage = try r.optionalTime()
        try self.init(partition: Int32(partition), configuration: configuration,
                      coverageStart: coverage.map(EventTime.init(millis:)))
        try restoreBody(&r)
        guard r.isAtEnd else { throw .corruptCheckpoint(reason: "\(r.remaining) trailing bytes") }
    }

    private mutating func restoreBody(_ r: inout CheckpointReader) throws(KPICoreError) {
        maxEventTime = try r.optionalTime()
        lastRecordTime = try r.optionalTime()
        watermarkMillis = try r.optionalTime()
        watermarkHour = watermarkMillis.map { Int32(truncatingIfNeeded: CivilTime.floorDiv($0, 3_600_000)) }
        nextWatermarkAction = try r.timeOrSentinel()
        nextDayStart = try r.timeOrSentinel()
        retainedFromDay = try r.dayOrSentinel()
        retainedFromTime = try r.timeOrSentinel()
        retainedWeekStart = try r.dayOrSentinel()
        retainedMonthStart = try r.dayOrSentinel()
        // Set together by `updateRetention`: all sentinels or none.
        let unset = [retainedFromDay == .min, retainedFromTime == .min, retainedWeekStart == .min, retainedMonthStart == .min]
        guard unset.allSatisfy({ $0 }) || !unset.contains(true) else {
            throw .corruptCheckpoint(reason: "partial retention bounds")
        }

        let shopIDs = try readShopIDs(&r)
        let (table, shopStates) = try readScopes(&r, shopIDs: shopIDs)
        shops = shopStates
        largestIDTable = shopStates.reduce(0) { max($0, $1.agentScopes.count, $1.channelScopes.count, $1.campaignScopes.count) }
        shopIndex = Dictionary(uniqueKeysWithValues: shopIDs.enumerated().map { ($0.element, Int32($0.offset)) })

        for k in shops.indices {
            shops[k].chatSessions = try readSessions(&r) { (r: inout CheckpointReader) throws(KPICoreError) in
                try r.chatSession(table)
            }
            shops[k].browsingSessions = try readSessions(&r) { (r: inout CheckpointReader) throws(KPICoreError) in
                try r.browsingSession(table)
            }
            shops[k].buyers = try r.hashKeyedDictionary { (r: inout CheckpointReader) throws(KPICoreError) in
                try r.buyerHistory(table)
            }
        }

        seenEvents = try r.idMap(empty: 0) { (r: inout CheckpointReader) throws(KPICoreError) in try r.day() }

        let deadlines = try r.count(minimumBytes: 3)
        for _ in 0..<deadlines {
            let deadline = try r.time()
            let shop = try r.index(below: shops.count, "deadline shop")
            turnDeadlines.push(.init(deadline: deadline, shop: Int32(shop), session: try r.string()))
        }

        let evictedCount = try r.count(minimumBytes: 16)
        for _ in 0..<evictedCount {
            let snapshot = try r.snapshot()
            evicted.append(EvictedWindow(snapshot: snapshot, changed: try r.bool()))
        }
        rebuildConversions()
        resetSumBounds()
        updateWantedQueues()
    }

    /// Which first inquiries are converted, from the buyers' payment times
    /// (derived: not written).
    private mutating func rebuildConversions() {
        for s in scopes.indices {
            let k = Int(scopes[s].shop)
            for i in scopes[s].windows.indices where !scopes[s].windows[i].inquirers.isEmpty {
                var converted: Int64 = 0
                for (b, first) in scopes[s].windows[i].inquirers {
                    let c = shops[k].buyers[b]?.hasPayment(from: first.time, through: first.time + attribution) == true
                    if c { converted += 1 }
                    if c != first.converted { scopes[s].windows[i].inquirers[b]!.converted = c }
                }
                scopes[s].windows[i].convertedInquiries = converted
            }
        }
    }

    private func readShopIDs(_ r: inout CheckpointReader) throws(KPICoreError) -> [String] {
        let n = try r.count()
        var ids: [String] = []
        var seen = Set<String>()
        ids.reserveCapacity(n)
        for _ in 0..<n {
            let id = try r.string()
            guard seen.insert(id).inserted else { throw .corruptCheckpoint(reason: "duplicate shop \(id)") }
            ids.append(id)
        }
        return ids
    }

    /// Reads the scopes and rebuilds each shop's lookup tables from them
    /// (they are exactly the scopes of that shop, by type and id).
    private mutating func readScopes(_ r: inout CheckpointReader, shopIDs: [String])
        throws(KPICoreError) -> (CheckpointScopeTable, [ShopState]) {
        let teamIndex = Dictionary(uniqueKeysWithValues: configuration.teams.enumerated().map { ($0.element.name, $0.offset) })
        var shopScope = [Int32](repeating: -1, count: shopIDs.count)
        var agents = [[String: Int32]](repeating: [:], count: shopIDs.count)
        var teams = [[Int32]](repeating: [Int32](repeating: -1, count: configuration.teams.count), count: shopIDs.count)
        var channels = [[String: Int32]](repeating: [:], count: shopIDs.count)
        var campaigns = [[String: Int32]](repeating: [:], count: shopIDs.count)

        let n = try r.count(minimumBytes: 3)
        scopes = []
        scopes.reserveCapacity(n)
        for i in 0..<n {
            let kind = try r.byte()
            guard let type = ScopeType(rawValue: kind) else { throw .corruptCheckpoint(reason: "scope type \(kind)") }
            let shop = try r.index(below: shopIDs.count, "scope shop")
            let id = try r.optionalString()
            guard (type == .shop) == (id == nil) else { throw .corruptCheckpoint(reason: "scope id of a \(type.name)") }
            func claim(_ slot: inout Int32?) throws(KPICoreError) {
                guard slot == nil else { throw .corruptCheckpoint(reason: "duplicate \(type.name) scope") }
                slot = Int32(i)
            }
            switch type {
            case .shop:
                guard shopScope[shop] < 0 else { throw .corruptCheckpoint(reason: "duplicate shop scope") }
                shopScope[shop] = Int32(i)
            case .agent: try claim(&agents[shop][id!])
            case .channel: try claim(&channels[shop][id!])
            case .campaign: try claim(&campaigns[shop][id!])
            case .team:
                guard let t = teamIndex[id!], teams[shop][t] < 0 else {
                    throw .corruptCheckpoint(reason: "team scope \(id!)")
                }
                teams[shop][t] = Int32(i)
            }
            var state = ScopeState(scope: Scope(type: type, shopID: shopIDs[shop], id: id), shop: Int32(shop))
            let windowCount = try r.count(minimumBytes: 12)
            state.windows.reserveCapacity(windowCount)
            for _ in 0..<windowCount { state.windows.append(try r.window(threshold: threshold)) }
            state.rolling = try r.rolling(threshold: threshold)
            scopes.append(state)
        }

        // An agent's teams: the team scopes of the configured teams listing it.
        for i in scopes.indices where scopes[i].scope.type == .agent {
            let shop = Int(scopes[i].shop)
            var list: [Int32] = []
            for t in teamsByAgent[scopes[i].scope.id!] ?? [] {
                guard teams[shop][t] >= 0 else { throw .corruptCheckpoint(reason: "missing team scope") }
                list.append(teams[shop][t])
            }
            scopes[i].teams = list
        }

        var states: [ShopState] = []
        states.reserveCapacity(shopIDs.count)
        for (k, id) in shopIDs.enumerated() {
            guard shopScope[k] >= 0 else { throw .corruptCheckpoint(reason: "shop \(id) without its scope") }
            var s = ShopState(shopID: id, shopScope: shopScope[k], teamScopes: teams[k])
            s.agentScopes = agents[k]
            s.channelScopes = channels[k]
            s.campaignScopes = campaigns[k]
            states.append(s)
        }
        return (CheckpointScopeTable(types: scopes.map(\.scope.type)), states)
    }

    /// String-keyed sessions, written in `String` order of their ids (Unicode
    /// canonical order: deterministic, and fast for ASCII ids).
    private func readSessions<V>(_ r: inout CheckpointReader,
                                 _ value: (inout CheckpointReader) throws(KPICoreError) -> V) throws(KPICoreError) -> [String: V] {
        let n = try r.count(minimumBytes: 2)
        var out: [String: V] = [:]
        out.reserveCapacity(n)
        var previous: String? = nil
        for _ in 0..<n {
            let id = try r.string()
            if let p = previous, !(p < id) {
                throw .corruptCheckpoint(reason: "session ids out of order")
            }
            previous = id
            out[id] = try value(&r)
        }
        return out
    }
}
