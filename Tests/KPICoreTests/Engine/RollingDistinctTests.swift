import Testing
@testable import KPICore

/// The rolling windows' distinct counts: exact up to the threshold, then a
/// sliding HyperLogLog.
@Suite struct RollingDistinctTests {
    /// Watermark hour of the unit tests, and the first hours of its windows
    /// (`RollingAggregate.startHour`: H + 1 − 24, − 168, − 720).
    static let H: Int32 = 500_000
    static let from24 = H - 23, from7 = H - 167, from30 = H - 719
    static var froms: [Int32] { [from24, from7, from30] }

    static func id(_ name: String) -> UInt64 { StableHash.hash(name) }

    static func counts(_ d: RollingDistinct) -> [Int64] { froms.map { d.count(from: $0) } }

    /// Promoted with `n` ids named `prefix0...`, all at `hour`.
    static func promoted(_ n: Int, prefix: String = "p", hour: Int32 = H) -> RollingDistinct {
        var d = RollingDistinct()
        for i in 0..<n { _ = d.insert(id("\(prefix)\(i)"), hour: hour, threshold: 100) }
        return d
    }

    @Test func exactBelowTheThresholdInAllThreeWindows() {
        let H = Self.H
        var d = RollingDistinct()
        let seen: [(String, Int32)] = [
            ("a", H),            // the watermark hour: all three windows
            ("b", H - 23),       // first hour of rolling_24h: all three
            ("c", H - 24),       // just before it: 7 d and 30 d
            ("d", H - 167),      // first hour of rolling_7d: 7 d and 30 d
            ("e", H - 168),      // just before it: 30 d only
            ("f", H - 719),      // first hour of rolling_30d: 30 d only
            ("g", H - 720),      // before every window: none
            ("e", H - 500),      // e again, but earlier: its latest hour stays H − 168
            ("f", H - 2),        // f again, recently: now in all three
            ("h", H + 1),        // ahead of the watermark (within the lateness): all three
            ("a", H),            // a repeat changes nothing
        ]
        var changed: [Bool] = []
        for (name, hour) in seen { changed.append(d.insert(Self.id(name), hour: hour, threshold: 8)) }
        // New id or later hour: true; e earlier, a repeated: false.
        #expect(changed == [true, true, true, true, true, true, true, false, true, true, false])
        // 24 h: a, b, f, h = 4. 7 d: a, b, c, d, f, h = 6. 30 d: a, b, c, d, e, f, h = 7.
        #expect(Self.counts(d) == [4, 6, 7])
        // 8 ids held (g too, until pruned), at the threshold of 8: still exact.
        #expect(!d.isEstimated)
        #expect(d.exact.count == 8)
        d.prune(from: Self.from30)
        #expect(d.exact.count == 7)   // g is gone
        #expect(Self.counts(d) == [4, 6, 7])
    }

