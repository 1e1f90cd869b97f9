import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The README's first command: `kpi-ingest demo` runs the whole system
/// (embedded broker, generator, ingester, HTTP API) and stops cleanly.
@Suite("The demo")
struct DemoTests {
    /// The repository root (where `config/kpi-ingest.yaml` is), the demo's
    /// working directory as in the README.
    static let root = URL(fileURLWithPath: shippedConfigPath).deletingLastPathComponent().deletingLastPathComponent()

    /// The port named by the demo's banner line, once it was printed.
    static func bannerPort(_ log: URL) -> Int? {
        guard let text = try? String(contentsOf: log, encoding: .utf8),
              let range = text.range(of: "dashboard at http://127.0.0.1:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    static func get(_ url: String) -> (status: Int, body: String)? { httpGet(url) }

    /// With `--port 0` the banner names the port the listener really got,
    /// printed only once it listens; live shop snapshots are served there;
    /// SIGTERM ends the demo with exit 0.
    @Test func demoServesLiveSnapshotsOnTheBannersPortAndStopsOnSigterm() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-ingest-demo-\(UUID().uuidString).log")
        let demo = try launch(["demo", "--port", "0", "--rate", "200"], log: log, directory: Self.root)
        defer { if demo.isRunning { kill(demo.processIdentifier, SIGKILL) } }
        func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        var port: Int?
        #expect(waitFor(seconds: 120) { port = Self.bannerPort(log); return port != nil }, "no banner: \(output())")
        guard let port else { return }
        #expect(port > 0, "the banner names port 0: \(output())")
        // Listening when the banner says so.
        #expect(Self.get("http://127.0.0.1:\(port)/healthz")?.status == 200)
        // The generated shops' live snapshots (shop s1's day among them).
        var body = ""
        #expect(waitFor(seconds: 90) {
            body = Self.get("http://127.0.0.1:\(port)/api/v1/snapshots?scope=shop&shop=s1&window=day")?.body ?? ""
            return body.contains("\"revision\"")
        }, "no s1 day snapshot served: \(body)\n\(output())")
        #expect(Self.get("http://127.0.0.1:\(port)/")?.body.contains("<html") == true)

        kill(demo.processIdentifier, SIGTERM)
        #expect(waitFor(seconds: 20) { !demo.isRunning }, "the demo did not stop within 20 s of SIGTERM")
        if !demo.isRunning { #expect(demo.terminationStatus == 0, "demo log: \(output())") }
    }
}
