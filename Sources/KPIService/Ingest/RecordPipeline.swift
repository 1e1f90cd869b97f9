import Dispatch
import Foundation
import KafkaClient
import KPICore

/// How far one input topic partition has been read and counted, and where
/// reading it stops.
struct InputCursor {
    /// Records before the first one whose timestamp is at or after this time
    /// are read but skipped (a replay from a time the broker could not look up).
    var skipBefore: Int64?
    /// The first offset not to read (a backfill's end offset); `.max`: none.
    var stopAt: Int64 = .max
    /// The first record whose timestamp is at or after this time ends the
    /// input (backfill `--until` the broker could not look up).
    var stopAtTime: Int64?
    /// Nothing more is wanted from the input.
    var finished = false
    /// The offset after the last record read (or where reading starts).
    var readNext: Int64?
    /// The offset after the last record given to the KPI state.
    var releasedNext: Int64?
    /// Where the input's data is known to start (`InputCoverage`).
    var coverage = InputCoverage.since(nil)
    /// The first record read tells where the data starts (`coverage` is `.firstRecord`).
    var learnsCoverage = false
}

/// How far back one input partition's data reaches, for the snapshots'
/// `complete` flag: a window is complete only when every input of its
/// partition reached back to its start.
enum InputCoverage: Equatable {
    /// Everything from this event time on is read (nil: all of it, from the topic's beginning).
    case since(Int64?)
    /// Retention deleted records before the first one still there: the data
    /// starts at the first record read (its timestamp), and not before
    /// `atLeast` (where reading was asked to start). Unknown until it is read.
    case firstRecord(atLeast: Int64?)

    /// Where reading from `start` covers, given the partition's first
    /// retained offset `low` and the time reading was asked to start from
    /// (nil: from the beginning): when it starts at `low` and records were
    /// deleted before it (`low > 0`), only the first record read can tell.
    static func of(start: StartPosition, low: Int64, from: Int64?) -> InputCoverage {
        start.readFrom <= low && low > 0 ? .firstRecord(atLeast: from) : .since(from)
    }

    /// Coverage while the first record is not read yet: every window is incomplete.
    static let unknown: Int64 = 1 << 50
}

/// How a partition's buffered events are handed to its KPI state.
enum ReleaseShape: Equatable {
    /// Held until the partition has a run of `PartitionKPIState.preferredRunLength`
    /// (or its inputs end): a replay, where a long run keeps the partition's
    /// state in the CPU caches.
    case runs
    /// At every poll: a live consumer, where holding events back would delay the dashboard.
    case eachPoll
}

/// One input partition (the same number on the three input topics) in the
/// pipeline: its appraisal, its aligner and its input cursors.
final class PipelinePartition {
    let number: Int32
    let work: PartitionWork
    var aligner: InputAligner
    var cursors = [InputCursor](repeating: InputCursor(), count: 3)
    var shape: ReleaseShape
    /// Records of it came in the current poll.
    var touched = false
    /// When a record of it was last read (or it was added): how long its inputs have been idle.
    var lastReadAt = ContinuousClock.now
    /// The latest event time buffered so far (for `PartitionKPIState.mayRefuse`).
    var latestFed = EventTime(millis: .min)
    /// Inputs paused because they ran ahead of the others (bit per `InputTopic.rawValue`).
    var pausedInputs: UInt8 = 0

    init(number: Int32, work: PartitionWork, shape: ReleaseShape, pool: ChunkPool) {
        self.number = number
        self.work = work
        self.shape = shape
        self.aligner = InputAligner(pool: pool)
    }

    /// Sets where an input is read from and to, and how far back what it
    /// reads covers; an input with nothing to read is settled.
    func setRange(_ input: InputTopic, from start: StartPosition, to end: Int64, coverage: InputCoverage = .since(nil)) {
        let i = Int(input.rawValue)
        cursors[i].readNext = start.readFrom
        cursors[i].stopAt = end
        if case .firstAtOrAfter(let time, _) = start { cursors[i].skipBefore = time }
        if start.readFrom >= end {
            cursors[i].finished = true
            aligner.settled[i] = true
        }
        cursors[i].coverage = coverage
        if case .firstRecord = coverage { cursors[i].learnsCoverage = true }
        updateCoverage()
    }

