import ArgumentParser
import Foundation
import KafkaClient
import KPICore
import KPIService

/// `kpi-ingest run`: the production consumer.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the consumer group, restore the assigned partitions, then consume live and emit snapshots until SIGTERM/SIGINT.")

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Kafka bootstrap servers, comma-separated (overrides kafka.brokers of the config).")
    var brokers: String?

    @Option(help: "HTTP port (overrides http.port of the config).")
    var port: Int?

    @Option(help: "Consumer group id (overrides kafka.group_id of the config).")
    var groupID: String?

    func run() throws {
        do {
            let service = configOptions.load(brokers: brokers)
            var s = IngesterSettings(service: service)
            s.groupID = groupID ?? service.kafka.groupID
            let ingester = try LiveIngester(settings: s)
            let stop = StopSignal.installedForProcess()
            try ingester.run(stop: stop, brokerTimeout: .milliseconds(service.kafka.brokerTimeout.millis))
            let sum = ingester.summary
            FileHandle.standardError.write(Data("run: stopped after \(sum.consumed) records: \(sum.counted) counted, \(sum.duplicates) duplicates, \(sum.deadLettered) dead-lettered\n".utf8))
        } catch {
            exitWithError(error)
        }
    }
}
