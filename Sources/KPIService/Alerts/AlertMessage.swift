import Foundation
import KPICore

/// The language of a receiver's messages (`language` in its config).
public enum NotificationLanguage: String, Sendable, Equatable, CaseIterable {
    /// Simplified Chinese, the default.
    case zhCN = "zh-CN"
    case en
}

/// An alert said for people: a title and labelled facts (who, which
/// metric, value against target, window, since when, state, leads) in one
/// language, with a link to the dashboard view of the scope when the
/// service's public address is known. Every chat and mail receiver renders
/// this one text in its tool's format (`NotificationFormat`).
public struct AlertMessage: Sendable, Equatable {
    /// One labelled line: `指标：首次响应时间`.
    public struct Fact: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public var title: String
    public var facts: [Fact]
    /// The dashboard view of the alert's shop and window; nil without `http.public_url`.
    public var link: String?
    /// The link's text (在看板中查看 / Open in dashboard).
    public var linkText: String
    /// The alert's state, for the colour or emphasis a tool offers.
    public var state: AlertState
    public var language: NotificationLanguage

    /// What a message needs beyond the alert: its language, the configured
    /// time zone (for "since"), money digits, and the dashboard's public
    /// address (`http.public_url`).
    public struct Context: Sendable {
        public var language: NotificationLanguage
        public var timeZone: TimeZone
        public var fractionDigits: Int
        public var publicURL: String?

        public init(language: NotificationLanguage, timeZone: TimeZone, fractionDigits: Int = 2, publicURL: String? = nil) {
            self.language = language; self.timeZone = timeZone; self.fractionDigits = fractionDigits; self.publicURL = publicURL
        }
    }

    public init(_ alert: Alert, _ context: Context) {
        let zh = context.language == .zhCN
        let words = Words(zh: zh)
        let metric = metricLabel(alert.metric, language: context.language)
        let isSilence = alert.metric == "silence_s"
        let state = words.state(alert.state)
        let who = words.scope(alert.scope, long: false)
        var title: String
        switch (alert.state, isSilence) {
        case (.resolved, true): title = zh ? "【\(state)】\(who) 数据已恢复" : "[\(state.uppercased())] \(who): data again"
        case (_, true): title = zh ? "【\(state)】\(who) 无数据" : "[\(state.uppercased())] \(who): no data"
        case (.resolved, false): title = zh ? "【\(state)】\(who) \(metric)已达标" : "[\(state.uppercased())] \(who): \(metric) back on target"
        default: title = zh ? "【\(state)】\(who) \(metric)未达标" : "[\(state.uppercased())] \(who): \(metric) off target"
        }
        if alert.isRepeat { title += zh ? "（重复提醒）" : " (reminder)" }

        let value = ValueText(metric: alert.metric, zh: zh, fractionDigits: context.fractionDigits)
        let comparison = alert.direction == .lowerIsBetter ? "≤" : "≥"
        var measured = value.text(alert.value)
        let target = "\(comparison) \(value.text(alert.target))"
        if let pace = alert.pace {
            let paced = "\(comparison) \(value.text(pace: pace))"
            measured += zh ? "（按进度应 \(paced)，目标 \(target)）" : " (pace \(paced), target \(target))"
        } else {
            measured += zh ? "（目标 \(target)）" : " (target \(target))"
        }
        var facts: [Fact] = [
            Fact(name: zh ? "对象" : "Scope", value: words.scope(alert.scope, long: true)),
            Fact(name: zh ? "指标" : "Metric", value: metric),
            Fact(name: zh ? "当前值" : "Value", value: measured),
            Fact(name: zh ? "窗口" : "Window", value: words.window(alert.windowType, alert.windowID)),
            Fact(name: alert.state == .resolved ? (zh ? "恢复于" : "Resolved at") : (zh ? "开始于" : "Since"),
                 value: Self.localTime(alert.since, context.timeZone, zh: zh)),
            Fact(name: zh ? "状态" : "State", value: state),
        ]
        if let severity = alert.severity { facts.append(Fact(name: zh ? "级别" : "Severity", value: words.severity(severity))) }
        if !alert.leads.isEmpty { facts.append(Fact(name: zh ? "负责人" : "Leads", value: alert.leads.joined(separator: zh ? "、" : ", "))) }

        self.title = title
        self.facts = facts
        self.state = alert.state
        self.language = context.language
        self.linkText = zh ? "在看板中查看" : "Open in dashboard"
        self.link = context.publicURL.map { Self.dashboardLink($0, alert) }
    }

