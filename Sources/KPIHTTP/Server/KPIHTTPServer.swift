import Foundation
import Hummingbird
import HummingbirdCore
import KPICore
import Logging
import NIOCore
import ServiceLifecycle

/// The live service's HTTP side (interfaces.md "HTTP"): the snapshot and alert
/// API, the Server-Sent-Events stream, Prometheus `/metrics`, health and
/// readiness, and the dashboard page.
///
/// A Hummingbird `ApplicationProtocol`, hence a swift-service-lifecycle
/// `Service`: put it in the executable's `ServiceGroup` next to the consumer;
/// graceful shutdown ends open event streams and stops the listener.
///
/// Construction refuses a non-loopback address without a token
/// (`KPIHTTPError.tokenRequired`), so the data can never be served openly by
/// mistake.
public struct KPIHTTPServer: ApplicationProtocol {
    public typealias Responder = RouterResponder<KPIRequestContext>

    public let settings: HTTPServerSettings
    public let store: LiveKPIStore
    public let metrics: ServiceMetrics
    public let logger: Logger
    /// Called once the listener is bound, with the port it listens on (the
    /// one the system picked for port 0): where a banner can say the truth.
    public var onListening: (@Sendable (Int) -> Void)?
    private let builtResponder: Responder

    public var responder: Responder { get async throws { builtResponder } }

    public var configuration: ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "kpi-ingest")
    }

    /// HTTP/1.1 with an idle timeout: a connection that has not sent a
    /// whole request head within `headerTimeout` (or sits idle that long
    /// between requests) is closed, so half-sent headers cannot hold
    /// connections forever. An answered event stream is not idle.
    public var server: HTTPServerBuilder {
        let t = settings.headerTimeout.components
        return .http1(configuration: HTTP1Channel.Configuration(
            idleTimeout: TimeAmount.nanoseconds(t.seconds * 1_000_000_000 + t.attoseconds / 1_000_000_000)))
    }

    public func onServerRunning(_ channel: any Channel) async {
        onListening?(channel.localAddress?.port ?? settings.port)
    }

    public init(settings: HTTPServerSettings, store: LiveKPIStore, metrics: ServiceMetrics,
                logger: Logger = Logger(label: "kpi-ingest.http")) throws(KPIHTTPError) {
        try Self.validate(settings)
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.builtResponder = Self.router(settings: settings, store: store, metrics: metrics, logger: logger).buildResponder()
    }

    static func validate(_ settings: HTTPServerSettings) throws(KPIHTTPError) {
        guard !settings.host.isEmpty, !settings.host.contains(where: { $0 == " " || $0 == "/" }) else {
            throw KPIHTTPError(.invalidAddress, "http.host '\(QueryParameters.shown(settings.host))' is not a host name or address")
        }
        guard (0...65535).contains(settings.port) else {
            throw KPIHTTPError(.invalidAddress, "http.port \(settings.port) is outside 0...65535")
        }
        if let token = settings.token, token.bytes.count < BearerToken.minimumLength {
            throw KPIHTTPError(.tokenTooWeak,
                               "the HTTP bearer token is shorter than \(BearerToken.minimumLength) characters; "
                               + "set a longer random http.token (or KPI_INGEST_HTTP_TOKEN)")
        }
        if !settings.isLoopback && settings.token == nil {
            throw KPIHTTPError(.tokenRequired,
                               "refusing to serve staff performance and pay data on \(settings.host) without authentication: "
                               + "set http.token in the config (or the KPI_INGEST_HTTP_TOKEN environment variable) "
                               + "to a random secret of at least \(BearerToken.minimumLength) characters, "
                               + "or set http.host to 127.0.0.1 to serve this machine only")
        }
    }

    static func router(settings: HTTPServerSettings, store: LiveKPIStore, metrics: ServiceMetrics,
                       logger: Logger = Logger(label: "kpi-ingest.http")) -> Router<KPIRequestContext> {
        let router = Router(context: KPIRequestContext.self)
        router.add(middleware: HostGuard(settings: settings))
        if let token = settings.token {
            let guardian = AccessGuard(token: token, sessionLifetime: settings.sessionLifetime, logger: logger)
            router.add(middleware: guardian)
            router.post("/login") { request, context in try await guardian.login(request, context: context) }
            router.post("/logout") { request, _ in guardian.logout(request) }
        }
        let streams = StreamGate(capacity: settings.maxStreamClients)

        router.get("/healthz") { _, _ in Responses.text("ok\n") }

        router.get("/readyz") { _, _ in
            switch store.readiness() {
            case .ready: Responses.text("ready\n")
            case .readyIdle(let reason): Responses.text("ready: \(reason)\n")
            case .notReady(let reason): Responses.text("not ready: \(reason)\n", status: .serviceUnavailable)
            }
        }

        router.get("/metrics") { _, _ in
            Responses.bytesResponse(metrics.exposition(), status: .ok,
                                    contentType: "text/plain; version=0.0.4; charset=utf-8")
        }

        router.get("/api/v1/snapshots") { request, _ in
            answer(SnapshotFilter.parse, request) { f in
                Responses.json(JSONText.array(store.snapshots(scope: f.scope, shop: f.shop, id: f.id, window: f.window)))
            }
        }

        router.get("/api/v1/history") { request, _ in
            answer(SnapshotFilter.parse, request) { f in
                Responses.json(JSONText.histories(store.history(scope: f.scope, shop: f.shop, id: f.id, window: f.window)))
            }
        }

        router.get("/api/v1/alerts") { request, _ in
            answer(AlertFilter.parse, request) { f in
                Responses.json(JSONText.array(store.alerts(state: f.state)))
            }
        }

        router.get("/api/v1/stream") { request, _ in
            answer(SnapshotFilter.parse, request) { f in
                // At most `maxStreamClients` at once: each costs a task and a
                // buffer, and a thousand of them starved /healthz.
                guard let slot = streams.enter() else {
                    var r = Responses.error(.serviceUnavailable, "too many event streams open (\(streams.capacity)); try again later")
                    r.headers[.retryAfter] = "5"
                    return r
                }
                return EventStream.response(request: request, store: store, filter: f,
                                            heartbeat: settings.heartbeatInterval, buffer: settings.streamBuffer,
                                            maxDuration: settings.maxStreamDuration, slot: slot)
            }
        }

        router.get("/") { request, _ in
            var r = Responses.html(DashboardPage.html(acceptLanguage: request.headers[.acceptLanguage]))
            r.headers[.vary] = "Accept-Language"
            return r
        }
        return router
    }

    /// The route's answer for valid query parameters, else 400 naming the parameter.
    static func answer<Filter>(_ parse: ([(key: Substring, value: Substring)]) throws(KPIHTTPError) -> Filter,
                               _ request: Request, _ respond: (Filter) -> Response) -> Response {
        switch Result(catching: { () throws(KPIHTTPError) -> Filter in try parse(Array(request.uri.queryParameters)) }) {
        case .success(let filter): respond(filter)
        case .failure(let error): Responses.error(.badRequest, error.message)
        }
    }
}

