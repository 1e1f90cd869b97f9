import Foundation
import Hummingbird
import HummingbirdTesting
import KPICore
import Synchronization
import Testing
@testable import KPIHTTP

/// Issue 13 (9): on loopback any `Host` was served, so a web page whose name
/// resolves to 127.0.0.1 (DNS rebinding) could read the API from a browser.
@Suite(.timeLimit(.minutes(10))) struct HostHeaderTests {
    static func get(_ port: Int, _ path: String, host: String, extra: String = "") async -> String {
        await RawHTTP.request(port: port, "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\(extra)Connection: close\r\n\r\n")
    }

    @Test func onLoopbackOnlyLoopbackNamesAreServed() async throws {
        try await TestServer.make().test(.live) { client async throws in
            let port = try #require(client.port)
            for host in ["localhost", "localhost:\(port)", "127.0.0.1", "127.0.0.1:\(port)", "[::1]", "[::1]:\(port)", "LOCALHOST:8080"] {
                let answer = await Self.get(port, "/api/v1/alerts", host: host)
                #expect(RawHTTP.status(answer) == 200, "Host: \(host) → \(answer.prefix(60))")
            }
            for host in ["evil.example", "evil.example:\(port)", "127.0.0.1.evil.example", "localhost.evil.example:\(port)", "0x7f.0.0.1"] {
                let answer = await Self.get(port, "/api/v1/alerts", host: host)
                #expect(RawHTTP.status(answer) == 421, "Host: \(host) → \(answer.prefix(60))")
                let name = host.split(separator: ":").first.map(String.init) ?? host
                #expect(answer.hasSuffix(#"{"error":"this server does not answer for host \#(name)"}"#), "\(answer)")
                #expect(!answer.contains("\"alerts\"") && !answer.contains("[]"))
            }
            // The dashboard and the stream too, not only the JSON routes.
            #expect(RawHTTP.status(await Self.get(port, "/", host: "evil.example")) == 421)
            #expect(RawHTTP.status(await Self.get(port, "/api/v1/stream", host: "evil.example")) == 421)
            // Probes use addresses and names of their own; health says nothing.
            #expect(RawHTTP.status(await Self.get(port, "/healthz", host: "probe.internal")) == 200)
        }
    }

    @Test func offLoopbackTheConfiguredNamesAreServed() async throws {
        let settings = HTTPServerSettings(host: "0.0.0.0", port: 0, token: BearerToken(AccessTests.secret),
                                          allowedHosts: ["kpi.example.internal"])
        try await TestServer.make(settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let auth = "Authorization: Bearer \(AccessTests.secret)\r\n"
            for host in ["kpi.example.internal", "KPI.example.internal:\(port)", "127.0.0.1:\(port)"] {
                #expect(RawHTTP.status(await Self.get(port, "/api/v1/alerts", host: host, extra: auth)) == 200, "\(host)")
            }
            // A valid token does not make another name acceptable.
            let other = await Self.get(port, "/api/v1/alerts", host: "evil.example", extra: auth)
            #expect(RawHTTP.status(other) == 421)
            #expect(other.hasSuffix(#"{"error":"this server does not answer for host evil.example"}"#))
        }
    }

    @Test func offLoopbackWithoutConfiguredNamesTheTokenGuards() async throws {
        let settings = HTTPServerSettings(host: "0.0.0.0", port: 0, token: BearerToken(AccessTests.secret))
        try await TestServer.make(settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let auth = "Authorization: Bearer \(AccessTests.secret)\r\n"
            #expect(RawHTTP.status(await Self.get(port, "/api/v1/alerts", host: "kpi.anything.example", extra: auth)) == 200)
            #expect(RawHTTP.status(await Self.get(port, "/api/v1/alerts", host: "kpi.anything.example")) == 401)
        }
    }

    @Test func hostNamesAreReadWithoutPortOrBrackets() {
        #expect(HostGuard.hostName("LocalHost:8080") == "localhost")
        #expect(HostGuard.hostName("[::1]:8080") == "::1")
        #expect(HostGuard.hostName("[::1]") == "::1")
        #expect(HostGuard.hostName("kpi.example") == "kpi.example")
        #expect(HostGuard.isLoopbackName("127.10.0.3") && HostGuard.isLoopbackName("app.localhost"))
        #expect(!HostGuard.isLoopbackName("127.0.0.01") && !HostGuard.isLoopbackName("127.0.0") && !HostGuard.isLoopbackName("128.0.0.1"))
    }
}

