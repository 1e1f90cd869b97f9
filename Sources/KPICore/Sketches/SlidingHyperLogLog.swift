/// A HyperLogLog over hours ("Sliding HyperLogLog", Chabchoub & Hébrail
/// 2010): it estimates how many distinct ids were seen from any hour `from`
/// on, so one sketch serves the 24-hour, 7-day and 30-day windows alike, and
/// `prune` forgets what has left the longest one.
///
/// Where a plain HyperLogLog register keeps the highest rank, a register here
/// keeps the (hour, rank) pairs no newer pair outranks: sorted by hour
/// ascending, ranks strictly decreasing. The window from hour `from` takes,
/// per register, the rank of the oldest pair at or after `from` (the highest
/// rank among them), then `HyperLogLog`'s estimator.
///
/// Precision 16 (65,536 registers, standard error 1.04/√m ≈ 0.41%, as the
/// calendar windows' `HyperLogLog`). Memory is fixed at promotion and never
/// grows: 8 entries of 2 bytes per register, 1 MiB, plus an 8 KiB bitmap of
/// the registers in use.
///
/// Hours are stored relative to `base`: an entry holds 2,048 hours (≈ 85
/// days) from `base` on. The windows read hours from the 30-day start
/// (watermark hour H − 719) to a little past H (events up to the allowed
/// lateness ahead of the watermark), and `prune` keeps `base` at or before
/// the 30-day start it is given (unless a pair 2,047 hours past that start
/// prevents it) and less than 1,024 hours before it, so hours up to about
/// H + 280 always fit. Pairs older than `base` are not kept: no window reads
/// them (see `insert`).
struct SlidingHyperLogLog: Sendable, Hashable {
    static let precision = 16
    static let registerCount = 1 << precision
    /// Ranks are capped at q + 1 = 31 so a rank fits an entry's 5 low bits:
    /// the sketch reads 16 + 30 bits of each hash, which estimates
    /// cardinalities far beyond any shop's (the cap is reached by one hash in
    /// 2³⁰, and Ertl's estimator corrects for it).
    static let q = 30
    /// Entries per register. The list of pairs no newer one outranks is short:
    /// ranks are geometric, so each rank level up to log₂(ids in the register)
    /// is on it with probability ½, about ½·log₂(n) + ⅔ entries: ~3 for 15
    /// ids per register (1 million ids in the window), ~5 for 150 (10
    /// million). A register whose list would grow past 8 drops its oldest
    /// entry, which can only lower the longest windows' estimate a little,
    /// and rarely.
    static let depth = 8
    static let rankBits: UInt16 = 5
    static let rankMask: UInt16 = (1 << rankBits) - 1
    /// An entry is (hour − base) << 5 | rank, so entries compare by hour:
    /// 11 bits of hour offset, 0 ... 2,047.
    static let hourSpan: Int64 = 1 << (16 - Int64(rankBits))
    /// `prune` moves `base` up to the window start once it lags this far
    /// behind: then `base` is never more than 1,023 hours (+ the day between
    /// prunes) before the 30-day start, so hours up to 2,047 − 1,023 − 24 −
    /// 719 ≈ 280 past the watermark hour fit.
    static let rebaseLag: Int64 = 1024

    /// The hour an entry's offset counts from.
    private(set) var base: Int32
    /// Register r's entries are `entries[r * 8 ..< r * 8 + 8]`, the used ones
    /// first, oldest first; 0 marks an unused slot (ranks are ≥ 1).
    var entries: [UInt16]
    /// Bit r set while register r holds an entry: the estimate, `prune` and the
    /// checkpoint visit only those (promoted at a small threshold, most
    /// registers are empty).
    var occupied: [UInt64]

    init(base: Int32) {
        self.base = base
        entries = [UInt16](repeating: 0, count: Self.registerCount * Self.depth)
        occupied = [UInt64](repeating: 0, count: Self.registerCount / 64)
    }

    /// An entry at `offset` hours after `base` (0 ... 2,047) with `rank`.
    @inline(__always)
    static func entry(offset: Int, rank: UInt8) -> UInt16 { UInt16(truncatingIfNeeded: offset) << rankBits | UInt16(rank) }

    static func offset(of entry: UInt16) -> Int { Int(entry >> rankBits) }

    static func rank(of entry: UInt16) -> UInt8 { UInt8(truncatingIfNeeded: entry & rankMask) }

    func hour(of entry: UInt16) -> Int32 { base + Int32(Self.offset(of: entry)) }

