/// The logic of `kpi-ingest check-config FILE`, apart from the process, so it
/// can be tested: what to print on stdout and stderr and the exit status.
public struct ConfigCheck: Sendable, Equatable {
    /// 0 when the file has no problems, 1 otherwise.
    public var exitStatus: Int32
    /// The summary of a valid file (secrets as `***`).
    public var standardOutput: String
    /// One `FILE:LINE: path: message` line per problem.
    public var standardError: String

    public init(exitStatus: Int32, standardOutput: String, standardError: String) {
        self.exitStatus = exitStatus; self.standardOutput = standardOutput; self.standardError = standardError
    }

    /// Loads and validates `path` with `environment` overrides.
    public static func run(path: String, environment: [String: String]) -> ConfigCheck {
        do {
            let configuration = try ServiceConfiguration.load(path: path, environment: environment)
            return ConfigCheck(exitStatus: 0, standardOutput: configuration.summary(source: path), standardError: "")
        } catch {
            let lines = error.problems.map { $0.formatted(source: error.source) + "\n" }.joined()
            let count = error.problems.count == 1 ? "1 problem" : "\(error.problems.count) problems"
            return ConfigCheck(exitStatus: 1, standardOutput: "", standardError: lines + "\(path): \(count)\n")
        }
    }
}

extension ServiceConfiguration {
    /// What `check-config` prints for a valid file: enough to see that the
    /// intended file and overrides were read. Secrets are shown as `***`.
    public func summary(source: String) -> String {
        let properties = kafka.clientConfiguration.redacted
            .filter { $0.key != "bootstrap.servers" }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        var lines = [
            "\(source): OK",
            "  brokers:    \(kafka.bootstrapServers) (group \(kafka.groupID))",
            "  topics:     \(topicSummary)",
        ]
        if !properties.isEmpty { lines.append("  properties: \(properties)") }
        lines += [
            "  time zone:  \(kpi.timeZoneID), weeks start on \(weekdays[kpi.firstWeekday - 1])",
            "  teams:      \(kpi.teams.count)\(kpi.teams.isEmpty ? "" : " (\(kpi.teams.map(\.name).joined(separator: ", ")))")",
            "  targets:    \(targets.count)",
            "  receivers:  \(alerts.receivers.count), routes: \(alerts.routes.count)",
            "  scorecards: \(scorecards.count), stages: \(stages.count)",
            "  http:       \(http)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
