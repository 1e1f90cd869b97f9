import KPICore

/// The Kafka topics the service reads and writes (events.md, interfaces.md),
/// configurable per deployment.
public struct TopicNames: Sendable, Equatable {
    public var orders = "shop.orders"
    public var chats = "shop.chats"
    public var traffic = "shop.traffic"
    public var snapshots = "kpi.snapshots"
    public var alerts = "kpi.alerts"
    public var deadLetter = "kpi.deadletter"
    public var state = "kpi.state"

    public init() {}

    /// The topic carrying one input kind.
    public func name(of input: InputTopic) -> String {
        switch input {
        case .orders: orders
        case .chats: chats
        case .traffic: traffic
        }
    }

    /// The input topic a name belongs to, if any.
    public func input(named name: String) -> InputTopic? {
        name == orders ? .orders : name == chats ? .chats : name == traffic ? .traffic : nil
    }

    public var inputs: [String] { InputTopic.allCases.map(name(of:)) }
}
