import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on loopback for tests: answers each request with
/// the next status of its script (the last one repeats) and records bodies
/// and request targets (path and query). `replies`: the body of each answer
/// (a script like the statuses; none: empty).
final class ScriptedHTTPServer: Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let state: Mutex<(script: [Int], bodies: [String], targets: [String], replies: [String])>
    /// Seconds each answer takes (a slow receiver).
    private let delay: Double

    init(statuses: [Int], delay: Double = 0, replies: [String] = []) throws {
        state = Mutex((statuses, [], [], replies))
        self.delay = delay
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestFailure("could not listen on loopback") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        socketFD = fd
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var bodies: [String] { state.withLock { $0.bodies } }
    var requestCount: Int { bodies.count }
    /// The request line's target of each request: `/robot/send?access_token=…`.
    var targets: [String] { state.withLock { $0.targets } }

    /// Stops listening. Only the serving thread closes the socket, once its
    /// `accept` has failed: closing it here freed the descriptor number for
    /// another test's new socket while this thread could still call
    /// `accept` with it, and serve that test's requests from this script.
    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
    }

    private func serve() {
        defer { close(socketFD) }
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            // Read the head, then Content-Length bytes of body.
            while true {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
                if let head = String(data: Data(data), encoding: .utf8), let range = head.range(of: "\r\n\r\n") {
                    let headText = head[..<range.lowerBound].lowercased()
                    let length = headText.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if head.utf8.count - head.utf8.distance(from: head.utf8.startIndex, to: range.upperBound.samePosition(in: head.utf8)!) >= length { break }
                }
            }
            let text = String(decoding: data, as: UTF8.self)
            let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            let target = text.prefix { $0 != "\r" }.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let (status, replyBody) = state.withLock { s -> (Int, String) in
                s.bodies.append(body)
                s.targets.append(target)
                let reply = s.replies.isEmpty ? "" : (s.replies.count > 1 ? s.replies.removeFirst() : s.replies[0])
                return (s.script.count > 1 ? s.script.removeFirst() : s.script[0], reply)
            }
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            let reply = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(replyBody.utf8.count)\r\nConnection: close\r\n\r\n\(replyBody)"
            _ = reply.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }
}
