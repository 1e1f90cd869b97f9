/// A set of `StableHash` values: open addressing with linear probing, no
/// rehashing (the keys are already uniformly mixed, so `Set<UInt64>`'s
/// SipHash pass would be wasted work on the hot path). Load ≤ 3/4: the
/// keys are well mixed, so probe runs stay short (a miss at full load scans
/// ≈ 8 slots on average, one or two cache lines), and the tables, probed at
/// random and mostly missing the cache, take a third less memory than at ≤ 1/2.
///
/// 0 marks an empty slot; the id hashing to 0 is stored as 1 (one of 2⁶⁴
/// values merged with another — no practical effect on counts).
struct IDSet: Sendable, Hashable {
    private(set) var slots: [UInt64] = []
    private(set) var count = 0

    init() {}

    @inline(__always)
    static func key(_ h: UInt64) -> UInt64 { h == 0 ? 1 : h }

    func contains(_ hash: UInt64) -> Bool {
        guard !slots.isEmpty else { return false }
        let k = Self.key(hash)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: k) & mask
        return slots.withUnsafeBufferPointer { s in
            while true {
                let v = s[i]
                if v == k { return true }
                if v == 0 { return false }
                i = (i + 1) & mask
            }
        }
    }

    /// Inserts; true when it was not there yet.
    @discardableResult
    mutating func insert(_ hash: UInt64) -> Bool {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let k = Self.key(hash)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: k) & mask
        let inserted: Bool = slots.withUnsafeMutableBufferPointer { s in
            while true {
                let v = s[i]
                if v == k { return false }
                if v == 0 { s[i] = k; return true }
                i = (i + 1) & mask
            }
        }
        if inserted { count += 1 }
        return inserted
    }

    /// Doubles the table. Stored keys are already mapped by `key`, and go in
    /// in slot order, so the new layout is what inserting them one by one
    /// would give, without a uniqueness check and load test per key (a fresh
    /// backfill's tables grow many times).
    private mutating func grow() {
        let old = slots
        var fresh = [UInt64](repeating: 0, count: max(16, old.count * 2))
        let mask = fresh.count - 1
        fresh.withUnsafeMutableBufferPointer { s in
            for v in old where v != 0 {
                var i = Int(truncatingIfNeeded: v) & mask
                while s[i] != 0 { i = (i + 1) & mask }
                s[i] = v
            }
        }
        slots = fresh
    }

    /// The stored hashes, in slot order.
    var elements: [UInt64] { slots.filter { $0 != 0 } }
}
