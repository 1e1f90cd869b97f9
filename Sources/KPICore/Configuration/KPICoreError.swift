/// The one error type of `KPICore`: what failed (`code`) and the failing input.
public enum KPICoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configured IANA time zone id is not known to the system's zone database.
    case unknownTimeZone(String)
    /// A configuration value is out of range.
    case invalidConfiguration(field: String, reason: String)
    /// Checkpoint bytes are truncated, fail their checksum or hold an impossible value.
    case corruptCheckpoint(reason: String)
    /// A checkpoint written in a format version this build does not read.
    case unsupportedCheckpointVersion(Int)
    /// A checkpoint written under a configuration that differs in a result-changing field.
    case checkpointConfigurationMismatch(field: String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .unknownTimeZone: "unknown_time_zone"
        case .invalidConfiguration: "invalid_configuration"
        case .corruptCheckpoint: "corrupt_checkpoint"
        case .unsupportedCheckpointVersion: "unsupported_checkpoint_version"
        case .checkpointConfigurationMismatch: "checkpoint_configuration_mismatch"
        }
    }

    public var description: String {
        switch self {
        case .unknownTimeZone(let id): "\(code): unknown time zone id \"\(id)\""
        case .invalidConfiguration(let field, let reason): "\(code): \(field) \(reason)"
        case .corruptCheckpoint(let reason): "\(code): \(reason)"
        case .unsupportedCheckpointVersion(let v): "\(code): format version \(v)"
        case .checkpointConfigurationMismatch(let field): "\(code): \(field) differs from the checkpoint's"
        }
    }
}
