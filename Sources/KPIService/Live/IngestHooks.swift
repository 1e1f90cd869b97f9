import KPICore

/// What the live ingester reports as it goes, for the HTTP store, the SSE
/// stream and `/metrics`. Called on the ingester's thread: keep them quick
/// (the HTTP side takes a lock and returns).
public struct IngestHooks: Sendable {
    /// New snapshot revisions, in output order.
    public var snapshots: @Sendable ([KPISnapshot]) -> Void = { _ in }
    /// Alert state changes, each sent once: id, state and the alert JSON.
    public var alerts: @Sendable ([(id: String, state: AlertState, json: [UInt8])]) -> Void = { _ in }
    /// A partition's alert book as it stands (every alert not idle: pending,
    /// firing — notified or held by quiet hours or inhibition — and resolved),
    /// whenever it may have changed, and once restored: replaces what the
    /// partition listed before. An empty list on revoke.
    public var alertBook: @Sendable (_ partition: Int32, _ alerts: [(id: String, state: AlertState, json: [UInt8])]) -> Void = { _, _ in }
    /// A partition's windows as restored from its checkpoint (not new
    /// revisions: nothing is published), so the API serves them at once.
    public var restored: @Sendable ([KPISnapshot]) -> Void = { _ in }
    /// Records consumed from an input topic.
    public var consumed: @Sendable (_ topic: String, _ count: Int) -> Void = { _, _ in }
    /// One record rejected, by reason code.
    public var rejected: @Sendable (_ reason: String) -> Void = { _ in }
    /// Partitions still replaying their restore, and those live.
    public var assignment: @Sendable (_ restoring: Set<Int32>, _ live: Set<Int32>) -> Void = { _, _ in }
    /// A newly assigned partition starts its restore: from its checkpoint on
    /// the state topic, or by replaying its inputs from the retention horizon.
    public var restoreStarted: @Sendable (_ partition: Int32, _ source: RestoreSource) -> Void = { _, _ in }
    /// A partition's watermark and restore progress (0...1).
    public var partitionProgress: @Sendable (_ partition: Int32, _ watermark: EventTime?, _ restoreProgress: Double) -> Void = { _, _, _ in }
    /// Consumer lag per input topic partition (from librdkafka statistics).
    public var lag: @Sendable ([TopicPartitionLag]) -> Void = { _ in }
    /// Whether the cluster answers (checked every second), with what the
    /// ingester says about it ("no answer from any broker for 12 s").
    public var broker: @Sendable (_ reachable: Bool, _ detail: String) -> Void = { _, _ in }
    /// true: the partitions were given up (a rebalance, a lost session)
    /// and the group has not assigned any yet; false: the group assigned
    /// this member its partitions (possibly none).
    public var assignmentPending: @Sendable (Bool) -> Void = { _ in }
    /// Webhook deliveries per receiver, totals since start (every second).
    public var webhooks: @Sendable ([String: WebhookReceiver.Counts]) -> Void = { _ in }

    public init() {}
}

/// An input topic partition and how far behind its end the consumer is.
public struct TopicPartitionLag: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var lag: Int64
}


/// Where a partition's restore starts.
public enum RestoreSource: String, Sendable, Hashable {
    /// Its latest checkpoint, then the inputs from the checkpoint's offsets.
    case checkpoint
    /// The inputs from the start of the oldest retained window (no usable checkpoint).
    case replay
}
