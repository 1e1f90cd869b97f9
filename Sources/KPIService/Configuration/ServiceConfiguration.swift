import Foundation
import KafkaClient
import KPICore

/// Everything `kpi-ingest` is configured with, read from one YAML file
/// (`config/kpi-ingest.yaml` documents every key) with `KPI_INGEST_*`
/// environment overrides, and validated as a whole.
///
/// A value type: build it with `load(path:environment:)` or
/// `parse(yaml:source:environment:)`; both either return a configuration with
/// no problems or throw a `ConfigurationError` listing all of them.
public struct ServiceConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var kafka = Kafka()
    /// The KPI engine's settings, including `teams`.
    public var kpi = KPIConfiguration()
    public var targets: [Target] = []
    public var alerts = Alerts()
    /// Performance scorecards by team name.
    public var scorecards: [String: [ScorecardItem]] = [:]
    /// Payout stage by team name.
    public var stages: [String: Stage] = [:]
    public var http = HTTP()
    public var output = Output()

    public init() {}

    // MARK: Kafka

    /// The Kafka section: where to connect, which topics, client properties.
    public struct Kafka: Sendable, Equatable, CustomStringConvertible {
        /// Bootstrap servers, `host:port` each.
        public var brokers = ["127.0.0.1:9092"]
        public var groupID = "kpi-ingest"
        public var topics = TopicNames()
        /// librdkafka properties passed through as they are (SASL, TLS...).
        /// Values of secret keys (`KafkaConfiguration.isSecret`) are never printed.
        public var properties: [String: String] = [:]
        /// How long to wait for a broker before failing at start-up.
        public var brokerTimeout: EventTime.Duration = .seconds(10)

        public init() {}

        /// `brokers` as librdkafka's comma-separated `bootstrap.servers`.
        public var bootstrapServers: String { brokers.joined(separator: ",") }

        /// The client configuration: bootstrap servers plus `properties`.
        public var clientConfiguration: KafkaConfiguration {
            KafkaConfiguration(bootstrapServers: bootstrapServers, properties: properties)
        }

        public var description: String {
            "brokers \(bootstrapServers), group \(groupID), properties {\(KafkaConfiguration(bootstrapServers: bootstrapServers, properties: properties).description)}"
        }
    }

    // MARK: Targets

    /// A target rule: a metric, the scopes and window kind it applies to, and
    /// the value it must not fall below (in the metric's direction).
    public struct Target: Sendable, Equatable {
        /// Which scopes of `scopeType` a rule covers.
        public enum Selection: Sendable, Equatable {
            /// Every scope of the type.
            case all
            /// These ids: shop ids, agent ids, team names, channels or campaign ids.
            case ids([String])
            /// The agents of a configured team (scope type `agent` only).
            case agentsOfTeam(String)
        }

        /// How urgent a breach is, passed on to receivers.
        public enum Severity: String, Sendable, Equatable, CaseIterable {
            case info, warning, critical
        }

        /// Stable id of the rule; part of every alert id.
        public var rule: String
        public var metric: String
        public var traits: MetricTraits
        public var scopeType: ScopeType
        public var selection: Selection
        /// Only these shops; nil for every shop.
        public var shops: [String]?
        public var window: WindowType
        public var value: TargetValue
        public var severity: Severity
        /// Rates, means and ratios are compared only once their denominator reaches this.
        public var minSample: Int
        /// 24 weights, one per local hour, of how a cumulative total builds up
        /// during a day (the pace of an open window); nil for an even pace.
        public var paceShape: [DecimalValue]?

        public init(rule: String, metric: String, traits: MetricTraits, scopeType: ScopeType, selection: Selection,
                    shops: [String]? = nil, window: WindowType, value: TargetValue, severity: Severity = .warning,
                    minSample: Int = 20, paceShape: [DecimalValue]? = nil) {
            self.rule = rule; self.metric = metric; self.traits = traits; self.scopeType = scopeType
            self.selection = selection; self.shops = shops; self.window = window; self.value = value
            self.severity = severity; self.minSample = minSample; self.paceShape = paceShape
        }
    }

    /// A target or scorecard value: money exactly in minor units, anything
    /// else as an exact decimal in the metric's unit (seconds, share, count).
    public enum TargetValue: Sendable, Equatable, CustomStringConvertible {
        case number(DecimalValue)
        case money(Money)

        public var description: String {
            switch self {
            case .number(let d): d.description
            case .money(let m): "money \(m.minorUnits) minor units"
            }
        }
    }

    // MARK: Alerts

    /// How alerts are raised and where they go.
    public struct Alerts: Sendable, Equatable {
        /// How long a breach must last before `pending` becomes `firing`, for closed windows.
        public var holdTimeClosed: EventTime.Duration = .seconds(0)
        /// The same for open windows, where a value still moves.
        public var holdTimeOpen: EventTime.Duration = .minutes(5)
        /// A firing alert resolves only when the metric is better than target by this share (0.02 = 2%).
        public var hysteresis = DecimalValue(units: 2, scale: 2)
        /// A firing alert is re-sent no more often than this.
        public var repeatInterval: EventTime.Duration = .hours(1)
        /// Alert when a scope with a target has had no event for this long; nil: never.
        public var noDataAfter: EventTime.Duration?
        /// Above this many records of consumer lag, a live partition's agent
        /// and team notifications are held (an ingest problem, not theirs); nil: never.
        public var consumerLagBound: Int64? = 10_000
        /// Per team: local times during which notifications to its leads are held back.
        public var quietHours: [String: QuietHours] = [:]
        /// Named receivers.
        public var receivers: [String: Receiver] = [:]
        /// Which alerts go to which leads and receivers.
        public var routes: [Route] = []

        public init() {}
    }

    /// A local time-of-day range, `from` inclusive, `to` exclusive; wraps
    /// midnight when `from > to` (22:00–06:00).
    public struct QuietHours: Sendable, Equatable {
        /// Minutes after local midnight.
        public var fromMinute: Int
        public var toMinute: Int

        public init(fromMinute: Int, toMinute: Int) { self.fromMinute = fromMinute; self.toMinute = toMinute }

        /// Whether a local minute of the day (0..<1440) is quiet.
        public func contains(minuteOfDay m: Int) -> Bool {
            fromMinute <= toMinute ? (m >= fromMinute && m < toMinute) : (m >= fromMinute || m < toMinute)
        }
    }

    /// A receiver's `kind:` in the config, with the keys that kind takes.
    public enum ReceiverKind: String, CaseIterable, Sendable {
        case webhook, kafka, log
        /// Chat robots (`NotificationFormat.chatTools`) and mail: a message for people.
        case dingtalk, feishu, wecom, slack, email

        /// The keys of a receiver of this kind (`kind` first).
        public var keys: [String] {
            switch self {
            case .webhook: ["kind", "url", "timeout", "max_retries", "queue_size", "headers"]
            case .kafka: ["kind", "topic"]
            case .log: ["kind"]
            case .dingtalk, .feishu: ["kind", "url", "secret", "language", "timeout", "max_retries", "queue_size"]
            case .wecom, .slack: ["kind", "url", "language", "timeout", "max_retries", "queue_size"]
            case .email: ["kind", "smtp_url", "username", "password", "from", "to", "language", "ca_file", "digest_interval",
                          "timeout", "max_retries", "queue_size"]
            }
        }

        /// The keys any receiver may have, in first-use order.
        public static let allKeys: [String] = allCases.flatMap(\.keys).uniqued()
    }

    /// A team's `stage:` in the config, with the keys that stage takes.
    public enum StageKind: String, CaseIterable, Sendable {
        case startup, growth, stable

        /// The keys of a stage entry of this kind (`stage` first).
        public var keys: [String] {
            switch self {
            case .startup: ["stage", "bonus", "shop_monthly_sales_target"]
            case .growth: ["stage", "commission_rate"]
            case .stable: ["stage", "commission_rate", "base"]
            }
        }

        /// The keys any stage entry may have, in first-use order.
        public static let allKeys: [String] = allCases.flatMap(\.keys).uniqued()
    }

    /// Where alert notifications are delivered.
    public struct Receiver: Sendable, Equatable, CustomStringConvertible {
        /// The delivery kind and its settings.
        public enum Kind: Sendable, Equatable {
            case webhook(Webhook)
            /// The alert JSON as a record on this topic.
            case kafka(topic: String)
            /// A line in the service log.
            case log
            /// A chat tool's group robot (DingTalk, Feishu, WeCom, Slack): the alert said for people.
            case chat(ChatRobot)
            /// Mail through an SMTP server: the alert said for people.
            case email(Mail)
        }

        public var name: String
        public var kind: Kind

        public init(name: String, kind: Kind) { self.name = name; self.kind = kind }

        public var description: String {
            switch kind {
            case .webhook(let w): "\(name): webhook \(w)"
            case .kafka(let topic): "\(name): kafka topic \(topic)"
            case .log: "\(name): log"
            case .chat(let c): "\(name): \(c.format.rawValue) \(c)"
            case .email(let m): "\(name): email \(m)"
            }
        }
    }

    /// An HTTP POST of the alert JSON.
    public struct Webhook: Sendable, Equatable, CustomStringConvertible {
        public var url: String
        public var timeout: EventTime.Duration = .seconds(5)
        public var maxRetries = 3
        /// Notifications waiting for delivery beyond this are dropped (and counted).
        public var queueSize = 1000
        /// Extra request headers; values are secrets (tokens) and never printed.
        public var headers: [String: String] = [:]

        public init(url: String) { self.url = url }

        /// Scheme and host only: chat webhooks carry their token in the path or query.
        public var shownURL: String {
            guard let u = URL(string: url), let scheme = u.scheme, let host = u.host else { return "***" }
            let rest = (u.path.isEmpty || u.path == "/") && u.query == nil ? "" : "/***"
            return "\(scheme)://\(host)\(u.port.map { ":\($0)" } ?? "")\(rest)"
        }

        public var description: String {
            let names = headers.keys.sorted().map { "\($0): ***" }.joined(separator: ", ")
            return "\(shownURL) (timeout \(timeout.millis) ms, \(maxRetries) retries, queue \(queueSize)\(names.isEmpty ? "" : ", headers \(names)"))"
        }
    }

    /// A chat tool's group robot: the alert said for people in `language`,
    /// posted to `url` in the tool's format (`NotificationFormat`), signed
    /// with `secret` where the tool offers it, delivered like a webhook.
    public struct ChatRobot: Sendable, Equatable, CustomStringConvertible {
        public var format: NotificationFormat
        /// The robot's address; holds its token, so it is a secret.
        public var url: String
        /// The signing secret (DingTalk 加签, Feishu 签名校验); never printed.
        public var secret: String?
        public var language: NotificationLanguage = .zhCN
        public var timeout: EventTime.Duration = .seconds(5)
        public var maxRetries = 3
        /// Notifications waiting for delivery beyond this are dropped (and counted).
        public var queueSize = 1000

        public init(format: NotificationFormat, url: String, secret: String? = nil) {
            self.format = format; self.url = url; self.secret = secret
        }

        public var description: String {
            var shown = Webhook(url: url).shownURL
            shown += " (\(language.rawValue), \(secret == nil ? "unsigned" : "signed, secret ***"), "
            return shown + "timeout \(timeout.millis) ms, \(maxRetries) retries, queue \(queueSize))"
        }
    }

    /// Mail to leads through an SMTP server (`kind: email`): STARTTLS for
    /// `smtp://` (required), TLS for `smtps://`, login with `username` and
    /// `password`, one mail per notification.
    public struct Mail: Sendable, Equatable, CustomStringConvertible {
        /// `smtp://host:587` or `smtps://host:465`.
        public var smtpURL: String
        public var username: String?
        /// Never printed.
        public var password: String?
        public var from: String
        public var to: [String]
        public var language: NotificationLanguage = .zhCN
        /// A CA bundle (PEM) to trust besides the system's.
        public var caFile: String?
        public var timeout: EventTime.Duration = .seconds(30)
        public var maxRetries = 3
        public var queueSize = 1000
        /// One mail per interval with its notifications; nil: one mail per notification.
        public var digestInterval: EventTime.Duration?

        public init(smtpURL: String, from: String, to: [String]) {
            self.smtpURL = smtpURL; self.from = from; self.to = to
        }

        public var description: String {
            let server = URL(string: smtpURL).map { "\($0.scheme ?? "smtp")://\($0.host ?? "?")\($0.port.map { ":\($0)" } ?? "")" } ?? "***"
            let login = username.map { " as \($0)\(password == nil ? "" : " (password ***)")" } ?? ""
            return "\(server)\(login), from \(from) to \(to.joined(separator: ", ")) (\(language.rawValue)\(digestInterval.map { ", digest every \($0.millis / 1000) s" } ?? ""), timeout \(timeout.millis) ms, \(maxRetries) retries, queue \(queueSize))"
        }
    }

    /// Sends the alerts that match to `leads` through `receivers`. Every
    /// matching route applies; a field left out matches everything.
    public struct Route: Sendable, Equatable {
        /// The team's agents and the team scope itself.
        public var team: String?
        public var scopeType: ScopeType?
        public var shops: [String]?
        /// Rule ids.
        public var rules: [String]?
        /// Who is told (the team's leads when the route names a team and leaves this out).
        public var leads: [String]
        /// Receiver names.
        public var receivers: [String]

        public init(team: String? = nil, scopeType: ScopeType? = nil, shops: [String]? = nil, rules: [String]? = nil,
                    leads: [String], receivers: [String]) {
            self.team = team; self.scopeType = scopeType; self.shops = shops; self.rules = rules
            self.leads = leads; self.receivers = receivers
        }

        /// What it matches and whom it tells, as the KPI core routes leads.
        public var core: AlertRoute {
            AlertRoute(team: team, scopeType: scopeType, shops: shops, rules: rules, leads: leads)
        }
    }

    // MARK: Scorecards and stages

    /// One KPI of a team's monthly performance scorecard.
    public struct ScorecardItem: Sendable, Equatable {
        public var metric: String
        public var traits: MetricTraits
        /// Percent of the score; a scorecard's weights add up to exactly 100.
        public var weight: DecimalValue
        public var target: TargetValue
        /// A KPI scores at most `cap × 100` (before weighting), e.g. 1.2.
        public var cap: DecimalValue

        public init(metric: String, traits: MetricTraits, weight: DecimalValue, target: TargetValue, cap: DecimalValue) {
            self.metric = metric; self.traits = traits; self.weight = weight; self.target = target; self.cap = cap
        }
    }

    /// A team's development stage, deciding its payout (kpis.md, seed 002).
    public enum Stage: Sendable, Equatable {
        /// A fixed bonus per member when the shop reaches its monthly sales target.
        case startup(bonus: Money, shopMonthlySalesTarget: Money)
        /// `commission_rate × agent_sales`.
        case growth(commissionRate: DecimalValue)
        /// `score / 100 × commission_rate × base`.
        case stable(commissionRate: DecimalValue, base: PayoutBase)

        public var name: String {
            switch self {
            case .startup: "startup"
            case .growth: "growth"
            case .stable: "stable"
            }
        }
    }

    /// What the stable stage's commission is a share of.
    public enum PayoutBase: String, Sendable, Equatable {
        case agentSales = "agent_sales"
        case shopSales = "shop_sales"
    }

    // MARK: HTTP and output

    /// The HTTP API and dashboard.
    public struct HTTP: Sendable, Equatable, CustomStringConvertible {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Bearer token required by the API; needed when `host` is not loopback. Never printed.
        public var token: String?
        /// Off loopback: the host names the API answers for (DNS rebinding); empty: any.
        public var allowedHosts: [String] = []
        /// Server-Sent-Events streams open at once (more get 503).
        public var maxStreamClients = 100
        /// A connection must send a whole request head within this long.
        public var headerTimeout: EventTime.Duration = .seconds(10)
        /// How long a browser session of `POST /login` lasts.
        public var sessionLifetime: EventTime.Duration = .hours(12)
        /// The dashboard's address as people reach it (`https://kpi.example.com`):
        /// alert messages link to the view of their scope; nil: no link.
        public var publicURL: String?

        public init() {}

        /// Whether `host` only accepts connections from this machine.
        public var isLoopback: Bool {
            host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        }

        public var description: String {
            "\(host):\(port)\(token == nil ? "" : " (token ***)")"
        }
    }

    /// How often the ingester writes what it computed.
    public struct Output: Sendable, Equatable {
        /// Changed snapshots are emitted (Kafka, HTTP stream) at most this often per scope × window.
        public var snapshotEmitInterval: EventTime.Duration = .seconds(1)
        /// Window state and input offsets are checkpointed to the state topic this often.
        public var checkpointInterval: EventTime.Duration = .seconds(60)

        public init() {}
    }

    // MARK: Description

    /// A multi-line summary with every secret shown as `***`.
    public var description: String {
        var lines = [
            "kafka: \(kafka)",
            "topics: \(topicSummary)",
            "kpi: time zone \(kpi.timeZoneID), first weekday \(kpi.firstWeekday), \(kpi.teams.count) teams",
            "targets: \(targets.map(\.rule).joined(separator: ", "))",
            "receivers: \(alerts.receivers.keys.sorted().compactMap { alerts.receivers[$0]?.description }.joined(separator: "; "))",
            "http: \(http)",
        ]
        lines.removeAll { $0.hasSuffix(": ") }
        return lines.joined(separator: "\n")
    }

    var topicSummary: String {
        let t = kafka.topics
        return "orders \(t.orders), chats \(t.chats), traffic \(t.traffic), snapshots \(t.snapshots), alerts \(t.alerts), deadletter \(t.deadLetter), state \(t.state)"
    }
}

extension Array where Element: Hashable {
    /// The elements without repeats, each where it first appears.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
