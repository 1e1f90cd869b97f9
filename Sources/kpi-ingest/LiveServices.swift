import Foundation
import KafkaClient
import KPICore
import KPIHTTP
import KPIService
import Logging
import ServiceLifecycle
import Synchronization

/// The live ingester as a swift-service-lifecycle `Service`: its consumer
/// runs on a thread of its own (all consumer calls on one thread), and a
/// graceful shutdown asks it to stop, which flushes, commits and leaves the
/// group before `run` returns.
struct IngesterService: Service {
    let settings: IngesterSettings
    let hooks: IngestHooks
    let brokerTimeout: Duration
    /// Called as the stop starts (before the flush, commit and leave), e.g.
    /// to turn `/readyz` to 503 at once.
    var onStopping: @Sendable () -> Void = {}

    func run() async throws {
        let stop = StopSignal()
        // Cancelled when another service of the group failed (e.g. the HTTP
        // port is taken): stop as for a graceful shutdown, so the group ends.
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let thread = Thread {
                        // Async main ends in dispatch_main(), which exits the main thread:
                        // this thread must take SIGTERM/SIGINT even if we were started with them blocked.
                        StopSignal.unblockTerminationSignals()
                        do {
                            let ingester = try LiveIngester(settings: settings, hooks: hooks)
                            try ingester.run(stop: stop, brokerTimeout: brokerTimeout)
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = "kpi-ingest.consumer"
                    thread.start()
                }
            } onGracefulShutdown: {
                onStopping()
                stop.request()
            }
        } onCancel: {
            onStopping()
            stop.request()
        }
    }
}

/// The demo's generator as a `Service`: writes until the graceful shutdown.
struct GeneratorService: Service {
    let cluster: DemoCluster
    let rate: Int
    let shops: Int
    let utcOffsetSeconds: Int

    func run() async throws {
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        // A short backlog: records are keyed by shop, so each shop's data sits
        // on one partition, and the embedded broker keeps only ~5 MiB of each.
        _ = cluster.startGenerator(rate: rate, shops: shops, backlog: .minutes(15), utcOffsetSeconds: utcOffsetSeconds, stop: stop, onFinish: { done.signal() })
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {
            stop.request()
        }
        stop.request()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { done.wait(); c.resume() }
        }
    }
}

/// The partitions this instance holds, as the hooks last heard (for `/metrics`).
final class HeldPartitions: Sendable {
    private let held = Mutex<Set<Int32>>([])

    /// Replaces the set; returns the partitions no longer held.
    func replace(with now: Set<Int32>) -> Set<Int32> {
        held.withLock { h in
            defer { h = now }
            return h.subtracting(now)
        }
    }

    func contains(_ p: Int32) -> Bool { held.withLock { $0.contains(p) } }
}

/// Hooks that feed the HTTP store (API, SSE, readiness) and `/metrics`.
func liveHooks(store: LiveKPIStore, metrics: ServiceMetrics) -> IngestHooks {
    var h = IngestHooks()
    let held = HeldPartitions()
    h.snapshots = { snaps in
        store.publish(snaps)
        metrics.recordSnapshotsEmitted(snaps.count)
    }
    h.alerts = { alerts in
        for a in alerts {
            store.publish(alert: a.json, id: a.id, state: a.state)
            metrics.recordAlertEmitted(state: a.state)
        }
    }
    h.alertBook = { p, alerts in store.replaceAlerts(partition: p, alerts) }
    h.restored = { snaps in store.publish(snaps) }
    h.consumed = { topic, n in metrics.recordConsumed(topic: topic, count: n) }
    h.rejected = { reason in metrics.recordRejected(reason: reason) }
    h.assignment = { restoring, live in
        // Ready once consuming and no assigned partition is still restoring.
        store.setRestoring(restoring)
        store.setAssigned(restoring.union(live))
        metrics.setPartitionsAssigned(restoring.count + live.count)
        store.markLive()
        // A revoked partition's series go: another instance reports it now.
        for p in held.replace(with: restoring.union(live)) { metrics.removePartition(p) }
    }
    h.assignmentPending = { pending in store.setAssignmentPending(pending) }
    h.broker = { reachable, detail in
        store.setBroker(reachable: reachable, detail: detail)
        metrics.setBrokerUp(reachable)
    }
    h.webhooks = { counts in
        metrics.setWebhookTotals(counts.mapValues {
            WebhookTotals(delivered: $0.delivered, failed: $0.failed, dropped: $0.overflowed, retries: $0.retries, pending: $0.pending)
        })
    }
    h.partitionProgress = { p, watermark, progress in
        guard held.contains(p) else { return }
        if let watermark { metrics.setWatermark(partition: p, epochSeconds: Double(watermark.millis) / 1000) }
        metrics.setRestoreProgress(partition: p, fraction: progress)
    }
    h.lag = { lags in
        var perPartition: [Int32: Int64] = [:]
        // The statistics may still name a partition just revoked.
        for l in lags where held.contains(l.partition) { perPartition[l.partition, default: 0] += l.lag }
        for (p, l) in perPartition { metrics.setLag(partition: p, lag: l) }
    }
    return h
}

/// The HTTP settings of the config, with `--port` over them.
func httpSettings(_ service: ServiceConfiguration, port: Int?) throws -> HTTPServerSettings {
    var token: BearerToken?
    if let t = service.http.token {
        guard let parsed = BearerToken(t) else { throw ServiceError(.configuration, "http.token is not a usable bearer token") }
        token = parsed
    }
    let h = service.http
    return HTTPServerSettings(host: h.host, port: port ?? h.port, token: token,
                              maxStreamClients: h.maxStreamClients, headerTimeout: .milliseconds(h.headerTimeout.millis),
                              allowedHosts: h.allowedHosts, sessionLifetime: .milliseconds(h.sessionLifetime.millis))
}
