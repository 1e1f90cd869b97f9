import Foundation
import KPICore
import KPIService
import Testing

@Suite("Validation: every problem, with path and line")
struct ValidationTests {
    @Test("a file with several mistakes reports all of them, in line order, with paths and lines")
    func allProblemsReported() {
        // Line numbers counted by hand: line 1 is "kafka:".
        let yaml = """
        kafka:
          brokers: [k1:9092]
          grop_id: kpi
        kpi:
          time_zone: Mars/Olympus
          reply_timeout: 10 minutes
        teams:
          - name: cs-s1
            agents: [s1-a1]
        targets:
          - rule: fr
            metric: first_response_s
            scope: {type: agent, team: cs-s9}
            window: day
            value: 30
          - rule: fr
            metric: sales
            scope: {type: agent}
            window: day
            value: 100
          - rule: conv
            metric: conversion_rate
            scope: {type: shop}
            window: day
            value: 1.5
        http:
          port: 70000
        """
        let problems = configProblems(yaml)
        let found = problems.map { "\($0.line.map(String.init) ?? "-") \($0.path)" }
        #expect(found == [
            "3 kafka.grop_id",
            "5 kpi.time_zone",
            "6 kpi.reply_timeout",
            "13 targets[0].scope.team",
            "16 targets[1].rule",
            "17 targets[1].metric",
            "25 targets[2].value",
            "27 http.port",
        ])
    }

    @Test("an unknown key is a problem naming the key, with a suggestion")
    func unknownKey() {
        let problems = configProblems("alerts:\n  hysterisis: 0.02\n")
        #expect(problems == [ConfigProblem(
            path: "alerts.hysterisis", line: 2,
            message: problems.first?.message ?? "")])
        #expect(problems.first?.message.contains("did you mean \"hysteresis\"") == true)
        #expect(configProblems("kafak:\n  brokers: [a:1]\n").first?.path == "kafak")
    }

    @Test("a bad duration names the key and the accepted forms")
    func badDuration() {
        let problems = configProblems("kpi:\n  allowed_lateness: 5min\n")
        #expect(problems.count == 1)
        #expect(problems.first?.path == "kpi.allowed_lateness" && problems.first?.line == 2)
        #expect(problems.first?.message.contains("30s, 5m, 2h or 7d") == true)
        // reply_timeout must be > 0.
        #expect(configProblems("kpi:\n  reply_timeout: 0s\n").first?.path == "kpi.reply_timeout")
    }

    @Test("an unknown time zone is a problem")
    func unknownTimeZone() {
        let problems = configProblems("kpi:\n  time_zone: Asia/Shanghia\n")
        #expect(problems.map(\.path) == ["kpi.time_zone"])
        #expect(problems.first?.message.contains("IANA") == true)
    }

    @Test("unknown metric, metric of another scope type, rate target 1.5")
    func metricProblems() {
        func target(_ metric: String, _ type: String, _ value: String) -> String {
            teamsYAML + "\ntargets:\n  - {rule: r, metric: \(metric), scope: {type: \(type)}, window: day, value: \(value)}\n"
        }
        let unknown = configProblems(target("first_reponse_s", "agent", "30"))
        #expect(unknown.map(\.path) == ["targets[0].metric"])
        #expect(unknown.first?.message.contains("did you mean \"first_response_s\"") == true)

        let wrongScope = configProblems(target("ctr", "agent", "0.1"))
        #expect(wrongScope.map(\.path) == ["targets[0].metric"])
        #expect(wrongScope.first?.message.contains("does not exist for scope type agent") == true)
        #expect(wrongScope.first?.message.contains("channel, campaign") == true)

        let rate = configProblems(target("inquiry_conversion_rate", "agent", "1.5"))
        #expect(rate.map(\.path) == ["targets[0].value"])
        #expect(rate.first?.message.contains("between 0 and 1") == true)

        #expect(configProblems(target("sessions", "team", "-3")).map(\.path) == ["targets[0].value"])
        #expect(configProblems(target("sessions", "team", "2.5")).map(\.path) == ["targets[0].value"])
        #expect(configProblems(target("satisfaction", "agent", "6")).map(\.path) == ["targets[0].value"])
        // Money with more digits than kpi.money.fraction_digits (2) would be silently rounded: refused.
        #expect(configProblems(target("sales", "shop", "\"10.005\"")).map(\.path) == ["targets[0].value"])
        #expect(configProblems(target("sales", "shop", "\"10.50\"")).isEmpty)
    }

    @Test("an unknown metric is refused naming every metric of the scope type")
    func unknownMetricNamesTheValidOnes() {
        func target(_ metric: String, _ type: String) -> String {
            teamsYAML + "\ntargets:\n  - {rule: r, metric: \(metric), scope: {type: \(type)}, window: day, value: 1}\n"
        }
        let problems = configProblems(target("revenue", "channel"))
        #expect(problems.map(\.path) == ["targets[0].metric"])
        let message = problems.first?.message ?? ""
        // The promotion table of kpis.md, in its order, copied by hand.
        #expect(message.contains("unknown metric \"revenue\""))
        #expect(message.contains("uv, impressions, clicks, ctr, arrivals, arrival_rate, click_arrival_rate, bounce_rate, spend, cost_per_uv, orders_paid, sales, cost_per_order, roas"))
        // Not the metrics of another scope type.
        #expect(!message.contains("first_response_s"))
        // A metric spelled as on the dashboard in Chinese is refused the same way.
        #expect(configProblems(target("客单价", "shop")).map(\.path) == ["targets[0].metric"])
    }

    @Test("money is read exactly into minor units, never through a Double")
    func moneyExact() throws {
        let c = try validConfig(teamsYAML + """

        kpi: {money: {fraction_digits: 2}}
        targets:
          - {rule: r, metric: agent_sales, scope: {type: agent}, window: month, value: 0.29}
          - {rule: s, metric: sales, scope: {type: shop}, window: month, value: "92233720368547758.07"}
        """)
        // 0.29 is 0.28999999999999998 as a Double; exactly 29 minor units here.
        #expect(c.targets[0].value == .money(Money(minorUnits: 29)))
        #expect(c.targets[1].value == .money(Money(minorUnits: Int64.max)))
    }

    @Test("a team named by a target, route, quiet hours, scorecard or stage must exist")
    func unknownTeams() {
        let problems = configProblems(teamsYAML + """

        targets:
          - {rule: t, metric: sessions, scope: {type: team, ids: [cs-s1, cs-s3]}, window: day, value: 5}
        alerts:
          quiet_hours:
            cs-x: {from: "00:00", to: "08:00"}
          receivers:
            log: {kind: log}
          routes:
            - {team: cs-s4, receivers: [log]}
        stages:
          cs-y: {stage: growth, commission_rate: 0.02}
        """)
        #expect(problems.map(\.path) == ["targets[0].scope.ids", "alerts.quiet_hours.cs-x", "alerts.routes[0].team", "stages.cs-y"])
        #expect(problems.allSatisfy { $0.message.contains("unknown team") })
    }

    @Test("scorecard weights must add up to exactly 100")
    func weights() throws {
        let yaml = teamsYAML + """

        scorecards:
          cs-s1:
            - {metric: first_response_s, weight: 33.3, target: 30}
            - {metric: satisfaction, weight: 33.3, target: 4.5}
            - {metric: agent_sales, weight: 33.3, target: "1000.00"}
        """
        let problems = configProblems(yaml)
        #expect(problems.count == 1)
        #expect(problems.first?.path == "scorecards.cs-s1")
        #expect(problems.first?.line == 8)  // "  cs-s1:" after the 6 team lines and "scorecards:"
        #expect(problems.first?.message.contains("99.9") == true)

        let fixed = yaml.replacingOccurrences(of: "weight: 33.3, target: \"1000.00\"", with: "weight: 33.4, target: \"1000.00\"")
        let c = try validConfig(fixed)
        #expect(c.scorecards["cs-s1"]?.map(\.cap) == [DecimalValue(units: 12, scale: 1), DecimalValue(units: 12, scale: 1), DecimalValue(units: 12, scale: 1)])
        #expect(c.scorecards["cs-s1"]?[2].target == .money(Money(minorUnits: 100_000)))

        // A cap per line reaches the core scorecard line by line.
        let capped = try validConfig(fixed.replacingOccurrences(of: "weight: 33.3, target: 4.5}", with: "weight: 33.3, target: 4.5, cap: 1.5}")
                                     + "\nstages:\n  cs-s1: {stage: stable, commission_rate: 0.01, base: agent_sales}\n")
        let card = capped.teamSchemes.first { $0.team == "cs-s1" }?.scorecard
        #expect(card?.entries.map(\.cap) == [Fraction(12, 10), Fraction(15, 10), Fraction(12, 10)])
    }

    @Test("a scorecard metric must exist for agents; a stable stage needs a scorecard")
    func scorecardAndStages() {
        let problems = configProblems(teamsYAML + """

        scorecards:
          cs-s1:
            - {metric: pv, weight: 100, target: 1000}
        stages:
          cs-s2: {stage: stable, bonus: "5.00"}
        """)
        #expect(problems.map(\.path) == ["scorecards.cs-s1[0].metric", "stages.cs-s2.bonus", "stages.cs-s2.stage"])
    }

    @Test("receivers and routes: unknown kind, key of another kind, unknown receiver and rule")
    func receiversAndRoutes() {
        let problems = configProblems("""
        alerts:
          receivers:
            hook: {kind: webhook, url: "ftp://x"}
            topic: {kind: kafka, topic: t, url: "http://x"}
            pager: {kind: pagerduty}
          routes:
            - {receivers: [hook, sms], rules: [no-such-rule]}
        """)
        #expect(problems.map { "\($0.line ?? 0) \($0.path)" } == [
            "3 alerts.receivers.hook.url", "4 alerts.receivers.topic.url", "5 alerts.receivers.pager.kind",
            "7 alerts.routes[0].rules", "7 alerts.routes[0].receivers",
        ])
    }

    @Test("duplicate keys and duplicate rule ids are problems, not a silent last-one-wins")
    func duplicates() {
        let problems = configProblems("http:\n  port: 1\n  port: 2\n")
        #expect(problems.map(\.path) == ["http.port"])
        #expect(problems.first?.line == 3)
    }

    @Test("a YAML syntax error is reported with its line")
    func syntaxError() {
        let problems = configProblems("kafka:\n  brokers: [a:1\nhttp:\n  port: 1\n")
        #expect(problems.count == 1)
        #expect(problems.first?.path == "(document)")
        #expect(problems.first?.line != nil)
        #expect(problems.first?.message.hasPrefix("YAML syntax") == true)
    }

    @Test("non-loopback HTTP without a token is refused")
    func tokenRequired() {
        #expect(configProblems("http:\n  host: 0.0.0.0\n").map(\.path) == ["http.token"])
        #expect(configProblems("http:\n  host: 0.0.0.0\n", environment: ["KPI_INGEST_HTTP_TOKEN": String(repeating: "k", count: 24)]).isEmpty)
    }

    @Test("a missing file names the path and says how to create one")
    func missingFile() {
        #expect(throws: ConfigurationError.self) { try ServiceConfiguration.load(path: "/nonexistent/kpi.yaml", environment: [:]) }
        do {
            _ = try ServiceConfiguration.load(path: "/nonexistent/kpi.yaml", environment: [:])
        } catch {
            #expect(error.source == "/nonexistent/kpi.yaml")
            #expect(error.description.contains("/nonexistent/kpi.yaml"))
            #expect(error.description.contains("copying config/kpi-ingest.yaml"))
        }
    }
}
