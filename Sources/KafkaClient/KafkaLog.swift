import CRdKafka
import Logging

/// librdkafka's own log lines, routed to swift-log instead of raw stderr.
let rdkafkaLogger = Logger(label: "kpi-ingest.librdkafka")

/// The C log callback (it cannot capture context, so it logs to a global logger).
let kafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { _, level, facility, buffer in
    let fac = facility.map { String(cString: $0) } ?? "-"
    let text = buffer.map { String(cString: $0) } ?? ""
    // syslog levels: 0..3 error, 4 warning, 5..6 notice/info, 7 debug.
    let swiftLevel: Logger.Level = level <= 3 ? .error : level == 4 ? .warning : level <= 6 ? .info : .debug
    rdkafkaLogger.log(level: swiftLevel, "\(fac): \(text)")
}
