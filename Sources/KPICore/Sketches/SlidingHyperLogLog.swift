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
/// Precision 15 (32,768 registers, standard error 1.04/√m ≈ 0.57%). Memory
/// is fixed at promotion and never grows: 8 entries of 4 bytes per register,
/// 1 MiB, plus a 4 KiB bitmap of the registers in use.
struct SlidingHyperLogLog: Sendable, Hashable {
    static let precision = 15
    static let registerCount = 1 << precision
    /// Ranks are capped at q + 1 = 31 so a rank fits an entry's 5 low bits:
    /// the sketch reads 15 + 30 bits of each hash, which estimates
    /// cardinalities far beyond any shop's (the cap is reached by one hash in
    /// 2³⁰, and Ertl's estimator corrects for it).
    static let q = 30
    /// Entries per register. The list of pairs no newer one outranks is short:
    /// ranks are geometric, so each rank level up to log₂(ids in the register)
    /// is on it with probability ½, about ½·log₂(n) + ⅔ entries: ~3 for 30
    /// ids per register (1 million ids in the window; measured 3.1, none
    /// above 7), ~5 for 300 (10 million). A register whose list
    /// would grow past 8 drops its oldest entry, which can only lower the
    /// longest windows' estimate a little, and rarely.
    static let depth = 8
    static let rankBits: UInt32 = 5
    static let rankMask: UInt32 = (1 << rankBits) - 1
    /// An entry is (hour + bias) << 5 | rank, so entries compare by hour. 27 bits
    /// of biased hour run from 3,800 years before 1970 to 11,400 after, every
    /// time an RFC 3339 timestamp (years 0000–9999) can write; hours beyond
    /// are clamped.
    static let hourBias: Int64 = 1 << 25
    static let hourLimit: Int64 = 1 << 27

    /// Register r's entries are `entries[r * 8 ..< r * 8 + 8]`, the used ones
    /// first, oldest first; 0 marks an unused slot (ranks are ≥ 1).
    var entries: [UInt32]
    /// Bit r set while register r holds an entry: the estimate, `prune` and the
    /// checkpoint visit only those (promoted at a small threshold, most
    /// registers are empty).
    var occupied: [UInt64]

    init() {
        entries = [UInt32](repeating: 0, count: Self.registerCount * Self.depth)
        occupied = [UInt64](repeating: 0, count: Self.registerCount / 64)
    }

    /// The hour part of an entry at `hour` (rank bits 0): entries at or
    /// after `hour` are the ones ≥ it.
    @inline(__always)
    static func hourKey(_ hour: Int32) -> UInt32 {
        let biased = min(max(Int64(hour) &+ hourBias, 0), hourLimit - 1)
        return UInt32(truncatingIfNeeded: biased) << rankBits
    }

    /// True when `hour` is stored exactly (not clamped).
    static func holdsExactly(_ hour: Int64) -> Bool { hour + hourBias >= 0 && hour + hourBias < hourLimit }

    static func hour(of entry: UInt32) -> Int32 { Int32(Int64(entry >> rankBits) - hourBias) }

    static func rank(of entry: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: entry & rankMask) }

    /// Notes `hash` seen at `hour`; true when the sketch changed.
    @discardableResult
    mutating func insert(hash: UInt64, hour: Int32) -> Bool {
        let (index, rank) = HyperLogLog.register(of: hash, precision: Self.precision, q: Self.q)
        let entry = Self.hourKey(hour) | UInt32(rank)
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
    static func insert(_ entry: UInt32, into s: UnsafeMutableBufferPointer<UInt32>) -> Bool {
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
    func forEachRegister(_ body: (_ index: Int, _ entries: UnsafeBufferPointer<UInt32>) throws -> Void) rethrows {
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

    /// The estimated number of distinct ids seen at hour `from` or later.
    func estimate(from: Int32) -> Int64 {
        let key = Self.hourKey(from)
        var histogram = [Int](repeating: 0, count: Self.q + 2)
        var inWindow = 0
        forEachRegister { _, list in
            // The oldest pair in the window has the highest rank in it.
            for e in list where e >= key {
                histogram[Int(e & Self.rankMask)] += 1
                inWindow += 1
                break
            }
        }
        histogram[0] = Self.registerCount - inWindow
        return HyperLogLog.estimate(histogram: histogram, registerCount: Self.registerCount)
    }

    /// Drops the pairs older than hour `from`.
    mutating func prune(from: Int32) {
        let key = Self.hourKey(from)
        var emptied: [Int] = []
        entries.withUnsafeMutableBufferPointer { e in
            for w in occupied.indices {
                var bits = occupied[w]
                while bits != 0 {
                    let r = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    let s = UnsafeMutableBufferPointer(rebasing: e[r * Self.depth ..< (r + 1) * Self.depth])
                    var old = 0
                    while old < Self.depth && s[old] != 0 && s[old] < key { old += 1 }
                    guard old > 0 else { continue }
                    for x in 0..<Self.depth { s[x] = x + old < Self.depth ? s[x + old] : 0 }
                    if s[0] == 0 { emptied.append(r) }
                }
            }
        }
        for r in emptied { occupied[r >> 6] &= ~(1 << UInt64(r & 63)) }
    }

    var isEmpty: Bool { !occupied.contains { $0 != 0 } }

    /// Heap bytes held: the same from promotion on, however many ids follow.
    var byteCount: Int { entries.capacity * MemoryLayout<UInt32>.stride + occupied.capacity * MemoryLayout<UInt64>.stride }

    /// Replaces register `index`'s list (the checkpoint reader; already validated).
    mutating func setRegister(_ index: Int, _ list: [UInt32]) {
        for x in 0..<Self.depth { entries[index * Self.depth + x] = x < list.count ? list[x] : 0 }
        if list.isEmpty {
            occupied[index >> 6] &= ~(1 << UInt64(index & 63))
        } else {
            occupied[index >> 6] |= 1 << UInt64(index & 63)
        }
    }
}
