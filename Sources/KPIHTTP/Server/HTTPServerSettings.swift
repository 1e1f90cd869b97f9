/// Where and how the HTTP side listens. Mirrors the config's `http` section
/// (`host`, `port`, `token`; `KPI_INGEST_HTTP_TOKEN` in the environment).
public struct HTTPServerSettings: Sendable, CustomStringConvertible {
    /// Listen address; loopback (the default) keeps the pay and performance
    /// data on this machine. Any other address requires `token`.
    public var host: String
    /// 0 lets the system pick a free port (tests).
    public var port: Int
    public var token: BearerToken?
    /// Comment lines sent on idle Server-Sent-Events streams, so proxies keep
    /// them open and dead clients are noticed.
    public var heartbeatInterval: Duration
    /// Frames an SSE connection may queue before the oldest are dropped.
    public var streamBuffer: Int
    /// An SSE response ends after this long and the browser reconnects (and
    /// the dashboard reloads what it may have missed): no connection lives
    /// forever behind proxies and load balancers. nil: no limit.
    public var maxStreamDuration: Duration?
    /// Event streams open at once; more are answered 503.
    public var maxStreamClients: Int
    /// A connection that has not sent a whole request head within this long
    /// (or is idle that long between requests) is closed.
    public var headerTimeout: Duration
    /// Off loopback: the host names the server answers for (besides its
    /// listen address); empty: any. On loopback only loopback names are
    /// answered, whatever this says.
    public var allowedHosts: [String]
    /// How long a browser session made by `POST /login` lasts.
    public var sessionLifetime: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, token: BearerToken? = nil,
                heartbeatInterval: Duration = .seconds(15), streamBuffer: Int = 512,
                maxStreamDuration: Duration? = .seconds(600), maxStreamClients: Int = 100,
                headerTimeout: Duration = .seconds(10), allowedHosts: [String] = [],
                sessionLifetime: Duration = .seconds(12 * 3600)) {
        self.host = host; self.port = port; self.token = token
        self.heartbeatInterval = heartbeatInterval; self.streamBuffer = streamBuffer
        self.maxStreamDuration = maxStreamDuration
        self.maxStreamClients = maxStreamClients; self.headerTimeout = headerTimeout
        self.allowedHosts = allowedHosts; self.sessionLifetime = sessionLifetime
    }

    /// Whether `host` only accepts connections from this machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The token never appears here.
    public var description: String {
        "\(host):\(port)\(token == nil ? "" : " (token set)")"
    }
}

/// A bearer token: compared in constant time, never printed, never reflected.
public struct BearerToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Shortest token accepted: long enough that guessing over HTTP is hopeless.
    public static let minimumLength = 16

    let bytes: [UInt8]

    /// nil for an empty or all-blank value (treated as "no token").
    public init?(_ value: String) {
        guard value.utf8.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return nil }
        self.bytes = Array(value.utf8)
    }

    public var description: String { "BearerToken(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// Constant-time comparison: the time depends on the lengths only, never
    /// on where the first differing byte is.
    func matches<C: Collection<UInt8>>(_ candidate: C) -> Bool {
        Self.constantTimeEqual(bytes, candidate)
    }

    static func constantTimeEqual<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        difference |= a.count == b.count ? 0 : 1
        let length = max(a.count, b.count)
        var ia = a.makeIterator(), ib = b.makeIterator()
        for _ in 0..<length {
            difference |= (ia.next() ?? 0) ^ (ib.next() ?? 0xFF)
        }
        return difference == 0
    }
}
