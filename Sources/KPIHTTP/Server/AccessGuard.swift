import Hummingbird
import Logging

/// Keeps the pay and performance data to holders of the token when the server
/// listens beyond loopback: every route but `/healthz`, `/readyz`, the login
/// form and logout needs `Authorization: Bearer <token>` (the scheme in any
/// case) or the session cookie the login form sets (a browser cannot add a
/// header to a page load or to an `EventSource`).
///
/// Each login makes a session of its own (a random value, never the token)
/// that expires after `sessionLifetime` (the cookie's `Max-Age` too) or at
/// `POST /logout`; a restart logs browsers out. Failed logins are logged with
/// the client's address, and a client that fails 5 times within a minute is
/// refused (429) until the minute has passed.
struct AccessGuard: RouterMiddleware {
    typealias Context = KPIRequestContext

    static let cookieName = "kpi_session"
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/login", "/logout"]

    let token: BearerToken
    let sessions: SessionBook
    let throttle: LoginThrottle
    let logger: Logger

    init(token: BearerToken, sessionLifetime: Duration = .seconds(12 * 3600), throttle: LoginThrottle = LoginThrottle(),
         logger: Logger = Logger(label: "kpi-ingest.http")) {
        self.token = token
        self.sessions = SessionBook(lifetime: sessionLifetime)
        self.throttle = throttle
        self.logger = logger
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) || isAuthorized(request) {
            return try await next(request, context)
        }
        if request.uri.path == "/" && request.method == .get {
            return Responses.html(LoginPage.html(problem: nil), status: .unauthorized)
        }
        var response = Responses.error(.unauthorized, "missing or invalid bearer token")
        response.headers[.wwwAuthenticate] = #"Bearer realm="kpi-ingest""#
        return response
    }

    func isAuthorized(_ request: Request) -> Bool {
        if let header = request.headers[.authorization], let credentials = Self.bearerCredentials(header) {
            if token.matches(credentials) { return true }
        }
        return session(of: request).map { sessions.isValid($0) } ?? false
    }

    /// The credentials of a `Bearer` authorization (the scheme is
    /// case-insensitive, RFC 9110 §11.1), or nil for another scheme.
    static func bearerCredentials(_ header: String) -> Substring.UTF8View? {
        let bytes = header.utf8
        let scheme = "bearer".utf8
        guard bytes.count > scheme.count + 1 else { return nil }
        var i = bytes.startIndex
        for c in scheme {
            guard bytes[i] | 0x20 == c else { return nil }
            i = bytes.index(after: i)
        }
        guard bytes[i] == UInt8(ascii: " ") else { return nil }
        while i < bytes.endIndex, bytes[i] == UInt8(ascii: " ") { i = bytes.index(after: i) }
        let rest = Substring(header)[i...]
        return rest.isEmpty ? nil : rest.utf8
    }

    /// The session cookie's value, if the request carries one.
    func session(of request: Request) -> Substring? {
        for cookieHeader in request.headers[values: .cookie] {
            for part in cookieHeader.split(separator: ";") {
                let pair = part.drop { $0 == " " }
                guard let eq = pair.firstIndex(of: "="), pair[..<eq] == Self.cookieName else { continue }
                return pair[pair.index(after: eq)...]
            }
        }
        return nil
    }

    /// `POST /login` with the form field `token`: sets a new session cookie
    /// and sends the browser to the dashboard, or shows the form again.
    func login(_ request: Request, context: Context) async throws -> Response {
        let client = context.client
        if let wait = throttle.wait(client) {
            let seconds = wait.components.seconds + 1
            logger.warning("login refused: too many failed attempts from \(client); next try in \(seconds) s")
            var response = Responses.html(LoginPage.html(problem: "Too many failed sign-ins from this address: try again in \(seconds) s."),
                                          status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let body = try await request.body.collect(upTo: 4096)
        let form = String(decoding: body.readableBytesView, as: UTF8.self)
        var given: String?
        for field in form.split(separator: "&") {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == "token" {
                given = String(parts[1]).replacingPlus().removingPercentEncoding
            }
        }
        guard let given, token.matches(Array(given.utf8)) else {
            let failures = throttle.failed(client)
            logger.warning("failed login from \(client) (\(failures) in the last \(throttle.window.components.seconds) s)")
            return Responses.html(LoginPage.html(problem: "That token is not valid."), status: .unauthorized)
        }
        throttle.succeeded(client)
        let session = sessions.open()
        logger.notice("login from \(client)")
        var response = Response(status: .seeOther)
        response.headers[.location] = "/"
        response.headers[.setCookie] = "\(Self.cookieName)=\(session); Path=/; Max-Age=\(sessions.maxAgeSeconds); HttpOnly; SameSite=Strict"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// `POST /logout`: ends the request's session (if any) and clears the cookie.
    func logout(_ request: Request) -> Response {
        if let s = session(of: request) { sessions.close(s) }
        var response = Response(status: .seeOther)
        response.headers[.location] = "/"
        response.headers[.setCookie] = "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

extension String {
    /// `application/x-www-form-urlencoded` spaces.
    func replacingPlus() -> String { String(map { $0 == "+" ? " " : $0 }) }

    /// Percent-decoding of UTF-8 (nil when malformed).
    var removingPercentEncoding: String? {
        var out: [UInt8] = []
        var it = utf8.makeIterator()
        while let b = it.next() {
            guard b == 0x25 else { out.append(b); continue }
            guard let h = it.next().flatMap(Self.hexValue), let l = it.next().flatMap(Self.hexValue) else { return nil }
            out.append(h << 4 | l)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

/// The form a browser gets instead of the dashboard until it has logged in.
enum LoginPage {
    /// `problem`: what went wrong with the last attempt, shown above the field.
    static func html(problem: String?) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>KPI dashboard – sign in</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font:15px system-ui,sans-serif;background:#f5f6f8;color:#1f2933;display:flex;justify-content:center;padding-top:12vh}
        form{background:#fff;padding:28px 32px;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);min-width:320px}
        input{width:100%;box-sizing:border-box;padding:8px;margin:10px 0 14px;font:inherit;border:1px solid #cbd2d9;border-radius:6px}
        button{padding:8px 16px;font:inherit;border:0;border-radius:6px;background:#2f6fde;color:#fff}
        .bad{color:#b42318}</style></head><body>
        <form method="post" action="/login"><h2>KPI dashboard</h2>
        <p>This server holds staff performance data. Enter the access token.</p>
        \(problem.map { #"<p class="bad">\#($0)</p>"# } ?? "")
        <input type="password" name="token" autocomplete="current-password" autofocus aria-label="access token">
        <button type="submit">Sign in</button></form></body></html>
        """
    }
}
