import Foundation
import KPICore
import KPIService
import Testing

@Suite("Secrets and check-config")
struct SecretsAndCheckTests {
    static let secrets = ["kafka-pw-7781", "jaas-secret-9913", "http-token-0123456789", "hdr-value-5521", "hook-path-tok-4410"]

    /// Valid, and full of secrets in every place a secret can be.
    static let secretYAML = """
    kafka:
      properties:
        security.protocol: SASL_SSL
        sasl.password: kafka-pw-7781
        sasl.jaas.config: jaas-secret-9913
    alerts:
      receivers:
        hook:
          kind: webhook
          url: https://hooks.example.com/services/hook-path-tok-4410
          headers:
            Authorization: hdr-value-5521
    http:
      host: 0.0.0.0
      token: http-token-0123456789
    """

    @Test("secrets never appear in description or the check-config summary")
    func secretsNotInDescriptions() throws {
        let c = try validConfig(Self.secretYAML)
        #expect(c.kafka.properties["sasl.password"] == "kafka-pw-7781")  // still usable
        let texts = [c.description, c.summary(source: "x"), String(describing: c.kafka), String(describing: c.http),
                     String(describing: c.alerts.receivers["hook"]!)]
        for text in texts {
            for secret in Self.secrets { #expect(!text.contains(secret), "\(secret) shown in \(text)") }
        }
        #expect(c.summary(source: "x").contains("sasl.password=***"))
        #expect(c.summary(source: "x").contains("security.protocol=SASL_SSL"))
    }

    @Test("secrets never appear in problems, even when the secret itself is the bad value")
    func secretsNotInProblems() {
        // Same secrets, but every secret-bearing value made invalid, plus an
        // unrelated mistake so the file has problems.
        let yaml = Self.secretYAML
            .replacingOccurrences(of: "https://hooks.example.com/services/hook-path-tok-4410", with: "hooks.example.com/hook-path-tok-4410")
            .replacingOccurrences(of: "http-token-0123456789", with: "http-token")
            .replacingOccurrences(of: "Authorization: hdr-value-5521", with: "Authorization: [hdr-value-5521]")
            + "\nkpi:\n  time_zone: Nowhere/City\n"
        let error = #expect(throws: ConfigurationError.self) { try validConfig(yaml, environment: ["KPI_INGEST_KAFKA_PROPERTIES_SASL_PASSWORD": "env-pw-3321"]) }
        let text = error.map { $0.description } ?? ""
        #expect(error?.problems.count == 4)
        for secret in Self.secrets + ["env-pw-3321", "http-token"] { #expect(!text.contains(secret), "\(secret) shown") }
    }

    @Test("check-config: exit 0 with a summary for a valid file, 1 with FILE:LINE: path: message lines otherwise")
    func checkConfigExitCodes() throws {
        let good = ConfigCheck.run(path: shippedConfigPath, environment: [:])
        #expect(good.exitStatus == 0)
        #expect(good.standardError.isEmpty)
        #expect(good.standardOutput.contains("brokers:    127.0.0.1:9092"))
        #expect(good.standardOutput.contains("teams:      5"))

        let path = try temporaryFile("kpi:\n  time_zone: Nowhere/City\nhttp:\n  prot: 1\n")
        let bad = ConfigCheck.run(path: path, environment: [:])
        #expect(bad.exitStatus == 1)
        #expect(bad.standardOutput.isEmpty)
        let lines = bad.standardError.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("\(path):2: kpi.time_zone: "))
        #expect(lines[1].hasPrefix("\(path):4: http.prot: unknown key"))
        #expect(lines[2] == "\(path): 2 problems")

        let missing = ConfigCheck.run(path: path + ".missing", environment: [:])
        #expect(missing.exitStatus == 1)
        #expect(missing.standardError.contains("no config file at \(path).missing"))
    }

    @Test("check-config says so when a file sets no keys at all")
    func checkConfigOfAnEmptyFile() throws {
        for text in ["", "\n\n", "# kpi-ingest\n  # nothing yet\n---\n"] {
            let path = try temporaryFile(text)
            let check = ConfigCheck.run(path: path, environment: [:])
            #expect(check.exitStatus == 0)   // valid: every default applies
            #expect(check.standardOutput.contains("\(path) sets no keys: every setting is its built-in default"),
                    "no word for \(text.debugDescription)")
        }
        let one = ConfigCheck.run(path: try temporaryFile("# one key\nkpi:\n  time_zone: UTC\n"), environment: [:])
        #expect(one.exitStatus == 0)
        #expect(!one.standardOutput.contains("sets no keys"))
    }

    @Test("check-config applies environment overrides and shows the token as ***")
    func checkConfigWithEnvironment() throws {
        let path = try temporaryFile("http:\n  host: 0.0.0.0\n")
        let withoutToken = ConfigCheck.run(path: path, environment: [:])
        #expect(withoutToken.exitStatus == 1)
        let withToken = ConfigCheck.run(path: path, environment: ["KPI_INGEST_HTTP_TOKEN": "tok-ABCDEFGHIJKLMNOP"])
        #expect(withToken.exitStatus == 0)
        #expect(withToken.standardOutput.contains("0.0.0.0:8080 (token ***)"))
        #expect(!withToken.standardOutput.contains("tok-ABCDEFGHIJKLMNOP"))
    }
}
