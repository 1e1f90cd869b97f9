/// The one error type of `KPICore`: what failed (`code`) and the failing input.
public enum KPICoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configured IANA time zone id is not known to the system's zone database.
    case unknownTimeZone(String)
    /// A configuration value is out of range.
    case invalidConfiguration(field: String, reason: String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .unknownTimeZone: "unknown_time_zone"
        case .invalidConfiguration: "invalid_configuration"
        }
    }

    public var description: String {
        switch self {
        case .unknownTimeZone(let id): "\(code): unknown time zone id \"\(id)\""
        case .invalidConfiguration(let field, let reason): "\(code): \(field) \(reason)"
        }
    }
}
