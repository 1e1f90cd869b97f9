import KPICore

/// One change the store broadcasts to Server-Sent-Events subscribers: a new
/// snapshot revision or an alert state change, with its ready JSON.
public enum LiveUpdate: Sendable, Equatable {
    case snapshot(scope: Scope, window: WindowType, json: [UInt8])
    case alert(id: String, state: AlertState, json: [UInt8])

    /// The JSON object as published (snapshot: `SnapshotJSON` bytes; alert: as given).
    public var json: [UInt8] {
        switch self {
        case .snapshot(_, _, let json), .alert(_, _, let json): json
        }
    }
}

/// Whether the service can take traffic (`GET /readyz`), and if not, why.
public enum Readiness: Sendable, Equatable {
    case ready
    /// Ready, with nothing to consume and saying why (the group assigned
    /// this member no partitions: it has more members than partitions).
    case readyIdle(reason: String)
    case notReady(reason: String)
}