    /// Where the partition's input is known to start, besides its inputs'
    /// own coverage (a checkpoint's).
    var baseCoverage: Int64?

    /// The first record read from an input (its timestamp): where its data starts.
    func learnCoverage(_ input: InputTopic, firstRecordAt time: Int64?) {
        let i = Int(input.rawValue)
        cursors[i].learnsCoverage = false
        guard case .firstRecord(let atLeast) = cursors[i].coverage else { return }
        cursors[i].coverage = .since(max(time ?? InputCoverage.unknown, atLeast ?? .min))
        updateCoverage()
    }

    /// The KPI state's coverage: the latest start of its inputs (and of the base).
    func updateCoverage() {
        var start = baseCoverage
        for c in cursors {
            let t: Int64? = switch c.coverage {
            case .since(let t): t
            case .firstRecord: InputCoverage.unknown
            }
            if let t { start = max(start ?? t, t) }
        }
        let coverage = start.map(EventTime.init(millis:))
        if work.state.coverageStart != coverage { work.state.coverageStart = coverage }
    }

    /// Whether every input has delivered all that is wanted of it.
    var finished: Bool { cursors.allSatisfy(\.finished) }

    /// The next offset to commit for an input: nothing buffered before it is unprocessed.
    func processedUpTo(_ input: InputTopic) -> Int64? {
        let i = Int(input.rawValue)
        return aligner.buffered(input) > 0 ? cursors[i].releasedNext : cursors[i].readNext
    }
}

/// What the pipeline read and did, record for record:
/// `consumed == counted + duplicates + dead-lettered`; `skipped` records
/// were read but lie outside the replay (before its start time, after its end).
struct PipelineTallies {
    var consumed = 0
    var counted = 0
    var duplicates = 0
    /// Read but before a replay's start time, or past its end.
    var skipped = 0
}

/// The one path records take from a poll to the KPI state, whoever drives it
/// (a backfill, a restore by replay, the live consumer): decode, skip what
/// the replay excludes, dead-letter what is rejected, merge each partition's
/// three inputs in event time (`InputAligner`), and count each partition's
/// events in the shape its driver asks for (`ReleaseShape`). Synchronous, on
/// the consumer's thread; no copies of partition state.
final class RecordPipeline {
    let topics: TopicNames
    let configuration: KPIConfiguration
    private let decoder: EventDecoder
    private let deadLetters: DeadLetterSink
    /// Rejections by reason code, as they happen (the live service's metrics).
    var onRejected: (String) -> Void = { _ in }
    /// By partition number; nil: not held here.
    private(set) var partitions: [PipelinePartition?] = []
    private let pool = ChunkPool()
    private(set) var tallies = PipelineTallies()
    /// The most events buffered at once (all partitions), for memory work.
    private(set) var peakBuffered = 0
    /// Buffered events of all partitions together above which every
    /// partition's are released, whatever the shape says: bounds what
    /// collecting runs holds back when there are many partitions (an event
    /// and its record take ~0.55 KB here).
    var heldBackLimit = 131_072
    /// Events a partition collects in the `runs` shape before they are released.
    var runLength = PartitionKPIState.preferredRunLength
    /// Threads that count released partitions side by side (each partition
    /// on one of them, all joined before `release` returns): partitions are
    /// independent, and counting is most of a replay's work. 1: the caller's
    /// thread alone.
    var lanes = RecordPipeline.defaultLanes
    /// One per CPU the process may use, at most 8.
    public static let defaultLanes = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
    /// Events released together below which one lane does it all (a
    /// thread's wake-up costs more than it saves).
    static let parallelReleaseMinimum = 1024
    /// Buffered events of one input of one partition above which that input
    /// is paused (it runs ahead of the others in event time: a sparse topic
    /// delivers days of events in one fetch, a dense one hours), resumed
    /// below a quarter of it: bounds what aligning the inputs holds.
    var pauseAbove = 2048
    private var touchedList: [Int32] = []
    /// Partitions with a full run held back for company (`release`), and
    /// for how many polls.
    private var waiting: [Int32] = []
    private var waitedPolls = 0
    static let pollsToWaitForCompany = 4
    /// Consumed records per input topic in the current poll.
    private(set) var consumedInPoll = [0, 0, 0]
    /// A time its producer does not control that every record fed next was
    /// written before: the consumer's clock as it reads (live), or when a
    /// backfill took its end offsets. An event more than
    /// `futureSkew` ahead of it (or of the record's log-append time, when
    /// the broker stamps it) is `future`: one producer's clock can then move
    /// a partition's watermark at most that skew past the real time, never
    /// days ahead, where every other shop's events would be late. nil: no
    /// such bound (the old rule alone: `ts` against the record timestamp).
    var readTime: EventTime? {
        didSet { readLimit = readTime.map { $0.millis &+ configuration.futureSkew.millis } ?? .max }
    }
    /// Says what `readTime` is, in dead-letter details.
    var readTimeName = "the consumer's clock"
    private var readLimit: Int64 = .max

