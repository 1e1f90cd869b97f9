import Foundation
import KPIService
import Testing

/// Issue 13 (12): `KPI_INGEST_ALERTS_RECEIVERS_LEADS_WEBHOOK_HEADERS_AUTHORIZATION`,
/// as the shipped config tells users to set it, was refused by
/// `check-config` ("does not name a config key") unless the header was
/// already in the file.
@Suite struct EnvironmentHeaderTests {
    static let variable = "KPI_INGEST_ALERTS_RECEIVERS_LEADS_WEBHOOK_HEADERS_AUTHORIZATION"

    @Test func theShippedConfigTakesTheAuthorizationHeaderFromTheEnvironment() throws {
        let check = ConfigCheck.run(path: shippedConfigPath, environment: [Self.variable: "Bearer from-env-0123"])
        #expect(check.exitStatus == 0, "\(check.standardError)")
        #expect(!check.standardOutput.contains("from-env-0123"))
        let c = try ServiceConfiguration.load(path: shippedConfigPath, environment: [Self.variable: "Bearer from-env-0123"])
        guard case .webhook(let hook)? = c.alerts.receivers["leads-webhook"]?.kind else { Issue.record("no webhook"); return }
        #expect(hook.headers["Authorization"] == "Bearer from-env-0123")
        // The file's own header stays.
        #expect(hook.headers["X-Source"] == "kpi-ingest")
    }

    @Test func aHeaderOnlyInTheEnvironmentWithoutAHeadersSection() throws {
        let yaml = """
        alerts:
          receivers:
            hook:
              kind: webhook
              url: https://hooks.example.com/a
        """
        let c = try validConfig(yaml, environment: [
            "KPI_INGEST_ALERTS_RECEIVERS_HOOK_HEADERS_X_API_KEY": "k-123",
            "KPI_INGEST_ALERTS_RECEIVERS_HOOK_HEADERS_AUTHORIZATION": "Bearer t",
        ])
        guard case .webhook(let hook)? = c.alerts.receivers["hook"]?.kind else { Issue.record("no webhook"); return }
        #expect(hook.headers == ["X-Api-Key": "k-123", "Authorization": "Bearer t"])
        // An empty one is a problem naming the variable, never its value.
        let problems = configProblems(yaml, environment: ["KPI_INGEST_ALERTS_RECEIVERS_HOOK_HEADERS_AUTHORIZATION": " "])
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("KPI_INGEST_ALERTS_RECEIVERS_HOOK_HEADERS_AUTHORIZATION") == true)
        // A receiver that does not exist is still an unknown variable.
        let unknown = configProblems(yaml, environment: ["KPI_INGEST_ALERTS_RECEIVERS_OTHER_HEADERS_AUTHORIZATION": "Bearer t"])
        #expect(unknown.first?.message.contains("does not name a config key") == true)
    }
}
