import KPICore
import Synchronization

/// What the live HTTP side serves: the latest snapshot per scope × window, the
/// latest state of each alert, a short headline history for sparklines, and
/// readiness. Written by the consumer thread, read by HTTP handlers.
///
/// One `Mutex` guards everything; every critical section is short (dictionary
/// updates, byte-array copies): JSON is encoded before the lock is taken, and
/// subscribers are fed after it is released, so a reader never waits on an
/// encoder and a slow browser never holds up the consumer (each subscriber
/// buffers at most `subscriberBuffer` updates, dropping the oldest).
public final class LiveKPIStore: Sendable {
    /// Identity of one snapshot: scope × window type × window id.
    struct Key: Hashable {
        var scope: Scope
        var windowType: WindowType
        var windowID: String
    }

    /// A scope × window type, across its window ids (for eviction).
    struct Series: Hashable {
        var scope: Scope
        var windowType: WindowType
    }

    struct Entry {
        var window: WindowRef
        var revision: Int
        var json: [UInt8]
        var history: [HeadlinePoint]
    }

    struct AlertEntry {
        var state: AlertState
        var json: [UInt8]
        /// Publish order, to evict the oldest resolved alerts first.
        var sequence: UInt64
    }

    struct State {
        /// Sets (nil: removes) the latest state of an alert id.
        mutating func setAlert(_ id: String, _ entry: AlertEntry?) {
            if alerts[id]?.state == .resolved { resolvedCount -= 1 }
            alerts[id] = entry
            guard let entry, entry.state == .resolved else { return }
            resolvedCount += 1
            resolvedOrder.append((id, entry.sequence))
        }

        /// Replaces the JSON of an alert id whose state did not change.
        mutating func updateJSON(_ id: String, _ json: [UInt8]) { alerts[id]?.json = json }

        /// Forgets the oldest resolved alerts beyond `kept`.
        mutating func evictResolved(keeping kept: Int) {
            while resolvedCount > kept, resolvedHead < resolvedOrder.count {
                let (id, sequence) = resolvedOrder[resolvedHead]
                resolvedHead += 1
                if let e = alerts[id], e.sequence == sequence, e.state == .resolved { setAlert(id, nil) }
            }
            // Entries met already, or stale: dropped once they are most of the list.
            if resolvedHead > 1024 && resolvedHead * 2 > resolvedOrder.count {
                resolvedOrder.removeFirst(resolvedHead)
                resolvedHead = 0
            }
        }

        var entries: [Key: Entry] = [:]
        /// Window ids held per series, oldest start first.
        var windows: [Series: [(id: String, start: EventTime)]] = [:]
        /// `entries.keys` in output order; nil when a key was added or removed since.
        var sortedKeys: [Key]? = []
        private(set) var alerts: [String: AlertEntry] = [:]
        /// How many of `alerts` are resolved, and the order they were
        /// published resolved in (id, sequence; an entry whose alert moved
        /// on since is skipped when met): eviction without a scan, which a
        /// restore publishing tens of thousands of alerts would pay for each.
        private(set) var resolvedCount = 0
        private var resolvedOrder: [(id: String, sequence: UInt64)] = []
        private var resolvedHead = 0
        /// Per partition, the alert ids its book listed last (`replaceAlerts`).
        var listed: [Int32: Set<String>] = [:]
        var alertSequence: UInt64 = 0
        var subscribers: [Int: AsyncStream<LiveUpdate>.Continuation] = [:]
        var nextSubscriber = 0
        var restoring: Set<Int32> = []
        var live = false
        /// Why the cluster is not answering; nil: it is.
        var brokerProblem: String?
        /// The partitions were given up and the group has not assigned any yet.
        var assignmentPending = false
        /// The partitions assigned; nil: not said (ready without them).
        var assigned: Set<Int32>?
        /// The stop started: never ready again (`markStopping`).
        var stopping = false
    }