    init(topics: TopicNames, configuration: KPIConfiguration, deadLetters: DeadLetterSink) {
        self.topics = topics
        self.configuration = configuration
        self.decoder = EventDecoder(fractionDigits: configuration.fractionDigits)
        self.deadLetters = deadLetters
    }

    subscript(_ p: Int32) -> PipelinePartition? {
        Int(p) < partitions.count && p >= 0 ? partitions[Int(p)] : nil
    }

    /// All partitions held, ascending.
    var held: [PipelinePartition] { partitions.compactMap { $0 } }

    /// Starts holding a partition.
    @discardableResult
    func add(_ p: Int32, work: PartitionWork, shape: ReleaseShape) -> PipelinePartition {
        if partitions.count <= Int(p) { partitions += Array(repeating: nil, count: Int(p) + 1 - partitions.count) }
        let part = PipelinePartition(number: p, work: work, shape: shape, pool: pool)
        partitions[Int(p)] = part
        return part
    }

    /// Stops holding a partition (its buffered events are dropped: call `release` first).
    func remove(_ p: Int32) {
        guard Int(p) < partitions.count else { return }
        partitions[Int(p)] = nil
    }

    /// Takes one poll's records: decodes each, skips or rejects it, or
    /// buffers it in its partition's aligner. Records of partitions not held
    /// are ignored. On up to `lanes` threads, each taking the records of its
    /// own partitions (joined before this returns); rejected records go to
    /// the dead-letter topic after, in partition order.
    func feed(_ batch: ConsumerBatch) throws {
        consumedInPoll = [0, 0, 0]
        let now = ContinuousClock.now
        let laneCount = batch.count < Self.parallelReleaseMinimum ? 1 : lanes
        var outcomes = [FeedLane](repeating: FeedLane(), count: laneCount)
        if laneCount == 1 {
            feed(batch, lane: 0, of: 1, now: now, into: &outcomes[0])
        } else {
            outcomes.withUnsafeMutableBufferPointer { out in
                let lanes = UncheckedLanes(work: (self, batch), outcomes: out)
                DispatchQueue.concurrentPerform(iterations: laneCount) { l in
                    let (pipeline, batch) = lanes.work
                    pipeline.feed(batch, lane: l, of: laneCount, now: now, into: &lanes.outcomes[l])
                }
            }
        }
        for o in outcomes {
            tallies.consumed += o.consumed
            tallies.skipped += o.skipped
            for k in 0..<3 { consumedInPoll[k] += o.consumedInPoll[k] }
            touchedList.append(contentsOf: o.touched)
        }
        var rejections = outcomes.flatMap(\.rejections)
        if laneCount > 1 { rejections.sort { $0.partition < $1.partition } }  // stable: each partition's in order
        for r in rejections {
            try reject(r.topic, r.partition, r.offset, r.key, r.value, r.timestampMillis, r.reason, r.detail)
        }
    }

    /// What one lane of `feed` counted and refused.
    private struct FeedLane {
        var consumed = 0
        var skipped = 0
        var consumedInPoll = [0, 0, 0]
        var touched: [Int32] = []
        var rejections: [Rejection] = []
    }

