import Foundation
import KafkaClient
import Synchronization

/// Runs `body` on a thread of its own: a consumer must stay on one thread,
/// and blocking Kafka calls must not occupy Swift's small cooperative pool.
final class BackgroundThread<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<T, any Error>?>(nil)

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let r = Result { try body() }
            result.withLock { $0 = r }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the thread's result (fails the caller after `seconds`).
    func join(seconds: Double = 60) throws -> T {
        guard done.wait(timeout: .now() + seconds) == .success else {
            throw TestFailure("thread did not finish within \(seconds) s")
        }
        return try result.withLock { $0! }.get()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A flag one thread sets and another polls.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return condition()
}

/// Client properties that make the embedded broker's group protocol quick in tests.
func fastGroupProperties() -> [String: String] {
    ["heartbeat.interval.ms": "300", "session.timeout.ms": "6000", "topic.metadata.refresh.interval.ms": "1000"]
}

extension Array where Element == UInt8 {
    init(_ s: String) { self = Array(s.utf8) }
}
