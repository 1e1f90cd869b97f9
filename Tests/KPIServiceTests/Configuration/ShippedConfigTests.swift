import Foundation
import KPICore
import KPIService
import Testing

@Suite("Shipped config file")
struct ShippedConfigTests {
    @Test("config/kpi-ingest.yaml loads with no problems")
    func shippedFileIsValid() throws {
        let c = try ServiceConfiguration.load(path: shippedConfigPath, environment: [:])
        #expect(c.kafka.brokers == ["127.0.0.1:9092"])
        #expect(c.kafka.topics == TopicNames())
        #expect(c.kpi == KPIConfiguration.withTeams(c.kpi.teams))
        #expect(c.kpi.teams.map(\.name) == ["cs-s1", "cs-s2", "cs-s3", "cs-s4", "cs-s5"])
        // Every agent the generator can staff shop s1 with (3 to 8), so the demo's alerts reach a lead.
        #expect(c.kpi.teams[0].agents == (1...8).map { "s1-a\($0)" })
        #expect(!c.targets.isEmpty)
        #expect(!c.alerts.receivers.isEmpty && !c.alerts.routes.isEmpty)
        #expect(c.scorecards["cs-s1"]?.count == 5)
    }

    @Test("its example targets are read exactly: money in minor units, 24-hour pace shape")
    func shippedTargets() throws {
        let c = try ServiceConfiguration.load(path: shippedConfigPath, environment: [:])
        let sales = try #require(c.targets.first { $0.rule == "shop-daily-sales" })
        #expect(sales.value == .money(Money(minorUnits: 2_000_000)))
        #expect(sales.paceShape?.count == 24)
        #expect(sales.severity == .critical)
        let perAgent = try #require(c.targets.first { $0.rule == "cs-s1-inquiry-conversion" })
        #expect(perAgent.selection == .agentsOfTeam("cs-s1"))
        #expect(perAgent.value == .number(DecimalValue(units: 35, scale: 2)))
        #expect(c.stages["cs-s4"] == .startup(bonus: Money(minorUnits: 50_000), shopMonthlySalesTarget: Money(minorUnits: 30_000_000)))
        #expect(c.stages["cs-s2"] == .stable(commissionRate: DecimalValue(units: 1, scale: 2), base: .agentSales))
    }

    @Test("every key the loader accepts is written in the shipped file, set or commented")
    func everyKeyDocumented() throws {
        let text = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        let keys = [
            "brokers:", "group_id:", "broker_timeout:", "topics:", "orders:", "chats:", "traffic:", "snapshots:",
            "alerts:", "deadletter:", "state:", "properties:", "time_zone:", "first_weekday:", "allowed_lateness:",
            "retention:", "days:", "weeks:", "months:", "attribution_window:", "reply_timeout:", "response_within:",
            "future_skew:", "distinct_exact_threshold:", "fraction_digits:", "teams:", "name:", "agents:", "leads:",
            "targets:", "rule:", "metric:", "scope:", "type:", "ids:", "team:", "shops:", "window:", "value:",
            "severity:", "min_sample:", "pace_shape:", "hold_time:", "closed:", "open:", "hysteresis:",
            "repeat_interval:", "no_data_after:", "quiet_hours:", "from:", "to:", "receivers:", "kind:", "url:",
            "timeout:", "max_retries:", "queue_size:", "headers:", "topic:", "routes:", "scope_type:", "rules:",
            "scorecards:", "weight:", "target:", "cap:", "stages:", "stage:", "bonus:", "shop_monthly_sales_target:",
            "commission_rate:", "base:", "http:", "host:", "port:", "token:", "output:", "snapshot_emit_interval:",
            "checkpoint_interval:", "allowed_hosts:", "max_stream_clients:", "header_timeout:", "session_lifetime:",
            "secret:", "language:", "public_url:", "smtp_url:", "username:", "password:", "from:", "to:", "ca_file:", "digest_interval:",
        ]
        let missing = keys.filter { key in
            !text.contains(key) && !text.contains(String(key.dropLast()) + " ")
        }
        #expect(missing.isEmpty)
    }
}

extension KPIConfiguration {
    /// The defaults with these teams, to compare the engine settings of a file that only adds teams.
    static func withTeams(_ teams: [Team]) -> KPIConfiguration {
        var c = KPIConfiguration()
        c.teams = teams
        return c
    }
}
