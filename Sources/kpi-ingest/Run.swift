import ArgumentParser
import Foundation
import KafkaClient
import KPICore
import KPIHTTP
import KPIService
import Logging
import ServiceLifecycle

/// `kpi-ingest run`: the production consumer and its HTTP side, as services
/// of one swift-service-lifecycle `ServiceGroup`: SIGTERM/SIGINT stops
/// consuming (flush, commit, leave the group), then the HTTP server.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the consumer group, restore the assigned partitions, then consume live, emit snapshots and alerts and serve HTTP until SIGTERM/SIGINT.")

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Kafka bootstrap servers, comma-separated (overrides kafka.brokers of the config).")
    var brokers: String?

    @Option(help: "HTTP port (overrides http.port of the config).")
    var port: Int?

    @Option(help: "Consumer group id (overrides kafka.group_id of the config).")
    var groupID: String?

    func run() async throws {
        let service = configOptions.load(brokers: brokers)
        do {
            var settings = IngesterSettings(service: service)
            settings.groupID = groupID ?? service.kafka.groupID
            try await runLive(service: service, settings: settings, port: port, extra: [], banner: nil)
        } catch {
            exitWithError(error)
        }
    }
}

/// Runs the ingester and the HTTP server (and `extra` services before them)
/// in one ServiceGroup until SIGTERM/SIGINT; the services stop in reverse order.
func runLive(service: ServiceConfiguration, settings: IngesterSettings, port: Int?, extra: [any Service], banner: (@Sendable (Int) -> String)?) async throws {
    let logger = Logger(label: "kpi-ingest")
    let zone = try ZoneRules(identifier: service.kpi.timeZoneID)
    let store = LiveKPIStore(fractionDigits: service.kpi.fractionDigits, zone: zone)
    let metrics = ServiceMetrics()
    var http = try KPIHTTPServer(settings: try httpSettings(service, port: port), store: store, metrics: metrics, logger: logger)
    // Not ready from the moment the stop starts: a load balancer stops sending while we flush and leave.
    let ingester = IngesterService(settings: settings, hooks: liveHooks(store: store, metrics: metrics),
                                   brokerTimeout: .milliseconds(service.kafka.brokerTimeout.millis),
                                   onStopping: { store.markStopping() })
    // The banner once the listener is bound: it names the real port (port 0
    // lets the system pick one), and a port in use fails before any banner.
    if let banner { http.onListening = { FileHandle.standardError.write(Data((banner($0) + "\n").utf8)) } }
    // Shut down in reverse: the ingester (flush, commit, leave) first, then HTTP, then the extras.
    let group = ServiceGroup(configuration: .init(
        services: extra.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
            .init(service: KPIHTTPService(http)),
            .init(service: ingester, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ],
        logger: logger))
    // SIGTERM/SIGINT through our own handler (an atomic flag): it also works
    // when the process was started with the signals ignored or blocked, which
    // the dispatch-source based handling does not survive on Linux.
    let stop = StopSignal.installedForProcess()
    let watcher = Task {
        while !stop.isRequested && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
        if stop.isRequested {
            store.markStopping()
            await group.triggerGracefulShutdown()
        }
    }
    defer { watcher.cancel() }
    try await group.run()
}