    /// One lane of `feed`: the records of the partitions `p % lanes == lane`.
    /// Touches those partitions and `out` only (and reads the pipeline's constants).
    private func feed(_ batch: ConsumerBatch, lane: Int, of lanes: Int, now: ContinuousClock.Instant, into out: inout FeedLane) {
        // The input of the previous record's topic (records come in runs of one topic).
        var lastTopic = "", lastInput = InputTopic.orders
        let partitions = self.partitions
        for i in 0..<batch.count {
            let r = batch[i]
            guard Int(r.partition) % lanes == lane, r.partition >= 0, Int(r.partition) < partitions.count,
                  let part = partitions[Int(r.partition)] else { continue }
            if r.topic != lastTopic {
                guard let input = topics.input(named: r.topic) else { continue }
                (lastTopic, lastInput) = (r.topic, input)
            }
            let input = lastInput
            let k = Int(input.rawValue)
            guard !part.cursors[k].finished, r.offset < part.cursors[k].stopAt else { continue }
            part.cursors[k].readNext = r.offset + 1
            part.aligner.settled[k] = false
            if part.cursors[k].learnsCoverage { part.learnCoverage(input, firstRecordAt: r.timestampMillis) }
            if !part.touched { part.touched = true; part.lastReadAt = now; out.touched.append(r.partition) }
            defer {
                if r.offset + 1 >= part.cursors[k].stopAt { Self.finish(part, input) }
            }
            if let stop = part.cursors[k].stopAtTime, (r.timestampMillis ?? .min) >= stop {
                out.skipped += 1
                Self.finish(part, input)
                continue
            }
            if let skip = part.cursors[k].skipBefore {
                guard (r.timestampMillis ?? .min) >= skip else {
                    out.skipped += 1
                    continue
                }
                part.cursors[k].skipBefore = nil
            }
            out.consumed += 1
            out.consumedInPoll[k] += 1
            let recordTime = r.timestampMillis.map(EventTime.init(millis:))
            guard let value = r.value else {
                out.rejections.append(Rejection(topic: r.topic, partition: r.partition, offset: r.offset, key: r.key.map { Array($0) },
                                                value: nil, timestampMillis: r.timestampMillis,
                                                reason: RejectReason.malformedJSON.code, detail: "null payload"))
                continue
            }
            do throws(EventRejection) {
                let event = try decoder.event(in: value, topic: input, recordTimestamp: recordTime)
                // Co-partitioning (events.md): the key is the shop_id, or the
                // event may be on another shop's partition (counted there).
                guard event.isKeyed(by: r.key) else { throw Self.keyMismatch(event, r.key) }
                if event.time.millis > readLimit { throw futureOfReadTime(event) }
                if let appended = r.logAppendTimeMillis, event.time.millis - appended > configuration.futureSkew.millis {
                    throw futureOfAppendTime(event, appended)
                }
                // Judged against the latest time the partition may reach,
                // not only what it was fed so far: an old record read before
                // the other inputs' newer ones is merged after them, and then
                // late (`InputAligner`'s `seen`). Time cannot pass `readLimit`
                // (later events are `future`).
                let horizon = readTime == nil ? part.latestFed : EventTime(millis: max(readLimit, part.latestFed.millis))
                let keep = part.work.state.mayRefuse(event, recordTimestamp: recordTime, latestSeen: horizon)
                    || part.work.state.mayRefuseIDs(event, buffered: part.aligner.buffered)
                if event.time > part.latestFed { part.latestFed = event.time }
                part.aligner.append(event, from: input, recordTimestamp: recordTime, offset: r.offset, key: r.key, value: value,
                                    keepBytes: keep)
            } catch {
                out.rejections.append(Rejection(topic: r.topic, partition: r.partition, offset: r.offset, key: r.key.map { Array($0) },
                                                value: Array(value), timestampMillis: r.timestampMillis,
                                                reason: error.reason.code, detail: error.detail))
            }
        }
    }

    @inline(never)
    static func keyMismatch(_ event: ShopEvent, _ key: UnsafeRawBufferPointer?) -> EventRejection {
        guard let key else {
            return EventRejection(reason: .keyMismatch, detail: "the record has no key; the input topics are keyed by shop_id (\"\(event.shopID)\")")
        }
        let shown = String(decoding: key.prefix(64), as: UTF8.self) + (key.count > 64 ? "..." : "")
        return EventRejection(reason: .keyMismatch, detail: "record key \"\(shown)\" is not the event's shop_id \"\(event.shopID)\"")
    }