/// The HTTP server as the `Service` the executable runs: a listener that
/// cannot start fails with a message naming what to fix (a port taken by
/// another process, a port that needs privileges) instead of a bare errno.
public struct KPIHTTPService: Service {
    public let server: KPIHTTPServer

    public init(_ server: KPIHTTPServer) { self.server = server }

    public func run() async throws {
        do {
            try await server.run()
        } catch let error as KPIHTTPError {
            throw error
        } catch {
            throw Self.explained(error, settings: server.settings)
        }
    }

    /// NIO reports bind failures as `IOError` carrying the errno of bind(2).
    static func explained(_ error: any Error, settings: HTTPServerSettings) -> any Error {
        guard let io = error as? IOError else { return error }
        let address = "\(settings.host):\(settings.port)"
        switch io.errnoCode {
        case EADDRINUSE:
            return KPIHTTPError(.invalidAddress, "cannot listen on \(address): the port is already in use by another process; "
                                + "stop that process or choose another port with --port or http.port")
        case EACCES:
            return KPIHTTPError(.invalidAddress, "cannot listen on \(address): permission denied (ports below 1024 need privileges); "
                                + "choose a port above 1023 with --port or http.port")
        case EADDRNOTAVAIL:
            return KPIHTTPError(.invalidAddress, "cannot listen on \(address): no network interface has that address; "
                                + "set http.host to an address of this machine (127.0.0.1 by default)")
        default:
            break
        }
        return error
    }
}
