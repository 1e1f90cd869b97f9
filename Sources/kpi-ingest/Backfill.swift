import ArgumentParser
import Foundation
import KafkaClient
import KPICore
import KPIService

/// `kpi-ingest backfill`: rebuilds every window from the input topics and
/// prints the final snapshots as JSON Lines.
struct Backfill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the input topics from a time and write every window's final snapshot as JSON Lines.")

    @OptionGroup var broker: BrokerOptions

    @Option(help: "Replay from this time: RFC 3339 or a date (local midnight in the configured time zone).")
    var from: String

    @Option(help: "Replay up to this time (default: the end offsets taken at start).")
    var until: String?

    @Option(help: "Write the snapshots to this file (default: standard output).")
    var output: String?

    @OptionGroup var settings: KPISettingsOptions

    func run() throws {
        let configuration: KPIConfiguration
        do { configuration = try settings.kpiConfiguration() } catch { exitWithError(error) }
        let zone = TimeZone(identifier: configuration.timeZoneID)!
        let fromTime = try parseInstant(from, flag: "--from", timeZone: zone)
        let untilTime = try until.map { try parseInstant($0, flag: "--until", timeZone: zone) }
        if let untilTime, untilTime <= fromTime { throw ValidationError("--until must be after --from.") }
        do {
            let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
            let consumer = try KafkaConsumer(configuration: kafka, groupID: nil)
            try consumer.waitUntilReachable(timeout: try broker.brokerTimeoutDuration())
            let deadLetters = DeadLetterSink(producer: try KafkaProducer(configuration: kafka), topic: settings.topics.deadLetter)
            var progress = ProgressLine()
            let began = Date()
            let job = BackfillJob(configuration: configuration, topics: settings.topics, from: fromTime, until: untilTime)
            let (snapshots, summary) = try job.run(consumer: consumer, deadLetters: deadLetters, stop: .installedForProcess(), progress: &progress, emittedAt: { EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000)) })
            try consumer.close()
            let zoneRules = try ZoneRules(identifier: configuration.timeZoneID)
            var out: [UInt8] = []
            out.reserveCapacity(snapshots.count * 900)
            for s in snapshots {
                SnapshotJSON.append(s, fractionDigits: configuration.fractionDigits, zone: zoneRules, to: &out)
                out.append(UInt8(ascii: "\n"))
            }
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(out)) else {
                    throw ServiceError(.output, "Could not write --output \(output): check that its folder exists and is writable")
                }
            } else {
                FileHandle.standardOutput.write(Data(out))
            }
            let reasons = summary.deadLetteredByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            progress.finish("backfill: \(summary.consumed) records from \(summary.partitions) partitions: \(summary.counted) counted, \(summary.duplicates) duplicates, \(summary.deadLettered) dead-lettered\(reasons.isEmpty ? "" : " (\(reasons))"); \(snapshots.count) snapshots in \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
        } catch {
            exitWithError(error)
        }
    }
}

/// KPI settings from the command line, until the YAML config exists.
struct KPISettingsOptions: ParsableArguments {
    @Option(help: "IANA time zone of the calendar windows.")
    var timeZone: String = "Asia/Shanghai"

    @Option(help: "Allowed lateness of events, e.g. 5m.")
    var allowedLateness: String = "5m"

    var topics: TopicNames { TopicNames() }

    func kpiConfiguration() throws -> KPIConfiguration {
        var c = KPIConfiguration()
        guard TimeZone(identifier: timeZone) != nil else {
            throw ValidationError("--time-zone \(timeZone) is not an IANA time zone name (e.g. Asia/Shanghai).")
        }
        c.timeZoneID = timeZone
        c.allowedLateness = try parseDuration(allowedLateness, flag: "--allowed-lateness")
        try c.validate()
        return c
    }
}
