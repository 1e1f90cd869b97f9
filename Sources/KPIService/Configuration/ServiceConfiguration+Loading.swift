import Foundation
import KafkaClient
import KPICore
import Yams

extension ServiceConfiguration {
    /// Where `run`, `backfill` and the docs expect the file by default.
    public static let defaultPath = "config/kpi-ingest.yaml"

    /// `KPI_INGEST_*` variables that are not config keys but are reserved for
    /// the command line (the config file's location), so they are not
    /// reported as unknown overrides.
    public static let reservedEnvironmentNames: Set<String> = ["KPI_INGEST_CONFIG"]

    /// Reads and validates the file at `path` with its environment overrides.
    /// Throws `ConfigurationError` naming the path when the file is missing or
    /// unreadable, or listing every problem of its content.
    public static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> ServiceConfiguration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(source: path, problems: [ConfigProblem(
                path: "(file)", line: nil,
                message: "no config file at \(path): create one by copying \(defaultPath) from the kpi-ingest repository (every key is documented there) and edit it, or pass the path of an existing file")])
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(source: path, problems: [ConfigProblem(
                path: "(file)", line: nil, message: "\(path) is not a readable file: check its permissions, or pass the path of the YAML file itself")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(source: path, problems: [ConfigProblem(
                path: "(file)", line: nil, message: "\(path) is not UTF-8 text: save it as UTF-8")])
        }
        return try parse(yaml: text, source: path, environment: environment)
    }

    /// Parses and validates YAML text. `source` names it in problems (a path,
    /// or e.g. `<test>`).
    public static func parse(yaml: String, source: String, environment: [String: String]) throws(ConfigurationError) -> ServiceConfiguration {
        let reader = ConfigReader(environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(source: source, problems: [syntaxProblem(error)])
        } catch {
            throw ConfigurationError(source: source, problems: [ConfigProblem(path: "(document)", line: nil, message: "not valid YAML: \(error)")])
        }
        var decoder = ConfigDecoder(reader: reader)
        let configuration = decoder.decode(root)
        // Document order (by line), then what came from the environment.
        let problems = reader.problems.enumerated().sorted { a, b in
            let la = a.element.line ?? Int.max, lb = b.element.line ?? Int.max
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
        guard problems.isEmpty else { throw ConfigurationError(source: source, problems: problems) }
        return configuration
    }

    static func syntaxProblem(_ error: YamlError) -> ConfigProblem {
        // libyaml's texts name the construct, never the value, so no secret leaks here.
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let where_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return ConfigProblem(path: "(document)", line: mark.line, message: "YAML syntax: \(problem)\(where_): check indentation, colons and quotes")
        case let .reader(problem, _, _, _):
            return ConfigProblem(path: "(document)", line: nil, message: "YAML: \(problem): save the file as UTF-8 text")
        default:
            return ConfigProblem(path: "(document)", line: nil, message: "not valid YAML")
        }
    }
}

/// Builds a `ServiceConfiguration` section by section from the node tree,
/// reporting every problem to the reader, then checks what spans sections
/// (teams named by targets, routes, scorecards; unknown variables).
struct ConfigDecoder {
    let reader: ConfigReader
    var configuration = ServiceConfiguration()
    /// Where each rule id was first defined: path and line.
    var ruleLines: [String: (path: String, line: Int?)] = [:]

    init(reader: ConfigReader) { self.reader = reader }

    static let sections = ["kafka", "kpi", "teams", "targets", "alerts", "scorecards", "stages", "http", "output"]

    mutating func decode(_ root: Node?) -> ServiceConfiguration {
        let top = reader.mapping(root, at: .root, allowed: Self.sections)
        // kpi first: money targets need its fraction digits, targets need its teams.
        decodeKPI(reader.mapping(top, "kpi", allowed: ["time_zone", "first_weekday", "allowed_lateness", "retention",
                                                       "attribution_window", "reply_timeout", "response_within",
                                                       "future_skew", "idle_timeout", "distinct_exact_threshold", "max_ids_per_shop", "money"]))
        decodeTeams(top)
        decodeKafka(reader.mapping(top, "kafka", allowed: ["brokers", "group_id", "topics", "properties", "broker_timeout"]))
        decodeTargets(top)
        decodeAlerts(reader.mapping(top, "alerts", allowed: ["hold_time", "hysteresis", "repeat_interval", "no_data_after",
                                                             "consumer_lag_bound",
                                                             "quiet_hours", "receivers", "routes"]))
        decodeScorecards(reader.mapping(top, "scorecards", allowed: nil))
        decodeStages(reader.mapping(top, "stages", allowed: nil))
        decodeHTTP(reader.mapping(top, "http", allowed: ["host", "port", "token", "allowed_hosts", "max_stream_clients",
                                                         "header_timeout", "session_lifetime", "public_url"]))
        let output = reader.mapping(top, "output", allowed: ["snapshot_emit_interval", "checkpoint_interval"])
        configuration.output.snapshotEmitInterval = reader.duration(output, "snapshot_emit_interval", default: .seconds(1), allowZero: false)
        configuration.output.checkpointInterval = reader.duration(output, "checkpoint_interval", default: .seconds(60), allowZero: false)
        // The engine's own check, as a safety net: the ranges above should already keep it happy.
        do { try configuration.kpi.validate() } catch {
            reader.problem(ConfigPath.root.key("kpi"), line: nil, error.description)
        }
        reportUnknownVariables()
        return configuration
    }

    // MARK: kafka

