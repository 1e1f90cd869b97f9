import ArgumentParser
import Foundation
import KPIService

/// `kpi-ingest check-config FILE`: validates a config file with the current
/// `KPI_INGEST_*` overrides, printing every problem with its line and path.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file (with KPI_INGEST_* overrides); print each problem as FILE:LINE: path: message.")

    @Argument(help: "The YAML config file, e.g. \(ServiceConfiguration.defaultPath).")
    var file: String

    func run() throws {
        let check = ConfigCheck.run(path: file, environment: ProcessInfo.processInfo.environment)
        if !check.standardOutput.isEmpty { FileHandle.standardOutput.write(Data(check.standardOutput.utf8)) }
        if !check.standardError.isEmpty { FileHandle.standardError.write(Data(check.standardError.utf8)) }
        if check.exitStatus != 0 { throw ExitCode(check.exitStatus) }
    }
}
