import ArgumentParser
import Foundation
import KPICore
import KPIService

/// `kpi-ingest demo`: the whole system on one machine.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run everything on this machine: an embedded Kafka-protocol broker, a generator of realistic shop events, the ingester, the HTTP API and the live dashboard. Ctrl-C stops it.")

    @Option(help: "HTTP port of the dashboard and API (0: any free port; the banner names it).")
    var port: Int = 8080

    // Unconditional: `--rate -5` reads -5 (validate() explains) instead of "Missing value".
    @Option(parsing: .unconditional, help: "Events per second (daily average; the day has a rhythm).")
    var rate: Int = 100

    @Option(parsing: .unconditional, help: "Number of shops.")
    var shops: Int = 5

    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard rate > 0 else { throw ValidationError("--rate must be a positive number of events per second.") }
        guard (1...1000).contains(shops) else { throw ValidationError("--shops must be between 1 and 1000.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be a TCP port (1...65535), or 0 for any free one.") }
    }

    func run() async throws {
        do {
            let cluster = try DemoCluster()
            // The shipped config (targets, teams, scorecards for shops s1..s5) against the embedded broker.
            var service = configOptions.load(brokers: cluster.broker.bootstrapServers)
            service.http.host = "127.0.0.1"
            if !configOptions.isExplicit {
                // The shipped file's webhook receivers are examples with no
                // server behind them: in the demo their alerts go to the log.
                for (name, receiver) in service.alerts.receivers {
                    if case .webhook = receiver.kind { service.alerts.receivers[name]?.kind = .log }
                }
            }
            var settings = IngesterSettings(service: service)
            settings.groupID = "kpi-ingest-demo"
            let zone = TimeZone(identifier: service.kpi.timeZoneID)!
            let generator = GeneratorService(cluster: cluster, rate: rate, shops: shops,
                                             utcOffsetSeconds: zone.secondsFromGMT())
            let shopCount = shops
            try await runLive(service: service, settings: settings, port: port, extra: [generator]) { port in
                "kpi-ingest demo: \(shopCount) shops, broker \(cluster.broker.bootstrapServers); dashboard at http://127.0.0.1:\(port)/ (Ctrl-C to stop)"
            }
        } catch {
            exitWithError(error)
        }
    }
}
