import Foundation
import Hummingbird
import HummingbirdTesting
import KPICore
import Logging
import Synchronization
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

/// Keeps what was logged, for tests that assert an operator is told something.
final class LogRecorder: Sendable {
    struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.lines.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }

    let lines = Mutex<[String]>([])

    var logger: Logger { Logger(label: "kpi-http-test") { _ in Handler(recorder: self) } }
    var text: [String] { lines.withLock { $0 } }
}

/// A plain TCP connection to a live test server, for what an HTTP client
/// library would not send: another `Host`, half a request head, hundreds of
/// streams at once. Blocking calls; run them with `RawHTTP.offPool`.
enum RawHTTP {
    /// Runs blocking socket work on a dispatch thread, not on the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            DispatchQueue.global().async { c.resume(returning: work()) }
        }
    }

    /// A connected socket to 127.0.0.1:`port`, or -1.
    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if !ok { close(fd); return -1 }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == bytes.count }
    }

    /// Reads until `done` holds for what arrived, the peer closes, or `deadline`.
    static func read(_ fd: Int32, until deadline: ContinuousClock.Instant,
                     done: (String) -> Bool = { _ in false }) -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if done(text) { return (text, false) }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return (text, false) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&p, 1, ms) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (text, true) }
            received += buffer[..<n]
        }
    }

    /// One request on a new connection; the whole answer (the server closes
    /// after it: `Connection: close`), or what arrived within `timeout`.
    static func request(port: Int, _ head: String, timeout: Duration = .seconds(60)) async -> String {
        await offPool {
            let fd = connect(port: port)
            guard fd >= 0 else { return "" }
            defer { close(fd) }
            guard send(fd, head) else { return "" }
            return read(fd, until: .now + timeout).text
        }
    }

    /// The status code of a raw answer, nil when none arrived.
    static func status(_ answer: String) -> Int? {
        guard answer.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(answer.dropFirst(9).prefix(3))
    }
}
