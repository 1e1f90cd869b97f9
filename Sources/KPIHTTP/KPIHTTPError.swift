/// Every error the HTTP side throws: a code to branch on and a message for
/// people that says what is wrong and what to do. Never carries a token.
public struct KPIHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it.
    public enum Code: String, Sendable, Equatable {
        /// Bound to a non-loopback address without a bearer token configured.
        case tokenRequired = "token_required"
        /// A configured token too short to resist guessing.
        case tokenTooWeak = "token_too_weak"
        /// The listen host or port cannot be used.
        case invalidAddress = "invalid_address"
        /// A request's query parameter is unknown, repeated, empty or out of range.
        case badParameter = "bad_parameter"
    }

    public var code: Code
    public var message: String
    /// The query parameter at fault, for `.badParameter`.
    public var parameter: String?

    public init(_ code: Code, _ message: String, parameter: String? = nil) {
        self.code = code; self.message = message; self.parameter = parameter
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func badParameter(_ name: String, _ message: String) -> KPIHTTPError {
        KPIHTTPError(.badParameter, message, parameter: name)
    }
}