    /// The same ids through the engine: page views, watermark from the last one.
    @Test func engineRollingVisitorsExactBelowTheThreshold() {
        var e = Events()
        var state = makeState { $0.distinctExactThreshold = 7 }
        // Last event 2026-11-30 12:00 (+08:00), watermark 11:55 → hour bucket 11:00.
        // rolling_24h starts 11-29 12:00, rolling_7d 11-23 12:00, rolling_30d 10-31 12:00.
        state.ingest([
            e.pageView(local(2026, 10, 30, 10), visitor: "v1", session: "s1"),        // before 30 d
            e.pageView(local(2026, 10, 31, 12), visitor: "v2", session: "s2"),        // 30 d
            e.pageView(local(2026, 11, 10), visitor: "v3", session: "s3"),            // 30 d
            e.pageView(local(2026, 11, 23, 11, 59), visitor: "v4", session: "s4"),    // 30 d
            e.pageView(local(2026, 11, 23, 12), visitor: "v5", session: "s5"),        // 7 d, 30 d
            e.pageView(local(2026, 11, 25), visitor: "v3", session: "s6"),            // v3 now in 7 d
            e.pageView(local(2026, 11, 29, 11, 59), visitor: "v6", session: "s7"),    // 7 d, 30 d
            e.pageView(local(2026, 11, 29, 12), visitor: "v7", session: "s8"),        // all three
            e.pageView(local(2026, 11, 30, 12), visitor: "v1", session: "s9"),        // v1 again: all three
        ])
        // 24 h: v7, v1. 7 d: v3, v5, v6, v7, v1. 30 d: v2 ... v7, v1.
        #expect(state.metric("uv", .shop, nil, .rolling24h) == "2")
        #expect(state.metric("uv", .shop, nil, .rolling7d) == "5")
        #expect(state.metric("uv", .shop, nil, .rolling30d) == "7")
        let shop = state.scopes.first { $0.scope.type == .shop }!
        #expect(!shop.rolling.visitors.isEstimated)   // 7 ids, threshold 7
        state.ingest([e.pageView(local(2026, 11, 30, 12, 1), visitor: "v8", session: "s10")])
        #expect(state.scopes.first { $0.scope.type == .shop }!.rolling.visitors.isEstimated)
    }

