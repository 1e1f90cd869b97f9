import Foundation
import KPICore
import KPIService
import Testing

/// What a lead reads in a chat or mail notification, in Chinese and English,
/// and the config mistakes of chat receivers named with their key.
@Suite("Alert messages and chat receiver config")
struct AlertMessageTests {
    static let t0 = ChatReceiverTests.t0
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static func lines(_ m: AlertMessage) -> [String] {
        m.facts.map { "\($0.name)\(m.language == .zhCN ? "：" : ": ")\($0.value)" }
    }

    @Test("a resolved shop rate: percentages, the week, when it resolved, the severity")
    func resolvedShopRate() {
        let scope = Scope(type: .shop, shopID: "s1")
        let alert = Alert(id: "x", state: .resolved, rule: "conv", scope: scope, windowType: .week, windowID: "2026-W47",
                          metric: "conversion_rate", direction: .higherIsBetter, value: .number(Fraction(4083, 10000)),
                          target: .decimal(Fraction(35, 100)), pace: nil, since: Self.t0 + .minutes(90), at: Self.t0 + .minutes(90),
                          leads: [], message: "", severity: "critical")
        let en = AlertMessage(alert, .init(language: .en, timeZone: Self.zone, publicURL: "https://kpi.example.com"))
        #expect(en.title == "[RESOLVED] Shop s1: Conversion rate back on target")
        #expect(Self.lines(en) == ["Scope: shop s1", "Metric: Conversion rate", "Value: 40.83% (target ≥ 35%)", "Window: week 2026-W47",
                                   "Resolved at: 2026-11-21 15:30 (Asia/Shanghai)", "State: resolved", "Severity: critical"])
        #expect(en.link == "https://kpi.example.com/#shop=s1&window=week")
        #expect(en.linkText == "Open in dashboard")

        let zh = AlertMessage(alert, .init(language: .zhCN, timeZone: Self.zone))
        #expect(zh.title == "【已恢复】店铺 s1 订单转换率已达标")
        #expect(Self.lines(zh) == ["对象：店铺 s1", "指标：订单转换率", "当前值：40.83%（目标 ≥ 35%）", "窗口：周 2026-W47",
                                   "恢复于：2026-11-21 15:30（Asia/Shanghai）", "状态：已恢复", "级别：严重"])
        #expect(zh.link == nil)
    }

    @Test("a team's sales behind pace, repeated: money with separators, the pace and the whole target")
    func teamMoneyWithPace() {
        let scope = Scope(type: .team, shopID: "s1", id: "cs-s1")
        let alert = Alert(id: "x", state: .firing, rule: "team-sales", scope: scope, windowType: .day, windowID: "2026-11-21",
                          metric: "agent_sales", direction: .higherIsBetter, value: .money(Money(minorUnits: 1_234_567)),
                          target: .money(Money(minorUnits: 5_000_000)), pace: Fraction(4_000_001, 2), since: Self.t0, at: Self.t0 + .hours(2),
                          leads: ["lead-s1", "lead-cs-head"], message: "", isRepeat: true)
        let zh = AlertMessage(alert, .init(language: .zhCN, timeZone: Self.zone, fractionDigits: 2))
        #expect(zh.title == "【触发】团队 cs-s1 个人销售业绩未达标（重复提醒）")
        // Pace 2,000,000.5 minor units rounds half up to 20,000.01.
        #expect(Self.lines(zh) == ["对象：团队 cs-s1（店铺 s1）", "指标：个人销售业绩", "当前值：12,345.67（按进度应 ≥ 20,000.01，目标 ≥ 50,000.00）",
                                   "窗口：日 2026-11-21", "开始于：2026-11-21 14:00（Asia/Shanghai）", "状态：触发", "负责人：lead-s1、lead-cs-head"])
        let en = AlertMessage(alert, .init(language: .en, timeZone: Self.zone))
        #expect(en.title == "[FIRING] Team cs-s1: Sales off target (reminder)")
        #expect(Self.lines(en)[2] == "Value: 12,345.67 (pace ≥ 20,000.01, target ≥ 50,000.00)")
    }

    @Test("a shop without data: minutes, not seconds; ids escaped in the link")
    func silence() {
        let scope = Scope(type: .shop, shopID: "s 1&x")
        let alert = Alert(id: "x", state: .firing, rule: "no-data", scope: scope, windowType: .rolling24h, windowID: "rolling_24h",
                          metric: "silence_s", direction: .lowerIsBetter, value: .count(1530), target: .count(1200), pace: nil,
                          since: Self.t0, at: Self.t0 + .minutes(26), leads: [], message: "")
        let en = AlertMessage(alert, .init(language: .en, timeZone: Self.zone, publicURL: "https://kpi.example.com/shop-ops/"))
        #expect(en.title == "[FIRING] Shop s 1&x: no data")
        // 1530 s = 25.5 min, rounded to 26.
        #expect(Self.lines(en)[1...3] == ["Metric: Time without data", "Value: 26 min (target ≤ 20 min)", "Window: last 24 hours"])
        #expect(en.link == "https://kpi.example.com/shop-ops/#shop=s%201%26x&window=rolling_24h")
        let zh = AlertMessage(alert, .init(language: .zhCN, timeZone: Self.zone))
        #expect(zh.title == "【触发】店铺 s 1&x 无数据")
        #expect(Self.lines(zh)[2] == "当前值：26 分钟（目标 ≤ 20 分钟）")
    }

    @Test("chat receiver mistakes name the key: unknown kind, missing url, bad language, a secret the tool has not, a bad public_url")
    func configErrors() {
        let yaml = """
        alerts:
          receivers:
            a: {kind: dingtlak, url: "https://oapi.dingtalk.com/robot/send?access_token=t"}
            b: {kind: feishu}
            c: {kind: slack, url: "https://hooks.slack.com/services/T/B/x", language: zh}
            d: {kind: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", secret: s}
            e: {kind: dingtalk, url: "oapi.dingtalk.com/robot/send?access_token=tok-5512"}
        http:
          public_url: kpi.example.com
        """
        let problems = configProblems(yaml)
        let found = problems.map { "\($0.line.map(String.init) ?? "-") \($0.path)" }
        #expect(found == ["3 alerts.receivers.a.kind", "4 alerts.receivers.b.url", "5 alerts.receivers.c.language",
                          "6 alerts.receivers.d.secret", "7 alerts.receivers.e.url", "9 http.public_url"])
        let text = problems.map(\.message)
        guard text.count == 6 else { return }
        #expect(text[0] == "\"dingtlak\" is not one of webhook, kafka, log, dingtalk, feishu, wecom, slack, email: did you mean \"dingtalk\"? write one of them")
        #expect(text[1] == "missing: add url: the robot's webhook address, like https://open.feishu.cn/open-apis/bot/v2/hook/…")
        #expect(text[2].hasPrefix("\"zh\" is not one of zh-CN, en:"))
        #expect(text[3] == "secret does not apply to a wecom receiver: remove it (it takes url, language, timeout, max_retries, queue_size)")
        #expect(text[4].contains("is not an http(s) URL") && !text[4].contains("tok-5512"))
        #expect(text[5].hasPrefix("\"kpi.example.com\" is not the dashboard's address"))
    }

    @Test("email receiver mistakes name the key; the server URL and password are never shown")
    func emailConfigErrors() {
        let yaml = """
        alerts:
          receivers:
            a: {kind: email, from: kpi@shop.example, to: [lead@shop.example]}
            b: {kind: email, smtp_url: "https://user:pw-4471@mail.example.com", from: kpi, to: [lead@shop.example, "x y@z"]}
            c: {kind: email, smtp_url: "smtp://mail.example.com:587", password: pw-4471, from: kpi@shop.example, to: []}
        """
        let problems = configProblems(yaml)
        #expect(problems.map(\.path) == ["alerts.receivers.a.smtp_url", "alerts.receivers.b.smtp_url", "alerts.receivers.b.from",
                                         "alerts.receivers.b.to", "alerts.receivers.c.to", "alerts.receivers.c.username"])
        let text = problems.map(\.message)
        guard text.count == 6 else { return }
        #expect(text[0].hasPrefix("missing: add smtp_url: the mail server, like smtp://mail.example.com:587"))
        #expect(text[1] == "is not an smtp:// or smtps:// URL: write it like smtp://mail.example.com:587")
        #expect(text[2] == "\"kpi\" is not a mail address: write it like kpi@example.com")
        #expect(text[3] == "\"x y@z\" is not a mail address: write it like kpi@example.com")
        #expect(text[4] == "no recipients: list at least one address, e.g. [lead@example.com]")
        #expect(text[5] == "missing: a password needs the username to log in with")
        #expect(!problems.description.contains("pw-4471"))
    }

    @Test("a chat receiver's defaults: Chinese, unsigned, delivered like a webhook")
    func defaults() throws {
        let c = try validConfig("""
        alerts:
          receivers:
            robot: {kind: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
        http:
          public_url: https://kpi.example.com
        """)
        guard case .chat(let robot)? = c.alerts.receivers["robot"]?.kind else {
            Issue.record("not a chat receiver")
            return
        }
        #expect(robot.format == .wecom && robot.language == .zhCN && robot.secret == nil)
        #expect(robot.timeout == .seconds(5) && robot.maxRetries == 3 && robot.queueSize == 1000)
        #expect(c.http.publicURL == "https://kpi.example.com")

        let mail = try validConfig("""
        alerts:
          receivers:
            mail: {kind: email, smtp_url: "smtps://mail.example.com:465", from: kpi@shop.example, to: lead@shop.example, digest_interval: 15m}
        """)
        guard case .email(let m)? = mail.alerts.receivers["mail"]?.kind else {
            Issue.record("not an email receiver")
            return
        }
        #expect(m.to == ["lead@shop.example"] && m.language == .zhCN && m.username == nil && m.password == nil)
        #expect(m.digestInterval == .minutes(15) && m.timeout == .seconds(30))
    }
}
