import CCurl
import Foundation

/// Mail to leads through an SMTP server, by libcurl: `smtp://` upgrades
/// with STARTTLS (required: a server that does not offer it is refused),
/// `smtps://` is TLS from the start; then login and one message to every
/// recipient. The password is sent, never logged.
public struct MailSubmission: Sendable {
    /// `smtp://host:587` or `smtps://host:465`.
    public var url: String
    public var username: String?
    public var password: String?
    public var from: String
    public var to: [String]
    /// A CA bundle to trust besides the system's (an internal mail server's CA).
    public var caFile: String?
    public var timeout: Duration
    /// One mail per this interval with every notification of it (a digest); nil: one mail per notification.
    public var digestInterval: Duration?
    /// The language of a digest's subject.
    public var language: NotificationLanguage

    public init(url: String, username: String? = nil, password: String? = nil, from: String, to: [String],
                caFile: String? = nil, timeout: Duration = .seconds(30), digestInterval: Duration? = nil,
                language: NotificationLanguage = .zhCN) {
        self.url = url; self.username = username; self.password = password; self.from = from; self.to = to
        self.caFile = caFile; self.timeout = timeout; self.digestInterval = digestInterval; self.language = language
    }

    /// How one submission ended.
    enum Result: Sendable, Equatable {
        case sent
        /// Worth another try (the server said 4xx, or the connection failed).
        case retry(String)
        /// No retry can fix it (5xx, login denied, no STARTTLS, a certificate not trusted).
        case refused(String)
    }

    /// A whole RFC 5322 message: `subject` and `text` (UTF-8, the body in
    /// base64), `date`, and `messageID` (stable per notification, so a
    /// mail delivered twice reads as the same message).
    func message(subject: String, text: String, date: Date, messageID: String, notificationID: String?) -> [UInt8] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        var head = [
            "Date: \(formatter.string(from: date))",
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
        ]
        if let notificationID { head.append("X-KPI-Notification-Id: \(notificationID)") }
        // Base64 in lines of 76 characters, each ended by CRLF (RFC 2045).
        let encoded = Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(encoded)
        while !rest.isEmpty { lines.append(rest.prefix(76)); rest = rest.dropFirst(76) }
        let body = lines.joined(separator: "\r\n")
        return Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    /// A header value in RFC 2047 words (UTF-8, base64), split so no word passes 75 characters.
    static func encodedWord(_ s: String) -> String {
        if s.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) && s.count < 900 { return s }
        var words: [String] = []
        var chunk = ""
        for c in s {
            if (chunk + String(c)).utf8.count > 45 { words.append(chunk); chunk = "" }
            chunk.append(c)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// Submits `message` (blocking: call it off the shared pool, as `send` does).
    func submitBlocking(_ message: [UInt8]) -> Result {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { return .retry("libcurl could not start a transfer") }
        defer { curl_easy_cleanup(handle) }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }
        let source = MessageSource(message)
        let context = Unmanaged.passRetained(source)
        defer { context.release() }

        _ = kpi_curl_setopt_string(handle, CURLOPT_URL, url)
        _ = kpi_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        if let username { _ = kpi_curl_setopt_string(handle, CURLOPT_USERNAME, username) }
        if let password { _ = kpi_curl_setopt_string(handle, CURLOPT_PASSWORD, password) }
        if let caFile { _ = kpi_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        _ = kpi_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>")
        _ = kpi_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        _ = kpi_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        _ = kpi_curl_setopt_read(handle) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            return Unmanaged<MessageSource>.fromOpaque(context).takeUnretainedValue().read(into: buffer, max: size * count)
        }
        _ = kpi_curl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque())
        _ = kpi_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        _ = kpi_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)

        let code = curl_easy_perform(handle)
        if code == CURLE_OK { return .sent }
        var reply = 0
        _ = kpi_curl_response_code(handle, &reply)
        let what = "\(String(cString: curl_easy_strerror(code)))\(reply > 0 ? " (SMTP \(reply))" : "")"
        if reply >= 500 { return .refused(what) }
        if reply >= 400 { return .retry(what) }
        switch code {
        case CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
             CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_SSL_CERTPROBLEM:
            return .refused(what)
        default:
            return .retry(what)
        }
    }

    /// Submits on a thread of its own: the transfer blocks for up to `timeout`.
    func submit(_ message: [UInt8]) async -> Result {
        await withCheckedContinuation { (done: CheckedContinuation<Result, Never>) in
            let thread = Thread { done.resume(returning: submitBlocking(message)) }
            thread.start()
        }
    }

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}

/// The message bytes libcurl reads, in pieces.
private final class MessageSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let n = min(max, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
