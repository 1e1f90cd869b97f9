import ArgumentParser
import Foundation
import KafkaClient
import KPIService

/// `kpi-ingest broker`: the embedded Kafka-protocol broker (librdkafka's mock
/// cluster) as a process of its own, with the configured topics, for trials,
/// benchmarks and tests that need the broker outside the ingester (pause it
/// with SIGSTOP, kill it). Not a Kafka for production: it keeps only about
/// the last 5 MiB of each partition and nothing on disk.
struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an embedded Kafka-protocol broker on loopback with the configured topics until Ctrl-C (trials, benchmarks, tests; keeps ~5 MiB per partition, nothing on disk).")

    @Option(help: "Partitions of each input topic (the outputs get one). The broker keeps only ~5 MiB of each partition: give big histories enough.")
    var partitions: Int32 = DemoCluster.inputPartitions

    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard (1...10_000).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 10000.") }
    }

    func run() throws {
        let service = configOptions.load()
        let stop = StopSignal.installedForProcess()
        do {
            var extra: [String] = []
            for receiver in service.alerts.receivers.values {
                if case .kafka(let topic) = receiver.kind { extra.append(topic) }
            }
            let cluster = try DemoCluster(topics: service.kafka.topics, inputPartitions: partitions, extraTopics: extra.sorted())
            // The first line of standard output is the bootstrap address, for scripts.
            FileHandle.standardOutput.write(Data("\(cluster.broker.bootstrapServers)\n".utf8))
            FileHandle.standardError.write(Data("kpi-ingest broker: \(cluster.broker.bootstrapServers), inputs \(service.kafka.topics.inputs.joined(separator: ", ")) with \(partitions) partitions each (Ctrl-C to stop)\n".utf8))
            while !stop.isRequested { usleep(100_000) }
            withExtendedLifetime(cluster) {}
        } catch {
            exitWithError(error)
        }
    }
}