    /// The smallest entry at or after hour `from`, as a UInt32 (2,048 << 5
    /// when `from` is past every storable hour; 0 when before `base`, so
    /// such a window reads every pair).
    @inline(__always)
    func key(from: Int32) -> UInt32 {
        let offset = min(max(Int64(from) - Int64(base), 0), Self.hourSpan)
        return UInt32(offset) << UInt32(Self.rankBits)
    }

    /// Notes `hash` seen at `hour`; true when the sketch changed.
    ///
    /// An hour before `base` is ignored: `base` is at or before the 30-day
    /// start of the last prune (or, before any prune, chosen at promotion to
    /// be), and windows only move forward, so no window reads that pair.
    ///
    /// An hour 2,048 or more after `base` moves `base` up to `hour` − 2,047
    /// (dropping the pairs before it) rather than clamping: a clamped pair
    /// would sit at an older hour than its own and leave the windows still to
    /// come while its id is in them. In the engine only an event far ahead of
    /// every earlier one gets here (the watermark trails the newest event by
    /// the allowed lateness L, and `prune` keeps 280 hours of room past it),
    /// and that event raises the watermark to ≥ `hour` − L, whose 30-day start
    /// is past the new `base` for any L below 1,328 hours: the dropped pairs
    /// are in no window from then on. Used without such a watermark, the
    /// windows starting before the new `base` lose their older pairs (they
    /// read low); the ones starting at it or later are unaffected.
    @discardableResult
    mutating func insert(hash: UInt64, hour: Int32) -> Bool {
        var offset = Int64(hour) - Int64(base)
        if offset < 0 { return false }
        if offset >= Self.hourSpan {
            rebase(to: Int32(Int64(hour) - (Self.hourSpan - 1)))
            offset = Self.hourSpan - 1
        }
        let (index, rank) = HyperLogLog.register(of: hash, precision: Self.precision, q: Self.q)
        let entry = Self.entry(offset: Int(offset), rank: rank)
        let changed = entries.withUnsafeMutableBufferPointer { all in
            Self.insert(entry, into: UnsafeMutableBufferPointer(rebasing: all[index * Self.depth ..< (index + 1) * Self.depth]))
        }
        if changed { occupied[index >> 6] |= 1 << UInt64(index & 63) }
        return changed
    }

    /// Inserts `entry` into one register's list unless a pair at the same
    /// hour or later has a rank at least as high; removes the pairs it
    /// outranks (older or same hour, rank not higher).
    @inline(__always)
    static func insert(_ entry: UInt16, into s: UnsafeMutableBufferPointer<UInt16>) -> Bool {
        let hourKey = entry & ~rankMask, rank = entry & rankMask
        // i: the first pair at or after the hour. Ranks fall with time, so it
        // has the highest rank of those pairs.
        var i = 0
        while i < depth && s[i] != 0 && s[i] < hourKey { i += 1 }
        if i < depth && s[i] != 0 && s[i] & rankMask >= rank { return false }
        // Outranked: the older pairs of rank ≤ `rank` (a suffix of s[..<i],
        // ranks falling) and a pair of the same hour (its rank is lower).
        var j = i
        while j > 0 && s[j - 1] & rankMask <= rank { j -= 1 }
        var k = i
        if k < depth && s[k] != 0 && s[k] & ~rankMask == hourKey { k += 1 }
        var n = k
        while n < depth && s[n] != 0 { n += 1 }
        // The list becomes s[..<j] + entry + s[k..<n].
        if j < k {
            s[j] = entry
            let gap = k - j - 1
            if gap > 0 {
                for x in k..<n { s[x - gap] = s[x] }
                for x in (n - gap)..<n { s[x] = 0 }
            }
        } else if n < depth {
            var x = n
            while x > j { s[x] = s[x - 1]; x -= 1 }
            s[j] = entry
        } else {
            // Full and nothing outranked: drop the oldest pair, which would
            // be `entry` itself when it is older than all of them.
            if j == 0 { return false }
            for x in 1..<j { s[x - 1] = s[x] }
            s[j - 1] = entry
        }
        return true
    }

    /// Visits each register in use with its entries (oldest first).
    func forEachRegister(_ body: (_ index: Int, _ entries: UnsafeBufferPointer<UInt16>) throws -> Void) rethrows {
        try entries.withUnsafeBufferPointer { e in
            for w in occupied.indices {
                var bits = occupied[w]
                while bits != 0 {
                    let r = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    var n = 0
                    while n < Self.depth && e[r * Self.depth + n] != 0 { n += 1 }
                    try body(r, UnsafeBufferPointer(rebasing: e[r * Self.depth ..< r * Self.depth + n]))
                }
            }
        }
    }

