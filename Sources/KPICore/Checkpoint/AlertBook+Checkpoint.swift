/// The alert book's part of a partition checkpoint: the last evaluation tick,
/// every alert state machine that is not idle-and-silent, and the no-data
/// watch of each scope.
///
/// Snapshots are not stored: after a restore the book re-learns every
/// window's current state from the restored `PartitionKPIState`
/// (`resume(checkpoint:current:)`). With the machines and the tick restored,
/// the evaluations after a restore are the ones a run without the restart
/// makes: same ids, states, `since` and order.
extension AlertBook {
    static let checkpointMagic: [UInt8] = Array("KPIA".utf8)
    static let checkpointVersion: UInt64 = 1

    /// The book's state as bytes (see the type's comment for what is kept).
    public func checkpoint() -> [UInt8] {
        var w = CheckpointWriter(capacity: 1024 + slotOf.count * 96)
        w.raw(Self.checkpointMagic)
        w.varint(Self.checkpointVersion)
        w.optionalTime(lastTick?.millis)
        var machines: [(String, AlertStateMachine)] = []
        for t in trackedInOrder {
            for (j, r) in t.rules.enumerated() where t.machines[j] != AlertStateMachine() {
                let id = Alert.id(rule: targets.rules[r].id, scope: t.key.scope, windowType: t.window.type, windowID: t.window.id)
                machines.append((id, t.machines[j]))
            }
        }
        w.count(machines.count)
        for (id, m) in machines {
            w.string(id)
            m.write(to: &w)
        }
        w.count(silenceSlot.count)
        for scope in silenceSlot.keys.sorted() {
            let s = silenceEntries[Int(silenceSlot[scope]!)]
            w.byte(scope.type.rawValue)
            w.string(scope.shopID)
            w.optionalString(scope.id)
            w.time(s.lastActivity.millis)
            w.string(s.dayID)
            w.signed(s.dayStart)
            s.machine.write(to: &w)
            w.optionalString(s.episodeDayID)
        }
        return w.finish()
    }

    /// Restores the state of `checkpoint()`, then learns `current` (every
    /// window's snapshot from the restored KPI state) without evaluating and
    /// without taking it as new activity for the no-data watch. (A book fed
    /// by the engine learns with `take(from:)` instead, after
    /// `PartitionKPIState.primeWatchedFingerprints`.)
    public mutating func resume(checkpoint bytes: [UInt8], current: [KPISnapshot] = []) throws(KPICoreError) {
        guard bytes.count >= Self.checkpointMagic.count + CheckpointFormat.trailerSize, bytes.starts(with: Self.checkpointMagic) else {
            throw .corruptCheckpoint(reason: "not an alert book checkpoint")
        }
        var trailer = CheckpointReader(bytes, limit: bytes.count)
        _ = try trailer.raw(bytes.count - CheckpointFormat.trailerSize)
        guard try trailer.fixed64() == CheckpointFormat.checksum(bytes, count: bytes.count - CheckpointFormat.trailerSize) else {
            throw .corruptCheckpoint(reason: "alert book checksum mismatch")
        }
        var r = CheckpointReader(bytes, limit: bytes.count - CheckpointFormat.trailerSize)
        _ = try r.raw(Self.checkpointMagic.count)
        guard try r.varint() == Self.checkpointVersion else { throw .corruptCheckpoint(reason: "alert book checkpoint of another version") }
        lastTick = try r.optionalTime().map(EventTime.init(millis:))
        for _ in 0..<(try r.count()) {
            let id = try r.string()
            resumed[id] = try AlertStateMachine(from: &r)
        }
        for _ in 0..<(try r.count()) {
            guard let type = ScopeType(rawValue: try r.byte()) else { throw .corruptCheckpoint(reason: "unknown scope type") }
            let scope = Scope(type: type, shopID: try r.string(), id: try r.optionalString())
            let lastActivity = EventTime(millis: try r.time())
            let dayID = try r.string()
            let dayStart = try r.signed()
            let machine = try AlertStateMachine(from: &r)
            let episode = try r.optionalString()
            if let slot = silenceSlot[scope] {
                let was = silenceEntries[Int(slot)].machine.state == .firing, now = machine.state == .firing
                if scope.type == .shop && was != now { troubledShops += now ? 1 : -1 }
                silenceEntries[Int(slot)].lastActivity = lastActivity
                silenceEntries[Int(slot)].dayID = dayID
                silenceEntries[Int(slot)].dayStart = dayStart
                silenceEntries[Int(slot)].machine = machine
                silenceEntries[Int(slot)].episodeDayID = episode
            } else {
                addSilence(Silence(scope: scope, lastActivity: lastActivity, dayID: dayID, dayStart: dayStart,
                                   machine: machine, episodeDayID: episode))
            }
        }
        for s in current { store(s, watermark: s.watermark, isActivity: false) }
    }
}

extension AlertStateMachine {
    func write(to w: inout CheckpointWriter) {
        switch breach {
        case .idle: w.byte(0)
        case .pending(let since): w.byte(1); w.time(since.millis)
        case .firing(let since): w.byte(2); w.time(since.millis)
        }
        w.optionalTime(resolvedAt?.millis)
        w.byte(delivered.map { $0 == .pending ? 1 : $0 == .firing ? 2 : 3 } ?? 0)
        w.optionalTime(deliveredAt?.millis)
    }

    init(from r: inout CheckpointReader) throws(KPICoreError) {
        self.init()
        switch try r.byte() {
        case 0: breach = .idle
        case 1: breach = .pending(since: EventTime(millis: try r.time()))
        case 2: breach = .firing(since: EventTime(millis: try r.time()))
        default: throw .corruptCheckpoint(reason: "unknown alert breach state")
        }
        resolvedAt = try r.optionalTime().map(EventTime.init(millis:))
        switch try r.byte() {
        case 0: delivered = nil
        case 1: delivered = .pending
        case 2: delivered = .firing
        case 3: delivered = .resolved
        default: throw .corruptCheckpoint(reason: "unknown delivered alert state")
        }
        deliveredAt = try r.optionalTime().map(EventTime.init(millis:))
    }
}
