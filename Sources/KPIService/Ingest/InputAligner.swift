import KPICore

/// A decoded event waiting in an `InputAligner`, with where it came from and
/// where its original bytes are kept (for the dead-letter topic, should the
/// KPI state refuse it as `late` or `future`).
struct PendingEvent {
    var event: ShopEvent
    var recordTimestamp: EventTime?
    var offset: Int64
    var key: Range<Int>?
    var value: Range<Int>
}

/// Orders one partition's events across the three co-partitioned input topics
/// by event time before they reach the KPI state.
///
/// A backfill may fetch a month of traffic before the first chat arrives; fed
/// in that order, every chat would look late and every turn unanswered. Like
/// Kafka Streams (which picks the head record with the smallest timestamp
/// across co-partitioned inputs), an event is released only when every input
/// still running has a buffered head to compare with; an input that has ended
/// (backfill) or is idle (live) is not waited for. Ties go to the topic order
/// orders < chats < traffic, so the merge is deterministic.
struct InputAligner {
    private var queues: [[PendingEvent]] = [[], [], []]
    private var heads = [0, 0, 0]
    /// The original record bytes of buffered events, in one arena per
    /// partition so buffering costs no allocation per record.
    private(set) var arena: [UInt8] = []
    /// Inputs that will deliver nothing more for now (ended or idle).
    var settled: [Bool] = [false, false, false]

    var buffered: Int { (0..<3).reduce(0) { $0 + queues[$1].count - heads[$1] } }
    func buffered(_ input: InputTopic) -> Int { queues[Int(input.rawValue)].count - heads[Int(input.rawValue)] }

    /// Buffers an event read from `input`, copying its record bytes into the arena.
    mutating func append(_ event: ShopEvent, from input: InputTopic, recordTimestamp: EventTime?, offset: Int64,
                         key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) {
        var keyRange: Range<Int>?
        if let key {
            let k = arena.count
            arena.append(contentsOf: key)
            keyRange = k..<arena.count
        }
        let v = arena.count
        arena.append(contentsOf: value)
        queues[Int(input.rawValue)].append(PendingEvent(event: event, recordTimestamp: recordTimestamp, offset: offset, key: keyRange, value: v..<arena.count))
    }

    /// Releases, in event-time order, every event that can no longer be
    /// preceded by an event of another input. The arena bytes of a released
    /// event are valid during `body` only.
    mutating func release(_ body: (inout PendingEvent, InputTopic, borrowing [UInt8]) throws -> Void) rethrows {
        while true {
            var best = -1
            for i in 0..<3 {
                if heads[i] < queues[i].count {
                    if best < 0 || queues[i][heads[i]].event.time < queues[best][heads[best]].event.time { best = i }
                } else if !settled[i] {
                    return  // an input still running has nothing buffered: wait for it
                }
            }
            guard best >= 0 else { break }
            try body(&queues[best][heads[best]], InputTopic(rawValue: UInt8(best))!, arena)
            heads[best] += 1
        }
        compact()
    }

    /// Drops released events and the arena bytes no buffered event needs.
    private mutating func compact() {
        var empty = true
        for i in 0..<3 {
            if heads[i] == queues[i].count {
                queues[i].removeAll(keepingCapacity: true)
                heads[i] = 0
            } else {
                empty = false
                if heads[i] > 4096 && heads[i] * 2 > queues[i].count {
                    queues[i].removeFirst(heads[i])
                    heads[i] = 0
                }
            }
        }
        if empty {
            arena.removeAll(keepingCapacity: true)
            return
        }
        // Reclaim the arena prefix no buffered event refers to, when it is large.
        var lowest = arena.count
        for i in 0..<3 where heads[i] < queues[i].count {
            let e = queues[i][heads[i]]
            lowest = min(lowest, e.key?.lowerBound ?? e.value.lowerBound)
        }
        if lowest > 1 << 22 && lowest * 2 > arena.count {
            arena.removeFirst(lowest)
            for i in 0..<3 {
                for j in heads[i]..<queues[i].count {
                    queues[i][j].value = (queues[i][j].value.lowerBound - lowest)..<(queues[i][j].value.upperBound - lowest)
                    if let k = queues[i][j].key { queues[i][j].key = (k.lowerBound - lowest)..<(k.upperBound - lowest) }
                }
            }
        }
    }
}
