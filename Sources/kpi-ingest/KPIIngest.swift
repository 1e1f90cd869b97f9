import ArgumentParser
import Foundation
import KPICore

/// The `kpi-ingest` command line (interfaces.md).
@main
struct KPIIngest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpi-ingest",
        abstract: "Shop KPIs from Kafka: order, chat and traffic events in; live KPI snapshots out.",
        subcommands: [Run.self, Backfill.self, Generate.self, CheckConfig.self]
    )
}

/// Options shared by the commands that talk to Kafka.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers, comma-separated (default: $KPI_INGEST_KAFKA_BROKERS or 127.0.0.1:9092).")
    var brokers: String?

    @Option(name: .long, help: "How long to wait for a broker to answer before giving up, e.g. 10s.")
    var brokerTimeout: String = "10s"

    var bootstrapServers: String {
        brokers ?? ProcessInfo.processInfo.environment["KPI_INGEST_KAFKA_BROKERS"] ?? "127.0.0.1:9092"
    }

    func brokerTimeoutDuration() throws -> Duration {
        guard let d = TimeText.duration(brokerTimeout) else {
            throw ValidationError("--broker-timeout \(brokerTimeout) is not a duration: write it like 10s, 1m.")
        }
        return .milliseconds(d.millis)
    }
}

/// Parses a `--flag` duration, naming the flag when it is wrong.
func parseDuration(_ text: String, flag: String) throws -> EventTime.Duration {
    guard let d = TimeText.duration(text), d.millis > 0 else {
        throw ValidationError("\(flag) \(text) is not a duration: write it like 30s, 5m, 2h or 7d.")
    }
    return d
}

/// Parses a `--flag` time (RFC 3339 or a date at local midnight), naming the flag when it is wrong.
func parseInstant(_ text: String, flag: String, timeZone: TimeZone) throws -> EventTime {
    guard let t = TimeText.instant(text, timeZone: timeZone) else {
        throw ValidationError("\(flag) \(text) is not a time: write RFC 3339 (2026-11-21T10:15:30+08:00) or a date (2026-11-01).")
    }
    return t
}

/// Prints a failure the way a user should read it, then exits non-zero.
func exitWithError(_ error: any Error) -> Never {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    Foundation.exit(1)
}