    /// Applies `body` to the used part of each register in use (`prune`,
    /// `rebase`); a register whose list `body` leaves empty is marked unused.
    private mutating func updateRegisters(_ body: (UnsafeMutableBufferPointer<UInt16>) -> Void) {
        var emptied: [Int] = []
        entries.withUnsafeMutableBufferPointer { e in
            for w in occupied.indices {
                var bits = occupied[w]
                while bits != 0 {
                    let r = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    let s = UnsafeMutableBufferPointer(rebasing: e[r * Self.depth ..< (r + 1) * Self.depth])
                    body(s)
                    if s[0] == 0 { emptied.append(r) }
                }
            }
        }
        for r in emptied { occupied[r >> 6] &= ~(1 << UInt64(r & 63)) }
    }

    /// The estimated number of distinct ids seen at hour `from` or later
    /// (from `base` on when `from` is earlier: every stored pair).
    func estimate(from: Int32) -> Int64 {
        let key = key(from: from)
        var histogram = [Int](repeating: 0, count: Self.q + 2)
        var inWindow = 0
        forEachRegister { _, list in
            // The oldest pair in the window has the highest rank in it.
            for e in list where UInt32(e) >= key {
                histogram[Int(e & Self.rankMask)] += 1
                inWindow += 1
                break
            }
        }
        histogram[0] = Self.registerCount - inWindow
        return HyperLogLog.estimate(histogram: histogram, registerCount: Self.registerCount)
    }

    /// Drops the pairs older than hour `from` (the 30-day start), then moves
    /// `base` to `from` when it lags 1,024 hours or more behind it (a pass
    /// over the registers in use, every 43 days). When `from` is before
    /// `base` (soon after promotion), `base` moves back to `from`, or as far
    /// as the newest pair allows, so late events from the 30 days on are
    /// kept. Neither move changes any window's estimate.
    mutating func prune(from: Int32) {
        let key = key(from: from)
        if key > 0 {
            updateRegisters { s in
                var old = 0
                while old < Self.depth && s[old] != 0 && UInt32(s[old]) < key { old += 1 }
                guard old > 0 else { return }
                for x in 0..<Self.depth { s[x] = x + old < Self.depth ? s[x + old] : 0 }
            }
        }
        let lag = Int64(from) - Int64(base)
        if lag >= Self.rebaseLag {
            rebase(to: from)
        } else if lag < 0 && !isEmpty {
            var newest = 0
            forEachRegister { _, list in newest = max(newest, Self.offset(of: list[list.count - 1])) }
            let lowest = Int64(base) + Int64(newest) - (Self.hourSpan - 1)
            let target = max(Int64(from), lowest)
            if target < Int64(base) { rebase(to: Int32(target)) }
        }
    }

    /// Moves `base` to `newBase`, shifting every entry's offset; pairs
    /// before `newBase` are dropped. The caller keeps the newest pair within
    /// 2,047 hours of `newBase`.
    mutating func rebase(to newBase: Int32) {
        let shift = Int64(base) - Int64(newBase)
        base = newBase
        guard shift != 0 else { return }
        updateRegisters { s in
            var kept = 0
            for x in 0..<Self.depth {
                let e = s[x]
                if e == 0 { break }
                s[x] = 0
                let offset = Int64(Self.offset(of: e)) + shift
                if offset < 0 { continue }
                precondition(offset < Self.hourSpan, "SlidingHyperLogLog.rebase: an entry beyond the hour span")
                s[kept] = Self.entry(offset: Int(offset), rank: Self.rank(of: e))
                kept += 1
            }
        }
    }

    var isEmpty: Bool { !occupied.contains { $0 != 0 } }

    /// Heap bytes held: the same from promotion on, however many ids follow.
    var byteCount: Int { entries.capacity * MemoryLayout<UInt16>.stride + occupied.capacity * MemoryLayout<UInt64>.stride }

    /// Replaces register `index`'s list (the checkpoint reader; already validated).
    mutating func setRegister(_ index: Int, _ list: [UInt16]) {
        for x in 0..<Self.depth { entries[index * Self.depth + x] = x < list.count ? list[x] : 0 }
        if list.isEmpty {
            occupied[index >> 6] &= ~(1 << UInt64(index & 63))
        } else {
            occupied[index >> 6] |= 1 << UInt64(index & 63)
        }
    }
}