    @inline(never)
    func futureOfReadTime(_ event: ShopEvent) -> EventRejection {
        EventRejection(reason: .future, detail: "event time \(Self.text(event.time)) is more than \(configuration.futureSkew.millis / 1000) s ahead of \(readTimeName), \(Self.text(readTime ?? EventTime(millis: 0)))")
    }

    @inline(never)
    func futureOfAppendTime(_ event: ShopEvent, _ appended: Int64) -> EventRejection {
        EventRejection(reason: .future, detail: "event time \(Self.text(event.time)) is more than \(configuration.futureSkew.millis / 1000) s ahead of the broker's log-append time \(Self.text(EventTime(millis: appended)))")
    }

    static func text(_ t: EventTime) -> String { CivilTime.rfc3339(t, utcOffsetSeconds: 0, milliseconds: true) }

    /// Nothing more is wanted from an input of a partition.
    static func finish(_ part: PipelinePartition, _ input: InputTopic) {
        part.cursors[Int(input.rawValue)].finished = true
        part.aligner.settled[Int(input.rawValue)] = true
    }

    /// An input partition has nothing more for now (its end was reached):
    /// the aligner does not wait for it.
    func reachedEnd(_ p: Int32, _ input: InputTopic) {
        guard let part = self[p] else { return }
        part.aligner.settled[Int(input.rawValue)] = true
        if !part.touched { part.touched = true; touchedList.append(p) }
    }

    /// Releases the buffered events of the partitions touched since the last
    /// call, each in its shape (and all of them once they hold more than
    /// `heldBackLimit` together); returns the partitions released, ascending.
    /// `consumerLag`: per partition, for alert inhibition (live).
    @discardableResult
    func release(consumerLag: (Int32) -> Int64 = { _ in 0 }) throws -> [Int32] {
        touchedList.sort()
        var held = 0
        for case let part? in partitions { held += part.aligner.buffered }
        peakBuffered = max(peakBuffered, held)
        var ready: [(PipelinePartition, Int64)] = []
        if held > heldBackLimit {
            for case let part? in partitions where part.aligner.buffered > 0 { ready.append((part, consumerLag(part.number))) }
        } else {
            var candidates = touchedList
            for p in waiting where !(self[p]?.touched ?? true) { candidates.append(p) }
            candidates.sort()
            var urgent = false
            for p in candidates {
                guard let part = self[p] else { continue }
                // A partition with a paused input gets no more of it: waiting for a run would wait forever.
                let urgently = part.shape == .eachPoll || part.finished || part.pausedInputs != 0
                if urgently || part.aligner.buffered >= runLength {
                    ready.append((part, consumerLag(p)))
                    urgent = urgent || urgently
                }
            }
            // Runs that came alone wait a few polls for company, so the
            // lanes have partitions to share (a replay's partitions fill
            // their runs one or two per poll).
            if lanes > 1, !urgent, !ready.isEmpty, ready.count < lanes, waitedPolls < Self.pollsToWaitForCompany {
                waiting = ready.map(\.0.number)
                waitedPolls += 1
                ready = []
            } else {
                waiting = []
                waitedPolls = 0
            }
        }
        try drain(ready)
        for p in touchedList { self[p]?.touched = false }
        touchedList.removeAll(keepingCapacity: true)
        return ready.map(\.0.number)
    }

    /// Every held partition's final snapshots (`PartitionWork.finalSnapshots`),
    /// in partition order, made on the lanes side by side (a partition on one).
    func finalSnapshots(emittedAt: EventTime) -> [[KPISnapshot]] {
        let held = self.held
        var out = [[KPISnapshot]](repeating: [], count: held.count)
        let laneCount = min(lanes, held.count)
        guard laneCount > 1 else { return held.map { $0.work.finalSnapshots(emittedAt: emittedAt) } }
        out.withUnsafeMutableBufferPointer { out in
            // Lane `l` makes the snapshots of partitions `l`, `l + lanes`, … into their own slots.
            let lanes = UncheckedLanes(work: held, outcomes: out)
            DispatchQueue.concurrentPerform(iterations: laneCount) { l in
                for i in stride(from: l, to: lanes.work.count, by: laneCount) {
                    lanes.outcomes[i] = lanes.work[i].work.finalSnapshots(emittedAt: emittedAt)
                }
            }
        }
        return out
    }

