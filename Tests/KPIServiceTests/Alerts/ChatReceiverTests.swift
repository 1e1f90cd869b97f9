import Foundation
import KafkaClient
import KPICore
import KPIService
import Logging
import Synchronization
import Testing

/// The chat receivers as a lead meets them: the exact request each tool's
/// robot gets (through the config and the alert outbox, posted to a real
/// HTTP server on loopback), signatures worked out apart from the service,
/// retries, and secrets kept out of the logs.
@Suite("Chat receivers")
struct ChatReceiverTests {
    // 2026-11-21T14:00:00+08:00 (`date -u -d 2026-11-21T06:00:00Z +%s` = 1795240800).
    static let t0 = EventTime(millis: 1_795_240_800_000)
    /// The signing clock: 2026-11-21T06:00:00.1235Z, i.e. 1795240800123 ms, 1795240800 s.
    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_795_240_800.1235) }
    static let secret = "SECtest-secret-4471"
    static let token = "tok-8812"

    /// Agent a3's first response at 45.2 s against ≤ 30 s, firing since 14:02.
    static func firstResponseAlert(_ state: AlertState = .firing) -> Alert {
        let scope = Scope(type: .agent, shopID: "s1", id: "a3")
        return Alert(id: Alert.id(rule: "cs-first-response", scope: scope, windowType: .day, windowID: "2026-11-21"),
                     state: state, rule: "cs-first-response", scope: scope, windowType: .day, windowID: "2026-11-21",
                     metric: "first_response_s", direction: .lowerIsBetter, value: .number(Fraction(452, 10)),
                     target: .decimal(Fraction(30, 1)), pace: nil, since: t0 + .minutes(2), at: t0 + .minutes(5),
                     leads: ["lead-cs-1"], message: "a3 first response 45.2 s, target 30 s (day 2026-11-21)")
    }

    static let zhFacts = [
        "对象：客服 a3（店铺 s1）", "指标：首次响应时间", "当前值：45.2 秒（目标 ≤ 30 秒）", "窗口：日 2026-11-21",
        "开始于：2026-11-21 14:02（Asia/Shanghai）", "状态：触发", "负责人：lead-cs-1",
    ]
    static let enFacts = [
        "Scope: agent a3 (shop s1)", "Metric: First response", "Value: 45.2 s (target ≤ 30 s)", "Window: day 2026-11-21",
        "Since: 2026-11-21 14:02 (Asia/Shanghai)", "State: firing", "Leads: lead-cs-1",
    ]
    static let link = "https://kpi.example.com/#shop=s1&window=day&scope=agent&id=a3"

    /// `line` with its name in bold: `**对象**：…` (markdown) or `*Scope*: …` (Slack).
    static func bold(_ line: String, _ mark: String) -> String {
        let separator = line.contains("：") ? "：" : ": "
        let parts = line.components(separatedBy: separator)
        return mark + parts[0] + mark + separator + parts.dropFirst().joined(separator: separator)
    }

    /// A JSON string literal's content for `s` (newlines escaped).
    static func esc(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "\\n") }

    /// Sends one alert through an outbox configured with `receiver` (YAML of
    /// one receiver named `robot`, `PORT` standing for the server's port) and
    /// returns what the server got.
    static func post(_ alert: Alert, receiver: String, publicURL: Bool = true,
                     statuses: [Int] = [200], replies: [String] = []) async throws -> (bodies: [String], targets: [String]) {
        let server = try ScriptedHTTPServer(statuses: statuses, replies: replies)
        defer { server.stop() }
        let yaml = """
        alerts:
          receivers:
            robot: \(receiver.replacingOccurrences(of: "PORT", with: String(server.port)))
          routes:
            - receivers: [robot]
        \(publicURL ? "http:\n  public_url: https://kpi.example.com/" : "")
        """
        let configuration = try validConfig(yaml)
        let outbox = AlertOutbox(configuration: configuration, producer: nil, alreadySent: [:], chatClock: clock)
        let zone = try ZoneRules(identifier: "Asia/Shanghai")
        #expect(try outbox.send(alert, json: AlertJSON.encode(alert, fractionDigits: 2, zone: zone)))
        await outbox.drain()
        return (server.bodies, server.targets)
    }

    @Test("DingTalk: a Chinese markdown message, signed in the URL as DingTalk documents")
    func dingTalk() async throws {
        let got = try await Self.post(Self.firstResponseAlert(),
            receiver: "{kind: dingtalk, url: \"http://127.0.0.1:PORT/robot/send?access_token=\(Self.token)\", secret: \(Self.secret)}")
        let title = "【触发】客服 a3 首次响应时间未达标"
        let text = (["### " + title] + Self.zhFacts.map { Self.bold($0, "**") } + ["[在看板中查看](\(Self.link))"]).joined(separator: "\n\n")
        #expect(got.bodies == [#"{"msgtype":"markdown","markdown":{"title":""# + title + #"","text":""# + Self.esc(text) + #""}}"#])
        // python3: ts=1795240800123; s="SECtest-secret-4471"
        //   urllib.parse.quote_plus(base64.b64encode(hmac.new(s.encode(), f"{ts}\n{s}".encode(), hashlib.sha256).digest()))
        #expect(got.targets == ["/robot/send?access_token=tok-8812&timestamp=1795240800123&sign=s3soViJOnzRkJVlOcjdqWC8snEoiZI%2FP1jzoLbN66%2B8%3D"])
    }

    @Test("Feishu: an English card, timestamp and sign first in the body as Feishu documents")
    func feishu() async throws {
        let got = try await Self.post(Self.firstResponseAlert(),
            receiver: "{kind: feishu, url: \"http://127.0.0.1:PORT/open-apis/bot/v2/hook/\(Self.token)\", secret: \(Self.secret), language: en}")
        let title = "[FIRING] Agent a3: First response off target"
        let facts = Self.enFacts.map { Self.bold($0, "**") }.joined(separator: "\n")
        // python3: t=1795240800; base64.b64encode(hmac.new(f"{t}\n{s}".encode(), b"", hashlib.sha256).digest())
        let expected = #"{"timestamp":"1795240800","sign":"p4vgVX54+r4/rN7a8aLmeKvPoROGtdgWk5ln8OqWFlQ=","msg_type":"interactive","card":{"config":{"wide_screen_mode":true},"header":{"template":"red","title":{"tag":"plain_text","content":""#
            + title + #""}},"elements":[{"tag":"div","text":{"tag":"lark_md","content":""# + Self.esc(facts)
            + #""}},{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"Open in dashboard"},"type":"primary","url":""#
            + Self.link + #""}]}]}}"#
        #expect(got.bodies == [expected])
        #expect(got.targets == ["/open-apis/bot/v2/hook/tok-8812"])
    }

    @Test("WeCom: a Chinese markdown message; no link without http.public_url")
    func weCom() async throws {
        let got = try await Self.post(Self.firstResponseAlert(), receiver: "{kind: wecom, url: \"http://127.0.0.1:PORT/cgi-bin/webhook/send?key=\(Self.token)\"}",
                                      publicURL: false)
        let content = (["### 【触发】客服 a3 首次响应时间未达标"] + Self.zhFacts.map { Self.bold($0, "**") }).joined(separator: "\n")
        #expect(got.bodies == [#"{"msgtype":"markdown","markdown":{"content":""# + Self.esc(content) + #""}}"#])
        #expect(got.targets == ["/cgi-bin/webhook/send?key=tok-8812"])
    }

    @Test("Slack: text and blocks in English, a button to the dashboard")
    func slack() async throws {
        let got = try await Self.post(Self.firstResponseAlert(), receiver: "{kind: slack, url: \"http://127.0.0.1:PORT/services/\(Self.token)\", language: en}")
        let title = "[FIRING] Agent a3: First response off target"
        let facts = Self.enFacts.map { Self.bold($0, "*") }.joined(separator: "\n")
        let expected = #"{"text":""# + title + #"","blocks":[{"type":"header","text":{"type":"plain_text","text":""# + title
            + #""}},{"type":"section","text":{"type":"mrkdwn","text":""# + Self.esc(facts)
            + #""}},{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Open in dashboard"},"url":""#
            + Self.link + #""}]}]}"#
        #expect(got.bodies == [expected])
    }

    @Test("a chat message its robot did not take before a stop stays in the state topic and goes out the same after the restart")
    func ledgerKeepsTheMessage() throws {
        let broker = try brokerWithTopics(partitions: 1)
        let bootstrap = broker.bootstrapServers
        let closed = try ScriptedHTTPServer(statuses: [200])
        let downPort = closed.port
        closed.stop()
        let up = try ScriptedHTTPServer(statuses: [200])
        defer { up.stop() }
        let alert = Self.firstResponseAlert()
        let json = AlertJSON.encode(alert, fractionDigits: 2, zone: try ZoneRules(identifier: "Asia/Shanghai"))
        let configuration: @Sendable (UInt16) throws -> ServiceConfiguration = { port in
            try validConfig("""
            alerts:
              receivers:
                robot: {kind: wecom, url: "http://127.0.0.1:\(port)/cgi-bin/webhook/send?key=\(Self.token)", max_retries: 0}
              routes:
                - receivers: [robot]
            """)
        }
        // First run: the robot is down; the stop leaves the notification recorded.
        let recorded: [PendingDelivery] = try onOwnThread {
            let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
            let outbox = AlertOutbox(configuration: try configuration(downPort), producer: producer, alreadySent: [:], ledger: TopicNames().state)
            _ = try outbox.send(alert, json: json)
            // The delivery fails (no retry) whenever the receiver's worker
            // runs: the record stays. (No `drain`: it needs a free thread of
            // the task pool, which a loaded test run may not have for minutes.)
            try producer.flush()
            return try readAll(TopicNames().state, bootstrap: bootstrap).compactMap { r in
                guard let key = r.key, let value = r.value else { return nil }
                return PendingDelivery(key: String(decoding: key, as: UTF8.self), value: value)
            }
        }
        let content = (["### 【触发】客服 a3 首次响应时间未达标"] + Self.zhFacts.map { Self.bold($0, "**") }).joined(separator: "\n")
        let message = #"{"msgtype":"markdown","markdown":{"content":""# + Self.esc(content) + #""}}"#
        #expect(recorded.map(\.receiver) == ["robot"])
        #expect(recorded.map { String(decoding: $0.body, as: UTF8.self) } == [message])
        // After the restart, the robot is up: the recorded message, as it was.
        try onOwnThread {
            let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
            let outbox = AlertOutbox(configuration: try configuration(up.port), producer: producer, alreadySent: [:], ledger: TopicNames().state)
            outbox.redeliver(recorded)
            #expect(waitFor(seconds: 300) { up.requestCount >= 1 })
            Thread.sleep(forTimeInterval: 0.5)  // a second delivery would come now
            withExtendedLifetime(outbox) {}
        }
        #expect(up.bodies == [message])
    }

    @Test("a 5xx and a rate-limit answer are retried, signed again; a wrong signature is not")
    func retries() async throws {
        let server = try ScriptedHTTPServer(statuses: [503, 200, 200],
                                            replies: ["", #"{"errcode":130101,"errmsg":"send too fast"}"#, #"{"errcode":0,"errmsg":"ok"}"#])
        defer { server.stop() }
        let receiver = WebhookReceiver(name: "ding", url: URL(string: "http://127.0.0.1:\(server.port)/robot/send?access_token=t")!,
                                       baseBackoff: .milliseconds(10), chat: ChatEndpoint(format: .dingtalk, secret: Self.secret, clock: Self.clock))
        receiver.enqueue(id: "a", body: Array("{}".utf8))
        await receiver.drain()
        #expect(server.requestCount == 3)
        #expect(Set(server.targets).count == 1 && server.targets[0].contains("&timestamp=1795240800123&sign="))
        #expect(receiver.snapshot == .init(delivered: 1, failed: 0, overflowed: 0, retries: 2))

        // DingTalk answers a bad signature with 200 and errcode 310000: refused at once.
        let refusing = try ScriptedHTTPServer(statuses: [200], replies: [#"{"errcode":310000,"errmsg":"sign not match"}"#])
        defer { refusing.stop() }
        let other = WebhookReceiver(name: "ding", url: URL(string: "http://127.0.0.1:\(refusing.port)/robot/send?access_token=t")!,
                                    baseBackoff: .milliseconds(10), chat: ChatEndpoint(format: .dingtalk, secret: Self.secret))
        other.enqueue(id: "a", body: Array("{}".utf8))
        await other.drain()
        #expect(refusing.requestCount == 1)
        #expect(other.snapshot == .init(delivered: 0, failed: 1, overflowed: 0, retries: 0))
    }

    @Test("the secret and the robot's token never reach the log, the receiver's name does")
    func secretsNotLogged() async throws {
        let log = LogLines()
        let down = try ScriptedHTTPServer(statuses: [500])
        defer { down.stop() }
        let refusing = try ScriptedHTTPServer(statuses: [200], replies: [#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#])
        defer { refusing.stop() }
        for (name, port, format) in [("ding-leads", down.port, NotificationFormat.dingtalk), ("feishu-leads", refusing.port, .feishu)] {
            let receiver = WebhookReceiver(name: name, url: URL(string: "http://127.0.0.1:\(port)/hook?access_token=\(Self.token)")!, maxRetries: 1,
                                           baseBackoff: .milliseconds(10), queueSize: 1,
                                           chat: ChatEndpoint(format: format, secret: Self.secret), logger: log.logger)
            receiver.enqueue(id: "a1", body: Array("{}".utf8))
            receiver.enqueue(id: "a2", body: Array("{}".utf8))  // the queue holds one: overflow is logged too
            await receiver.drain()
        }
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("ding-leads") && $0.contains("HTTP 500") })
        #expect(lines.contains { $0.contains("feishu-leads") && $0.contains("19021") })
        for line in lines {
            #expect(!line.contains(Self.secret) && !line.contains(Self.token), "\(line)")
        }
        // Nor in the config's description (what `check-config` and the start-up log print).
        let configuration = try validConfig("""
        alerts:
          receivers:
            robot: {kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=\(Self.token)", secret: \(Self.secret)}
        """)
        let shown = String(describing: configuration.alerts.receivers["robot"]!) + configuration.summary(source: "x")
        #expect(!shown.contains(Self.secret) && !shown.contains(Self.token))
        #expect(shown.contains("robot: dingtalk https://oapi.dingtalk.com/*** (zh-CN, signed, secret ***"))
    }
}

/// Log lines caught from a receiver's logger.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])

    struct Handler: LogHandler {
        let sink: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.lines.withLock { $0.append("\(event.level): \(event.message) \(event.metadata ?? [:])") }
        }
    }

    var logger: Logger { Logger(label: "chat-receiver-test") { _ in Handler(sink: self) } }
}
