import Foundation
import Hummingbird
import HummingbirdTesting
import KPICore
import Testing
@testable import KPIHTTP

@Suite struct AccessTests {
    static let secret = "s3cret-token-0123456789abcdef"

    static func publicServer(store: LiveKPIStore = Fixtures.store()) throws -> KPIHTTPServer {
        try TestServer.make(store: store, settings: HTTPServerSettings(host: "0.0.0.0", port: 0, token: BearerToken(secret)))
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func refusesANonLoopbackAddressWithoutAToken() {
        for host in ["0.0.0.0", "::", "192.0.2.10", "kpi.example.internal"] {
            #expect {
                _ = try TestServer.make(settings: HTTPServerSettings(host: host, port: 8080))
            } throws: { error in
                guard let e = error as? KPIHTTPError, e.code == .tokenRequired else { return false }
                return e.message.contains(host) && e.message.contains("http.token")
                    && e.message.contains("KPI_INGEST_HTTP_TOKEN") && e.message.contains("127.0.0.1")
            }
        }
    }

    @Test func aPortInUseIsNamedWithWhatToDo() async throws {
        // Another listener holds a loopback port.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                guard bind(holder, a, length) == 0, listen(holder, 1) == 0, getsockname(holder, a, &length) == 0 else {
                    throw KPIHTTPError(.invalidAddress, "test setup: cannot hold a port")
                }
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let server = try TestServer.make(settings: HTTPServerSettings(host: "127.0.0.1", port: port))
        await #expect {
            try await KPIHTTPService(server).run()
        } throws: { error in
            guard let e = error as? KPIHTTPError, e.code == .invalidAddress else { return false }
            return e.message.contains("127.0.0.1:\(port)") && e.message.contains("already in use") && e.message.contains("--port")
        }
    }

    @Test func loopbackNeedsNoToken() throws {
        for host in ["127.0.0.1", "localhost", "::1", "127.0.0.2"] {
            _ = try TestServer.make(settings: HTTPServerSettings(host: host, port: 0))
        }
    }

    @Test func refusesAShortOrBlankTokenWithoutShowingIt() {
        #expect(BearerToken("   ") == nil)
        #expect(BearerToken("") == nil)
        #expect {
            _ = try TestServer.make(settings: HTTPServerSettings(host: "0.0.0.0", port: 0, token: BearerToken("hunter2")))
        } throws: { error in
            guard let e = error as? KPIHTTPError else { return false }
            return e.code == .tokenTooWeak && !"\(e)".contains("hunter2")
        }
    }

    @Test func theTokenNeverAppearsInDescriptions() throws {
        let settings = HTTPServerSettings(host: "0.0.0.0", port: 9, token: BearerToken(Self.secret))
        for text in ["\(settings)", String(reflecting: settings), "\(settings.token!)", String(reflecting: settings.token!)] {
            #expect(!text.contains(Self.secret), "\(text)")
        }
        var dumped = ""
        dump(settings, to: &dumped)
        #expect(!dumped.contains(Self.secret))
    }

    @Test(arguments: ["/", "/api/v1/snapshots", "/api/v1/alerts", "/api/v1/history", "/api/v1/stream", "/metrics"])
    func everyDataRouteNeedsTheToken(path: String) async throws {
        try await Self.publicServer().test(.router) { client async throws in
            let none = try await client.get(path)
            #expect(none.status == .unauthorized)
            let wrong = try await client.get(path, headers: Self.bearer("s3cret-token-0123456789abcdeX"))
            #expect(wrong.status == .unauthorized)
            let prefix = try await client.get(path, headers: Self.bearer("s3cret-token"))
            #expect(prefix.status == .unauthorized)
            let basic = try await client.get(path, headers: [.authorization: "Basic \(Self.secret)"])
            #expect(basic.status == .unauthorized)
            for a in [none, wrong, prefix, basic] { #expect(!a.body.contains(Self.secret)) }
            if path != "/api/v1/stream" {   // the stream would not end
                let right = try await client.get(path, headers: Self.bearer(Self.secret))
                #expect(right.status == .ok)
            }
        }
    }

    @Test func anUnauthorizedAPICallSaysHowToAuthenticate() async throws {
        try await Self.publicServer().test(.router) { client async throws in
            let a = try await client.get("/api/v1/snapshots")
            #expect(a.headers[.wwwAuthenticate] == #"Bearer realm="kpi-ingest""#)
            #expect(a.body == #"{"error":"missing or invalid bearer token"}"#)
        }
    }

    @Test func healthAndReadinessStayOpen() async throws {
        let store = Fixtures.store()
        store.markLive()
        try await Self.publicServer(store: store).test(.router) { client async throws in
            #expect(try await client.get("/healthz").status == .ok)
            #expect(try await client.get("/readyz").status == .ok)
        }
    }

    @Test func aBrowserLogsInWithAFormAndThenUsesTheSessionCookie() async throws {
        try await Self.publicServer().test(.router) { client async throws in
            let page = try await client.get("/")
            #expect(page.status == .unauthorized)
            #expect(page.body.contains(#"<form method="post" action="/login">"#))

            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let bad = try await client.send("/login", method: .post, headers: form, body: "token=nope")
            #expect(bad.status == .unauthorized)
            #expect(bad.headers[.setCookie] == nil)

            let good = try await client.send("/login", method: .post, headers: form, body: "token=s3cret%2Dtoken-0123456789abcdef")
            #expect(good.status == .seeOther)
            #expect(good.headers[.location] == "/")
            let cookie = try #require(good.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(!cookie.contains(Self.secret))
            let session = String(cookie.prefix { $0 != ";" })

            let dashboard = try await client.get("/", headers: [.cookie: "theme=dark; \(session)"])
            #expect(dashboard.status == .ok)
            #expect(dashboard.body.contains("Shop KPIs"))
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: session]).status == .ok)
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: session + "0"]).status == .unauthorized)
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: "kpi_session=\(Self.secret)"]).status == .unauthorized)
        }
    }

    @Test func loginDoesNotExistOnLoopback() async throws {
        try await TestServer.make().test(.router) { client async throws in
            #expect(try await client.send("/login", method: .post, body: "token=x").status != .seeOther)
        }
    }

    @Test func constantTimeComparisonIsStillAComparison() {
        let t = BearerToken(Self.secret)!
        #expect(t.matches(Array(Self.secret.utf8)))
        #expect(!t.matches(Array((Self.secret + "x").utf8)))
        #expect(!t.matches(Array(Self.secret.dropLast().utf8)))
        #expect(!t.matches([UInt8]()))
        var flipped = Array(Self.secret.utf8)
        flipped[5] ^= 1
        #expect(!t.matches(flipped))
    }
}
