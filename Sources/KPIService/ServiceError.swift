/// The one error type of the service module: a code to switch on and a
/// message naming what failed and what to fix.
public struct ServiceError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case notCoPartitioned
        case interrupted
        case output
        case configuration
        case checkpoint
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
