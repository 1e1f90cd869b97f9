import CPrefetch

/// A map from `StableHash` values to small values: open addressing with
/// linear probing, no rehashing and load ≤ 3/4 (see `IDSet`). Removal is by rebuilding
/// (`filter`), which retention does once per day.
///
/// Each key is stored next to its value (one array of slots, not two
/// parallel arrays): the maps are large (the dedup ids of a partition, the
/// visitors of 30 days) and probed at random, so a lookup is dominated by
/// cache misses, and an interleaved slot costs one miss where parallel key
/// and value arrays cost two.
struct IDMap<Value: BitwiseCopyable> {
    @usableFromInline
    struct Slot {
        var key: UInt64
        var value: Value
    }

    private(set) var slots: [Slot] = []
    private(set) var count = 0
    let empty: Value

    init(empty: Value) { self.empty = empty }

    /// The keys by slot (0 = empty slot), parallel to `values`: O(1) views
    /// of the slots (no copy), so `keys[i]` / `values[i]` stay cheap in loops.
    var keys: Keys { Keys(slots: slots) }
    /// The values by slot, parallel to `keys`.
    var values: Values { Values(slots: slots) }

    struct Keys: RandomAccessCollection {
        let slots: [Slot]
        var startIndex: Int { 0 }
        var endIndex: Int { slots.count }
        subscript(_ i: Int) -> UInt64 { slots[i].key }
    }

    struct Values: RandomAccessCollection {
        let slots: [Slot]
        var startIndex: Int { 0 }
        var endIndex: Int { slots.count }
        subscript(_ i: Int) -> Value { slots[i].value }
    }

    /// The slot holding key `k`, or the empty slot where it would go.
    /// Precondition: `slots` is not empty.
    @inline(__always)
    private static func probe(_ s: UnsafeBufferPointer<Slot>, _ k: UInt64) -> (index: Int, found: Bool) {
        let mask = s.count - 1
        var i = Int(truncatingIfNeeded: k) & mask
        while true {
            let v = s[i].key
            if v == k { return (i, true) }
            if v == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    /// Starts loading the slot where a lookup of `hash` begins, so that a
    /// lookup a little later finds it in the cache. Changes nothing.
    /// `mutating` only so that a call on a stored map works in place (a
    /// non-mutating call through an array element may copy the owner).
    @inline(__always)
    mutating func prefetch(_ hash: UInt64) {
        guard !slots.isEmpty else { return }
        slots.withUnsafeBufferPointer { s in
            kpi_prefetch_for_write(s.baseAddress! + (Int(truncatingIfNeeded: IDSet.key(hash)) & (s.count - 1)))
        }
    }

    subscript(_ hash: UInt64) -> Value? {
        guard !slots.isEmpty else { return nil }
        return slots.withUnsafeBufferPointer { s in
            let (i, found) = Self.probe(s, IDSet.key(hash))
            return found ? s[i].value : nil
        }
    }

    /// Sets the value; returns the previous one.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey hash: UInt64) -> Value? {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let k = IDSet.key(hash)
        let previous: Value? = slots.withUnsafeMutableBufferPointer { s in
            let (i, found) = Self.probe(UnsafeBufferPointer(s), k)
            let previous = found ? s[i].value : nil
            s[i] = Slot(key: k, value: value)
            return previous
        }
        if previous == nil { count += 1 }
        return previous
    }

    /// Raises the value to `value` when it is absent or smaller. One probe
    /// (this is the per-page-view path of the rolling distinct counts).
    mutating func raise(_ hash: UInt64, to value: Value) -> Bool where Value: Comparable {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let k = IDSet.key(hash)
        let (raised, inserted): (Bool, Bool) = slots.withUnsafeMutableBufferPointer { s in
            let (i, found) = Self.probe(UnsafeBufferPointer(s), k)
            if found {
                if s[i].value >= value { return (false, false) }
                s[i].value = value
                return (true, false)
            }
            s[i] = Slot(key: k, value: value)
            return (true, true)
        }
        if inserted { count += 1 }
        return raised
    }

    /// Doubles the table (see `IDSet.grow`: same layout as re-inserting in
    /// slot order; stored keys are already mapped).
    private mutating func grow() {
        let old = slots
        var fresh = [Slot](repeating: Slot(key: 0, value: empty), count: max(16, old.count * 2))
        fresh.withUnsafeMutableBufferPointer { s in
            old.withUnsafeBufferPointer { o in
                for e in o where e.key != 0 {
                    let (i, _) = Self.probe(UnsafeBufferPointer(s), e.key)
                    s[i] = e
                }
            }
        }
        slots = fresh
    }

    /// The entries whose value passes `keep`.
    func filter(_ keep: (Value) -> Bool) -> IDMap {
        var out = IDMap(empty: empty)
        for e in slots where e.key != 0 && keep(e.value) { out.updateValue(e.value, forKey: e.key) }
        return out
    }

    /// How many values pass `predicate`.
    func count(where predicate: (Value) -> Bool) -> Int {
        var n = 0
        for e in slots where e.key != 0 && predicate(e.value) { n += 1 }
        return n
    }
}
