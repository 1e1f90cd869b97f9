import Logging
import Synchronization

/// Browser sessions made by `POST /login`: a fresh random value per login,
/// valid for a fixed time, ended by `POST /logout`. At most `capacity`
/// are kept (the oldest is dropped first).
final class SessionBook: Sendable {
    private struct State {
        var expiry: [String: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration, capacity: Int = 1_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cookie's `Max-Age`: the lifetime in whole seconds, rounded up (a
    /// `Max-Age` of 0 would delete the cookie at once).
    var maxAgeSeconds: Int64 {
        let c = lifetime.components
        return max(1, c.seconds + (c.attoseconds > 0 ? 1 : 0))
    }

    /// A new session value (64 hex digits from the system's random source).
    func open(now: ContinuousClock.Instant = .now) -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        let bytes = (0..<32).flatMap { _ -> [UInt8] in
            let b = UInt8.random(in: .min ... .max, using: &rng)
            return [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
        }
        let value = String(decoding: bytes, as: UTF8.self)
        state.withLock { st in
            st.expiry = st.expiry.filter { $0.value > now }
            if st.expiry.count >= capacity, let oldest = st.expiry.min(by: { $0.value < $1.value })?.key {
                st.expiry[oldest] = nil
            }
            st.expiry[value] = now + lifetime
        }
        return value
    }

    /// Whether `value` is a session that has not expired or been closed.
    func isValid(_ value: Substring, now: ContinuousClock.Instant = .now) -> Bool {
        guard value.utf8.count == 64 else { return false }
        return state.withLock { st in
            guard let until = st.expiry[String(value)] else { return false }
            if until <= now { st.expiry[String(value)] = nil; return false }
            return true
        }
    }

    func close(_ value: Substring) {
        _ = state.withLock { $0.expiry.removeValue(forKey: String(value)) }
    }
}

/// Failed logins per client: after `limit` failures within `window`, the
/// client is refused (429) until the window has passed since the first of
/// them. Every failure is logged with the client's address.
final class LoginThrottle: Sendable {
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])
    let limit: Int
    let window: Duration

    init(limit: Int = 5, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// How long `client` must wait before trying again; nil: it may try now.
    func wait(_ client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { f in
            let recent = (f[client] ?? []).filter { now - $0 < window }
            f[client] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let first = recent.first else { return nil }
            return window - (now - first)
        }
    }

    /// Records a failure; returns the client's failures within the window.
    func failed(_ client: String, now: ContinuousClock.Instant = .now) -> Int {
        failures.withLock { f in
            var recent = (f[client] ?? []).filter { now - $0 < window }
            recent.append(now)
            // Bounded: a client's list never grows past the limit, nor the map past 10,000 clients.
            if recent.count > limit { recent.removeFirst(recent.count - limit) }
            if f.count >= 10_000, f[client] == nil { f.removeAll() }
            f[client] = recent
            return recent.count
        }
    }

    /// A successful login clears the client's failures.
    func succeeded(_ client: String) {
        _ = failures.withLock { $0.removeValue(forKey: client) }
    }
}

/// How many Server-Sent-Events streams are open, with a cap: a slot is
/// taken when a stream is answered and given back when its response is gone.
final class StreamGate: Sendable {
    private let open = Mutex(0)
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { open.withLock { $0 } }

    /// A slot, or nil when `capacity` streams are open.
    func enter() -> Slot? {
        let admitted = open.withLock { n -> Bool in
            guard n < capacity else { return false }
            n += 1
            return true
        }
        return admitted ? Slot(gate: self) : nil
    }

    fileprivate func leave() { open.withLock { $0 -= 1 } }

    /// One open stream; released when the last reference goes (the response
    /// body ended, or was never written because the client went away).
    final class Slot: Sendable {
        private let gate: StreamGate
        fileprivate init(gate: StreamGate) { self.gate = gate }
        deinit { gate.leave() }
    }
}
