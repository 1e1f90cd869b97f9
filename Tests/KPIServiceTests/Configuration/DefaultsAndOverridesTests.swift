import Foundation
import KPICore
import KPIService
import Testing

@Suite("Defaults and environment overrides")
struct DefaultsAndOverridesTests {
    @Test("an empty file gives every documented default")
    func emptyFileDefaults() throws {
        let c = try validConfig("")
        #expect(c.kafka.brokers == ["127.0.0.1:9092"])
        #expect(c.kafka.groupID == "kpi-ingest")
        #expect(c.kafka.topics == TopicNames())
        #expect(c.kafka.properties.isEmpty)
        #expect(c.kafka.brokerTimeout == .seconds(10))
        #expect(c.kpi == KPIConfiguration())
        #expect(c.kpi.timeZoneID == "Asia/Shanghai" && c.kpi.firstWeekday == 1)
        #expect(c.kpi.allowedLateness == .minutes(5) && c.kpi.attributionWindow == .hours(24))
        #expect(c.kpi.retention == KPIConfiguration.Retention(days: 2, weeks: 2, months: 2))
        #expect(c.alerts.holdTimeClosed == .seconds(0) && c.alerts.holdTimeOpen == .minutes(5))
        #expect(c.alerts.hysteresis == DecimalValue(units: 2, scale: 2))
        #expect(c.alerts.noDataAfter == nil)
        #expect(c.http.host == "127.0.0.1" && c.http.port == 8080 && c.http.token == nil)
        #expect(c.output.snapshotEmitInterval == .seconds(1) && c.output.checkpointInterval == .seconds(60))
        #expect(c.targets.isEmpty && c.scorecards.isEmpty && c.stages.isEmpty)
    }

    @Test("keys left out of a section keep their defaults; target defaults apply")
    func partialSections() throws {
        let c = try validConfig(teamsYAML + """

        kpi:
          retention: {days: 7}
        targets:
          - rule: r
            metric: first_response_s
            scope: {type: agent}
            window: day
            value: 30
        """)
        #expect(c.kpi.retention == KPIConfiguration.Retention(days: 7, weeks: 2, months: 2))
        #expect(c.kpi.replyTimeout == .minutes(10))
        let t = try #require(c.targets.first)
        #expect(t.selection == .all && t.shops == nil)
        #expect(t.minSample == 20 && t.severity == .warning && t.paceShape == nil)
        #expect(t.traits.direction == .lowerIsBetter)
    }

    @Test("every metric of every scope type can be a target (its value kind is known)")
    func everyMetricHasTraits() {
        for name in MetricCatalog.allNames.sorted() {
            #expect(MetricTraits.of(name) != nil, "\(name) has no value kind: targets on it would be refused")
        }
        #expect(MetricTraits.of("conversion_rate")?.kind == .rate)
        #expect(MetricTraits.of("cost_per_order").map { ($0.kind, $0.direction) } ?? (.count, .higherIsBetter) == (.moneyPerUnit, .lowerIsBetter))
        #expect(MetricTraits.of("no_such_metric") == nil)
    }

