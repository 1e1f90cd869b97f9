import KPICore
import Metrics
// Scoped: Prometheus has its own Counter and Gauge; the handles here are swift-metrics ones.
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Synchronization

/// The ingester's own health as Prometheus series (`GET /metrics`): records
/// consumed and rejected, lag, watermarks, restore progress, snapshots and
/// alerts emitted, resident memory.
///
/// The series are swift-metrics handles made by a `PrometheusMetricsFactory`
/// this instance owns, over its own `PrometheusCollectorRegistry`: nothing
/// depends on the process-wide `MetricsSystem.bootstrap`, so tests can create
/// as many as they like. Other modules may make more handles with `factory`.
///
/// Label values are bounded: partitions are few; topics and rejection reasons
/// come from config and code, and past `maxLabelValues` distinct values per
/// series family further ones are counted under `other`, so a bug upstream
/// can never turn the exposition into an unbounded list.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Makes swift-metrics handles that land in `registry`.
    public let factory: PrometheusMetricsFactory
    /// Distinct values per label before values are folded into `other`.
    public let maxLabelValues: Int

    struct Handles {
        var consumed: [String: Counter] = [:]
        var rejected: [String: Counter] = [:]
        var alerts: [String: Counter] = [:]
        var lag: [Int32: Gauge] = [:]
        var watermark: [Int32: Gauge] = [:]
        var restore: [Int32: Gauge] = [:]
        var webhookOutcomes: [String: Counter] = [:]
        var webhookRetries: [String: Counter] = [:]
        var webhookPending: [String: Gauge] = [:]
        /// Per receiver, the totals last reported (counters grow by the difference).
        var webhookSeen: [String: WebhookTotals] = [:]
    }

    private let handles = Mutex(Handles())
    private let snapshotsEmitted: Counter
    private let residentMemory: Gauge
    private let brokerUp: Gauge
    private let partitionsAssigned: Gauge
    private let sinceLastRecord: Gauge
    /// When the last input record was consumed (start-up until the first).
    private let lastRecord = Mutex(ContinuousClock.now)

    public static let consumedName = "kpi_ingest_records_consumed_total"
    public static let rejectedName = "kpi_ingest_records_rejected_total"
    public static let lagName = "kpi_ingest_consumer_lag_records"
    public static let watermarkName = "kpi_ingest_watermark_seconds"
    public static let restoreName = "kpi_ingest_restore_progress_ratio"
    public static let snapshotsName = "kpi_ingest_snapshots_emitted_total"
    public static let alertsName = "kpi_ingest_alerts_emitted_total"
    public static let residentMemoryName = "process_resident_memory_bytes"
    public static let brokerUpName = "kpi_ingest_broker_up"
    public static let partitionsAssignedName = "kpi_ingest_partitions_assigned"
    public static let sinceLastRecordName = "kpi_ingest_seconds_since_last_record"
    public static let webhookDeliveriesName = "kpi_ingest_webhook_deliveries_total"
    public static let webhookRetriesName = "kpi_ingest_webhook_retries_total"
    public static let webhookPendingName = "kpi_ingest_webhook_pending"

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), maxLabelValues: Int = 64) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        self.maxLabelValues = max(1, maxLabelValues)
        self.snapshotsEmitted = Counter(label: Self.snapshotsName, factory: factory)
        self.residentMemory = Gauge(label: Self.residentMemoryName, factory: factory)
        self.brokerUp = Gauge(label: Self.brokerUpName, factory: factory)
        self.partitionsAssigned = Gauge(label: Self.partitionsAssignedName, factory: factory)
        self.sinceLastRecord = Gauge(label: Self.sinceLastRecordName, factory: factory)
        brokerUp.record(1)
        partitionsAssigned.record(0)
    }

    // MARK: What the consumer loop reports

    /// `count` records read from `topic`.
    public func recordConsumed(topic: String, count: Int = 1) {
        counter(\.consumed, name: Self.consumedName, label: "topic", value: topic).increment(by: count)
        if count > 0 { lastRecord.withLock { $0 = .now } }
    }

    /// Whether the Kafka cluster answers (1) or not (0).
    public func setBrokerUp(_ up: Bool) {
        brokerUp.record(up ? 1 : 0)
    }

    /// Partitions of the input topics assigned to this member.
    public func setPartitionsAssigned(_ count: Int) {
        partitionsAssigned.record(count)
    }

    /// Webhook delivery totals per receiver (since start): counted as
    /// `kpi_ingest_webhook_deliveries_total{receiver, outcome}` with outcome
    /// `delivered`, `failed` (refused or retries exhausted) or `dropped`
    /// (queue full), `kpi_ingest_webhook_retries_total{receiver}`, and the
    /// gauge `kpi_ingest_webhook_pending{receiver}`.
    public func setWebhookTotals(_ totals: [String: WebhookTotals]) {
        for (receiver, t) in totals.sorted(by: { $0.key < $1.key }) {
            let seen = handles.withLock { h -> WebhookTotals in
                defer { h.webhookSeen[receiver] = t }
                return h.webhookSeen[receiver] ?? WebhookTotals()
            }
            for (outcome, now, before) in [("delivered", t.delivered, seen.delivered), ("failed", t.failed, seen.failed),
                                           ("dropped", t.dropped, seen.dropped)] {
                let c = webhookCounter(\.webhookOutcomes, name: Self.webhookDeliveriesName, receiver: receiver, outcome: outcome)
                c.increment(by: max(0, now - before))
            }
            webhookCounter(\.webhookRetries, name: Self.webhookRetriesName, receiver: receiver, outcome: nil)
                .increment(by: max(0, t.retries - seen.retries))
            let g = handles.withLock { h -> Gauge in
                if let g = h.webhookPending[receiver] { return g }
                let g = Gauge(label: Self.webhookPendingName, dimensions: [("receiver", receiver)], factory: factory)
                h.webhookPending[receiver] = g
                return g
            }
            g.record(t.pending)
        }
    }

    /// `count` records rejected (dead-lettered) for `reason` (`late`, `future`, `invalid_json`, ...).
    public func recordRejected(reason: String, count: Int = 1) {
        counter(\.rejected, name: Self.rejectedName, label: "reason", value: reason).increment(by: count)
    }

    /// Records between the committed position and the end of `partition`.
    public func setLag(partition: Int32, lag: Int64) {
        gauge(\.lag, name: Self.lagName, partition: partition).record(lag)
    }

    /// The event-time watermark of `partition`, seconds since the epoch.
    public func setWatermark(partition: Int32, epochSeconds: Double) {
        gauge(\.watermark, name: Self.watermarkName, partition: partition).record(epochSeconds)
    }

    /// How far the restore replay of `partition` is, 0...1 (1 once live).
    public func setRestoreProgress(partition: Int32, fraction: Double) {
        gauge(\.restore, name: Self.restoreName, partition: partition).record(min(1, max(0, fraction)))
    }

    /// Drops the per-partition series of a revoked partition, so a scrape does
    /// not show a stale lag or watermark for a partition another instance owns.
    public func removePartition(_ partition: Int32) {
        let removed = handles.withLock { h in
            [h.lag.removeValue(forKey: partition), h.watermark.removeValue(forKey: partition),
             h.restore.removeValue(forKey: partition)].compactMap { $0 }
        }
        for gauge in removed { gauge.destroy() }
    }

    /// `count` snapshots written to the outputs.
    public func recordSnapshotsEmitted(_ count: Int) {
        snapshotsEmitted.increment(by: count)
    }

    /// One alert notification in `state` (`pending`, `firing`, `resolved`).
    public func recordAlertEmitted(state: AlertState) {
        counter(\.alerts, name: Self.alertsName, label: "state", value: state.name).increment()
    }

    // MARK: Scrape

    /// The Prometheus text exposition (format 0.0.4) of every series, with the
    /// resident memory read now.
    public func exposition() -> [UInt8] {
        if let bytes = ProcessMemory.residentBytes() { residentMemory.record(bytes) }
        let since = ContinuousClock.now - lastRecord.withLock { $0 }
        sinceLastRecord.record(Double(since.components.seconds) + Double(since.components.attoseconds) / 1e18)
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        registry.emit(into: &out)
        return out
    }

    // MARK: Handles

    private func counter(_ family: WritableKeyPath<Handles, [String: Counter]>, name: String,
                         label: String, value: String) -> Counter {
        handles.withLock { h in
            if let c = h[keyPath: family][value] { return c }
            let bounded = h[keyPath: family].count < maxLabelValues ? value : "other"
            if let c = h[keyPath: family][bounded] { return c }
            let c = Counter(label: name, dimensions: [(label, bounded)], factory: factory)
            h[keyPath: family][bounded] = c
            return c
        }
    }

    private func webhookCounter(_ family: WritableKeyPath<Handles, [String: Counter]>, name: String,
                                receiver: String, outcome: String?) -> Counter {
        let key = receiver + "|" + (outcome ?? "")
        return handles.withLock { h in
            if let c = h[keyPath: family][key] { return c }
            var dimensions = [("receiver", receiver)]
            if let outcome { dimensions.append(("outcome", outcome)) }
            let c = Counter(label: name, dimensions: dimensions, factory: factory)
            h[keyPath: family][key] = c
            return c
        }
    }

    private func gauge(_ family: WritableKeyPath<Handles, [Int32: Gauge]>, name: String, partition: Int32) -> Gauge {
        handles.withLock { h in
            if let g = h[keyPath: family][partition] { return g }
            let g = Gauge(label: name, dimensions: [("partition", String(partition))], factory: factory)
            h[keyPath: family][partition] = g
            return g
        }
    }
}

/// One webhook receiver's delivery totals since start.
public struct WebhookTotals: Sendable, Equatable {
    public var delivered = 0
    public var failed = 0
    public var dropped = 0
    public var retries = 0
    public var pending = 0

    public init(delivered: Int = 0, failed: Int = 0, dropped: Int = 0, retries: Int = 0, pending: Int = 0) {
        self.delivered = delivered; self.failed = failed; self.dropped = dropped; self.retries = retries; self.pending = pending
    }
}
