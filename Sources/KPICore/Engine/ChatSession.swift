/// One chat message as the engine keeps it: a buyer message or a human agent
/// message (auto replies are not kept: they neither start nor answer a turn
/// and are not attributed). Ordered by event time, then by `tie` (the
/// event id's stable hash) so equal times order the same in every run.
struct ChatMark {
    var time: Int64
    var tie: UInt64
    /// Scope index of the message's `agent_id`.
    var agent: Int32
    var fromBuyer: Bool

    @inline(__always)
    func precedes(_ other: ChatMark) -> Bool {
        time != other.time ? time < other.time : tie < other.tie
    }
}

/// A decided turn (kpis.md): starts at a buyer message, answered by the first
/// human agent message within the reply timeout, else unanswered.
struct ChatTurn: Equatable {
    var start: Int64
    /// The replying agent when answered, else the agent on the starting message.
    var agent: Int32
    /// Reply delay in ms; −1 when unanswered.
    var delay: Int64
}

/// What a session contributes once: counted in the window of its first turn,
/// for the agent of its first buyer message; its first turn's reply delay
/// for the agent who answered it (kpis.md `first_response_s`).
struct SessionHead: Equatable {
    var start: Int64
    var agent: Int32
    /// Reply delay of the first turn; −1 unless it was answered.
    var firstDelay: Int64
    var hasUnanswered: Bool
    /// The agent who answered the first turn (`agent` while it is not answered).
    var firstAgent: Int32
}

/// Everything a session contributes to the windows: re-derived from its
/// sorted messages and the watermark, so the result does not depend on the
/// order in which the messages arrived.
struct SessionOutcome: Equatable {
    var head: SessionHead? = nil
    var turns: [ChatTurn] = []
}

/// One chat session (`session_id`) of a shop.
struct ChatSession {
    var messages: [ChatMark] = []
    /// The outcome currently added into the windows.
    var applied = SessionOutcome()
    /// The deadline of its pending turn, already queued; nil when no turn is
    /// pending (queue entries for other deadlines are stale).
    var scheduledDeadline: Int64? = nil
    var lastTime: Int64 = .min

    mutating func insert(_ m: ChatMark) {
        var i = messages.count
        while i > 0 && m.precedes(messages[i - 1]) { i -= 1 }
        messages.insert(m, at: i)
        if m.time > lastTime { lastTime = m.time }
    }

    /// Re-derives the outcome at `watermark` and applies it to `applied`:
    /// the outcome it replaced and the new one when they differ, and the
    /// earliest deadline of a pending turn. `mutating` so that a session in
    /// an array is worked on in place, not copied (retaining its buffers).
    mutating func rederive(watermark: Int64?, timeout: Int64)
        -> (change: (old: SessionOutcome, new: SessionOutcome)?, deadline: Int64?) {
        let (outcome, deadline) = derive(watermark: watermark, timeout: timeout)
        guard outcome != applied else { return (nil, deadline) }
        let old = applied
        applied = outcome
        return ((old, outcome), deadline)
    }

    /// The outcome for this message list at `watermark`, and the earliest
    /// time at which a still-pending turn will be decided.
    func derive(watermark: Int64?, timeout: Int64) -> (SessionOutcome, deadline: Int64?) {
        var outcome = SessionOutcome()
        var deadline: Int64? = nil
        var open: ChatMark? = nil
        var canStart = true
        var firstTurnState: Int64? = nil  // nil pending; −1 unanswered; ≥ 0 delay
        var firstReplier: Int32? = nil
        var firstTurnSeen = false
        var hasUnanswered = false

        func decided(_ start: ChatMark, reply: ChatMark?) -> Bool {
            if let reply, reply.time - start.time <= timeout {
                outcome.turns.append(ChatTurn(start: start.time, agent: reply.agent, delay: reply.time - start.time))
                if !firstTurnSeen { firstTurnState = reply.time - start.time; firstReplier = reply.agent }
            } else if let w = watermark, w >= start.time + timeout {
                outcome.turns.append(ChatTurn(start: start.time, agent: start.agent, delay: -1))
                hasUnanswered = true
                if !firstTurnSeen { firstTurnState = -1 }
            } else {
                // Still waiting: counts nowhere until the watermark passes the timeout.
                let d = start.time + timeout
                deadline = min(deadline ?? d, d)
                return false
            }
            return true
        }

        for m in messages {
            if m.fromBuyer {
                if open == nil && canStart {
                    open = m
                    canStart = false
                    if outcome.head == nil {
                        outcome.head = SessionHead(start: m.time, agent: m.agent, firstDelay: -1, hasUnanswered: false,
                                                   firstAgent: m.agent)
                    }
                }
            } else {
                if let o = open {
                    _ = decided(o, reply: m)
                    firstTurnSeen = true
                    open = nil
                }
                canStart = true
            }
        }
        if let o = open {
            _ = decided(o, reply: nil)
            firstTurnSeen = true
        }
        if outcome.head != nil {
            outcome.head!.firstDelay = max(firstTurnState ?? -1, -1)
            outcome.head!.hasUnanswered = hasUnanswered
            if outcome.head!.firstDelay >= 0, let a = firstReplier { outcome.head!.firstAgent = a }
        }
        return (outcome, deadline)
    }
}

/// Pending chat-turn deadlines of a partition, earliest first (a binary heap).
/// Entries may be stale; re-deriving a session is idempotent.
struct TurnDeadlineQueue {
    struct Entry {
        var deadline: Int64
        var shop: Int32
        var session: String
    }
    private(set) var entries: [Entry] = []

    var earliest: Int64? { entries.first?.deadline }
    var count: Int { entries.count }

    mutating func push(_ e: Entry) {
        entries.append(e)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if entries[parent].deadline <= entries[i].deadline { break }
            entries.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < entries.count && entries[l].deadline < entries[m].deadline { m = l }
            if r < entries.count && entries[r].deadline < entries[m].deadline { m = r }
            if m == i { break }
            entries.swapAt(i, m)
            i = m
        }
        return top
    }
}
