/// The `state` of an alert (interfaces.md "Alert").
public enum AlertState: Sendable, Hashable, CaseIterable {
    /// Breached, not yet for the hold time. Visible in `AlertBook.alerts`
    /// (the HTTP listing), never notified: a breach that clears within the
    /// hold time reaches nobody.
    case pending
    /// Breached for at least the hold time.
    case firing
    /// Better than target by the hysteresis margin after firing.
    case resolved

    public var name: String {
        switch self {
        case .pending: "pending"
        case .firing: "firing"
        case .resolved: "resolved"
        }
    }

    /// The state named as in the alert JSON (`pending`, `firing`, `resolved`).
    public init?(name: String) {
        switch name {
        case "pending": self = .pending
        case "firing": self = .firing
        case "resolved": self = .resolved
        default: return nil
        }
    }
}

/// One alert (rule × scope × window) as a state machine in event time.
/// Transitions are driven by `observe` and return the notification to send,
/// if any; the machine reads no clock and does no I/O.
///
/// Breach states:
/// - idle/resolved + breached → pending (since now); with a hold of 0 straight to firing;
/// - pending + breached for ≥ hold → firing (since the first breach);
/// - pending + anything but breached → idle, silently;
/// - firing + recovered (better than target by the margin) → resolved;
///   firing + within the margin / unknown (too little data, or no data) → stays firing.
///
/// Delivery: receivers are told `firing` when the alert starts firing and
/// `resolved` when a firing they were told about ends; a firing alert is
/// re-sent once `repeatInterval` has passed since the last send. While
/// `held` (quiet hours, inhibition) nothing is sent; on release the current
/// state is sent if it differs from what receivers last heard — a breach
/// that fired and resolved while held reaches nobody, one still firing is
/// sent once.
public struct AlertStateMachine: Sendable, Hashable {
    enum Breach: Sendable, Hashable {
        case idle
        case pending(since: EventTime)
        case firing(since: EventTime)
    }

    /// A notification to send.
    public struct Action: Sendable, Hashable {
        public var state: AlertState
        /// firing: when the breach began; resolved: when it resolved.
        public var since: EventTime
        /// A repeat of a firing already sent (repeat interval).
        public var isRepeat: Bool
    }

    var breach: Breach = .idle
    /// When the last firing episode resolved (for a `resolved` sent after a hold).
    var resolvedAt: EventTime?
    /// What receivers last heard, and when.
    var delivered: AlertState?
    var deliveredAt: EventTime?

    public init() {}

    /// A machine whose alert receivers last heard `state` (read back from
    /// `kpi.alerts` after a restart): `firing` since `since`, or `resolved`
    /// at `since`; `at` is when it was sent (for the repeat interval).
    /// Without this, an alert firing before a restart would never be
    /// followed by its `resolved`.
    public init(delivered state: AlertState, since: EventTime, at: EventTime) {
        switch state {
        case .firing: breach = .firing(since: since)
        case .resolved: resolvedAt = since
        case .pending: return   // never sent
        }
        delivered = state
        deliveredAt = at
    }

    /// The current state for listings: nil when idle and never fired.
    public var state: AlertState? {
        switch breach {
        case .pending: .pending
        case .firing: .firing
        case .idle: resolvedAt == nil ? nil : .resolved
        }
    }

    /// When the current state began (pending/firing: the first breach).
    public var since: EventTime? {
        switch breach {
        case .pending(let s), .firing(let s): s
        case .idle: resolvedAt
        }
    }

    /// One evaluation at event time `time` (non-decreasing between calls).
    mutating func observe(_ condition: TargetCondition, at time: EventTime, hold: EventTime.Duration,
                          repeatInterval: EventTime.Duration, held: Bool) -> Action? {
        switch breach {
        case .idle:
            if condition == .breached { breach = hold.millis <= 0 ? .firing(since: time) : .pending(since: time) }
        case .pending(let since):
            if condition != .breached { breach = .idle }
            else if time - since >= hold { breach = .firing(since: since) }
        case .firing:
            if condition == .recovered { breach = .idle; resolvedAt = time }
        }
        return deliver(at: time, repeatInterval: repeatInterval, held: held)
    }

    private mutating func deliver(at time: EventTime, repeatInterval: EventTime.Duration, held: Bool) -> Action? {
        guard !held else { return nil }
        if case .firing(let since) = breach {
            if delivered != .firing {
                delivered = .firing; deliveredAt = time
                return Action(state: .firing, since: since, isRepeat: false)
            }
            if let last = deliveredAt, repeatInterval.millis > 0, time - last >= repeatInterval {
                deliveredAt = time
                return Action(state: .firing, since: since, isRepeat: true)
            }
            return nil
        }
        // Not firing: receivers that heard `firing` must hear it ended.
        if delivered == .firing, let resolvedAt {
            delivered = .resolved; deliveredAt = time
            return Action(state: .resolved, since: resolvedAt, isRepeat: false)
        }
        return nil
    }
}
