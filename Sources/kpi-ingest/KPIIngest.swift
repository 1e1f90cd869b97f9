import ArgumentParser
import Foundation
import KPICore
import KPIService

/// The `kpi-ingest` command line (interfaces.md).
@main
struct KPIIngest: AsyncParsableCommand {
    static func main() async {
        // Before any thread starts: SIGTERM/SIGINT must reach the service
        // even when a parent started us with them blocked.
        StopSignal.unblockTerminationSignals()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "kpi-ingest",
        abstract: "Shop KPIs from Kafka: order, chat and traffic events in; live KPI snapshots out.",
        subcommands: [Demo.self, Run.self, Backfill.self, Generate.self, CheckConfig.self, Broker.self]
    )
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