    /// Money fraction digits for the JSON (the configured currency's).
    public let fractionDigits: Int
    public let zone: ZoneRules
    /// Revisions kept per scope × window for sparklines.
    public let historyLength: Int
    /// Window ids kept per scope × window type (today and the days before it, ...).
    public let windowsKept: Int
    /// Updates a subscriber may have queued before the oldest are dropped.
    public let subscriberBuffer: Int
    /// Resolved alerts kept (pending and firing ones are always kept).
    public let resolvedAlertsKept: Int

    private let state = Mutex(State())

    public init(fractionDigits: Int, zone: ZoneRules, historyLength: Int = 60, windowsKept: Int = 3,
                subscriberBuffer: Int = 512, resolvedAlertsKept: Int = 500) {
        self.fractionDigits = fractionDigits
        self.zone = zone
        self.historyLength = max(1, historyLength)
        self.windowsKept = max(1, windowsKept)
        self.subscriberBuffer = max(1, subscriberBuffer)
        self.resolvedAlertsKept = max(0, resolvedAlertsKept)
    }

    // MARK: Writing (consumer thread)

    /// Takes new snapshot revisions: keeps each one whose revision is newer than
    /// the one held for its scope × window, and broadcasts those to subscribers.
    /// Older or repeated revisions are ignored.
    public func publish(_ snapshots: [KPISnapshot]) {
        guard !snapshots.isEmpty else { return }
        let scale = Self.powerOfTen(fractionDigits)
        // Encoding and headline extraction happen outside the lock.
        let prepared = snapshots.map { s in
            (snapshot: s,
             json: SnapshotJSON.encode(s, fractionDigits: fractionDigits, zone: zone),
             point: Self.headlinePoint(s, moneyScale: scale))
        }
        let accepted: [LiveUpdate]
        let subscribers: [AsyncStream<LiveUpdate>.Continuation]
        (accepted, subscribers) = state.withLock { st in
            var accepted: [LiveUpdate] = []
            for p in prepared where st.store(p.snapshot, json: p.json, point: p.point,
                                             historyLength: historyLength, windowsKept: windowsKept) {
                accepted.append(.snapshot(scope: p.snapshot.scope, window: p.snapshot.window.type, json: p.json))
            }
            return (accepted, accepted.isEmpty ? [] : Array(st.subscribers.values))
        }
        for continuation in subscribers {
            for update in accepted { continuation.yield(update) }
        }
    }

    /// Takes an alert state change (interfaces.md "Alert", ready JSON): keeps the
    /// latest per `id` and broadcasts it. Resolved alerts beyond
    /// `resolvedAlertsKept` are forgotten, oldest first.
    public func publish(alert json: [UInt8], id: String, state alertState: AlertState) {
        let subscribers = state.withLock { st in
            st.alertSequence += 1
            st.setAlert(id, AlertEntry(state: alertState, json: json, sequence: st.alertSequence))
            if alertState == .resolved { st.evictResolved(keeping: resolvedAlertsKept) }
            return Array(st.subscribers.values)
        }
        let update = LiveUpdate.alert(id: id, state: alertState, json: json)
        for continuation in subscribers { continuation.yield(update) }
    }

    /// Takes a partition's alert book as it stands (every alert not idle,
    /// ready JSON): each is kept as the latest state of its id; those it
    /// listed before and lists no more (gone idle, forgotten, or the
    /// partition was revoked: an empty list) are dropped, unless resolved.
    /// Subscribers are told of the alerts whose state changed.
    public func replaceAlerts(partition: Int32, _ alerts: [(id: String, state: AlertState, json: [UInt8])]) {
        let (changed, subscribers) = state.withLock { st in
            var changed: [LiveUpdate] = []
            let before = st.listed[partition] ?? []
            var now = Set<String>()
            now.reserveCapacity(alerts.count)
            for a in alerts {
                now.insert(a.id)
                if st.alerts[a.id]?.state != a.state {
                    changed.append(.alert(id: a.id, state: a.state, json: a.json))
                    st.alertSequence += 1
                    st.setAlert(a.id, AlertEntry(state: a.state, json: a.json, sequence: st.alertSequence))
                } else {
                    st.updateJSON(a.id, a.json)
                }
            }
            for id in before.subtracting(now) where st.alerts[id]?.state != .resolved { st.setAlert(id, nil) }
            st.listed[partition] = now.isEmpty ? nil : now
            return (changed, changed.isEmpty ? [] : Array(st.subscribers.values))
        }
        for continuation in subscribers { for update in changed { continuation.yield(update) } }
    }