    /// One register's list by hand: (hour, rank) pairs, oldest first, ranks falling.
    @Test func registerKeepsThePairsNoNewerOneOutranks() {
        typealias S = SlidingHyperLogLog
        // An entry is hour offset << 5 | rank in 16 bits: (10, 3) = 320 + 3;
        // the largest, (2,047, 31), is all ones.
        #expect(S.entry(offset: 10, rank: 3) == 323)
        #expect(S.entry(offset: 2_047, rank: 31) == 0xFFFF)
        #expect(S.offset(of: 323) == 10 && S.rank(of: 323) == 3)
        var slots = [UInt16](repeating: 0, count: S.depth)
        func insert(_ hour: Int, _ rank: UInt8) -> Bool {
            slots.withUnsafeMutableBufferPointer { S.insert(S.entry(offset: hour, rank: rank), into: $0) }
        }
        func list() -> [[Int]] { slots.prefix { $0 != 0 }.map { [S.offset(of: $0), Int(S.rank(of: $0))] } }
        #expect(insert(10, 3)); #expect(list() == [[10, 3]])
        #expect(insert(12, 1)); #expect(list() == [[10, 3], [12, 1]])
        #expect(insert(11, 2)); #expect(list() == [[10, 3], [11, 2], [12, 1]])
        #expect(!insert(9, 2))      // (10, 3) is newer and outranks it
        #expect(!insert(11, 1))     // (11, 2): same hour, higher rank
        // Outranks (11, 2) (older, same rank) and (12, 1) (same hour, lower).
        #expect(insert(12, 2)); #expect(list() == [[10, 3], [12, 2]])
        #expect(insert(13, 5)); #expect(list() == [[13, 5]])   // outranks all
        // A fresh register filled up: hours 20 ... 27 with ranks 9 ... 2, each newer and lower.
        slots = [UInt16](repeating: 0, count: S.depth)
        for k in 0..<8 { #expect(insert(20 + k, UInt8(9 - k))) }
        #expect(list().map { $0[0] } == Array(20...27))
        // A ninth pair: the oldest, (20, 9), is dropped.
        #expect(insert(28, 1))
        #expect(list() == (21...28).map { [$0, 29 - $0] })
        // Older than them all and outranking none: it would be the one dropped.
        #expect(!insert(5, 20))
        #expect(list().count == 8)
        // The last hour offset and the highest rank still order correctly.
        slots = [UInt16](repeating: 0, count: S.depth)
        #expect(insert(2_046, 31)); #expect(insert(2_047, 30)); #expect(insert(2_047, 31))
        #expect(list() == [[2_047, 31]])
    }

    /// A hash in register `index` (its top 16 bits) of rank `rank` (the
    /// first 1 bit of the next 30 is bit `rank`).
    static func hash(register index: UInt64, rank: Int) -> UInt64 { index << 48 | 1 << UInt64(48 - rank) }

    /// A sketch's lists by hand: register → [[hour, rank]], oldest first.
    static func lists(_ s: SlidingHyperLogLog) -> [Int: [[Int32]]] {
        var all: [Int: [[Int32]]] = [:]
        s.forEachRegister { r, list in all[r] = list.map { [s.hour(of: $0), Int32(SlidingHyperLogLog.rank(of: $0))] } }
        return all
    }

    @Test func hoursBeforeBaseAreIgnoredAndHoursPastTheSpanMoveIt() {
        var s = SlidingHyperLogLog(base: 1_000)
        #expect(HyperLogLog.register(of: Self.hash(register: 7, rank: 4), precision: 16, q: 30) == (7, 4))
        // Before base: no window reads it.
        do { let changed = s.insert(hash: Self.hash(register: 1, rank: 5), hour: 999); #expect(!changed) }
        #expect(s.isEmpty && s.estimate(from: 0) == 0)
        do { let changed = s.insert(hash: Self.hash(register: 1, rank: 5), hour: 1_000); #expect(changed) }   // offset 0
        do { let changed = s.insert(hash: Self.hash(register: 2, rank: 3), hour: 1_100); #expect(changed) }   // offset 100
        do { let changed = s.insert(hash: Self.hash(register: 2, rank: 1), hour: 3_047); #expect(changed) }   // offset 2,047, the last
        #expect(s.entries[1 * 8] == 0 << 5 | 5 && s.entries[2 * 8] == 100 << 5 | 3 && s.entries[2 * 8 + 1] == 2_047 << 5 | 1)
        // Hour 3,100 is offset 2,100: base moves to 3,100 − 2,047 = 1,053; (1,000, 5)
        // is dropped, (1,100, 3) becomes offset 47, (3,047, 1) offset 1,994.
        do { let changed = s.insert(hash: Self.hash(register: 3, rank: 2), hour: 3_100); #expect(changed) }
        #expect(s.base == 1_053)
        #expect(Self.lists(s) == [2: [[1_100, 3], [3_047, 1]], 3: [[3_100, 2]]])
        #expect(s.entries[1 * 8] == 0)
        #expect(s.entries[2 * 8] == 47 << 5 | 3 && s.entries[2 * 8 + 1] == 1_994 << 5 | 1 && s.entries[3 * 8] == 2_047 << 5 | 2)
        // Two registers hold pairs from 1,100 on, one from 3,048 on; none after 3,100.
        // (A window from before base reads every pair, as one from base.)
        #expect([0, 1_053, 1_100, 3_048, 3_100, 3_101, 9_999].map { s.estimate(from: $0) } == [2, 2, 2, 1, 1, 0, 0])
    }

    @Test func pruneMovesBaseWithoutChangingAnyWindow() {
        var s = SlidingHyperLogLog(base: 1_000)
        s.insert(hash: Self.hash(register: 5, rank: 4), hour: 1_000)
        s.insert(hash: Self.hash(register: 5, rank: 2), hour: 2_100)
        s.insert(hash: Self.hash(register: 7, rank: 3), hour: 2_030)
        #expect(Self.lists(s) == [5: [[1_000, 4], [2_100, 2]], 7: [[2_030, 3]]])
        // Lagging 1,023 hours: base stays, (1,000, 4) is dropped.
        var t = s
        t.prune(from: 2_023)
        #expect(t.base == 1_000 && Self.lists(t) == [5: [[2_100, 2]], 7: [[2_030, 3]]])
        // Lagging 1,024: base moves to 2,024; offsets 2,100 − 2,024 = 76 and 6.
        s.prune(from: 2_024)
        #expect(s.base == 2_024 && Self.lists(s) == [5: [[2_100, 2]], 7: [[2_030, 3]]])
        #expect(s.entries[5 * 8] == 76 << 5 | 2 && s.entries[5 * 8 + 1] == 0 && s.entries[7 * 8] == 6 << 5 | 3)
        #expect([2_024, 2_031, 2_100, 2_101].map { s.estimate(from: $0) } == [2, 1, 1, 0])
        #expect([2_024, 2_031, 2_100, 2_101].map { t.estimate(from: $0) } == [2, 1, 1, 0])
        // A window start before base (soon after promotion) moves base back to it,
        // so late pairs from it on are kept...
        var u = SlidingHyperLogLog(base: 1_000)
        u.insert(hash: Self.hash(register: 1, rank: 3), hour: 1_500)
        u.prune(from: 900)
        #expect(u.base == 900 && u.entries[1 * 8] == 600 << 5 | 3)
        do { let changed = u.insert(hash: Self.hash(register: 2, rank: 1), hour: 950); #expect(changed) }
        // ... or as far back as the newest pair allows: 3,000 − 2,047 = 953.
        var v = SlidingHyperLogLog(base: 1_000)
        v.insert(hash: Self.hash(register: 1, rank: 3), hour: 3_000)
        v.prune(from: 900)
        #expect(v.base == 953 && v.entries[1 * 8] == 2_047 << 5 | 3)
    }

    /// 100,000 ids over 1,101 hours, H − 1,099 ... H + 1. Promoted at the
    /// 101st, when the ids span H − 1,099 ... H − 999: base = min(oldest,
    /// newest − 1,024) = H − 2,023. The prune at H − 76 lags it by 1,947
    /// hours, so it moves base there: every window starting from the pruned
    /// hour on reads the same pairs, the same estimate.
    @Test func rebasingKeepsEveryWindowsEstimate() throws {
        let H = Self.H
        var d = RollingDistinct()
        for i in 0..<100_000 { _ = d.insert(Self.id("r\(i)"), hour: H - 1_099 + Int32(i % 1_101), threshold: 100) }
        #expect(d.sketch!.base == H - 2_023)
        let froms = Array(stride(from: H - 76, through: H + 1, by: 3))
        let before = froms.map { d.count(from: $0) }
        #expect(before[0] > 6_000 && before.last! > 0)
        d.prune(from: H - 76)
        #expect(d.sketch!.base == H - 76)
        #expect(froms.map { d.count(from: $0) } == before)
        // Checkpointed after the rebase: the same sketch, counts and bytes.
        let (restored, sameBytes) = try Self.roundTrip(d, threshold: 100)
        #expect(sameBytes && restored.sketch == d.sketch && restored.sketch!.base == H - 76)
        #expect(froms.map { restored.count(from: $0) } == before)
        // Inserts older than base are ignored, restored or not.
        var r = restored
        do { let changed = r.insert(Self.id("late"), hour: H - 77, threshold: 100); #expect(!changed) }
        #expect(r.sketch == d.sketch)
    }

    /// 200,000 ids over 30 days (a third seen twice), plus ids from before
    /// the 30 days: each window's estimate within 1% of a `Set` count.
    @Test func promotedEstimatesWithinOnePercentInAllThreeWindows() {
        let H = Self.H
        var rng = SplitMix(seed: 2024)
        var d = RollingDistinct()
        var seen = [Set<Int>](repeating: [], count: 3)
        func note(_ i: Int, _ hour: Int32) {
            _ = d.insert(Self.id("visitor-\(i)"), hour: hour, threshold: 10_000)
            for (w, from) in Self.froms.enumerated() where hour >= from { seen[w].insert(i) }
        }
        for i in 0..<200_000 {
            note(i, H - Int32(rng.next() % 720))
            if i % 3 == 0 { note(i, H - Int32(rng.next() % 720)) }   // again, earlier or later
        }
        for i in 200_000..<220_000 { note(i, H - 720 - Int32(rng.next() % 300)) }   // before the 30 days
        #expect(d.isEstimated)
        // The test data is what it claims: every id of 0 ..< 200,000 in 30 d; 24 h ≈ 200,000 × (⅔ × 1/30 + ⅓ × (1 − (29/30)²)) ≈ 8,800.
        #expect(seen[2].count == 200_000 && seen[0].count > 8_000)
        for w in 0..<3 {
            let estimate = Double(d.count(from: Self.froms[w])), truth = Double(seen[w].count)
            #expect(abs(estimate - truth) / truth < 0.01, "window \(w): estimate \(estimate), true \(truth)")
        }
    }

    @Test func promotedWindowEdges() {
        let H = Self.H
        // 5,000 ids seen only in the hour before rolling_24h starts.
        var d = Self.promoted(5_000, prefix: "early", hour: H - 24)
        #expect(d.isEstimated)
        // No register has a pair from the 24 h start on: an estimate of exactly 0.
        #expect(d.count(from: Self.from24) == 0)
        #expect(abs(Double(d.count(from: Self.from7)) - 5_000) / 5_000 < 0.01)
        // The same ids again at the watermark hour: same hashes, same ranks,
        // so each register's recent pair outranks its early one and every
        // window reads the same registers: the same estimate, ~5,000 (not 10,000).
        for i in 0..<5_000 { _ = d.insert(Self.id("early\(i)"), hour: H, threshold: 100) }
        let c = Self.counts(d)
        #expect(c[0] == c[1] && c[1] == c[2])
        #expect(abs(Double(c[0]) - 5_000) / 5_000 < 0.01, "\(c)")
    }

    @Test func promotedMemoryDoesNotGrowWithIds() {
        var d = Self.promoted(101)
        let bytes = d.sketch!.byteCount
        #expect(d.exact.slots.isEmpty)   // the exact map is released
        // 65,536 registers × 8 entries × 2 bytes, plus the 8 KiB bitmap; the
        // capacity may include the allocator's rounding of the 1 MiB block to
        // whole pages when it is mapped on its own (4,048 bytes more, measured).
        #expect(bytes >= 65_536 * 8 * 2 + 8_192 && bytes < 65_536 * 8 * 2 + 8_192 + 8_192, "\(bytes)")
        for i in 0..<300_000 { _ = d.insert(Self.id("more\(i)"), hour: Self.H - Int32(i % 720), threshold: 100) }
        #expect(d.sketch!.byteCount == bytes)
        #expect(d.exact.slots.isEmpty)
    }

    @Test func pruneDropsExpiredEntries() {
        let H = Self.H
        var d = RollingDistinct()
        // 3,000 ids from 800 hours back to the watermark hour.
        for i in 0..<3_000 { _ = d.insert(Self.id("x\(i)"), hour: H - Int32(i % 800), threshold: 100) }
        let before = Self.counts(d)
        d.prune(from: Self.from30)
        var oldest = Int32.max
        d.sketch!.forEachRegister { _, list in oldest = min(oldest, d.sketch!.hour(of: list[0])) }
        #expect(oldest >= Self.from30)
        // Nothing before the 30 days is left, so a window from any earlier hour reads the same as 30 d.
        #expect(d.count(from: H - 5_000) == d.count(from: Self.from30))
        // The windows themselves are unchanged: prune only drops what they do not read.
        #expect(Self.counts(d) == before)
        // Pruned past every entry: no id is left, and the empty set is exact again.
        d.prune(from: H + 1)
        #expect(!d.isEstimated)
        #expect(Self.counts(d) == [0, 0, 0])
        // Exact below the threshold again until it is crossed again.
        _ = d.insert(Self.id("new"), hour: H + 1, threshold: 100)
        #expect(!d.isEstimated && d.count(from: H) == 1)
    }

    static func roundTrip(_ d: RollingDistinct, threshold: Int) throws -> (RollingDistinct, Bool) {
        var w = CheckpointWriter()
        w.rollingDistinct(d)
        var r = CheckpointReader(w.bytes, limit: w.bytes.count)
        let restored = try r.rollingDistinct(threshold: threshold)
        #expect(r.isAtEnd)
        var again = CheckpointWriter()
        again.rollingDistinct(restored)
        return (restored, again.bytes == w.bytes)
    }

    @Test func checkpointRoundTripBothRegimes() throws {
        let H = Self.H
        var exact = RollingDistinct()
        for (i, h) in [H, H - 30, H - 200, H - 719, H - 900].enumerated() { _ = exact.insert(Self.id("e\(i)"), hour: h, threshold: 5) }
        let (e2, sameExact) = try Self.roundTrip(exact, threshold: 5)
        #expect(!e2.isEstimated && sameExact)
        #expect(Self.counts(e2) == Self.counts(exact))
        #expect(Self.counts(e2) == [1, 2, 4])
        // 5 ids cannot be exact under a threshold of 4: it would have been promoted.
        #expect(throws: KPICoreError.self) { _ = try Self.roundTrip(exact, threshold: 4) }

        var sketch = RollingDistinct()
        for i in 0..<50_000 { _ = sketch.insert(Self.id("s\(i)"), hour: H - Int32(i % 900), threshold: 100) }
        let (s2, sameSketch) = try Self.roundTrip(sketch, threshold: 100)
        #expect(s2.isEstimated && sameSketch)
        #expect(s2.sketch == sketch.sketch)
        #expect(Self.counts(s2) == Self.counts(sketch))
    }

    @Test func corruptSketchesThrow() {
        typealias S = SlidingHyperLogLog
        func read(_ write: (inout CheckpointWriter) -> Void) -> Bool {
            var w = CheckpointWriter()
            w.byte(1)
            write(&w)
            var r = CheckpointReader(w.bytes, limit: w.bytes.count)
            return (try? r.rollingDistinct(threshold: 10)) != nil
        }
        // Base hour 100; one register, index 3, two pairs (offset 0, rank 4), (offset 1, rank 2).
        #expect(read { w in w.hour(100); w.count(1); w.count(3); w.count(2); w.count(0); w.byte(4); w.count(1); w.byte(2) })
        // The last offset, 2,047, and the highest rank, 31.
        #expect(read { w in w.hour(100); w.count(1); w.count(0); w.count(1); w.count(2_047); w.byte(31) })
        #expect(!read { w in w.hour(100); w.count(0) })                                                             // empty sketch
        #expect(!read { w in w.hour(100); w.count(1); w.count(S.registerCount); w.count(1); w.count(1); w.byte(1) })  // index
        #expect(!read { w in                                                                                       // length 9
            w.hour(100); w.count(1); w.count(0); w.count(9); w.count(1); w.byte(20)
            for _ in 0..<8 { w.count(1); w.byte(1) }
        })
        #expect(!read { w in w.hour(100); w.count(1); w.count(0); w.count(2); w.count(1); w.byte(2); w.count(1); w.byte(2) })  // rank not falling
        #expect(!read { w in w.hour(100); w.count(1); w.count(0); w.count(2); w.count(1); w.byte(2); w.count(0); w.byte(1) })  // hour not rising
        #expect(!read { w in w.hour(100); w.count(1); w.count(0); w.count(1); w.count(1); w.byte(32) })             // rank above q + 1
        #expect(!read { w in w.hour(100); w.count(1); w.count(0); w.count(1); w.count(1); w.byte(0) })              // rank 0
        #expect(!read { w in w.hour(100); w.count(1); w.count(0); w.count(1); w.count(2_048); w.byte(1) })          // offset past the span
        #expect(!read { w in w.hour(100); w.count(1); w.count(0); w.count(2); w.count(2_000); w.byte(2); w.count(48); w.byte(1) })  // so is 2,048 by a gap
        #expect(!read { w in w.hour(400_000_000); w.count(1); w.count(0); w.count(1); w.count(1); w.byte(1) })    // base beyond the checkpoint hours (±2⁵⁰ ms)
    }
}
