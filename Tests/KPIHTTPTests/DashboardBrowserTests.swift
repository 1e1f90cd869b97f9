import Foundation
import HummingbirdTesting
import KPICore
import Testing
@testable import KPIHTTP

/// The dashboard as a person sees it: Debian's headless Chromium loads the
/// page from a live server, the test reads the DOM it built (from the API and
/// from the event stream) and keeps a screenshot in `test-output/`.
@Suite(.serialized, .timeLimit(.minutes(3)),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
                "needs Debian's headless Chromium at /usr/bin/chromium (apt-get install chromium)"))
struct DashboardBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static let hostile = "<img src=x onerror=alert(1)>"

    /// A shop with agents, a team, channels, a campaign, a firing alert and a
    /// few revisions of history; a second shop for the shop picker.
    static func filledStore() -> LiveKPIStore {
        let store = Fixtures.store()
        for rev in 1...6 {
            let sales = 1_523_050 - Int64(6 - rev) * 180_000 + (rev % 2 == 1 ? 40_000 : 0)
            store.publish([Fixtures.snapshot(.shop, revision: rev, values: [
                "sales": Fixtures.money(sales), "orders_paid": .count(Int64(300 + rev * 9)),
                "conversion_rate": Fixtures.rate(Int64(300 + rev * 5), 9_840), "uv": .count(Int64(9_000 + rev * 140)),
                "inquiries": .count(Int64(600 + rev * 7)), "first_response_s": Fixtures.rate(Int64(260 - rev * 8), 10),
            ])])
        }
        store.publish([
            Fixtures.snapshot(.agent, id: "a1", values: ["inquiries": .count(120), "agent_sales": Fixtures.money(612_000)]),
            Fixtures.snapshot(.agent, id: "a3", values: ["inquiries": .count(45), "first_response_s": Fixtures.rate(452, 10),
                                                          "agent_aov": .moneyRatio(nil), "satisfaction": .number(nil)]),
            Fixtures.snapshot(.agent, id: hostile, values: ["inquiries": .count(3)]),
            Fixtures.snapshot(.team, id: "team-north", values: ["inquiries": .count(168)]),
            Fixtures.snapshot(.channel, id: "search"),
            Fixtures.snapshot(.channel, id: "social", values: ["spend": Fixtures.money(12_345), "clicks": .count(410)]),
            Fixtures.snapshot(.campaign, id: "c-77"),
            Fixtures.snapshot(.shop, shop: "s2"),
            Fixtures.snapshot(.shop, window: Fixtures.week, values: ["sales": Fixtures.money(9_999_900)]),
        ])
        store.publish(alert: Fixtures.alertJSON(id: "cs-first-response|agent|s1|a3|day|2026-11-21", state: "firing"),
                      id: "cs-first-response|agent|s1|a3|day|2026-11-21", state: .firing)
        store.publish(alert: Fixtures.alertJSON(id: "other-shop", state: "firing", shop: "s2", agent: "b1"),
                      id: "other-shop", state: .firing)
        return store
    }

    /// Runs Chromium headless with `arguments` and the URL; its stdout, or nil
    /// when it did not finish in time. Waits without blocking a thread of the
    /// cooperative pool (only two on this machine; the server needs them).
    static func runChromium(_ arguments: [String], url: String, timeout: Duration = .seconds(90)) async throws -> String? {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputFile = scratch.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--user-data-dir=\(scratch.appendingPathComponent("profile").path)",
                             "--virtual-time-budget=4000"] + arguments + [url]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.yield(); exited.continuation.finish() }
        try process.run()
        let started = ContinuousClock.now
        defer { print("chromium \(arguments.first ?? "") took \(ContinuousClock.now - started)") }
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { for await _ in exited.stream { return true }; return true }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        if !finished {
            process.terminate()
            return nil
        }
        return String(decoding: try Data(contentsOf: outputFile), as: UTF8.self)
    }

    /// The text of each `<td>` in the table row of `scope`/`id` (in the dumped DOM).
    static func row(_ dom: String, scope: String, id: String) -> [String: String]? {
        let escapedID = id.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        guard let start = dom.range(of: #"<tr data-scope="\#(scope)" data-id="\#(escapedID)""#) else { return nil }
        let rest = dom[start.upperBound...]
        let rowText = rest[..<(rest.range(of: "</tr>")?.lowerBound ?? rest.endIndex)]
        var cells: [String: String] = [:]
        for m in rowText.matches(of: /<td data-metric="(\w+)"[^>]*>([^<]*)<\/td>/) {
            cells[String(m.1)] = String(m.2)
        }
        if let first = rowText.firstMatch(of: /<td>([^<]*)<\/td>/) { cells["_label"] = String(first.1) }
        return cells
    }

    @Test func theDashboardShowsWhatTheAPIServesAndFollowsTheStream() async throws {
        let store = Self.filledStore()
        // Chromium's virtual time stands still while a request is open, so the
        // stream must end now and then for `--virtual-time-budget` to run out;
        // the page reconnects (and catches up), as behind any proxy.
        let settings = HTTPServerSettings(port: 0, maxStreamDuration: .milliseconds(1500))
        try await TestServer.make(store: store, settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let url = "http://127.0.0.1:\(port)/#shop=s1&window=day"

            // Published only once the page is connected: it can reach the DOM through the stream alone.
            let streamed = Task {
                while store.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(20)) }
                store.publish([Fixtures.snapshot(.agent, id: "a7", values: ["inquiries": .count(77)])])
                store.publish(alert: Fixtures.alertJSON(id: "late-alert", state: "firing", agent: "a7"),
                              id: "late-alert", state: .firing)
            }
            defer { streamed.cancel() }

            let dumped = try await Self.runChromium(["--dump-dom"], url: url)
            let dom = try #require(dumped, "chromium did not finish")
            try? FileManager.default.createDirectory(atPath: "test-output", withIntermediateDirectories: true)
            try? dom.write(toFile: "test-output/dashboard.html", atomically: true, encoding: .utf8)

            // Operations: the shop's sales exactly as the API gives them.
            let api = Fixtures.text(store.snapshots(scope: .shop, shop: "s1", window: .day)[0])
            #expect(api.contains(#""sales":"15230.50""#))
            #expect(dom.contains(#"<td data-metric="sales">15230.50</td>"#))
            #expect(dom.contains(#"<td data-metric="conversion_rate">3.4 %</td>"#))   // 330 / 9840
            #expect(dom.contains(#"<td data-metric="avg_stay_s">41.3 s</td>"#))

            // Customer service: one row per agent, the team, the shop total.
            let a1 = try #require(Self.row(dom, scope: "agent", id: "a1"), "no a1 row")
            #expect(a1["_label"] == "a1")
            #expect(a1["inquiries"] == "120")
            #expect(a1["agent_sales"] == "6120.00")
            let a3 = try #require(Self.row(dom, scope: "agent", id: "a3"))
            #expect(a3["inquiries"] == "45")
            #expect(a3["first_response_s"] == "45.2 s")
            #expect(a3["agent_aov"] == "—")
            #expect(a3["inquiry_conversion_rate"] == "40.8 %")
            #expect(Self.row(dom, scope: "team", id: "team-north")?["inquiries"] == "168")
            #expect(Self.row(dom, scope: "shop", id: "")?["inquiries"] == "642")

            // Published after the page had connected: shown, and delivered as stream
            // events (not only by the catch-up fetch after a reconnect).
            #expect(Self.row(dom, scope: "agent", id: "a7")?["inquiries"] == "77", "SSE revision not shown")
            #expect(dom.contains(#"data-alert="late-alert""#), "SSE alert not shown")
            let events = dom.firstMatch(of: /data-stream-events="(\d+)"/).flatMap { Int($0.1) } ?? 0
            #expect(events >= 2, "stream events received: \(events)")

            // Promotion: channels and the campaign.
            #expect(Self.row(dom, scope: "channel", id: "social")?["spend"] == "123.45")
            #expect(Self.row(dom, scope: "channel", id: "search")?["ctr"] == "3.0 %")
            #expect(Self.row(dom, scope: "campaign", id: "c-77")?["roas"] == "4.11")

            // Alerts: this shop's firing alert on top, not the other shop's.
            #expect(dom.contains("Firing: a3 first response 45.2 s, target 30 s (day 2026-11-21)"))
            #expect(!dom.contains("b1 first response"))

            // The week snapshot is not mixed into the day view.
            #expect(!dom.contains("99999.00"))

            // Sparklines drawn from the history.
            #expect(dom.contains("<polyline points="))

            // Input data is text, never markup.
            let hostileRow = try #require(Self.row(dom, scope: "agent", id: Self.hostile), "hostile id row missing")
            #expect(hostileRow["_label"] == "&lt;img src=x onerror=alert(1)&gt;")
            #expect(!dom.contains("<img"))

            // English unless asked otherwise: the column heads are the catalog's English labels.
            #expect(dom.contains(#"<th title="first_response_s">First response</th>"#))

            // A browser asking for Chinese gets the seeds' names, the tables' titles in
            // Chinese, and the switch showing 中文; the switch's choice (in the URL) wins.
            let still = url + "&live=0"
            let zhDump = try await Self.runChromium(["--accept-lang=zh-CN,zh", "--dump-dom"], url: still)
            let zh = try #require(zhDump, "chromium did not finish (zh-CN)")
            #expect(zh.contains(#"<html lang="zh-CN">"#))
            #expect(zh.contains(#"<th title="first_response_s">首次响应时间</th>"#))
            #expect(zh.contains(#"<th title="inquiry_conversion_rate">询单转化率</th>"#))
            #expect(zh.contains(#"<h2 data-group="customer_service">客服</h2>"#))
            #expect(zh.contains(#"data-lang="zh-CN" lang="zh-CN" aria-pressed="true">中文</button>"#))
            #expect(zh.contains(#"<td data-metric="sales">15230.50</td>"#))   // values are not translated
            #expect(zh.contains("2026-11-21 · 进行中"))   // the window line is in Chinese too
            let chosen = try #require(try await Self.runChromium(["--accept-lang=zh-CN,zh", "--dump-dom"], url: still + "&lang=en"))
            #expect(chosen.contains(#"<th title="first_response_s">First response</th>"#))
            #expect(chosen.contains(#"data-lang="en" lang="en" aria-pressed="true">EN</button>"#))

            // The picture, for people to look at.
            let shot = FileManager.default.currentDirectoryPath + "/test-output/dashboard.png"
            try? FileManager.default.removeItem(atPath: shot)
            // Paused (no open stream): Chromium's screenshot mode sometimes never
            // ends while a request is open; the stream was exercised above.
            let shotRun = try await Self.runChromium(["--screenshot=\(shot)", "--window-size=1400,900", "--hide-scrollbars"],
                                                     url: still)
            #expect(shotRun != nil, "chromium screenshot did not finish")
            let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
            #expect(size > 10_000, "screenshot missing or empty at \(shot)")
            // The whole page, for review.
            _ = try await Self.runChromium(["--screenshot=\(shot.replacingOccurrences(of: ".png", with: "-full.png"))",
                                            "--window-size=1400,2000", "--hide-scrollbars"], url: still)
        }
    }
}