/// Issue 13 (10): `bearer` in lower case was refused; `POST /login` was not
/// throttled nor logged, gave the same cookie every time, never expiring,
/// and there was no logout.
@Suite(.timeLimit(.minutes(10))) struct SessionTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
    static let goodForm = "token=s3cret-token-0123456789abcdef"

    static func server(lifetime: Duration = .seconds(12 * 3600), logger: LogRecorder? = nil) throws -> KPIHTTPServer {
        let settings = HTTPServerSettings(host: "0.0.0.0", port: 0, token: BearerToken(AccessTests.secret), sessionLifetime: lifetime)
        return try KPIHTTPServer(settings: settings, store: Fixtures.store(), metrics: ServiceMetrics(),
                                 logger: logger?.logger ?? TestServer.quietLogger)
    }

    /// `kpi_session=<value>` from a login's `Set-Cookie`.
    static func cookie(_ answer: Answer) throws -> String {
        String(try #require(answer.headers[.setCookie]).prefix { $0 != ";" })
    }

    @Test func theBearerSchemeIsCaseInsensitive() async throws {
        try await Self.server().test(.router) { client async throws in
            for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
                let a = try await client.get("/api/v1/alerts", headers: [.authorization: "\(scheme) \(AccessTests.secret)"])
                #expect(a.status == .ok, "\(scheme)")
            }
            for header in ["bearer", "bearer ", "bearer\(AccessTests.secret)", "bearers \(AccessTests.secret)",
                           "Basic \(AccessTests.secret)", "bearer \(AccessTests.secret)x"] {
                #expect(try await client.get("/api/v1/alerts", headers: [.authorization: header]).status == .unauthorized, "\(header)")
            }
        }
    }

    @Test func eachLoginMakesItsOwnSessionAndLogoutEndsOnlyThatOne() async throws {
        try await Self.server().test(.router) { client async throws in
            let first = try await client.send("/login", method: .post, headers: Self.form, body: Self.goodForm)
            let second = try await client.send("/login", method: .post, headers: Self.form, body: Self.goodForm)
            #expect(first.status == .seeOther && second.status == .seeOther)
            let a = try Self.cookie(first), b = try Self.cookie(second)
            #expect(a != b)
            #expect(a.count == "kpi_session=".count + 64)
            // 12 h, the default lifetime, in the cookie too.
            #expect(first.headers[.setCookie]?.contains("; Max-Age=43200;") == true)
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: a]).status == .ok)
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: b]).status == .ok)

            let out = try await client.send("/logout", method: .post, headers: [.cookie: a])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/")
            #expect(out.headers[.setCookie] == "kpi_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
            // The server forgot it: a browser that kept the cookie is still out.
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: a]).status == .unauthorized)
            #expect(try await client.get("/", headers: [.cookie: a]).status == .unauthorized)
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: b]).status == .ok)
            // Logging out without a session is harmless.
            #expect(try await client.send("/logout", method: .post).status == .seeOther)
        }
    }

    @Test func aSessionExpiresOnTheServerToo() async throws {
        try await Self.server(lifetime: .seconds(1)).test(.router) { client async throws in
            let login = try await client.send("/login", method: .post, headers: Self.form, body: Self.goodForm)
            #expect(login.headers[.setCookie]?.contains("; Max-Age=1;") == true)
            let session = try Self.cookie(login)
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: session]).status == .ok)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await client.get("/api/v1/alerts", headers: [.cookie: session]).status == .unauthorized)
        }
    }

    @Test func aSubSecondLifetimeStillGivesTheCookieASecond() {
        #expect(SessionBook(lifetime: .milliseconds(300)).maxAgeSeconds == 1)
        #expect(SessionBook(lifetime: .milliseconds(1500)).maxAgeSeconds == 2)
        #expect(SessionBook(lifetime: .seconds(3600)).maxAgeSeconds == 3600)
    }

    @Test func failedLoginsAreLoggedAndThrottledPerClient() async throws {
        let log = LogRecorder()
        try await Self.server(logger: log).test(.live) { client async throws in
            for attempt in 1...5 {
                let bad = try await client.send("/login", method: .post, headers: Self.form, body: "token=guess\(attempt)")
                #expect(bad.status == .unauthorized)
                #expect(bad.body.contains("That token is not valid."))
            }
            let failures = log.text.filter { $0.hasPrefix("warning: failed login from 127.0.0.1 (") }
            #expect(failures.count == 5, "\(log.text)")
            #expect(failures.last == "warning: failed login from 127.0.0.1 (5 in the last 60 s)")
            #expect(!log.text.joined().contains("guess"))

            // The sixth try is refused before the token is even looked at: the right one too.
            let refused = try await client.send("/login", method: .post, headers: Self.form, body: Self.goodForm)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.setCookie] == nil)
            let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(wait))
            #expect(refused.body.contains("Too many failed sign-ins from this address: try again in \(wait) s."))
            #expect(log.text.contains { $0.hasPrefix("warning: login refused: too many failed attempts from 127.0.0.1;") })
            // The API with the token is not locked out.
            #expect(try await client.get("/api/v1/alerts", headers: AccessTests.bearer(AccessTests.secret)).status == .ok)
        }
    }

    @Test func throttlingForgetsAfterTheWindowAndASuccessClearsIt() {
        let throttle = LoginThrottle(limit: 3, window: .seconds(60))
        let t0 = ContinuousClock.now
        for i in 0..<2 { _ = throttle.failed("10.0.0.1", now: t0 + .seconds(i)) }
        #expect(throttle.wait("10.0.0.1", now: t0 + .seconds(2)) == nil)
        #expect(throttle.failed("10.0.0.1", now: t0 + .seconds(2)) == 3)
        // Locked until 60 s after the first failure (t0).
        #expect(throttle.wait("10.0.0.1", now: t0 + .seconds(10)) == .seconds(50))
        #expect(throttle.wait("10.0.0.2", now: t0 + .seconds(10)) == nil)
        #expect(throttle.wait("10.0.0.1", now: t0 + .seconds(61)) == nil)
        _ = throttle.failed("10.0.0.3", now: t0)
        throttle.succeeded("10.0.0.3")
        #expect(throttle.failed("10.0.0.3", now: t0) == 1)
    }
}