    /// The dashboard of the alert's shop and window type: `<public url>/#shop=s1&window=day`,
    /// with the scope named too (`&scope=agent&id=a3`) for a view that can show it.
    static func dashboardLink(_ base: String, _ alert: Alert) -> String {
        var root = base
        while root.hasSuffix("/") { root.removeLast() }
        var parts = [("shop", alert.scope.shopID), ("window", alert.windowType.name)]
        if alert.scope.type != .shop { parts.append(("scope", alert.scope.type.name)) }
        if let id = alert.scope.id { parts.append(("id", id)) }
        return root + "/#" + parts.map { "\($0.0)=\(Self.component($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes as JavaScript's `encodeURIComponent` (what the dashboard decodes).
    static func component(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-_.!~*'()")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `2026-11-21 14:02（Asia/Shanghai）`: local time in the configured zone, named.
    static func localTime(_ t: EventTime, _ zone: TimeZone, zh: Bool) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute],
                                        from: Date(timeIntervalSince1970: Double(t.millis) / 1000))
        func two(_ v: Int?) -> String { let v = v ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let text = "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute))"
        return zh ? "\(text)（\(zone.identifier)）" : "\(text) (\(zone.identifier))"
    }

    /// The message as plain text: the title, a blank line, the facts, and the link.
    public var plainText: String {
        var lines = [title, ""] + factLines()
        if let link { lines += ["", "\(linkText)\(language == .zhCN ? "：" : ": ")\(link)"] }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every fact as `name：value` (zh) or `name: value` lines.
    func factLines(bold: (String) -> String = { $0 }) -> [String] {
        let separator = language == .zhCN ? "：" : ": "
        return facts.map { "\(bold($0.name))\(separator)\($0.value)" }
    }
}

/// The words of the templates in one language.
private struct Words {
    let zh: Bool

    func state(_ s: AlertState) -> String {
        switch s {
        case .firing: zh ? "触发" : "firing"
        case .pending: zh ? "待定" : "pending"
        case .resolved: zh ? "已恢复" : "resolved"
        }
    }

    /// `客服 a3` / `Agent a3`; long: `客服 a3（店铺 s1）` / `agent a3 (shop s1)`.
    func scope(_ s: Scope, long: Bool) -> String {
        let kind: String = switch s.type {
        case .shop: zh ? "店铺" : "shop"
        case .agent: zh ? "客服" : "agent"
        case .team: zh ? "团队" : "team"
        case .channel: zh ? "渠道" : "channel"
        case .campaign: zh ? "推广计划" : "campaign"
        }
        let shop = zh ? "店铺 \(s.shopID)" : "shop \(s.shopID)"
        guard let id = s.id else { return long || zh ? shop : "Shop \(s.shopID)" }
        if long { return zh ? "\(kind) \(id)（\(shop)）" : "\(kind) \(id) (\(shop))" }
        return zh ? "\(kind) \(id)" : "\(kind.prefix(1).uppercased())\(kind.dropFirst()) \(id)"
    }

    func window(_ type: WindowType, _ id: String) -> String {
        switch type {
        case .day: zh ? "日 \(id)" : "day \(id)"
        case .week: zh ? "周 \(id)" : "week \(id)"
        case .month: zh ? "月 \(id)" : "month \(id)"
        case .rolling24h: zh ? "近 24 小时" : "last 24 hours"
        case .rolling7d: zh ? "近 7 天" : "last 7 days"
        case .rolling30d: zh ? "近 30 天" : "last 30 days"
        }
    }

    func severity(_ s: String) -> String {
        guard zh else { return s }
        switch s {
        case "info": return "提示"
        case "warning": return "警告"
        case "critical": return "严重"
        default: return s
        }
    }
}

/// A value in its metric's unit for people: shares as percentages
/// (`5.21%`), seconds with a unit (`45.2 秒` / `45.2 s`), the no-data
/// time in minutes, counts and money with thousands separators.
struct ValueText {
    let metric: String
    let zh: Bool
    let fractionDigits: Int

    private var isRate: Bool { MetricCatalog.kind(of: metric) == .rate }
    private var isSeconds: Bool { metric.hasSuffix("_s") && metric != "silence_s" }

    func text(_ v: MetricValue?) -> String {
        guard let v else { return zh ? "无数据" : "no data" }
        switch v {
        case .count(let n): return count(n)
        case .money(let m): return Self.grouped(DecimalText.money(m.minorUnits, fractionDigits: fractionDigits))
        case .moneyRatio(let f?):
            return Self.grouped(DecimalText.money(DecimalText.roundedQuotient(f.numerator, f.denominator, scale: 1), fractionDigits: fractionDigits))
        case .number(let f?): return number(f)
        case .moneyRatio(nil), .number(nil): return zh ? "无数据" : "no data"
        }
    }

    func text(_ t: TargetValue) -> String {
        switch t {
        case .count(let n): count(n)
        case .money(let m): Self.grouped(DecimalText.money(m.minorUnits, fractionDigits: fractionDigits))
        case .decimal(let f): number(f)
        }
    }

    func text(pace f: Fraction) -> String {
        switch MetricCatalog.valueShape(of: metric) {
        case .money?, .moneyRatio?:
            Self.grouped(DecimalText.money(DecimalText.roundedQuotient(f.numerator, f.denominator, scale: 1), fractionDigits: fractionDigits))
        case .count?: Self.grouped(Self.fixed(f, digits: 0))
        default: number(f)
        }
    }

    private func count(_ n: Int64) -> String {
        if metric == "silence_s" {
            let minutes = (n + 30) / 60
            return zh ? "\(minutes) 分钟" : "\(minutes) min"
        }
        return Self.grouped(String(n))
    }

    private func number(_ f: Fraction) -> String {
        if isRate { return Self.fixed(Fraction(f.numerator * 100, f.denominator), digits: 2) + "%" }
        if isSeconds { return Self.fixed(f, digits: 1) + (zh ? " 秒" : " s") }
        return Self.fixed(f, digits: 2)
    }

    /// f rounded half away from zero to `digits` fraction digits, trailing zeros dropped.
    static func fixed(_ f: Fraction, digits: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let r = DecimalText.roundedQuotient(f.numerator, f.denominator, scale: scale)
        let whole = r.magnitude / UInt64(scale)
        var part = r.magnitude % UInt64(scale)
        var text = (r < 0 ? "-" : "") + String(whole)
        if part == 0 { return text }
        var width = digits
        while part % 10 == 0 { part /= 10; width -= 1 }
        let s = String(part)
        text += "." + String(repeating: "0", count: width - s.count) + s
        return text
    }

    /// `1234567.50` → `1,234,567.50`.
    static func grouped(_ decimal: String) -> String {
        var s = Substring(decimal)
        var sign = ""
        if s.hasPrefix("-") { sign = "-"; s = s.dropFirst() }
        let dot = s.firstIndex(of: ".") ?? s.endIndex
        let whole = Array(s[..<dot])
        var out = ""
        for (i, c) in whole.enumerated() {
            if i > 0 && (whole.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return sign + out + s[dot...]
    }
}
