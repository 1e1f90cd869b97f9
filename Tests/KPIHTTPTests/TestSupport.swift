import Hummingbird
import HummingbirdTesting
import KPICore
import Logging
@testable import KPIHTTP

/// What a route answered, decoded for assertions.
struct Answer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String
}

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Answer {
        try await send(uri, method: .get, headers: headers)
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: String? = nil) async throws -> Answer {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
            Answer(status: r.status, headers: r.headers, body: String(decoding: r.body.readableBytesView, as: UTF8.self))
        }
    }
}

enum TestServer {
    static var quietLogger: Logger {
        var logger = Logger(label: "kpi-http-test")
        logger.logLevel = .warning
        return logger
    }

    static func make(store: LiveKPIStore = Fixtures.store(), metrics: ServiceMetrics = ServiceMetrics(),
                     settings: HTTPServerSettings = HTTPServerSettings(port: 0)) throws -> KPIHTTPServer {
        try KPIHTTPServer(settings: settings, store: store, metrics: metrics, logger: quietLogger)
    }
}

/// A small reader of the Prometheus text format (0.0.4), strict enough to
/// catch malformed output: every line is a `# HELP`/`# TYPE` comment or a
/// sample `name{label="value",...} number`.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var types: [String: String] = [:]
    var samples: [Sample] = []

    enum ParseError: Error { case badLine(String) }

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[3])) else {
                    throw ParseError.badLine(String(line))
                }
                types[String(parts[2])] = String(parts[3])
            } else if line.hasPrefix("# HELP ") {
                continue
            } else if line.hasPrefix("#") {
                throw ParseError.badLine(String(line))
            } else {
                guard let m = line.wholeMatch(of: /([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+0-9.eE]+|NaN|[+-]Inf)/) else {
                    throw ParseError.badLine(String(line))
                }
                var labels: [String: String] = [:]
                if let block = m.2 {
                    for l in block.dropFirst().dropLast().split(separator: ",") {
                        guard let lm = l.wholeMatch(of: /([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/) else { throw ParseError.badLine(String(line)) }
                        labels[String(lm.1)] = String(lm.2)
                    }
                }
                guard let value = Double(m.3) else { throw ParseError.badLine(String(line)) }
                samples.append(Sample(name: String(m.1), labels: labels, value: value))
            }
        }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
