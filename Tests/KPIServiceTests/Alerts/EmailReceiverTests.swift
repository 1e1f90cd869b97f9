import Foundation
import KPICore
import KPIService
import Testing

/// The email receiver against a real SMTP server on loopback (Debian's
/// python3-aiosmtpd, `smtp_sink.py`): STARTTLS and login required, each
/// mail read back decoded.
@Suite("Email receiver")
struct EmailReceiverTests {
    static let password = "pw-secret-9917"

    @Test("one mail per notification: STARTTLS, login, the Chinese subject and text, every recipient")
    func mailIsDelivered() async throws {
        let sink = try SMTPSink(user: "kpi", password: Self.password)
        defer { sink.stop() }
        let configuration = try validConfig("""
        alerts:
          receivers:
            mail:
              kind: email
              smtp_url: smtp://127.0.0.1:\(sink.port)
              username: kpi
              password: \(Self.password)
              from: kpi@shop.example
              to: [lead-s1@shop.example, lead-cs-head@shop.example]
              ca_file: \(sink.certificate)
          routes:
            - receivers: [mail]
        http:
          public_url: https://kpi.example.com
        """)
        let outbox = AlertOutbox(configuration: configuration, producer: nil, alreadySent: [:])
        let alert = ChatReceiverTests.firstResponseAlert()
        #expect(try outbox.send(alert, json: AlertJSON.encode(alert, fractionDigits: 2, zone: try ZoneRules(identifier: "Asia/Shanghai"))))
        await outbox.drain()

        let mails = sink.mails()
        #expect(mails.count == 1)
        guard let mail = mails.first else { return }
        #expect(mail["mail_from"] as? String == "kpi@shop.example")
        #expect(mail["rcpt_tos"] as? [String] == ["lead-s1@shop.example", "lead-cs-head@shop.example"])
        #expect(mail["authenticated"] as? Bool == true)
        #expect(mail["content_type"] as? String == "text/plain")
        #expect(mail["subject"] as? String == "【触发】客服 a3 首次响应时间未达标")
        let body = (["【触发】客服 a3 首次响应时间未达标", ""] + ChatReceiverTests.zhFacts
            + ["", "在看板中查看：https://kpi.example.com/#shop=s1&window=day&scope=agent&id=a3"]).joined(separator: "\n") + "\n"
        #expect(mail["body"] as? String == body)
        // The notification's identity: alert id @ evaluation ms (14:05 +08:00).
        #expect(mail["notification"] as? String == "cs-first-response|agent|s1|a3|day|2026-11-21@1795241100000")
        #expect((mail["message_id"] as? String)?.hasSuffix("@kpi-ingest>") == true)
    }

    @Test("a digest: the notifications of an interval in one mail, one left at the stop in its own")
    func digest() async throws {
        let sink = try SMTPSink(user: "kpi", password: Self.password)
        defer { sink.stop() }
        let submission = MailSubmission(url: "smtp://127.0.0.1:\(sink.port)", username: "kpi", password: Self.password,
                                        from: "kpi@shop.example", to: ["lead@shop.example"], caFile: sink.certificate,
                                        digestInterval: .milliseconds(1500), language: .en)
        let receiver = WebhookReceiver(name: "digest", url: URL(string: "smtp://127.0.0.1:\(sink.port)")!, baseBackoff: .milliseconds(10),
                                       mail: submission)
        receiver.enqueue(id: "a1", body: Array("S1\nfirst text\n".utf8), headers: ["X-KPI-Notification-Id": "a1@1"])
        receiver.enqueue(id: "a2", body: Array("S2\nsecond text\n".utf8), headers: ["X-KPI-Notification-Id": "a2@1"])
        // Nothing is mailed before the interval's end; then the two in one mail.
        #expect(sink.mails().isEmpty)
        let deadline = ContinuousClock.now + .seconds(120)  // a bound for a loaded machine, not the expectation
        while sink.mails().isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        receiver.enqueue(id: "a3", body: Array("S3\nthird text\n".utf8), headers: ["X-KPI-Notification-Id": "a3@1"])
        await receiver.drain()
        let mails = sink.mails()
        #expect(mails.map { $0["subject"] as? String } == ["[KPI alerts digest] 2 notifications", "S3"])
        #expect(mails.map { $0["body"] as? String } == ["first text\n\n" + String(repeating: "-", count: 40) + "\n\nsecond text\n", "third text\n"])
        #expect(mails.last?["notification"] as? String == "a3@1")
        #expect(receiver.snapshot == .init(delivered: 3, failed: 0, overflowed: 0, retries: 0))
    }

    @Test("a wrong password or an untrusted certificate is given up at once; the password is never logged")
    func refusals() async throws {
        let sink = try SMTPSink(user: "kpi", password: Self.password)
        defer { sink.stop() }
        let log = LogLines()
        let wrong = "wrong-pw-7731"
        for (name, password, caFile) in [("mail-login", wrong, Optional(sink.certificate)), ("mail-tls", Self.password, nil)] {
            let submission = MailSubmission(url: "smtp://127.0.0.1:\(sink.port)", username: "kpi", password: password,
                                            from: "kpi@shop.example", to: ["lead@shop.example"], caFile: caFile, timeout: .seconds(10))
            let receiver = WebhookReceiver(name: name, url: URL(string: "smtp://127.0.0.1:\(sink.port)")!, maxRetries: 2,
                                           baseBackoff: .milliseconds(10), mail: submission, logger: log.logger)
            receiver.enqueue(id: "a1", body: Array("subject\ntext".utf8))
            await receiver.drain()
            // No retry can fix a login denied or a certificate nobody vouches for.
            #expect(receiver.snapshot == .init(delivered: 0, failed: 1, overflowed: 0, retries: 0), "\(name)")
        }
        #expect(sink.mails().isEmpty)
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("email mail-login") && $0.contains("SMTP 535") })
        #expect(lines.contains { $0.contains("email mail-tls") })
        for line in lines { #expect(!line.contains(wrong) && !line.contains(Self.password), "\(line)") }
    }
}

/// `smtp_sink.py` running: its port, its certificate, and the mails it saved.
final class SMTPSink {
    let port: Int
    let certificate: String
    private let folder: URL
    private let process = Process()

    static let script: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.appendingPathComponent("smtp_sink.py").path
    }()

    init(user: String, password: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Debian's python3, where python3-aiosmtpd is installed (not a pyenv one on PATH).
        process.executableURL = URL(fileURLWithPath: FileManager.default.fileExists(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3")
        process.arguments = [Self.script, folder.path, user, password]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var text = ""
        while text.split(separator: "\n").count < 2 {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count >= 2, let port = Int(lines[0]) else {
            process.terminate()
            throw TestFailure("smtp_sink.py did not start: is python3-aiosmtpd installed (apt-get install -y python3-aiosmtpd)?")
        }
        self.port = port
        certificate = lines[1]
    }

    func stop() {
        // SIGKILL: the test process's threads block SIGTERM, and children inherit that.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The saved mails, in arrival order.
    func mails() -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("mail-") && $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }
}