    mutating func decodeKafka(_ m: MappingInput) {
        if let brokers = reader.strings(m, "brokers", commaSeparated: true) {
            if brokers.isEmpty {
                reader.problem(m.path.key("brokers"), line: ConfigReader.line(m.entries["brokers"]?.value),
                               "no brokers: list at least one host:port, e.g. [127.0.0.1:9092]")
            }
            for b in brokers where !Self.isHostPort(b) {
                reader.problem(m.path.key("brokers"), line: ConfigReader.line(m.entries["brokers"]?.value),
                               "\"\(b)\" is not host:port: write each broker like kafka-1.example.com:9092")
            }
            if !brokers.isEmpty { configuration.kafka.brokers = brokers }
        }
        configuration.kafka.groupID = reader.string(m, "group_id", default: "kpi-ingest")
        configuration.kafka.brokerTimeout = reader.duration(m, "broker_timeout", default: .seconds(10), allowZero: false)

        let t = reader.mapping(m, "topics", allowed: ["orders", "chats", "traffic", "snapshots", "alerts", "deadletter", "state"])
        var topics = TopicNames()
        topics.orders = reader.string(t, "orders", default: topics.orders)
        topics.chats = reader.string(t, "chats", default: topics.chats)
        topics.traffic = reader.string(t, "traffic", default: topics.traffic)
        topics.snapshots = reader.string(t, "snapshots", default: topics.snapshots)
        topics.alerts = reader.string(t, "alerts", default: topics.alerts)
        topics.deadLetter = reader.string(t, "deadletter", default: topics.deadLetter)
        topics.state = reader.string(t, "state", default: topics.state)
        configuration.kafka.topics = topics
        let named = [("orders", topics.orders), ("chats", topics.chats), ("traffic", topics.traffic),
                     ("snapshots", topics.snapshots), ("alerts", topics.alerts), ("deadletter", topics.deadLetter),
                     ("state", topics.state)]
        var seen: [String: String] = [:]
        for (key, name) in named {
            if let other = seen[name] {
                reader.problem(t.path.key(key), line: ConfigReader.line(t.entries[key]?.value) ?? t.line,
                               "topic \"\(name)\" is also kafka.topics.\(other): every topic must be different, or the service would read its own output")
            } else {
                seen[name] = key
            }
        }

        let p = reader.mapping(m, "properties", allowed: nil)
        var properties: [String: String] = [:]
        for key in p.keys {
            let secret = KafkaConfiguration.isSecret(key)
            guard let s = reader.entryValue(p, key, secret: secret, fix: "write the property's value, or remove the line") else { continue }
            properties[key] = s.text
        }
        // Properties only in the environment (typically secrets):
        // KPI_INGEST_KAFKA_PROPERTIES_SASL_PASSWORD → sasl.password.
        let prefix = "KPI_INGEST_KAFKA_PROPERTIES_"
        for (name, value) in reader.environment where name.hasPrefix(prefix) && name.count > prefix.count {
            let key = String(name.dropFirst(prefix.count)).lowercased().replacingOccurrences(of: "_", with: ".")
            reader.noteKnownVariable(name)
            if properties[key] == nil, !p.keys.contains(where: { ConfigPath.environmentWord($0) == ConfigPath.environmentWord(key) }) {
                properties[key] = value
            }
        }
        for (key, instead) in [("bootstrap.servers", "kafka.brokers"), ("group.id", "kafka.group_id")] where properties[key] != nil {
            reader.problem(p.path.key(key), line: ConfigReader.line(p.entries[key]?.key) ?? p.line,
                           "set \(instead) instead, so the brokers are configured in one place")
        }
        configuration.kafka.properties = properties
    }

    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return false }
        return !text[..<colon].contains(where: \.isWhitespace)
    }

    // MARK: kpi and teams

    mutating func decodeKPI(_ m: MappingInput) {
        var kpi = KPIConfiguration()
        if let s = reader.scalar(m, "time_zone") {
            let id = s.text.trimmingCharacters(in: .whitespaces)
            if (try? ZoneRules(identifier: id)) != nil {
                kpi.timeZoneID = id
            } else {
                reader.problem(s, "\(s.shown) is not an IANA time zone name: write one like Asia/Shanghai, Europe/Berlin or UTC")
            }
        }
        let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        if let s = reader.scalar(m, "first_weekday"), let day = reader.choice(s, weekdays.enumerated().map { ($0.element, $0.offset + 1) }) {
            kpi.firstWeekday = day
        }
        kpi.allowedLateness = reader.duration(m, "allowed_lateness", default: kpi.allowedLateness)
        let r = reader.mapping(m, "retention", allowed: ["days", "weeks", "months"])
        kpi.retention = KPIConfiguration.Retention(
            days: reader.int(r, "days", default: 2, range: 0...366),
            weeks: reader.int(r, "weeks", default: 2, range: 0...104),
            months: reader.int(r, "months", default: 2, range: 0...24))
        kpi.attributionWindow = reader.duration(m, "attribution_window", default: kpi.attributionWindow)
        kpi.replyTimeout = reader.duration(m, "reply_timeout", default: kpi.replyTimeout, allowZero: false)
        kpi.responseWithin = reader.duration(m, "response_within", default: kpi.responseWithin)
        kpi.futureSkew = reader.duration(m, "future_skew", default: kpi.futureSkew)
        kpi.idleTimeout = reader.duration(m, "idle_timeout", default: kpi.idleTimeout)
        kpi.distinctExactThreshold = reader.int(m, "distinct_exact_threshold", default: kpi.distinctExactThreshold, range: 0...Int.max)
        kpi.maxIDsPerShop = reader.int(m, "max_ids_per_shop", default: kpi.maxIDsPerShop, range: 0...Int.max)
        let money = reader.mapping(m, "money", allowed: ["fraction_digits"])
        kpi.fractionDigits = reader.int(money, "fraction_digits", default: 2, range: 0...9)
        configuration.kpi = kpi
    }

    mutating func decodeTeams(_ top: MappingInput) {
        var teams: [KPIConfiguration.Team] = []
        var lines: [String: Int?] = [:]
        for (path, node) in reader.sequence(top, "teams") {
            let m = reader.mapping(node, at: path, allowed: ["name", "agents", "leads"])
            guard m.isPresent else { continue }
            let nameInput = reader.required(m, "name", what: "the team's name, e.g. cs-s1")
            let name = nameInput.flatMap(reader.nonEmpty)
            let agents = reader.strings(m, "agents") ?? []
            if agents.isEmpty {
                reader.problem(path.key("agents"), line: ConfigReader.line(m.entries["agents"]?.value) ?? m.line,
                               "a team needs at least one agent: list its agent ids, e.g. [s1-a1, s1-a2]")
            }
            var seenAgents = Set<String>()
            for a in agents where !seenAgents.insert(a).inserted {
                reader.problem(path.key("agents"), line: ConfigReader.line(m.entries["agents"]?.value), "agent \"\(a)\" is listed twice")
            }
            let leads = reader.strings(m, "leads") ?? []
            guard let name else { continue }
            if let first = lines[name] {
                reader.problem(path.key("name"), line: nameInput?.line,
                               "team \"\(name)\" is already defined\(first.map { " at line \($0)" } ?? ""): team names must be unique")
                continue
            }
            lines[name] = nameInput?.line
            teams.append(KPIConfiguration.Team(name: name, agents: agents, leads: leads))
        }
        configuration.kpi.teams = teams
    }

    var teamNames: [String] { configuration.kpi.teams.map(\.name) }

    /// Whether `name` is a configured team; a problem with a suggestion when not.
    func checkTeam(_ name: String, at path: ConfigPath, line: Int?) -> Bool {
        if teamNames.contains(name) { return true }
        let hint = ConfigReader.closest(name, in: teamNames).map { "did you mean \"\($0)\"? " } ?? ""
        let known = teamNames.isEmpty ? "no teams are defined (add them under teams:)" : "teams are: \(teamNames.joined(separator: ", "))"
        reader.problem(path, line: line, "unknown team \"\(name)\": \(hint)\(known)")
        return false
    }

    // MARK: targets

    static let scopeTypes: [(String, ScopeType)] = ScopeType.allCases.map { ($0.name, $0) }
    static let windowTypes: [(String, WindowType)] = WindowType.allCases.map { ($0.name, $0) }

    mutating func decodeTargets(_ top: MappingInput) {
        for (path, node) in reader.sequence(top, "targets") {
            let m = reader.mapping(node, at: path, allowed: ["rule", "metric", "scope", "window", "value", "severity", "min_sample", "pace_shape"])
            guard m.isPresent else { continue }
            let ruleInput = reader.required(m, "rule", what: "a stable id for the rule, e.g. cs-first-response")
            let rule = ruleInput.flatMap(reader.nonEmpty)
            if let rule, let ruleInput {
                if let first = ruleLines[rule] {
                    reader.problem(ruleInput, "rule id \"\(rule)\" is already used by \(first.path)\(first.line.map { " (line \($0))" } ?? ""): rule ids must be unique, they are part of every alert id")
                } else {
                    ruleLines[rule] = (path.description, ruleInput.line)
                }
            }

            // scope
            let scopeNode = m.entries["scope"]?.value
            let scope = reader.mapping(scopeNode, at: path.key("scope"), allowed: ["type", "ids", "team", "shops"],
                                       parentLine: ConfigReader.line(m.entries["scope"]?.key) ?? m.line)
            var scopeType: ScopeType?
            if scopeNode == nil || ConfigReader.isNull(scopeNode!) {
                reader.problem(path.key("scope"), line: m.line, "missing: add scope: {type: agent|team|shop|channel|campaign, ids: all}")
            } else if scope.isPresent, let s = reader.required(scope, "type", what: "agent, team, shop, channel or campaign") {
                scopeType = reader.choice(s, Self.scopeTypes)
            }
            var selection = ServiceConfiguration.Target.Selection.all
            let idsPath = scope.path.key("ids")
            if let ids = reader.strings(scope, "ids") {
                if ids == ["all"] {
                    selection = .all
                } else if ids.isEmpty {
                    reader.problem(idsPath, line: ConfigReader.line(scope.entries["ids"]?.value), "empty list: write ids: all, one id, or a list of ids")
                } else {
                    selection = .ids(ids)
                    if scopeType == .team {
                        for id in ids { _ = checkTeam(id, at: idsPath, line: ConfigReader.line(scope.entries["ids"]?.value)) }
                    }
                }
            }
            if let s = reader.scalar(scope, "team"), let team = reader.nonEmpty(s) {
                if scope.entries["ids"] != nil {
                    reader.problem(s, "use either ids or team, not both")
                } else if scopeType != nil && scopeType != .agent {
                    reader.problem(s, "team selects the agents of a team and only applies to type: agent; for the team's own KPIs write type: team, ids: \(team)")
                } else if checkTeam(team, at: s.path, line: s.line) {
                    selection = .agentsOfTeam(team)
                }
            }
            let shops = reader.strings(scope, "shops")

            // metric
            var traits: MetricTraits?
            let metricInput = reader.required(m, "metric", what: "a metric name from kpis.md, e.g. first_response_s")
            let metric = metricInput.flatMap(reader.nonEmpty)
            if let metric, let metricInput {
                traits = checkMetric(metric, input: metricInput, scopeType: scopeType)
            }

            // window
            var window: WindowType?
            if let s = reader.required(m, "window", what: "day, week, month, rolling_24h, rolling_7d or rolling_30d") {
                window = reader.choice(s, Self.windowTypes)
            }

            // value
            var value: ServiceConfiguration.TargetValue?
            if let s = reader.required(m, "value", what: "the target in the metric's unit, e.g. 30 (seconds) or 0.85 (a rate)"), let traits {
                value = targetValue(s, traits: traits, metric: metric ?? "")
            }

            var severity = ServiceConfiguration.Target.Severity.warning
            if let s = reader.scalar(m, "severity"),
               let v = reader.choice(s, ServiceConfiguration.Target.Severity.allCases.map { ($0.rawValue, $0) }) {
                severity = v
            }
            let minSample = reader.int(m, "min_sample", default: 20, range: 0...Int.max)
            let paceShape = decodePaceShape(m, traits: traits)

            if let rule, let metric, let traits, let scopeType, let window, let value {
                configuration.targets.append(ServiceConfiguration.Target(
                    rule: rule, metric: metric, traits: traits, scopeType: scopeType, selection: selection, shops: shops,
                    window: window, value: value, severity: severity, minSample: minSample, paceShape: paceShape))
            }
        }
    }

    /// The metric's traits when it exists for the scope type; a problem naming
    /// the fix when it does not.
    func checkMetric(_ metric: String, input: ScalarInput, scopeType: ScopeType?) -> MetricTraits? {
        guard let traits = MetricTraits.of(metric) else {
            let all = MetricCatalog.allNames.sorted()
            let hint = ConfigReader.closest(metric, in: all).map { "did you mean \"\($0)\"? " } ?? ""
            let valid = scopeType.map { "the \($0.name) metrics are \(MetricCatalog.names(for: $0).joined(separator: ", "))" }
                ?? "the metrics are \(all.joined(separator: ", "))"
            reader.problem(input, "unknown metric \"\(metric)\": \(hint)\(valid) (kpis.md)")
            return nil
        }
        if let scopeType, !MetricCatalog.names(for: scopeType).contains(metric) {
            let types = MetricCatalog.scopeTypes(carrying: metric).map(\.name).joined(separator: ", ")
            reader.problem(input, "metric \"\(metric)\" does not exist for scope type \(scopeType.name): it is computed for \(types); use one of those scope types, or one of the \(scopeType.name) metrics such as \(MetricCatalog.names(for: scopeType).prefix(3).joined(separator: ", "))")
            return nil
        }
        return traits
    }

    /// A target value of the right kind for the metric.
    func targetValue(_ s: ScalarInput, traits: MetricTraits, metric: String) -> ServiceConfiguration.TargetValue? {
        let zero = DecimalValue(0)
        switch traits.kind {
        case .money, .moneyPerUnit:
            return reader.money(s, fractionDigits: configuration.kpi.fractionDigits).map { .money($0) }
        case .rate:
            guard let d = reader.decimal(s) else { return nil }
            guard d >= zero, d <= DecimalValue(1) else {
                reader.problem(s, "\(d) is not a rate: \(metric) is a share between 0 and 1 (write 0.85 for 85%)")
                return nil
            }
            return .number(d)
        case .ratingScore:
            guard let d = reader.decimal(s) else { return nil }
            guard d >= DecimalValue(1), d <= DecimalValue(5) else {
                reader.problem(s, "\(d) is out of range: \(metric) is a mean rating between 1 and 5")
                return nil
            }
            return .number(d)
        case .count:
            guard let d = reader.decimal(s) else { return nil }
            guard d >= zero, d.minorUnits(fractionDigits: 0) != nil else {
                reader.problem(s, "\(d) is not a count: \(metric) counts things, write a whole number ≥ 0")
                return nil
            }
            return .number(d)
        case .seconds, .ratio:
            guard let d = reader.decimal(s) else { return nil }
            guard d >= zero else {
                reader.problem(s, "\(d) is negative: \(metric) is never below 0")
                return nil
            }
            return .number(d)
        }
    }

    func decodePaceShape(_ m: MappingInput, traits: MetricTraits?) -> [DecimalValue]? {
        guard let node = m.entries["pace_shape"]?.value, !ConfigReader.isNull(node) else { return nil }
        let path = m.path.key("pace_shape")
        let line = ConfigReader.line(node)
        guard case .sequence(let items) = node else {
            reader.problem(path, line: line, "expected a list of 24 hourly weights, e.g. [1, 1, ..., 1]")
            return nil
        }
        if let traits, !traits.isCumulative {
            reader.problem(path, line: line, "pace_shape only applies to totals (counts and money such as sales); a rate or mean is compared directly")
            return nil
        }
        guard items.count == 24 else {
            reader.problem(path, line: line, "has \(items.count) weights: write exactly 24, one per local hour 00..23")
            return nil
        }
        var weights: [DecimalValue] = []
        for (i, item) in items.enumerated() {
            guard let s = reader.scalar(item, at: path.index(i)),
                  let d = reader.decimal(s, min: DecimalValue(0), max: nil) else { return nil }
            weights.append(d)
        }
        if let sum = DecimalValue.sum(weights), sum.isZero {
            reader.problem(path, line: line, "all weights are 0: at least one hour must carry weight")
            return nil
        }
        return weights
    }

    // MARK: alerts

    mutating func decodeAlerts(_ m: MappingInput) {
        var alerts = ServiceConfiguration.Alerts()
        let hold = reader.mapping(m, "hold_time", allowed: ["closed", "open"])
        alerts.holdTimeClosed = reader.duration(hold, "closed", default: alerts.holdTimeClosed)
        alerts.holdTimeOpen = reader.duration(hold, "open", default: alerts.holdTimeOpen)
        if let s = reader.scalar(m, "hysteresis"), let d = reader.decimal(s, min: DecimalValue(0), max: DecimalValue(1)) {
            alerts.hysteresis = d
        }
        alerts.repeatInterval = reader.duration(m, "repeat_interval", default: alerts.repeatInterval, allowZero: false)
        let noData = reader.duration(m, "no_data_after", default: .seconds(0))
        alerts.noDataAfter = noData.millis == 0 ? nil : noData
        let lagBound = reader.int(m, "consumer_lag_bound", default: 10_000, range: 0...Int.max)
        alerts.consumerLagBound = lagBound == 0 ? nil : Int64(lagBound)

        let quiet = reader.mapping(m, "quiet_hours", allowed: nil)
        for team in quiet.keys {
            let q = reader.mapping(quiet, team, allowed: ["from", "to"])
            let teamKnown = checkTeam(team, at: quiet.path.key(team), line: ConfigReader.line(quiet.entries[team]?.key))
            guard q.isPresent else {
                reader.problem(quiet.path.key(team), line: ConfigReader.line(quiet.entries[team]?.key), "write {from: \"00:00\", to: \"08:00\"}")
                continue
            }
            let from = reader.required(q, "from", what: "a local time like \"00:00\"").flatMap(timeOfDay)
            let to = reader.required(q, "to", what: "a local time like \"08:00\"").flatMap(timeOfDay)
            guard let from, let to else { continue }
            if from == to {
                reader.problem(q.path, line: q.line, "from and to are equal, which would be an empty range: remove the entry or widen it")
            } else if teamKnown {
                alerts.quietHours[team] = ServiceConfiguration.QuietHours(fromMinute: from, toMinute: to)
            }
        }

        let receivers = reader.mapping(m, "receivers", allowed: nil)
        for name in receivers.keys {
            if let r = decodeReceiver(name, reader.mapping(receivers, name, allowed: Self.receiverKeys)) {
                alerts.receivers[name] = r
            }
        }

        for (path, node) in reader.sequence(m, "routes") {
            let r = reader.mapping(node, at: path, allowed: ["team", "scope_type", "shops", "rules", "leads", "receivers"])
            guard r.isPresent else { continue }
            var team: String?
            if let s = reader.scalar(r, "team"), let t = reader.nonEmpty(s), checkTeam(t, at: s.path, line: s.line) { team = t }
            var scopeType: ScopeType?
            if let s = reader.scalar(r, "scope_type") { scopeType = reader.choice(s, Self.scopeTypes) }
            let shops = reader.strings(r, "shops")
            let rules = reader.strings(r, "rules")
            for rule in rules ?? [] where ruleLines[rule] == nil {
                let hint = ConfigReader.closest(rule, in: Array(ruleLines.keys)).map { " did you mean \"\($0)\"?" } ?? ""
                reader.problem(path.key("rules"), line: ConfigReader.line(r.entries["rules"]?.value), "unknown rule \"\(rule)\": name a rule id of targets.\(hint)")
            }
            var leads = reader.strings(r, "leads")
            if leads == nil, let team { leads = configuration.kpi.teams.first { $0.name == team }?.leads }
            let names = reader.strings(r, "receivers") ?? []
            if names.isEmpty {
                reader.problem(path.key("receivers"), line: ConfigReader.line(r.entries["receivers"]?.value) ?? r.line,
                               "a route needs at least one receiver: list names defined under alerts.receivers")
            }
            for n in names where receivers.entries[n] == nil {
                let hint = ConfigReader.closest(n, in: receivers.keys).map { "did you mean \"\($0)\"? " } ?? ""
                reader.problem(path.key("receivers"), line: ConfigReader.line(r.entries["receivers"]?.value),
                               "unknown receiver \"\(n)\": \(hint)define it under alerts.receivers")
            }
            alerts.routes.append(ServiceConfiguration.Route(team: team, scopeType: scopeType, shops: shops, rules: rules,
                                                            leads: leads ?? [], receivers: names))
        }
        configuration.alerts = alerts
    }

    static let receiverKeys = ServiceConfiguration.ReceiverKind.allKeys

    /// `"08:00"` → minutes after midnight.
    func timeOfDay(_ s: ScalarInput) -> Int? {
        let parts = s.text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
           (0...23).contains(h), (0...59).contains(m) {
            return h * 60 + m
        }
        if s.text == "24:00" { return 0 }
        reader.problem(s, "\(s.shown) is not a local time of day: write HH:MM in quotes, e.g. \"08:00\"")
        return nil
    }

    func decodeReceiver(_ name: String, _ m: MappingInput) -> ServiceConfiguration.Receiver? {
        guard m.isPresent else {
            reader.problem(m.path, line: m.line, "write the receiver's settings, e.g. {kind: log}")
            return nil
        }
        let kinds = ServiceConfiguration.ReceiverKind.allCases
        guard let s = reader.required(m, "kind", what: kinds.map(\.rawValue).joined(separator: ", ")),
              let kind = reader.choice(s, kinds.map { ($0.rawValue, $0) }) else { return nil }
        let applies = kind.keys
        for key in m.keys where !applies.contains(key) {
            reader.problem(m.path.key(key), line: ConfigReader.line(m.entries[key]?.key),
                           "\(key) does not apply to a \(kind.rawValue) receiver: remove it (it takes \(applies.dropFirst().joined(separator: ", ").isEmpty ? "no other keys" : applies.dropFirst().joined(separator: ", ")))")
        }
        switch kind {
        case .dingtalk: return decodeChatRobot(name, .dingtalk, m)
        case .feishu: return decodeChatRobot(name, .feishu, m)
        case .wecom: return decodeChatRobot(name, .wecom, m)
        case .slack: return decodeChatRobot(name, .slack, m)
        case .email: return decodeMail(name, m)
        case .webhook:
            // The URL may hold a token in its path or query (chat webhooks do), so it is treated as a secret.
            // Every key is checked even when the URL is wrong, so all problems show at once.
            let url = secretURL(m, "url", what: "the http(s) URL to POST alerts to", schemes: ["http", "https"],
                                fix: "is not an http(s) URL: write it like https://alerts.example.com/kpi")
            var webhook = ServiceConfiguration.Webhook(url: url ?? "")
            (webhook.timeout, webhook.maxRetries, webhook.queueSize) = delivery(m, webhook.timeout, webhook.maxRetries, webhook.queueSize)
            let h = reader.mapping(m, "headers", allowed: nil)
            for key in h.keys {
                guard let v = reader.entryValue(h, key, secret: true,
                                                fix: "write the header's value, or set \(h.path.key(key).environmentName ?? "it") in the environment") else { continue }
                webhook.headers[key] = v.text
            }
            // Headers given only by the environment (secrets belong there, as the
            // shipped config says): KPI_INGEST_ALERTS_RECEIVERS_<NAME>_HEADERS_X_API_KEY → X-Api-Key.
            if let prefix = h.path.environmentName.map({ $0 + "_" }) {
                for (name, value) in reader.environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) && name.count > prefix.count {
                    reader.noteKnownVariable(name)
                    let word = String(name.dropFirst(prefix.count))
                    if h.keys.contains(where: { ConfigPath.environmentWord($0) == word }) { continue }
                    let header = word.split(separator: "_").map { $0.prefix(1) + $0.dropFirst().lowercased() }.joined(separator: "-")
                    if value.trimmingCharacters(in: .whitespaces).isEmpty {
                        reader.problem(h.path.key(header), line: nil, "\(name) (environment variable): has no value: set the header's value")
                    } else {
                        webhook.headers[header] = value
                    }
                }
            }
            return url == nil ? nil : ServiceConfiguration.Receiver(name: name, kind: .webhook(webhook))
        case .kafka:
            guard let t = reader.required(m, "topic", what: "the topic to write alerts to, e.g. kpi.alerts"),
                  let topic = reader.nonEmpty(t) else { return nil }
            return ServiceConfiguration.Receiver(name: name, kind: .kafka(topic: topic))
        case .log:
            return ServiceConfiguration.Receiver(name: name, kind: .log)
        }
    }

    /// A required URL that may hold a token or a login (a secret: never
    /// shown in problems): its text when its scheme is one of `schemes` and
    /// it names a host; else a problem saying `fix`.
    func secretURL(_ m: MappingInput, _ key: String, what: String, schemes: Set<String>, fix: String) -> String? {
        guard let u = reader.required(m, key, what: what) else { return nil }
        let input = ScalarInput(text: u.text, path: u.path, line: u.line, variable: u.variable, secret: true)
        guard let text = reader.nonEmpty(input) else { return nil }
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), schemes.contains(scheme),
              let host = parsed.host, !host.isEmpty else {
            reader.problem(input, fix)
            return nil
        }
        return text
    }

    /// A delivering receiver's `timeout`, `max_retries` and `queue_size`, each defaulting to the given value.
    func delivery(_ m: MappingInput, _ timeout: EventTime.Duration, _ maxRetries: Int, _ queueSize: Int)
        -> (EventTime.Duration, Int, Int) {
        (reader.duration(m, "timeout", default: timeout, allowZero: false),
         reader.int(m, "max_retries", default: maxRetries, range: 0...100),
         reader.int(m, "queue_size", default: queueSize, range: 1...1_000_000))
    }

    /// A chat or mail receiver's `language` (zh-CN or en), when given and valid.
    func notificationLanguage(_ m: MappingInput) -> NotificationLanguage? {
        guard let s = reader.scalar(m, "language") else { return nil }
        return reader.choice(s, NotificationLanguage.allCases.map { ($0.rawValue, $0) })
    }

    /// A `dingtalk`, `feishu`, `wecom` or `slack` receiver. Its URL (which
    /// holds the robot's token) and secret are secrets: never shown in problems.
    func decodeChatRobot(_ name: String, _ format: NotificationFormat, _ m: MappingInput) -> ServiceConfiguration.Receiver? {
        let example = switch format {
        case .dingtalk: "https://oapi.dingtalk.com/robot/send?access_token=…"
        case .feishu: "https://open.feishu.cn/open-apis/bot/v2/hook/…"
        case .wecom: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        case .slack, .email: "https://hooks.slack.com/services/…"
        }
        let url = secretURL(m, "url", what: "the robot's webhook address, like \(example)", schemes: ["http", "https"],
                            fix: "is not an http(s) URL: copy the robot's webhook address, like \(example)")
        var robot = ServiceConfiguration.ChatRobot(format: format, url: url ?? "")
        if format.takesSecret, let s = reader.scalar(m, "secret", secret: true) {
            let secret = s.text.trimmingCharacters(in: .whitespaces)
            if secret.isEmpty {
                reader.problem(s, "must not be empty: write the robot's signing secret (better: set \(s.path.environmentName ?? "it") in the environment), or leave the key out for an unsigned robot")
            } else {
                robot.secret = secret
            }
        }
        if let language = notificationLanguage(m) { robot.language = language }
        (robot.timeout, robot.maxRetries, robot.queueSize) = delivery(m, robot.timeout, robot.maxRetries, robot.queueSize)
        return url == nil ? nil : ServiceConfiguration.Receiver(name: name, kind: .chat(robot))
    }

    /// An `email` receiver; its password is a secret.
    func decodeMail(_ name: String, _ m: MappingInput) -> ServiceConfiguration.Receiver? {
        // It may carry a login (smtp://user:password@host), so it is never shown.
        let server = secretURL(m, "smtp_url", what: "the mail server, like smtp://mail.example.com:587 (STARTTLS) or smtps://mail.example.com:465",
                               schemes: ["smtp", "smtps"], fix: "is not an smtp:// or smtps:// URL: write it like smtp://mail.example.com:587")
        func address(_ s: ScalarInput) -> String? {
            guard let text = reader.nonEmpty(s) else { return nil }
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !text.contains(where: { $0 == " " || $0 == "<" || $0 == ">" }) else {
                reader.problem(s, "\(s.shown) is not a mail address: write it like kpi@example.com")
                return nil
            }
            return text
        }
        let from = reader.required(m, "from", what: "the sender's address, like kpi@example.com").flatMap(address)
        var to: [String] = []
        if let list = reader.strings(m, "to", commaSeparated: true) {
            for a in list {
                if let checked = address(ScalarInput(text: a, path: m.path.key("to"), line: ConfigReader.line(m.entries["to"]?.value), variable: nil, secret: false)) {
                    to.append(checked)
                }
            }
            if list.isEmpty {
                reader.problem(m.path.key("to"), line: ConfigReader.line(m.entries["to"]?.value), "no recipients: list at least one address, e.g. [lead@example.com]")
            }
        } else {
            reader.problem(m.path.key("to"), line: m.line, "missing: add to: the recipients, e.g. [lead@example.com]")
        }
        var mail = ServiceConfiguration.Mail(smtpURL: server ?? "", from: from ?? "", to: to)
        if let s = reader.scalar(m, "username"), let u = reader.nonEmpty(s) { mail.username = u }
        if let s = reader.scalar(m, "password", secret: true) {
            if s.text.isEmpty {
                reader.problem(s, "must not be empty: set \(s.path.environmentName ?? "it") in the environment, or leave the key out")
            } else {
                mail.password = s.text
            }
        }
        if mail.password != nil && mail.username == nil {
            reader.problem(m.path.key("username"), line: m.line, "missing: a password needs the username to log in with")
        }
        if let s = reader.scalar(m, "ca_file"), let path = reader.nonEmpty(s) { mail.caFile = path }
        if let language = notificationLanguage(m) { mail.language = language }
        (mail.timeout, mail.maxRetries, mail.queueSize) = delivery(m, mail.timeout, mail.maxRetries, mail.queueSize)
        if let s = reader.scalar(m, "digest_interval") { mail.digestInterval = reader.duration(s, allowZero: false) }
        guard server != nil, from != nil, !to.isEmpty else { return nil }
        return ServiceConfiguration.Receiver(name: name, kind: .email(mail))
    }

    // MARK: scorecards and stages

    mutating func decodeScorecards(_ m: MappingInput) {
        for team in m.keys {
            let teamPath = m.path.key(team)
            let teamLine = ConfigReader.line(m.entries[team]?.key)
            let known = checkTeam(team, at: teamPath, line: teamLine)
            var items: [ServiceConfiguration.ScorecardItem] = []
            var weights: [DecimalValue] = []
            var complete = true
            let entries = reader.sequence(m, team)
            if entries.isEmpty {
                reader.problem(teamPath, line: teamLine, "a scorecard needs at least one item: {metric, weight, target, cap}")
                continue
            }
            var metrics = Set<String>()
            for (path, node) in entries {
                let i = reader.mapping(node, at: path, allowed: ["metric", "weight", "target", "cap"])
                guard i.isPresent else { complete = false; continue }
                var traits: MetricTraits?
                let metricInput = reader.required(i, "metric", what: "an agent metric, e.g. first_response_s")
                if let metricInput, let metric = reader.nonEmpty(metricInput) {
                    // Scores are per agent and month, so the metric must exist for agents.
                    traits = checkMetric(metric, input: metricInput, scopeType: .agent)
                    if !metrics.insert(metric).inserted {
                        reader.problem(metricInput, "\(metric) is already in this scorecard: list each metric once")
                    }
                }
                let weight = reader.required(i, "weight", what: "its share of the score in percent; the weights add up to 100")
                    .flatMap { reader.decimal($0, min: DecimalValue(0), max: DecimalValue(100), exclusiveMin: true) }
                if let weight { weights.append(weight) } else { complete = false }
                var target: ServiceConfiguration.TargetValue?
                if let s = reader.required(i, "target", what: "the value that scores 100, in the metric's unit"), let traits {
                    target = targetValue(s, traits: traits, metric: metricInput?.text ?? "")
                    // The score divides by the target (or by the actual for ↓ metrics, by the target for ↑).
                    if let t = target, Self.isZero(t) {
                        reader.problem(s, "a scorecard target must be above 0: the score is actual / target")
                        target = nil
                    }
                }
                var cap = DecimalValue(units: 12, scale: 1)
                if let s = reader.scalar(i, "cap") {
                    if let c = reader.decimal(s, min: DecimalValue(0), max: DecimalValue(10), exclusiveMin: true) { cap = c } else { complete = false }
                }
                if let traits, let weight, let target, let metric = metricInput?.text {
                    items.append(ServiceConfiguration.ScorecardItem(metric: metric, traits: traits, weight: weight, target: target, cap: cap))
                } else {
                    complete = false
                }
            }
            if complete, let sum = DecimalValue.sum(weights), sum != DecimalValue(100) {
                reader.problem(teamPath, line: teamLine,
                               "weights add up to \(sum), must be exactly 100 (percent of the score): adjust them")
            }
            if known && complete { configuration.scorecards[team] = items }
        }
    }

    static func isZero(_ v: ServiceConfiguration.TargetValue) -> Bool {
        switch v {
        case .number(let d): d.isZero
        case .money(let m): m.minorUnits == 0
        }
    }

    mutating func decodeStages(_ m: MappingInput) {
        for team in m.keys {
            let s = reader.mapping(m, team, allowed: ServiceConfiguration.StageKind.allKeys)
            let known = checkTeam(team, at: s.path, line: ConfigReader.line(m.entries[team]?.key))
            guard s.isPresent else {
                reader.problem(s.path, line: s.line, "write the team's stage, e.g. {stage: stable, commission_rate: 0.01, base: agent_sales}")
                continue
            }
            guard let input = reader.required(s, "stage", what: "startup, growth or stable"),
                  let kind = reader.choice(input, ServiceConfiguration.StageKind.allCases.map { ($0.rawValue, $0) }) else { continue }
            let applies = kind.keys
            for key in s.keys where !applies.contains(key) {
                reader.problem(s.path.key(key), line: ConfigReader.line(s.entries[key]?.key),
                               "\(key) does not apply to the \(kind.rawValue) stage: it takes \(applies.dropFirst().joined(separator: ", "))")
            }
            let digits = configuration.kpi.fractionDigits
            func rate(required: Bool) -> DecimalValue? {
                let input = required ? reader.required(s, "commission_rate", what: "a share of sales between 0 and 1, e.g. 0.02")
                                     : reader.scalar(s, "commission_rate")
                guard let input else { return required ? nil : DecimalValue(units: 1, scale: 2) }
                return reader.decimal(input, min: DecimalValue(0), max: DecimalValue(1))
            }
            var stage: ServiceConfiguration.Stage?
            switch kind {
            case .startup:
                let bonus = reader.required(s, "bonus", what: "the bonus per member as money, e.g. \"500.00\"").flatMap { reader.money($0, fractionDigits: digits) }
                let target = reader.required(s, "shop_monthly_sales_target", what: "the shop's monthly sales target as money, e.g. \"300000.00\"")
                    .flatMap { reader.money($0, fractionDigits: digits) }
                if let bonus, let target { stage = .startup(bonus: bonus, shopMonthlySalesTarget: target) }
            case .growth:
                if let r = rate(required: true) { stage = .growth(commissionRate: r) }
            case .stable:
                var base = ServiceConfiguration.PayoutBase.agentSales
                var baseOK = true
                if let b = reader.scalar(s, "base") {
                    if let v = reader.choice(b, [("agent_sales", ServiceConfiguration.PayoutBase.agentSales), ("shop_sales", .shopSales)]) { base = v } else { baseOK = false }
                }
                if let r = rate(required: false), baseOK {
                    stage = .stable(commissionRate: r, base: base)
                    // The stable payout scales with the score, which needs a scorecard.
                    if known && configuration.scorecards[team] == nil && !reader.problems.contains(where: { $0.path.hasPrefix("scorecards.\(team)") }) {
                        reader.problem(input.path, line: input.line,
                                       "the stable stage pays by performance score, but team \"\(team)\" has no scorecard: add scorecards.\(team)")
                    }
                }
            }
            if known, let stage { configuration.stages[team] = stage }
        }
    }

    // MARK: http

    mutating func decodeHTTP(_ m: MappingInput) {
        var http = ServiceConfiguration.HTTP()
        http.host = reader.string(m, "host", default: http.host)
        http.port = reader.int(m, "port", default: http.port, range: 1...65535)
        if let s = reader.scalar(m, "token", secret: true) {
            let token = s.text.trimmingCharacters(in: .whitespaces)
            if !token.isEmpty {
                if token.count < 16 {
                    reader.problem(s, "is too short to be a safe bearer token: use at least 16 random characters (e.g. openssl rand -hex 24)")
                } else {
                    http.token = token
                }
            }
        }
        http.allowedHosts = reader.strings(m, "allowed_hosts", commaSeparated: true) ?? []
        http.maxStreamClients = reader.int(m, "max_stream_clients", default: http.maxStreamClients, range: 1...100_000)
        http.headerTimeout = reader.duration(m, "header_timeout", default: http.headerTimeout, allowZero: false)
        http.sessionLifetime = reader.duration(m, "session_lifetime", default: http.sessionLifetime, allowZero: false)
        if let s = reader.scalar(m, "public_url"), let text = reader.nonEmpty(s) {
            if let u = URL(string: text), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
               let host = u.host, !host.isEmpty, u.query == nil, u.fragment == nil {
                http.publicURL = text
            } else {
                reader.problem(s, "\(s.shown) is not the dashboard's address: write the http(s) URL people open it at, like https://kpi.example.com (no query or #)")
            }
        }
        if !http.isLoopback && http.token == nil && !reader.problems.contains(where: { $0.path == "http.token" }) {
            reader.problem(m.path.key("token"), line: ConfigReader.line(m.entries["host"]?.value) ?? m.line,
                           "host \(http.host) is reachable from other machines, so the API needs a bearer token: set http.token (better: the KPI_INGEST_HTTP_TOKEN environment variable), or bind host to 127.0.0.1")
        }
        configuration.http = http
    }

    // MARK: environment

    /// `KPI_INGEST_*` variables that override nothing are reported: a typo
    /// in a variable must not be silently ignored any more than in the file.
    func reportUnknownVariables() {
        let known = reader.knownVariables
        for name in reader.environment.keys.sorted() where name.hasPrefix("KPI_INGEST_") {
            guard !known.contains(name), !ServiceConfiguration.reservedEnvironmentNames.contains(name) else { continue }
            let hint = ConfigReader.closest(name, in: Array(known)).map { "did you mean \($0)? " } ?? ""
            reader.appendProblem(ConfigProblem(
                path: "environment", line: nil,
                message: "\(name) does not name a config key: \(hint)variables are KPI_INGEST_ + the key's path in capitals joined by _ (e.g. KPI_INGEST_HTTP_PORT), for single values outside lists"))
        }
    }
}
