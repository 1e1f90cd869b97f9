import KafkaClient

/// Where an assigned input partition stands in the live ingester.
public enum PartitionPhase: String, Sendable, Hashable, CaseIterable {
    /// Assigned by the group, paused: nothing read yet.
    case assigned
    /// Its restore point is being read: checkpoint, published alerts, offsets.
    case restoring
    /// Reading its inputs up to the end offsets taken when it was restored.
    case replaying
    /// Caught up: counted as records arrive.
    case live
    /// Being given up: outputs flushed, checkpoint written, offsets committed.
    case revoking
}

/// One input partition's lifecycle in the live ingester, as a state machine:
/// `assigned → restoring → replaying → live → revoking`. Transitions return
/// what the ingester must do, in order; the machine does no I/O (how
/// SwiftNIO and swift-service-lifecycle write state machines), so every
/// transition is tested without a broker.
///
/// The rebalance callback only records assignments (`assigned`) and runs
/// revocations (Kafka needs the outputs and offsets before the partition
/// moves); reading a restore point, which takes round trips and can fail,
/// happens after the poll, on the consumer's thread, with each failure
/// surfaced and retried (`restoreFailed`).
struct PartitionLifecycle: Sendable, Equatable {
    let partition: Int32
    private(set) var phase: PartitionPhase = .assigned
    /// Failed attempts to read the restore point, in a row.
    private(set) var failures = 0

    /// What the ingester does on a transition.
    enum Action: Sendable, Equatable {
        /// Read the restore point (checkpoint, published alerts, offsets).
        case readRestorePoint
        /// Start reading the inputs where the restore point says, paused until now.
        case startReading
        /// Count records as they arrive (no runs held back) and report the partition live.
        case goLive
        /// Say why the restore failed and try again after this long.
        case retryRestore(after: Duration, reason: String)
        /// Emit what changed, write its checkpoint and commit its offsets.
        case flush
        /// Forget the partition (state, buffers, metrics).
        case drop
    }

    init(partition: Int32) { self.partition = partition }

    /// The group assigned the partition (it is paused).
    mutating func assigned() -> [Action] {
        guard phase == .assigned else { return [] }
        phase = .restoring
        return [.readRestorePoint]
    }

    /// The restore point was read; `nothingToReplay`: its inputs hold
    /// nothing after it (a checkpoint that covers them to their end).
    mutating func restorePointRead(nothingToReplay: Bool) -> [Action] {
        guard phase == .restoring else { return [] }
        failures = 0
        if nothingToReplay {
            phase = .live
            return [.startReading, .goLive]
        }
        phase = .replaying
        return [.startReading]
    }

    /// Reading the restore point failed: the partition stays paused and is
    /// tried again, backing off (1 s, 2 s, 4 s ... at most 30 s).
    mutating func restoreFailed(_ reason: String) -> [Action] {
        guard phase == .restoring else { return [] }
        failures += 1
        let seconds = min(30, 1 << min(failures - 1, 5))
        return [.retryRestore(after: .seconds(seconds), reason: reason)]
    }

    /// The replay reached the end offsets taken when it started.
    mutating func caughtUp() -> [Action] {
        guard phase == .replaying else { return [] }
        phase = .live
        return [.goLive]
    }

    /// The group takes the partition away (or the ingester stops). A
    /// partition that holds state flushes it first; one still restoring
    /// has nothing of its own yet (its last checkpoint stays in force).
    mutating func revoked() -> [Action] {
        let had = phase
        phase = .revoking
        switch had {
        case .replaying, .live: return [.flush, .drop]
        case .assigned, .restoring: return [.drop]
        case .revoking: return []
        }
    }
}
