import Hummingbird
import NIOCore

/// The request context of the KPI server: Hummingbird's basic one plus the
/// client's address (failed logins are throttled and logged per client).
public struct KPIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address; nil when unknown (in-process test clients).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, "unknown" without one.
    var client: String { remoteAddress?.ipAddress ?? "unknown" }
}