    // MARK: Readiness

    /// The assigned partitions whose restore replay has not finished (replaces
    /// the previous set; call with the full set on every assignment change).
    public func setRestoring(_ partitions: Set<Int32>) {
        state.withLock { $0.restoring = partitions }
    }

    /// One partition finished its restore replay.
    public func markRestored(partition: Int32) {
        state.withLock { _ = $0.restoring.remove(partition) }
    }

    /// Consumption is live (the consumer loop is past start-up).
    public func markLive() {
        state.withLock { $0.live = true }
    }

    /// Consumption stopped (shutdown, or lost the group): not ready again until `markLive()`.
    public func markNotLive() {
        state.withLock { $0.live = false }
    }

    /// Whether the Kafka cluster answers; `detail` says how it stands.
    public func setBroker(reachable: Bool, detail: String) {
        state.withLock { $0.brokerProblem = reachable ? nil : detail }
    }

    /// true while the consumer has no assignment and waits for the group to
    /// give it one (start-up, a rebalance, a lost session).
    public func setAssignmentPending(_ pending: Bool) {
        state.withLock { $0.assignmentPending = pending }
    }

    /// The partitions the group assigned to this member (restoring or live).
    public func setAssigned(_ partitions: Set<Int32>) {
        state.withLock { $0.assigned = partitions }
    }

    /// The service is stopping (SIGTERM, or the group is shutting down): not
    /// ready from now on, whatever the ingester reports while it flushes,
    /// hands its partitions over and leaves.
    public func markStopping() {
        state.withLock { $0.stopping = true; $0.live = false }
    }

    /// Ready means: not stopping, the broker answers, the group assigned this
    /// member its partitions (none is ready too, and said), each of them is caught up.
    public func readiness() -> Readiness {
        state.withLock { st in
            if st.stopping { return .notReady(reason: "shutting down") }
            if let problem = st.brokerProblem { return .notReady(reason: "broker unreachable: \(problem)") }
            if st.assignmentPending { return .notReady(reason: "waiting for the consumer group to assign partitions") }
            if !st.restoring.isEmpty {
                let list = st.restoring.sorted().map(String.init).joined(separator: ", ")
                return .notReady(reason: "restoring partition\(st.restoring.count == 1 ? "" : "s") \(list)")
            }
            if !st.live { return .notReady(reason: "consumption is not live yet") }
            if st.assigned?.isEmpty == true {
                return .readyIdle(reason: "no partitions assigned to this member (the group has more members than partitions)")
            }
            return .ready
        }
    }

    // MARK: Reading (HTTP)

    /// The JSON of the latest snapshots that match every given filter, in output
    /// order: scope type, shop, id, window type, window start.
    public func snapshots(scope: ScopeType? = nil, shop: String? = nil, id: String? = nil,
                          window: WindowType? = nil) -> [[UInt8]] {
        state.withLock { st in
            st.matchingKeys(scope: scope, shop: shop, id: id, window: window).map { st.entries[$0]!.json }
        }
    }

    /// The headline history of the latest snapshots that match, in the order of `snapshots`.
    public func history(scope: ScopeType? = nil, shop: String? = nil, id: String? = nil,
                        window: WindowType? = nil) -> [HeadlineHistory] {
        state.withLock { st in
            st.matchingKeys(scope: scope, shop: shop, id: id, window: window).map { key in
                let e = st.entries[key]!
                return HeadlineHistory(scope: key.scope, window: e.window,
                                       names: Headlines.names(for: key.scope.type), points: e.history)
            }
        }
    }

