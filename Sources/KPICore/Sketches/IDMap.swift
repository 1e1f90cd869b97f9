/// A map from `StableHash` values to small values: open addressing with
/// linear probing and no rehashing (see `IDSet`). Removal is by rebuilding
/// (`filter`), which retention does once per day.
struct IDMap<Value: BitwiseCopyable> {
    private(set) var keys: [UInt64] = []
    private(set) var values: [Value] = []
    private(set) var count = 0
    let empty: Value

    init(empty: Value) { self.empty = empty }

    /// The slot holding `hash`, or the empty slot where it would go.
    @inline(__always)
    private func slot(_ k: UInt64) -> (index: Int, found: Bool) {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: k) & mask
        return keys.withUnsafeBufferPointer { s in
            while true {
                let v = s[i]
                if v == k { return (i, true) }
                if v == 0 { return (i, false) }
                i = (i + 1) & mask
            }
        }
    }

    subscript(_ hash: UInt64) -> Value? {
        guard !keys.isEmpty else { return nil }
        let (i, found) = slot(IDSet.key(hash))
        return found ? values[i] : nil
    }

    /// Sets the value; returns the previous one.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey hash: UInt64) -> Value? {
        if (count + 1) * 2 > keys.count { grow() }
        let k = IDSet.key(hash)
        let (i, found) = slot(k)
        let previous = found ? values[i] : nil
        if !found { keys[i] = k; count += 1 }
        values[i] = value
        return previous
    }

    /// Raises the value to `value` when it is absent or smaller.
    mutating func raise(_ hash: UInt64, to value: Value) -> Bool where Value: Comparable {
        if let old = self[hash], old >= value { return false }
        updateValue(value, forKey: hash)
        return true
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: max(16, oldKeys.count * 2))
        values = [Value](repeating: empty, count: keys.count)
        count = 0
        for i in oldKeys.indices where oldKeys[i] != 0 { updateValue(oldValues[i], forKey: oldKeys[i]) }
    }

    /// The entries whose value passes `keep`.
    func filter(_ keep: (Value) -> Bool) -> IDMap {
        var out = IDMap(empty: empty)
        for i in keys.indices where keys[i] != 0 && keep(values[i]) { out.updateValue(values[i], forKey: keys[i]) }
        return out
    }

    /// How many values pass `predicate`.
    func count(where predicate: (Value) -> Bool) -> Int {
        var n = 0
        for i in keys.indices where keys[i] != 0 && predicate(values[i]) { n += 1 }
        return n
    }
}
