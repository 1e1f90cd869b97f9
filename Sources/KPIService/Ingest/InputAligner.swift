import KPICore
import Synchronization

/// A decoded event waiting in an `InputAligner`, with where it came from and
/// where its original bytes are kept (for the dead-letter topic, should the
/// KPI state refuse it as `late` or `future`; only for events it may refuse,
/// `PartitionKPIState.mayRefuse`).
struct PendingEvent {
    var event: ShopEvent
    var recordTimestamp: EventTime?
    var offset: Int64
    var key: Range<Int>?
    /// nil: the bytes were not kept (the event cannot be refused).
    var value: Range<Int>?
    /// Set on release: the latest event time among the other inputs' next
    /// events that were written no later than this one (record timestamps),
    /// `.min` when none: read already, they count for its `late` check
    /// (`PartitionKPIState.ingest(_:recordTimestamp:seen:)`).
    var seen: Int64 = .min
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
///
/// Merging by event time moves an old record ahead of newer ones of the
/// other inputs that were written before it: a record 41 days behind its
/// stream, sent after the shop's first page views, would otherwise be
/// counted first, before anything set the partition's watermark, and open
/// windows no retention holds. So each released event carries, in `seen`,
/// the newest event time of the other inputs' next records written no later
/// than it (by record timestamp): what the partition had already been sent
/// when this record came, and judged `late` against.
struct InputAligner {
    /// Events buffered per chunk; a chunk's events and bytes stay below
    /// malloc's mmap threshold, and recycled chunks keep their capacity.
    static let chunkSize = 256

    /// Per input, its buffered events in offset order, in chunks (oldest
    /// first); in the first chunk, those before `heads` are released.
    private var events: [[[PendingEvent]]] = [[], [], []]
    /// Per input, parallel to `events`: the original record bytes of each
    /// chunk's events (for the dead-letter topic), so buffering costs no
    /// allocation per record.
    private var bytes: [[[UInt8]]] = [[], [], []]
    private var heads = [0, 0, 0]
    private var counts = [0, 0, 0]
    /// Where released chunks go and new ones come from (shared by the
    /// aligners of a backfill, see `ChunkPool`).
    let pool: ChunkPool
    /// Inputs that will deliver nothing more for now (ended or idle).
    var settled: [Bool] = [false, false, false]

    init(pool: ChunkPool = ChunkPool()) { self.pool = pool }

    var buffered: Int { counts[0] + counts[1] + counts[2] }
    func buffered(_ input: InputTopic) -> Int { counts[Int(input.rawValue)] }

    /// Buffers an event read from `input`, copying its record bytes into the
    /// chunk it joins when `keepBytes` (an event the KPI state may refuse).
    mutating func append(_ event: ShopEvent, from input: InputTopic, recordTimestamp: EventTime?, offset: Int64,
                         key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, keepBytes: Bool = true) {
        let i = Int(input.rawValue)
        if events[i].last.map({ $0.count == Self.chunkSize }) ?? true {
            let (e, b) = pool.take()
            events[i].append(e)
            bytes[i].append(b)
        }
        let c = events[i].count - 1
        var keyRange: Range<Int>?
        var valueRange: Range<Int>?
        if keepBytes {
            if let key {
                let k = bytes[i][c].count
                bytes[i][c].append(contentsOf: key)
                keyRange = k..<bytes[i][c].count
            }
            let v = bytes[i][c].count
            bytes[i][c].append(contentsOf: value)
            valueRange = v..<bytes[i][c].count
        }
        events[i][c].append(PendingEvent(event: event, recordTimestamp: recordTimestamp, offset: offset, key: keyRange, value: valueRange))
        counts[i] += 1
    }

    /// Releases, in event-time order, every event that can no longer be
    /// preceded by an event of another input. The bytes `body` gets (those
    /// of the event's chunk) are valid during `body` only.
    ///
    /// Before each event, `upcoming` gets the event
    /// `PartitionKPIState.prefetchDistance` places after it in the same
    /// input, likely to be released soon (for `PartitionKPIState.prefetch`).
    mutating func release(upcoming: (borrowing ShopEvent) -> Void = { _ in },
                          _ body: (inout PendingEvent, InputTopic, borrowing [UInt8]) throws -> Void) rethrows {
        while true {
            var best = -1
            for i in 0..<3 {
                if counts[i] > 0 {
                    if best < 0 || events[i][0][heads[i]].event.time < events[best][0][heads[best]].event.time { best = i }
                } else if !settled[i] {
                    return  // an input still running has nothing buffered: wait for it
                }
            }
            guard best >= 0 else { return }
            var seen = Int64.min
            if let written = events[best][0][heads[best]].recordTimestamp?.millis {
                for i in 0..<3 where i != best && counts[i] > 0 {
                    if let w = events[i][0][heads[i]].recordTimestamp?.millis, w <= written {
                        seen = max(seen, events[i][0][heads[i]].event.time.millis)
                    }
                }
            }
            events[best][0][heads[best]].seen = seen
            let ahead = heads[best] + PartitionKPIState.prefetchDistance, first = events[best][0].count
            // Through buffer pointers: the event is lent, not copied out.
            if ahead < first {
                events[best][0].withUnsafeBufferPointer { upcoming($0[ahead].event) }
            } else if events[best].count > 1 && ahead - first < events[best][1].count {
                events[best][1].withUnsafeBufferPointer { upcoming($0[ahead - first].event) }
            }
            try body(&events[best][0][heads[best]], InputTopic(rawValue: UInt8(best))!, bytes[best][0])
            heads[best] += 1
            counts[best] -= 1
            if heads[best] == events[best][0].count {
                pool.give(events[best].removeFirst(), bytes[best].removeFirst())
                heads[best] = 0
            }
        }
    }
}

/// Spare chunks for `InputAligner`s. A backfill's aligners share one pool:
/// each partition's buffer peaks at a different time (librdkafka delivers
/// one topic's partition well ahead of another's), so per-partition buffers
/// that kept their capacity added up to hundreds of MB of fresh pages,
/// while all buffers together rarely hold more than a few MB at once.
/// Chunks come back from the release lanes (`RecordPipeline.lanes`) side by
/// side: a lock, taken once per chunk of 256 events.
final class ChunkPool: @unchecked Sendable {
    private struct Spare {
        var events: [[PendingEvent]] = []
        var bytes: [[UInt8]] = []
    }
    private let spare = Mutex(Spare())

    /// An empty chunk (a recycled one when there is one).
    func take() -> ([PendingEvent], [UInt8]) {
        let recycled: ([PendingEvent], [UInt8])? = spare.withLock { s in
            guard let e = s.events.popLast(), let b = s.bytes.popLast() else { return nil }
            return (e, b)
        }
        if let recycled { return recycled }
        var e: [PendingEvent] = [], b: [UInt8] = []
        e.reserveCapacity(InputAligner.chunkSize)
        // Bytes are kept only for events the KPI state may refuse (few).
        b.reserveCapacity(1024)
        return (e, b)
    }

    /// Takes back a released chunk, emptied but with its capacity.
    func give(_ e: consuming [PendingEvent], _ b: consuming [UInt8]) {
        // Consumed, so emptying them keeps their buffers (a copy would not be unique).
        e.removeAll(keepingCapacity: true)
        b.removeAll(keepingCapacity: true)
        let (events, bytes) = (e, b)
        spare.withLock { s in
            s.events.append(events)
            s.bytes.append(bytes)
        }
    }
}