    /// The JSON of the latest state of each alert, by id; only those in `state` when given.
    public func alerts(state wanted: AlertState? = nil) -> [[UInt8]] {
        state.withLock { st in
            st.alerts.filter { wanted == nil || $0.value.state == wanted }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map(\.value.json)
        }
    }

    /// A stream of every accepted revision and alert change from now on. Buffers
    /// at most `subscriberBuffer` updates (dropping the oldest) so a slow reader
    /// never blocks the publisher; unsubscribes when the stream terminates.
    public func subscribe() -> AsyncStream<LiveUpdate> {
        let (stream, continuation) = AsyncStream<LiveUpdate>.makeStream(
            bufferingPolicy: .bufferingNewest(subscriberBuffer))
        let token = state.withLock { st in
            let token = st.nextSubscriber
            st.nextSubscriber += 1
            st.subscribers[token] = continuation
            return token
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: token) }
        }
        return stream
    }

    /// Live subscriptions (for tests and diagnostics).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every subscription (their streams finish after what is buffered).
    public func finishSubscribers() {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for continuation in subscribers { continuation.finish() }
    }

    // MARK: Helpers

    static func powerOfTen(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<max(0, n) { p *= 10 }
        return p
    }

    static func headlinePoint(_ s: KPISnapshot, moneyScale: Double) -> HeadlinePoint {
        let values = Headlines.names(for: s.scope.type).map { name -> Double? in
            guard let v = s[metric: name], let d = v.doubleValue else { return nil }
            switch v {
            case .money, .moneyRatio: return d / moneyScale   // doubleValue is in minor units
            case .count, .number: return d
            }
        }
        return HeadlinePoint(revision: s.revision, emittedAt: s.emittedAt, values: values)
    }
}

extension LiveKPIStore.State {
    /// Stores a revision when newer than the one held; returns whether it was.
    mutating func store(_ s: KPISnapshot, json: [UInt8], point: HeadlinePoint,
                        historyLength: Int, windowsKept: Int) -> Bool {
        let key = LiveKPIStore.Key(scope: s.scope, windowType: s.window.type, windowID: s.window.id)
        if var entry = entries[key] {
            guard s.revision > entry.revision else { return false }
            entry.window = s.window
            entry.revision = s.revision
            entry.json = json
            entry.history.append(point)
            if entry.history.count > historyLength { entry.history.removeFirst(entry.history.count - historyLength) }
            entries[key] = entry
            return true
        }
        // A new window id of this series: keep only the `windowsKept` latest by start.
        let series = LiveKPIStore.Series(scope: s.scope, windowType: s.window.type)
        var held = windows[series, default: []]
        if held.count >= windowsKept, let oldest = held.first, s.window.start < oldest.start {
            return false   // older than everything kept: a late revision of a forgotten window
        }
        held.append((s.window.id, s.window.start))
        held.sort { $0.start < $1.start }
        while held.count > windowsKept {
            let dropped = held.removeFirst()
            entries[LiveKPIStore.Key(scope: s.scope, windowType: s.window.type, windowID: dropped.id)] = nil
        }
        windows[series] = held
        entries[key] = LiveKPIStore.Entry(window: s.window, revision: s.revision, json: json, history: [point])
        sortedKeys = nil
        return true
    }

    mutating func matchingKeys(scope: ScopeType?, shop: String?, id: String?, window: WindowType?) -> [LiveKPIStore.Key] {
        if sortedKeys == nil {
            let entries = self.entries
            sortedKeys = entries.keys.sorted { a, b in
                if a.scope != b.scope { return a.scope < b.scope }
                if a.windowType != b.windowType { return a.windowType < b.windowType }
                let sa = entries[a]!.window.start, sb = entries[b]!.window.start
                if sa != sb { return sa < sb }
                return a.windowID.utf8.lexicographicallyPrecedes(b.windowID.utf8)
            }
        }
        return sortedKeys!.filter { k in
            (scope == nil || k.scope.type == scope)
                && (shop == nil || k.scope.shopID == shop)
                && (id == nil || k.scope.id == id)
                && (window == nil || k.windowType == window)
        }
    }
}
