/// The change queues a scope can be in (`PartitionKPIState`): each is a list
/// of scopes changed since its consumer last took it, so that emitting
/// snapshots and evaluating alerts cost what changed, not what is held.
struct ChangeQueue: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    /// Changed since the last `drainChanged` (live emission).
    static let emission = ChangeQueue(rawValue: 1)
    /// A watched window (`WindowWatch`) changed since the last `takeWatchedChanges`.
    static let watch = ChangeQueue(rawValue: 2)
}

/// When a scope's calendar window flips its `closed` or `final` flag: the
/// drain looks at the scope again once the watermark has passed `time`.
struct FlagDeadline: Comparable, Sendable {
    var time: Int64
    var scope: Int32
    static func < (a: FlagDeadline, b: FlagDeadline) -> Bool { (a.time, a.scope) < (b.time, b.scope) }
}

/// Which windows of which scopes something reads as they change: the
/// windows a target rule judges (`TargetBook`), and the day windows of the
/// scope types the no-data watch follows. Changes to them are queued for
/// `PartitionKPIState.takeWatchedChanges`.
public struct WindowWatch: Sendable {
    let targets: TargetBook?
    let silenceScopeTypes: Set<ScopeType>

    public init(targets: TargetBook?, silenceScopeTypes: Set<ScopeType>) {
        self.targets = targets
        self.silenceScopeTypes = silenceScopeTypes
    }

    /// Bit `1 << WindowType.rawValue` for each window type of `scope` watched,
    /// and `silenceBit` when the no-data watch follows the scope (its day windows).
    public func mask(for scope: Scope) -> UInt8 {
        var m: UInt8 = 0
        if let targets {
            for w in WindowType.allCases where !targets.ruleIndexes(scope: scope, windowType: w).isEmpty {
                m |= 1 << w.rawValue
            }
        }
        // A shop, or a scope of a type the watch follows that some target judges (kpis.md "no data").
        if silenceScopeTypes.contains(scope.type) && (scope.type == .shop || m != 0) {
            m |= 1 << WindowType.day.rawValue | Self.silenceBit
        }
        return m
    }

    /// In `mask(for:)`: the no-data watch follows the scope.
    public static let silenceBit: UInt8 = 0x80
}

/// How much a partition's KPI state holds (for operators' metrics and memory work).
public struct StateSize: Sendable, Hashable {
    public var scopes = 0
    public var calendarWindows = 0
    public var rollingHours = 0
    public var dedupIDs = 0
    public var chatSessions = 0
    public var browsingSessions = 0
    public var buyers = 0
    public var exactRollingIDs = 0
    public var promotedSketches = 0
    public init() {}
}

extension PartitionKPIState {
    /// What the state holds now.
    public var size: StateSize {
        var z = StateSize()
        z.scopes = scopes.count
        for s in scopes {
            z.calendarWindows += s.windows.count
            z.rollingHours += s.rolling.buckets.count
            z.exactRollingIDs += s.rolling.visitors.exact.count + s.rolling.buyers.exact.count
            z.promotedSketches += (s.rolling.visitors.isEstimated ? 1 : 0) + (s.rolling.buyers.isEstimated ? 1 : 0)
            for w in s.windows { z.promotedSketches += (w.visitors.isEstimated ? 1 : 0) + (w.buyers.isEstimated ? 1 : 0) }
        }
        z.dedupIDs = seenEvents.count
        for k in shops {
            z.chatSessions += k.chats.values.count
            z.browsingSessions += k.browsing.values.count
            z.buyers += k.buyers.count
        }
        return z
    }
}
