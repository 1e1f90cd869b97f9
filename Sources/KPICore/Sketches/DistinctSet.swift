/// A distinct count of ids (by `StableHash`): exact while it holds at most
/// `threshold` ids, then a `HyperLogLog` (bounded memory, < 1% error).
///
/// The exact part stores 64-bit hashes, not the ids: a collision among 10,000
/// ids has probability ≈ 3·10⁻¹² — exact for every practical purpose.
public struct DistinctSet: Sendable, Hashable {
    var exact = IDSet()
    /// Empty while exact; the sketch once promoted.
    var sketch: HyperLogLog? = nil

    public init() {}

    public var isEstimated: Bool { sketch != nil }


    public mutating func insert(_ hash: UInt64, threshold: Int) {
        if sketch != nil {
            sketch!.insert(hash: hash)
            return
        }
        if exact.insert(hash) && exact.count > threshold { promote() }
    }


    /// Inserts unless the exact set already holds `hash`: false when it did
    /// (nothing changed), true otherwise (inserted, or added to the sketch).
    /// `containsExactly` then `insert` in one probe.
    @inline(__always)
    mutating func insertUnlessHeld(_ hash: UInt64, threshold: Int) -> Bool {
        if sketch != nil {
            sketch!.insert(hash: hash)
            return true
        }
        guard exact.insert(hash) else { return false }
        if exact.count > threshold { promote() }
        return true
    }

    mutating func promote() {
        var s = HyperLogLog()
        for h in exact.elements { s.insert(hash: h) }
        sketch = s
        exact = IDSet()
    }

    /// True when the set is exact and holds `hash` (false once estimated).
    func containsExactly(_ hash: UInt64) -> Bool { sketch == nil && exact.contains(hash) }

    /// Exact count at or below the threshold, else the sketch's estimate.
    public var count: Int64 {
        if let s = sketch { return s.estimate }
        return Int64(exact.count)
    }
}
