/// The distinct ids (visitors or buyers) of one scope's rolling windows
/// (`rolling_24h`, `rolling_7d`, `rolling_30d`): how many were seen from a
/// window's first hour on. Exact while it holds at most `threshold` ids,
/// then a `SlidingHyperLogLog` (precision 16, standard error 0.41%), so a
/// big shop's 30 days of visitors cost a fixed 1 MiB + 8 KiB per scope and
/// kind instead of 16–21 bytes per visitor, and memory is bounded by
/// retention rather than by traffic (the calendar windows' `DistinctSet`
/// does the same for day, week and month).
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
    ///
    /// The sketch's `base` (it keeps no pair before it) is the oldest held
    /// hour, or 1,024 hours before the newest if that is earlier: the newest
    /// id is at most the allowed lateness L ahead of the watermark hour H
    /// (once its event has raised the watermark), so `base` ≤ H + L − 1,024,
    /// at or before the 30-day start H − 719 for any L up to 305 hours: late
    /// events in the 30 days are kept, and from the first `prune` on, `base`
    /// stays at or before the start it is given. The held hours normally span
    /// well under the sketch's 2,048 (the map is pruned to the 30 days each
    /// day); a wider span moves `base` up as `SlidingHyperLogLog.insert`
    /// describes, keeping the newest pairs.
    mutating func promote() {
        var held: [(hour: Int32, hash: UInt64)] = []
        held.reserveCapacity(exact.count)
        let keys = exact.keys, values = exact.values
        for i in keys.indices where keys[i] != 0 { held.append((values[i], keys[i])) }
        held.sort { ($0.hour, $0.hash) < ($1.hour, $1.hash) }
        let oldest = Int64(held.first?.hour ?? 0), newest = Int64(held.last?.hour ?? 0)
        var s = SlidingHyperLogLog(base: Int32(clamping: min(oldest, newest - 1024)))
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
            // Rebuilt only when some id is older than `from` (it runs every day).
            if exact.count(where: { $0 < from }) > 0 { exact = exact.filter { $0 >= from } }
            return
        }
        sketch!.prune(from: from)
        if sketch!.isEmpty { sketch = nil }
    }
}