    @Test("every kind of value can be overridden by KPI_INGEST_<PATH>")
    func overridesOfEveryKind() throws {
        let yaml = teamsYAML + """

        kafka:
          brokers: [file:9092]
          properties:
            client.id: from-file
        alerts:
          receivers:
            hook:
              kind: webhook
              url: https://hooks.example.com/a
              headers:
                Authorization: placeholder
        stages:
          cs-s1: {stage: growth, commission_rate: 0.02}
        """
        let c = try validConfig(yaml, environment: [
            "KPI_INGEST_KAFKA_BROKERS": "k1:9092, k2:9093",                  // list, comma-separated
            "KPI_INGEST_KAFKA_GROUP_ID": "kpi-blue",                         // text
            "KPI_INGEST_KAFKA_TOPICS_ORDERS": "prod.orders",                 // nested text
            "KPI_INGEST_KAFKA_BROKER_TIMEOUT": "30s",                        // duration
            "KPI_INGEST_KAFKA_PROPERTIES_CLIENT_ID": "from-env",             // existing free-map key
            "KPI_INGEST_KAFKA_PROPERTIES_SASL_PASSWORD": "pw-from-env",      // new property, _ → .
            "KPI_INGEST_KPI_TIME_ZONE": "Europe/Berlin",                     // time zone
            "KPI_INGEST_KPI_FIRST_WEEKDAY": "sunday",                        // choice
            "KPI_INGEST_KPI_RETENTION_DAYS": "5",                            // integer in a sub-section
            "KPI_INGEST_KPI_MONEY_FRACTION_DIGITS": "3",
            "KPI_INGEST_ALERTS_HYSTERESIS": "0.05",                          // decimal
            "KPI_INGEST_ALERTS_HOLD_TIME_OPEN": "2m",
            "KPI_INGEST_ALERTS_RECEIVERS_HOOK_HEADERS_AUTHORIZATION": "Bearer s3cr3t",  // under a named entry
            "KPI_INGEST_STAGES_CS_S1_COMMISSION_RATE": "0.03",              // "-" in a name → "_"
            "KPI_INGEST_HTTP_PORT": "9090",
            "KPI_INGEST_HTTP_HOST": "0.0.0.0",
            "KPI_INGEST_HTTP_TOKEN": "0123456789abcdef0123",
            "KPI_INGEST_OUTPUT_CHECKPOINT_INTERVAL": "5m",
        ])
        #expect(c.kafka.brokers == ["k1:9092", "k2:9093"])
        #expect(c.kafka.groupID == "kpi-blue")
        #expect(c.kafka.topics.orders == "prod.orders")
        #expect(c.kafka.brokerTimeout == .seconds(30))
        #expect(c.kafka.properties == ["client.id": "from-env", "sasl.password": "pw-from-env"])
        #expect(c.kpi.timeZoneID == "Europe/Berlin")
        #expect(c.kpi.firstWeekday == 7)
        #expect(c.kpi.retention.days == 5)
        #expect(c.kpi.fractionDigits == 3)
        #expect(c.alerts.hysteresis == DecimalValue(units: 5, scale: 2))
        #expect(c.alerts.holdTimeOpen == .minutes(2))
        guard case .webhook(let hook)? = c.alerts.receivers["hook"]?.kind else { Issue.record("no webhook"); return }
        #expect(hook.headers["Authorization"] == "Bearer s3cr3t")
        #expect(c.stages["cs-s1"] == .growth(commissionRate: DecimalValue(units: 3, scale: 2)))
        #expect(c.http.port == 9090 && c.http.host == "0.0.0.0")
        #expect(c.http.token == "0123456789abcdef0123")
        #expect(c.output.checkpointInterval == .minutes(5))
    }

    @Test("the HTTP hardening keys (issue 13, items 9-11): defaults, file values, an environment list, bad values")
    func httpHardeningKeys() throws {
        let defaults = try validConfig("")
        #expect(defaults.http.allowedHosts.isEmpty && defaults.http.maxStreamClients == 100)
        #expect(defaults.http.headerTimeout == .seconds(10) && defaults.http.sessionLifetime == .hours(12))
        let c = try validConfig("""
        http:
          host: 0.0.0.0
          token: "0123456789abcdef0123"
          allowed_hosts: [kpi.example.internal, kpi.example.com]
          max_stream_clients: 250
          header_timeout: 3s
          session_lifetime: 30m
        """)
        #expect(c.http.allowedHosts == ["kpi.example.internal", "kpi.example.com"])
        #expect(c.http.maxStreamClients == 250 && c.http.headerTimeout == .seconds(3) && c.http.sessionLifetime == .minutes(30))
        let env = try validConfig("", environment: ["KPI_INGEST_HTTP_ALLOWED_HOSTS": "a.example, b.example"])
        #expect(env.http.allowedHosts == ["a.example", "b.example"])
        let problems = configProblems("http:\n  max_stream_clients: 0\n  header_timeout: 0s\n")
        #expect(problems.contains { $0.path == "http.max_stream_clients" })
        #expect(problems.contains { $0.path == "http.header_timeout" })
    }

