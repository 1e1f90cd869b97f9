import Hummingbird

/// Keeps the pay and performance data to holders of the token when the server
/// listens beyond loopback: every route but `/healthz`, `/readyz` and the
/// login form needs `Authorization: Bearer <token>` or the session cookie the
/// login form sets (a browser cannot add a header to a page load or to an
/// `EventSource`). The cookie holds a random session value made at start-up,
/// never the token; a restart logs browsers out.
struct AccessGuard: RouterMiddleware {
    typealias Context = BasicRequestContext

    static let cookieName = "kpi_session"
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/login"]

    let token: BearerToken
    let session: [UInt8]

    init(token: BearerToken) {
        self.token = token
        var rng = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        self.session = (0..<32).flatMap { _ -> [UInt8] in
            let b = UInt8.random(in: .min ... .max, using: &rng)
            return [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
        }
    }

    var sessionCookieValue: String { String(decoding: session, as: UTF8.self) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) || isAuthorized(request) {
            return try await next(request, context)
        }
        if request.uri.path == "/" && request.method == .get {
            return Responses.html(LoginPage.html(failed: false), status: .unauthorized)
        }
        var response = Responses.error(.unauthorized, "missing or invalid bearer token")
        response.headers[.wwwAuthenticate] = #"Bearer realm="kpi-ingest""#
        return response
    }

    func isAuthorized(_ request: Request) -> Bool {
        if let header = request.headers[.authorization] {
            let bytes = Array(header.utf8)
            let prefix = Array("Bearer ".utf8)
            if bytes.count > prefix.count, bytes[..<prefix.count].elementsEqual(prefix),
               token.matches(bytes[prefix.count...]) {
                return true
            }
        }
        for cookieHeader in request.headers[values: .cookie] {
            for part in cookieHeader.split(separator: ";") {
                let pair = part.drop { $0 == " " }
                guard let eq = pair.firstIndex(of: "="), pair[..<eq] == Self.cookieName else { continue }
                if BearerToken.constantTimeEqual(session, Array(pair[pair.index(after: eq)...].utf8)) { return true }
            }
        }
        return false
    }

    /// `POST /login` with the form field `token`: sets the session cookie and
    /// sends the browser to the dashboard, or shows the form again.
    func login(_ request: Request) async throws -> Response {
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
            return Responses.html(LoginPage.html(failed: true), status: .unauthorized)
        }
        var response = Response(status: .seeOther)
        response.headers[.location] = "/"
        response.headers[.setCookie] = "\(Self.cookieName)=\(sessionCookieValue); Path=/; HttpOnly; SameSite=Strict"
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
    static func html(failed: Bool) -> String {
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
        \(failed ? #"<p class="bad">That token is not valid.</p>"# : "")
        <input type="password" name="token" autocomplete="current-password" autofocus aria-label="access token">
        <button type="submit">Sign in</button></form></body></html>
        """
    }
}
