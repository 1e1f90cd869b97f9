import Hummingbird

/// Refuses requests whose `Host` names another server (DNS rebinding: a web
/// page of `evil.example` whose name is made to resolve to 127.0.0.1 would
/// otherwise read the API from the victim's browser, same-origin to it).
///
/// On loopback only loopback names are served (`localhost`, `127.x.x.x`,
/// `[::1]`, any port); off loopback, the names configured in
/// `http.allowed_hosts` and the listen address itself, or any name when none
/// is configured (the bearer token guards those servers). `/healthz` and
/// `/readyz` answer whatever the name (probes use addresses), and a request
/// without `Host` (HTTP/1.0; browsers always send it) is served.
struct HostGuard: RouterMiddleware {
    typealias Context = KPIRequestContext

    /// Lowercased names accepted besides loopback ones; nil: any name.
    let allowed: Set<String>?
    let loopbackOnly: Bool

    init(settings: HTTPServerSettings) {
        loopbackOnly = settings.isLoopback
        if settings.isLoopback || settings.allowedHosts.isEmpty {
            allowed = settings.isLoopback ? [] : nil
        } else {
            var names = Set(settings.allowedHosts.map { $0.lowercased() })
            if !["0.0.0.0", "::", "[::]"].contains(settings.host) { names.insert(settings.host.lowercased()) }
            allowed = names
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let allowed, let authority = request.head.authority,
              request.uri.path != "/healthz", request.uri.path != "/readyz" else {
            return try await next(request, context)
        }
        let name = Self.hostName(authority)
        if Self.isLoopbackName(name) || allowed.contains(name) { return try await next(request, context) }
        return Responses.error(.misdirectedRequest, "this server does not answer for host \(QueryParameters.shown(String(name.prefix(100))))")
    }

    /// The host name of a `Host` value, lowercased, without port or IPv6 brackets.
    static func hostName(_ authority: String) -> String {
        let lower = authority.lowercased()
        if lower.hasPrefix("[") {
            return String(lower.dropFirst().prefix { $0 != "]" })
        }
        if let colon = lower.lastIndex(of: ":"), lower.firstIndex(of: ":") == colon {
            return String(lower[..<colon])
        }
        return lower
    }

    static func isLoopbackName(_ name: String) -> Bool {
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { p in UInt8(p).map { String($0) == p } ?? false }
    }
}
