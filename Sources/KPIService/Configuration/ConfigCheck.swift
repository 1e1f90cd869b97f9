import Foundation

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
            var summary = configuration.summary(source: path)
            if setsNoKeys(path) {
                summary += "  note:       \(path) sets no keys: every setting is its built-in default"
                    + " (\(ServiceConfiguration.defaultPath) documents them)\n"
            }
            return ConfigCheck(exitStatus: 0, standardOutput: summary, standardError: "")
        } catch {
            let lines = error.problems.map { $0.formatted(source: error.source) + "\n" }.joined()
            let count = error.problems.count == 1 ? "1 problem" : "\(error.problems.count) problems"
            return ConfigCheck(exitStatus: 1, standardOutput: "", standardError: lines + "\(path): \(count)\n")
        }
    }

    /// Whether the file holds nothing but blank lines and comments (an empty
    /// file is valid, but rarely what its author meant to check).
    static func setsNoKeys(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).allSatisfy { line in
            let text = line.drop { $0 == " " || $0 == "\t" }
            return text.isEmpty || text.hasPrefix("#") || text == "---" || text == "..."
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
