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
    }

    private let handles = Mutex(Handles())
    private let snapshotsEmitted: Counter
    private let residentMemory: Gauge

    public static let consumedName = "kpi_ingest_records_consumed_total"
    public static let rejectedName = "kpi_ingest_records_rejected_total"
    public static let lagName = "kpi_ingest_consumer_lag_records"
    public static let watermarkName = "kpi_ingest_watermark_seconds"
    public static let restoreName = "kpi_ingest_restore_progress_ratio"
    public static let snapshotsName = "kpi_ingest_snapshots_emitted_total"
    public static let alertsName = "kpi_ingest_alerts_emitted_total"
    public static let residentMemoryName = "process_resident_memory_bytes"

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), maxLabelValues: Int = 64) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        self.maxLabelValues = max(1, maxLabelValues)
        self.snapshotsEmitted = Counter(label: Self.snapshotsName, factory: factory)
        self.residentMemory = Gauge(label: Self.residentMemoryName, factory: factory)
    }

    // MARK: What the consumer loop reports

    /// `count` records read from `topic`.
    public func recordConsumed(topic: String, count: Int = 1) {
        counter(\.consumed, name: Self.consumedName, label: "topic", value: topic).increment(by: count)
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
    public func recordAlertEmitted(state: String) {
        counter(\.alerts, name: Self.alertsName, label: "state", value: state).increment()
    }

    // MARK: Scrape

    /// The Prometheus text exposition (format 0.0.4) of every series, with the
    /// resident memory read now.
    public func exposition() -> [UInt8] {
        if let bytes = ProcessMemory.residentBytes() { residentMemory.record(bytes) }
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

    private func gauge(_ family: WritableKeyPath<Handles, [Int32: Gauge]>, name: String, partition: Int32) -> Gauge {
        handles.withLock { h in
            if let g = h[keyPath: family][partition] { return g }
            let g = Gauge(label: name, dimensions: [("partition", String(partition))], factory: factory)
            h[keyPath: family][partition] = g
            return g
        }
    }
}