    /// Releases everything buffered (the end of a replay).
    func releaseAll() throws {
        var ready: [(PipelinePartition, Int64)] = []
        for case let part? in partitions where part.aligner.buffered > 0 { ready.append((part, 0)) }
        try drain(ready)
    }

    /// What one lane did while draining partitions: its tallies and the
    /// records it refused (dead-lettered after the lanes join, in partition order).
    private struct LaneOutcome {
        var counted = 0
        var duplicates = 0
        var rejections: [Rejection] = []
    }

    /// A record the KPI state refused, for the dead-letter topic.
    private struct Rejection {
        var topic: String
        var partition: Int32
        var offset: Int64
        var key: [UInt8]?
        var value: [UInt8]?
        var timestampMillis: Int64?
        var reason: String
        var detail: String
    }

    /// Feeds the partitions' aligned events to their KPI states (with each
    /// partition's consumer lag): on up to `lanes` threads, a partition on
    /// one of them, every lane joined before this returns; then the
    /// refused records go to the dead-letter topic, in partition order.
    private func drain(_ ready: [(PipelinePartition, Int64)]) throws {
        guard !ready.isEmpty else { return }
        var total = 0
        for (part, _) in ready { total += part.aligner.buffered }
        let laneCount = total < Self.parallelReleaseMinimum ? 1 : min(lanes, ready.count)
        // Largest first, each to the least loaded lane; each lane keeps partition order.
        var groups = [[(PipelinePartition, Int64)]](repeating: [], count: laneCount)
        if laneCount == 1 {
            groups[0] = ready
        } else {
            var load = [Int](repeating: 0, count: laneCount)
            var lane = [Int](repeating: 0, count: ready.count)
            for i in ready.indices.sorted(by: { ready[$0].0.aligner.buffered > ready[$1].0.aligner.buffered }) {
                let l = load.indices.min { load[$0] < load[$1] }!
                lane[i] = l
                load[l] += ready[i].0.aligner.buffered
            }
            for i in ready.indices { groups[lane[i]].append(ready[i]) }
        }
        var outcomes = [LaneOutcome](repeating: LaneOutcome(), count: laneCount)
        let (topics, configuration) = (self.topics, self.configuration)
        if laneCount == 1 {
            Self.drain(groups[0], into: &outcomes[0], topics: topics, configuration: configuration)
        } else {
            // Each lane writes only its own outcome and its own partitions
            // (their states, aligners and cursors); the aligners share only
            // the chunk pool, which locks.
            outcomes.withUnsafeMutableBufferPointer { out in
                let lanes = UncheckedLanes(work: groups, outcomes: out)
                DispatchQueue.concurrentPerform(iterations: laneCount) { l in
                    Self.drain(lanes.work[l], into: &lanes.outcomes[l], topics: topics, configuration: configuration)
                }
            }
        }
        for o in outcomes {
            tallies.counted += o.counted
            tallies.duplicates += o.duplicates
        }
        var rejections = outcomes.flatMap(\.rejections)
        if laneCount > 1 { rejections.sort { $0.partition < $1.partition } }  // stable: each partition's in order
        for r in rejections {
            try reject(r.topic, r.partition, r.offset, r.key, r.value, r.timestampMillis, r.reason, r.detail)
        }
    }

    /// One lane's partitions, counted in order.
    private static func drain(_ group: [(PipelinePartition, Int64)], into lane: inout LaneOutcome, topics: TopicNames,
                              configuration: KPIConfiguration) {
        for (part, lag) in group { drain(part, consumerLag: lag, into: &lane, topics: topics, configuration: configuration) }
    }