/// Issue 13 (11): 1,000 SSE clients slowed `/healthz` to 2.7 s, and
/// half-sent request heads held connections forever.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ConnectionLimitTests {
    @Test func aHalfSentRequestHeadIsClosedAfterTheHeaderTimeout() async throws {
        let settings = HTTPServerSettings(port: 0, headerTimeout: .milliseconds(500))
        try await TestServer.make(settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let (closed, elapsed, text) = await RawHTTP.offPool { () -> (Bool, Duration, String) in
                let fd = RawHTTP.connect(port: port)
                defer { close(fd) }
                let started = ContinuousClock.now
                _ = RawHTTP.send(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                // Keeps trickling a byte at a time, as a slowloris does.
                var result = RawHTTP.read(fd, until: .now + .milliseconds(300))
                for _ in 0..<20 where !result.closed {
                    _ = RawHTTP.send(fd, "a")
                    result = RawHTTP.read(fd, until: .now + .milliseconds(300))
                }
                return (result.closed, ContinuousClock.now - started, result.text)
            }
            #expect(closed, "still open after \(elapsed)")
            #expect(text.isEmpty, "answered: \(text)")
            // A prompt client on the same server is served as usual.
            #expect(RawHTTP.status(await HostHeaderTests.get(port, "/healthz", host: "127.0.0.1")) == 200)
        }
    }

    @Test func anAnsweredStreamIsNotCutByTheHeaderTimeout() async throws {
        let store = Fixtures.store()
        let settings = HTTPServerSettings(port: 0, headerTimeout: .milliseconds(300))
        try await TestServer.make(store: store, settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let fd = await RawHTTP.offPool { RawHTTP.connect(port: port) }
            defer { close(fd) }
            #expect(RawHTTP.send(fd, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            let head = await RawHTTP.offPool { RawHTTP.read(fd, until: .now + .seconds(5)) { $0.contains(": connected") } }
            #expect(RawHTTP.status(head.text) == 200)
            // Nothing is sent either way for 4 header timeouts (the heartbeat is 15 s).
            let quiet = await RawHTTP.offPool { RawHTTP.read(fd, until: .now + .milliseconds(1200)) }
            #expect(!quiet.closed)
            store.publish([Fixtures.snapshot(.agent, id: "a3", revision: 2)])
            let update = await RawHTTP.offPool { RawHTTP.read(fd, until: .now + .seconds(5)) { $0.contains("event: snapshot") } }
            #expect(update.text.contains(#""id":"a3""#))
        }
    }

    @Test func theStreamCapIsConfigurable() async throws {
        let settings = HTTPServerSettings(port: 0, maxStreamClients: 2)
        try await TestServer.make(settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let answers = await RawHTTP.offPool { () -> [String] in
                let fds = (0..<3).map { _ in RawHTTP.connect(port: port) }
                defer { for fd in fds { close(fd) } }
                return fds.map { fd in
                    _ = RawHTTP.send(fd, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    return RawHTTP.read(fd, until: .now + .seconds(10)) { $0.contains(": connected") || $0.contains("}") }.text
                }
            }
            #expect(answers.map(RawHTTP.status) == [200, 200, 503])
            #expect(answers[2].hasSuffix(#"{"error":"too many event streams open (2); try again later"}"#))
        }
    }

    /// 1,000 clients open a stream on a live store (an update every 100 ms):
    /// the first 100 (the default cap) are served, the other 900 get 503 with
    /// the reason, `/healthz` still answers, and a closed stream frees its place.
    @Test func streamsAreCappedAndHealthAnswersUnderAThousandClients() async throws {
        let store = Fixtures.store()
        let settings = HTTPServerSettings(port: 0)   // the default cap
        let cap = settings.maxStreamClients
        #expect(cap == 100)
        let attempts = 1000
        try await TestServer.make(store: store, settings: settings).test(.live) { client async throws in
            let port = try #require(client.port)
            let publisher = Task {
                var revision = 1
                while !Task.isCancelled {
                    revision += 1
                    store.publish([Fixtures.snapshot(.agent, id: "a\(revision % 7)", revision: revision)])
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { publisher.cancel() }
            let opened = await RawHTTP.offPool { () -> [(fd: Int32, answer: String)] in
                (0..<attempts).map { _ in
                    let fd = RawHTTP.connect(port: port)
                    _ = RawHTTP.send(fd, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    return (fd, "")
                }.map { (c: (fd: Int32, answer: String)) -> (fd: Int32, answer: String) in
                    return (c.fd, RawHTTP.read(c.fd, until: .now + .seconds(30)) { t in
                        t.contains(": connected") || t.contains("}")
                    }.text)
                }
            }
            defer { for c in opened { close(c.fd) } }
            let statuses = opened.map { RawHTTP.status($0.answer) }
            #expect(statuses.filter { $0 == 200 }.count == cap)
            #expect(statuses.filter { $0 == 503 }.count == attempts - cap)
            let refused = try #require(opened.first { RawHTTP.status($0.answer) == 503 })
            #expect(refused.answer.lowercased().contains("\r\nretry-after: 5\r\n"))
            #expect(refused.answer.hasSuffix(#"{"error":"too many event streams open (\#(cap)); try again later"}"#))
            #expect(await EventStreamTests.waitUntil(.seconds(20)) { store.subscriberCount == cap })

            // With every stream open and updated, health answers (generously
            // bounded: the whole suite shares two cores with this test).
            var slowest = Duration.zero
            for _ in 0..<5 {
                let started = ContinuousClock.now
                let health = await RawHTTP.request(port: port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                                   timeout: .seconds(30))
                slowest = max(slowest, ContinuousClock.now - started)
                #expect(health.hasSuffix("\r\n\r\nok\n"), "\(health)")
            }
            print("healthz with \(cap) streams open and \(attempts - cap) refused: slowest of 5 \(slowest)")

            // One stream goes: its place is given back.
            let admitted = try #require(opened.first { RawHTTP.status($0.answer) == 200 })
            shutdown(admitted.fd, Int32(SHUT_RDWR))
            #expect(await EventStreamTests.waitUntil(.seconds(20)) { store.subscriberCount == cap - 1 })
            let again = await RawHTTP.offPool { () -> String in
                let fd = RawHTTP.connect(port: port)
                defer { close(fd) }
                _ = RawHTTP.send(fd, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return RawHTTP.read(fd, until: .now + .seconds(10)) { $0.contains(": connected") || $0.contains("}") }.text
            }
            #expect(RawHTTP.status(again) == 200, "\(again.prefix(200))")
        }
    }
}
