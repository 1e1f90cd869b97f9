import Crypto
import Foundation

/// The chat tools a receiver can post to, each with the request body its
/// group robot expects, its request signature, and how it says whether it
/// took a message (`kind` of a receiver in the config).
public enum NotificationFormat: String, Sendable, Equatable, CaseIterable {
    /// DingTalk group robot (钉钉): a markdown message; signed in the URL.
    case dingtalk
    /// Feishu/Lark custom bot (飞书): an interactive card; signed in the body.
    case feishu
    /// WeCom group robot (企业微信): a markdown message.
    case wecom
    /// Slack incoming webhook: text and blocks.
    case slack
    /// Mail (`kind: email`): the subject on the first line, then the text.
    case email

    /// The chat tools (receiver kinds with a `url`).
    public static let chatTools: [NotificationFormat] = [.dingtalk, .feishu, .wecom, .slack]

    /// Whether the tool offers a signing secret (`secret` in the config).
    public var takesSecret: Bool { self == .dingtalk || self == .feishu }

    /// The request body for one alert message (unsigned: `signed` adds the
    /// signature at each attempt, since the tools reject old timestamps).
    public func body(_ m: AlertMessage) -> [UInt8] {
        var json = JSONText()
        switch self {
        case .dingtalk:
            // DingTalk's markdown needs a blank line for a line break.
            var lines = ["### \(m.title)"] + m.factLines(bold: { "**\($0)**" })
            if let link = m.link { lines.append("[\(m.linkText)](\(link))") }
            json.raw(#"{"msgtype":"markdown","markdown":{"title":"#)
            json.string(m.title)
            json.raw(#","text":"#)
            json.string(lines.joined(separator: "\n\n"))
            json.raw("}}")
        case .wecom:
            var lines = ["### \(m.title)"] + m.factLines(bold: { "**\($0)**" })
            if let link = m.link { lines.append("[\(m.linkText)](\(link))") }
            json.raw(#"{"msgtype":"markdown","markdown":{"content":"#)
            json.string(lines.joined(separator: "\n"))
            json.raw("}}")
        case .feishu:
            let colour = switch m.state {
            case .firing: "red"
            case .pending: "orange"
            case .resolved: "green"
            }
            json.raw(#"{"msg_type":"interactive","card":{"config":{"wide_screen_mode":true},"header":{"template":"#)
            json.string(colour)
            json.raw(#","title":{"tag":"plain_text","content":"#)
            json.string(m.title)
            json.raw(#"}},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"#)
            json.string(m.factLines(bold: { "**\($0)**" }).joined(separator: "\n"))
            json.raw("}}")
            if let link = m.link {
                json.raw(#",{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"#)
                json.string(m.linkText)
                json.raw(#"},"type":"primary","url":"#)
                json.string(link)
                json.raw("}]}")
            }
            json.raw("]}}")
        case .slack:
            json.raw(#"{"text":"#)
            json.string(m.title)
            json.raw(#","blocks":[{"type":"header","text":{"type":"plain_text","text":"#)
            json.string(String(m.title.prefix(150)))
            json.raw(#"}},{"type":"section","text":{"type":"mrkdwn","text":"#)
            json.string(m.factLines(bold: { "*\(Self.slackEscaped($0))*" }).map(Self.slackEscaped(keepingBold:)).joined(separator: "\n"))
            json.raw("}}")
            if let link = m.link {
                json.raw(#",{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"#)
                json.string(m.linkText)
                json.raw(#"},"url":"#)
                json.string(link)
                json.raw("}]}")
            }
            json.raw("]}")
        case .email:
            return Array((m.title + "\n" + m.plainText).utf8)
        }
        return json.bytes
    }

    /// The URL and body of one attempt: with a secret, DingTalk gets
    /// `&timestamp=<ms>&sign=<url-encoded base64 HMAC-SHA256(secret,
    /// "<ms>\n<secret>")>` on its URL, Feishu `"timestamp":"<s>"` and
    /// `"sign":"<base64 HMAC-SHA256("<s>\n<secret>", "")>"` at the front
    /// of its body, as each documents; the others are sent as they are.
    public func signed(url: URL, body: [UInt8], secret: String?, now: Date) -> (URL, [UInt8]) {
        guard let secret, !secret.isEmpty else { return (url, body) }
        switch self {
        case .dingtalk:
            let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
            let sign = Self.hmacBase64(key: secret, message: "\(millis)\n\(secret)")
            let encoded = sign.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? sign
            let text = url.absoluteString
            let joined = text + (url.query == nil ? "?" : "&") + "timestamp=\(millis)&sign=\(encoded)"
            return (URL(string: joined) ?? url, body)
        case .feishu:
            let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
            let sign = Self.hmacBase64(key: "\(seconds)\n\(secret)", message: "")
            guard body.first == UInt8(ascii: "{") else { return (url, body) }
            var json = JSONText()
            json.raw(#"{"timestamp":"\#(seconds)","sign":"#)
            json.string(sign)
            json.raw(body.count > 2 ? "," : "")
            return (url, json.bytes + body.dropFirst())
        case .wecom, .slack, .email:
            return (url, body)
        }
    }

    /// What a 2xx answer says: DingTalk and WeCom answer `{"errcode":0}`,
    /// Feishu `{"code":0}` (or `StatusCode` in older answers), and a
    /// non-zero code means the message was not posted; a rate limit is
    /// worth another try, anything else (a bad signature, a wrong keyword,
    /// a removed robot) is not. Slack answers errors with 4xx itself.
    public func verdict(onSuccessBody data: Data) -> ChatVerdict {
        guard self != .slack, self != .email,
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return .accepted }
        let codeKey = self == .feishu ? (object["code"] != nil ? "code" : "StatusCode") : "errcode"
        guard let code = (object[codeKey] as? NSNumber)?.intValue, code != 0 else { return .accepted }
        let message = (object[self == .feishu ? (object["msg"] != nil ? "msg" : "StatusMessage") : "errmsg"] as? String) ?? ""
        let what = "\(self.rawValue) error \(code)\(message.isEmpty ? "" : " (\(message.prefix(120)))")"
        return Self.rateLimitCodes[self, default: []].contains(code) ? .retry(what) : .refused(what)
    }

    /// Codes that mean "too many messages, try later": DingTalk 130101
    /// (more than 20 a minute), WeCom 45009 (frequency limit), Feishu 9499
    /// and 11232 (too many requests).
    static let rateLimitCodes: [NotificationFormat: Set<Int>] = [.dingtalk: [130101], .wecom: [45009], .feishu: [9499, 11232]]

    /// RFC 3986 unreserved characters: what stays as it is in a query value.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func hmacBase64(key: String, message: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return Data(code).base64EncodedString()
    }

    /// Slack's mrkdwn reserves `&`, `<` and `>`.
    static func slackEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A line whose name was escaped and bolded already: escapes the rest.
    static func slackEscaped(keepingBold line: String) -> String {
        guard line.hasPrefix("*"), let end = line.dropFirst().firstIndex(of: "*") else { return slackEscaped(line) }
        let head = line[...end]
        return head + slackEscaped(String(line[line.index(after: end)...]))
    }
}

/// What a chat tool's answer to a delivered request means.
public enum ChatVerdict: Sendable, Equatable {
    case accepted
    /// Not posted, worth another try (a rate limit).
    case retry(String)
    /// Not posted, and no retry can fix it.
    case refused(String)
}

/// A chat receiver's endpoint beyond its URL: the tool (its signature and
/// answers), the signing secret (never logged) and the clock signatures
/// are made with (a fixed one in tests).
public struct ChatEndpoint: Sendable {
    public var format: NotificationFormat
    public var secret: String?
    public var clock: @Sendable () -> Date

    public init(format: NotificationFormat, secret: String? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.format = format; self.secret = secret; self.clock = clock
    }
}

/// JSON text written in a fixed key order (the tools' examples), strings escaped.
struct JSONText {
    var bytes: [UInt8] = []

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func string(_ s: String) {
        bytes.append(0x22)
        for u in s.unicodeScalars {
            switch u {
            case "\"": raw("\\\"")
            case "\\": raw("\\\\")
            case "\n": raw("\\n")
            case "\r": raw("\\r")
            case "\t": raw("\\t")
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                raw("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: bytes.append(contentsOf: String(u).utf8)
            }
        }
        bytes.append(0x22)
    }
}