    /// Feeds a partition's aligned events to its KPI state.
    private static func drain(_ part: PipelinePartition, consumerLag: Int64, into lane: inout LaneOutcome,
                              topics: TopicNames, configuration: KPIConfiguration) {
        let work = part.work
        let p = part.number
        part.aligner.release(upcoming: { work.prefetch($0) }) { pending, input, arena in
            part.cursors[Int(input.rawValue)].releasedNext = pending.offset + 1
            switch work.ingest(pending.event, recordTimestamp: pending.recordTimestamp, seen: pending.seen, consumerLag: consumerLag) {
            case .counted: lane.counted += 1
            case .duplicate: lane.duplicates += 1
            case let outcome:
                let (reason, detail) = Self.rejection(outcome, pending, watermark: work.state.watermark, configuration)
                // `mayRefuse` kept the bytes of every event the state can refuse.
                assert(pending.value != nil, "refused event \(pending.offset) without its bytes")
                lane.rejections.append(Rejection(
                    topic: topics.name(of: input), partition: p, offset: pending.offset, key: pending.key.map { Array(arena[$0]) },
                    value: pending.value.map { Array(arena[$0]) }, timestampMillis: pending.recordTimestamp?.millis,
                    reason: reason.code, detail: pending.value == nil ? detail + " (original bytes not kept)" : detail))
            }
        }
    }

    private func reject(_ topic: String, _ partition: Int32, _ offset: Int64, _ key: [UInt8]?, _ value: [UInt8]?,
                        _ ts: Int64?, _ reason: String, _ detail: String) throws {
        try deadLetters.reject(sourceTopic: topic, partition: partition, offset: offset, key: key, value: value,
                               timestampMillis: ts, reason: reason, detail: detail)
        onRejected(reason)
    }

    /// Flow control after a release: the inputs to pause (too far ahead of
    /// their partition's others) and to resume (caught up), for the driver
    /// to apply to its consumer.
    func flowControl() -> (pause: [TopicPartition], resume: [TopicPartition]) {
        var pause: [TopicPartition] = [], resume: [TopicPartition] = []
        for case let part? in partitions {
            for input in InputTopic.allCases {
                let bit: UInt8 = 1 << input.rawValue
                let n = part.aligner.buffered(input)
                if part.pausedInputs & bit == 0 {
                    guard n > pauseAbove, !part.cursors[Int(input.rawValue)].finished else { continue }
                    part.pausedInputs |= bit
                    pause.append(TopicPartition(topics.name(of: input), part.number))
                } else if n < pauseAbove / 4 || part.cursors[Int(input.rawValue)].finished {
                    part.pausedInputs &= ~bit
                    resume.append(TopicPartition(topics.name(of: input), part.number))
                }
            }
        }
        return (pause, resume)
    }

    /// The dead-letter reason and text for an event the KPI state refused.
    static func rejection(_ outcome: IngestOutcome, _ pending: PendingEvent, watermark: EventTime?,
                          _ configuration: KPIConfiguration) -> (RejectReason, String) {
        let zone = configuration.timeZoneID
        func text(_ t: EventTime) -> String { Self.text(t) }
        if outcome == .future {
            let record = pending.recordTimestamp.map(text) ?? "none"
            return (.future, "event time \(text(pending.event.time)) is more than \(configuration.futureSkew.millis / 1000) s ahead of its record timestamp \(record)")
        }
        if outcome == .sumOverflow {
            return (.sumOverflow, "its amount would take a sum of shop \"\(pending.event.shopID)\" past what can be counted exactly")
        }
        if outcome == .tooManyIDs {
            return (.tooManyIDs, "shop \(pending.event.shopID) already has kpi.max_ids_per_shop (\(configuration.maxIDsPerShop)) distinct ids of the agent, channel or campaign this event names anew: counted nowhere")
        }
        let watermark = watermark.map(text) ?? "none"
        return (.late, "event time \(text(pending.event.time)) falls in a day (\(zone)) no longer retained at watermark \(watermark)")
    }
}

/// The work of one parallel step (`feed`, `drain`) and its lanes' outcome
/// slots, shared by the lanes' threads for the span of
/// `DispatchQueue.concurrentPerform` only: lane `l` touches its own
/// partitions and `outcomes[l]` alone (see each step), and the caller waits
/// for all of them.
private struct UncheckedLanes<Work, Outcome>: @unchecked Sendable {
    let work: Work
    let outcomes: UnsafeMutableBufferPointer<Outcome>
}
