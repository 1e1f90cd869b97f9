import Foundation
import KPIService

/// The repository's shipped config file, found from this source file's path.
let shippedConfigPath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // Configuration, KPIServiceTests, Tests
    return url.appendingPathComponent("config/kpi-ingest.yaml").path
}()

/// The problems of a YAML text (empty when it is valid).
func configProblems(_ yaml: String, environment: [String: String] = [:]) -> [ConfigProblem] {
    do {
        _ = try ServiceConfiguration.parse(yaml: yaml, source: "test.yaml", environment: environment)
        return []
    } catch {
        return error.problems
    }
}

/// A valid configuration from YAML text; records the problems as the failure.
func validConfig(_ yaml: String, environment: [String: String] = [:]) throws -> ServiceConfiguration {
    try ServiceConfiguration.parse(yaml: yaml, source: "test.yaml", environment: environment)
}

/// A file in a fresh temporary folder holding `text`.
func temporaryFile(_ text: String, name: String = "kpi-ingest.yaml") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// Two teams and nothing else: the base most validation tests build on.
let teamsYAML = """
teams:
  - name: cs-s1
    agents: [s1-a1, s1-a2]
    leads: [lead-s1]
  - name: cs-s2
    agents: [s2-a1]
"""
