/// The distinct ids (visitors or buyers) of one scope's rolling windows
/// (`rolling_24h`, `rolling_7d`, `rolling_30d`): how many were seen from a
/// window's first hour on. Exact while it holds at most `threshold` ids,
/// then a `SlidingHyperLogLog` (standard error 0.57%), so a big shop's 30
/// days of visitors cost a fixed 1 MiB + 4 KiB per scope and kind instead
/// of 16–21 bytes per visitor, and memory is bounded by retention rather
/// than by traffic (the calendar windows' `DistinctSet` does the same for
/// day, week and month).
///
/// Exact: id hash → latest hour seen, one probe per note (the per-page-view
/// path). Once promoted it stays a sketch until `prune` empties it: then no
/// id is left in any window, and the (empty) exact map is exact again.
struct RollingDistinct {
    /// Id hash → latest hour seen; empty once promoted.
    var exact = IDMap<Int32>(empty: 0)
    /// nil while exact.
    var sketch: SlidingHyperLogLog? = nil

    var isEstimated: Bool { sketch != nil }

    /// Notes `hash` seen at `hour`; true when something changed (a new id or
    /// a later hour, or a sketch change).
    @inline(__always)
    mutating func insert(_ hash: UInt64, hour: Int32, threshold: Int) -> Bool {
        if sketch == nil {
            guard exact.raise(hash, to: hour) else { return false }
            if exact.count > threshold { promote() }
            return true
        }
        return sketch!.insert(hash: hash, hour: hour)
    }

    /// Every held (id, latest hour) into a new sketch, oldest hour first (the
    /// order the stream would have brought them in, and independent of the
    /// map's slot layout, so a restored state promotes to the same sketch).
    mutating func promote() {
        var held: [(hour: Int32, hash: UInt64)] = []
        held.reserveCapacity(exact.count)
        let keys = exact.keys, values = exact.values
        for i in keys.indices where keys[i] != 0 { held.append((values[i], keys[i])) }
        held.sort { ($0.hour, $0.hash) < ($1.hour, $1.hash) }
        var s = SlidingHyperLogLog()
        for e in held { s.insert(hash: e.hash, hour: e.hour) }
        sketch = s
        exact = IDMap(empty: 0)
    }

    /// The ids seen at hour `from` or later: exact, or the sketch's estimate.
    func count(from: Int32) -> Int64 {
        if let s = sketch { return s.estimate(from: from) }
        return Int64(exact.count { $0 >= from })
    }

    /// Forgets the ids (or sketch entries) last seen before hour `from`.
    mutating func prune(from: Int32) {
        guard sketch != nil else {
            exact = exact.filter { $0 >= from }
            return
        }
        sketch!.prune(from: from)
        if sketch!.isEmpty { sketch = nil }
    }
}
