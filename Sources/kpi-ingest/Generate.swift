import ArgumentParser
import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService

/// `kpi-ingest generate`: synthetic, realistic shop events into the input topics.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic but realistic shop events to the input topics (deterministic for a seed).")

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Kafka bootstrap servers, comma-separated (overrides kafka.brokers of the config).")
    var brokers: String?

    // Unconditional: `--rate -5` reads -5 (validate() explains) instead of "Missing value".
    @Option(parsing: .unconditional, help: "Events per second of event time.")
    var rate: Int = 1000

    @Option(help: "Event-time span to generate, e.g. 30s, 5m, 2h, 7d (ignored with --follow).")
    var duration: String = "1h"

    @Option(help: "Event time of the first event: RFC 3339 or a date (default: now - duration).")
    var start: String?

    @Option(help: "Seed of the generator: same seed, start and flags, same events byte for byte.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Number of shops.")
    var shops: Int = 5

    @Flag(help: "Mix in a small share of realistic faults: duplicates, out-of-order, late, malformed, missing fields.")
    var dirty = false

    @Flag(help: "Pace events in real time from now on, without end (Ctrl-C stops).")
    var follow = false

    @Option(help: "IANA time zone of the shops: their daily rhythm and dates on the command line (default: kpi.time_zone of the config).")
    var timeZone: String?

    func validate() throws {
        guard rate > 0 else { throw ValidationError("--rate must be a positive number of events per second.") }
        guard shops > 0 else { throw ValidationError("--shops must be at least 1.") }
        if let timeZone, TimeZone(identifier: timeZone) == nil { throw ValidationError("--time-zone \(timeZone) is not an IANA time zone name (e.g. Asia/Shanghai).") }
        _ = try parseDuration(duration, flag: "--duration")
        // The form only (the zone decides the instant, not whether it parses):
        // a mistake here is shown with this command's usage, not the top-level one.
        if let start { _ = try parseInstant(start, flag: "--start", timeZone: .gmt) }
    }

    func run() throws {
        let service = configOptions.load(brokers: brokers)
        let zone = TimeZone(identifier: timeZone ?? service.kpi.timeZoneID)!
        let span = try parseDuration(duration, flag: "--duration")
        let nowMillis = Int64(Date().timeIntervalSince1970 * 1000)
        let startTime: EventTime
        if let start {
            startTime = try parseInstant(start, flag: "--start", timeZone: zone)
        } else {
            startTime = EventTime(millis: follow ? nowMillis : nowMillis - span.millis)
        }
        let options = GeneratorOptions(
            seed: seed, shops: shops, rate: rate, duration: follow ? nil : span, start: startTime, dirty: dirty,
            utcOffsetSeconds: zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(startTime.millis) / 1000)))
        do {
            let producer = try KafkaProducer(configuration: service.kafka.clientConfiguration)
            try producer.waitUntilReachable(timeout: .milliseconds(service.kafka.brokerTimeout.millis))
            // A missing input topic is the user's to create: say which, before writing anything.
            _ = try producer.partitionCounts(topics: service.kafka.topics.inputs)
            let job = GenerateJob(options: options, topics: service.kafka.topics, paced: follow)
            var progress = ProgressLine()
            let began = Date()
            let stats = try job.run(producer: producer, stop: .installedForProcess(), progress: &progress)
            let seconds = Date().timeIntervalSince(began)
            progress.finish("generate: wrote \(stats.total) records (orders \(stats.count(.orders)), chats \(stats.count(.chats)), traffic \(stats.count(.traffic)); faults \(stats.total - stats.valid)) to \(service.kafka.bootstrapServers) in \(String(format: "%.1f", seconds)) s")
        } catch {
            exitWithError(error)
        }
    }
}