    @Test("an override that does not parse is a problem naming the variable")
    func badOverride() {
        let problems = configProblems("http:\n  port: 8080\n", environment: [
            "KPI_INGEST_HTTP_PORT": "eighty", "KPI_INGEST_KPI_ALLOWED_LATENESS": "5 min",
        ])
        #expect(problems.count == 2)
        let port = problems.first { $0.path == "http.port" }
        #expect(port?.line == nil)
        #expect(port?.message.contains("KPI_INGEST_HTTP_PORT") == true)
        #expect(port?.message.contains("\"eighty\"") == true)
        #expect(problems.contains { $0.path == "kpi.allowed_lateness" && $0.message.contains("KPI_INGEST_KPI_ALLOWED_LATENESS") })
    }

    @Test("a KPI_INGEST_ variable that names no key is a problem with a suggestion; others are ignored")
    func unknownVariable() {
        let problems = configProblems("", environment: [
            "KPI_INGEST_HTTP_PROT": "9090",
            "KPI_INGEST_CONFIG": "/etc/kpi-ingest.yaml",  // reserved for the command line
            "HOME": "/root",
        ])
        #expect(problems.count == 1)
        #expect(problems.first?.path == "environment")
        #expect(problems.first?.message.contains("KPI_INGEST_HTTP_PROT") == true)
        #expect(problems.first?.message.contains("did you mean KPI_INGEST_HTTP_PORT") == true)
    }
}

@Suite("Scopes, routes and quiet hours")
struct SelectionAndRoutingTests {
    @Test("a target scope selects all, one id, a list, or the agents of a team, optionally in some shops")
    func selections() throws {
        let c = try validConfig(teamsYAML + """

        targets:
          - {rule: a, metric: sales, scope: {type: shop, ids: all}, window: day, value: 1}
          - {rule: b, metric: ctr, scope: {type: channel, ids: search, shops: [s1]}, window: day, value: 0.01}
          - {rule: c, metric: sessions, scope: {type: team, ids: [cs-s1, cs-s2]}, window: week, value: 10}
          - {rule: d, metric: first_response_s, scope: {type: agent, team: cs-s2}, window: rolling_24h, value: 20}
        """)
        #expect(c.targets.map(\.selection) == [.all, .ids(["search"]), .ids(["cs-s1", "cs-s2"]), .agentsOfTeam("cs-s2")])
        #expect(c.targets[1].shops == ["s1"])
        #expect(c.targets.map(\.window) == [.day, .day, .week, .rolling24h])
        #expect(c.targets[0].value == .money(Money(minorUnits: 100)))
    }

    @Test("a route naming a team tells the team's leads unless it lists its own")
    func routeLeads() throws {
        let c = try validConfig(teamsYAML + """

        targets:
          - {rule: r, metric: sales, scope: {type: shop}, window: day, value: 1}
        alerts:
          receivers:
            log: {kind: log}
            ops: {kind: kafka, topic: ops.alerts}
          routes:
            - {team: cs-s1, receivers: [log]}
            - {scope_type: shop, rules: [r], leads: [ops-lead], receivers: [log, ops]}
        """)
        #expect(c.alerts.routes[0].leads == ["lead-s1"])
        #expect(c.alerts.routes[1] == ServiceConfiguration.Route(scopeType: .shop, rules: ["r"], leads: ["ops-lead"], receivers: ["log", "ops"]))
        #expect(c.alerts.receivers["ops"]?.kind == .kafka(topic: "ops.alerts"))
    }

    @Test("quiet hours are local HH:MM, and a range past midnight wraps")
    func quietHours() throws {
        let c = try validConfig(teamsYAML + """

        alerts:
          quiet_hours:
            cs-s1: {from: "00:00", to: "08:00"}
            cs-s2: {from: "22:30", to: "06:00"}
        """)
        let morning = try #require(c.alerts.quietHours["cs-s1"])
        #expect(morning.contains(minuteOfDay: 0) && morning.contains(minuteOfDay: 479) && !morning.contains(minuteOfDay: 480))
        let night = try #require(c.alerts.quietHours["cs-s2"])
        #expect(night.contains(minuteOfDay: 23 * 60) && night.contains(minuteOfDay: 5 * 60) && !night.contains(minuteOfDay: 12 * 60))
        #expect(configProblems(teamsYAML + "\nalerts:\n  quiet_hours:\n    cs-s1: {from: \"8am\", to: \"09:00\"}\n").map(\.path)
                == ["alerts.quiet_hours.cs-s1.from"])
    }
}
