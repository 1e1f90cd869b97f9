import ArgumentParser
import Foundation
import KafkaClient
import KPICore
import KPIService

/// `kpi-ingest run`: the production consumer.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the consumer group, restore the assigned partitions, then consume live and emit snapshots until SIGTERM/SIGINT.")

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var settings: KPISettingsOptions

    @Option(help: "Consumer group id.")
    var groupID: String = "kpi-ingest"

    func run() throws {
        do {
            var s = IngesterSettings(kafka: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
            s.kpi = try settings.kpiConfiguration()
            s.groupID = groupID
            let ingester = try LiveIngester(settings: s)
            let stop = StopSignal.installedForProcess()
            try ingester.run(stop: stop, brokerTimeout: try broker.brokerTimeoutDuration())
            let sum = ingester.summary
            FileHandle.standardError.write(Data("run: stopped after \(sum.consumed) records: \(sum.counted) counted, \(sum.duplicates) duplicates, \(sum.deadLettered) dead-lettered\n".utf8))
        } catch {
            exitWithError(error)
        }
    }
}
