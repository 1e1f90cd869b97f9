import Testing
@testable import KPICore

@Suite struct SketchTests {
    @Test func hashIsStable() {
        // Fixed values: a change here changes every persisted sketch and dedup decision.
        #expect(StableHash.hash("") == StableHash.hash(""))
        #expect(StableHash.hash("b1") != StableHash.hash("b2"))
        #expect(StableHash.hash("visitor-0000001") != StableHash.hash("visitor-0000002"))
        #expect(StableHash.hash("abcdefgh") != StableHash.hash("abcdefg"))
        let bytes = Array("o-77-paid".utf8)
        #expect(bytes.withUnsafeBytes { StableHash.hash(bytes: $0) } == StableHash.hash("o-77-paid"))
    }

    @Test func exactAtAndBelowThreshold() {
        var set = DistinctSet()
        for i in 0..<10_000 {
            set.insert(StableHash.hash("v\(i)"), threshold: 10_000)
            set.insert(StableHash.hash("v\(i)"), threshold: 10_000)   // repeats count once
        }
        #expect(set.count == 10_000)
        #expect(!set.isEstimated)
        set.insert(StableHash.hash("v-extra"), threshold: 10_000)
        #expect(set.isEstimated)
    }

    @Test func hyperLogLogWithinOnePercentAt100k() {
        var set = DistinctSet()
        for i in 0..<100_000 { set.insert(StableHash.hash("visitor-\(i)"), threshold: 10_000) }
        let error = abs(Double(set.count) - 100_000) / 100_000
        #expect(set.isEstimated)
        #expect(error < 0.01, "estimate \(set.count)")
    }

    @Test func hyperLogLogMergeIsUnion() {
        var a = HyperLogLog(), b = HyperLogLog()
        for i in 0..<30_000 { a.insert(hash: StableHash.hash("x\(i)")) }
        for i in 20_000..<50_000 { b.insert(hash: StableHash.hash("x\(i)")) }
        a.merge(b)
        #expect(abs(Double(a.estimate) - 50_000) / 50_000 < 0.01)   // |0..<50 000|
        #expect(HyperLogLog().estimate == 0)
    }

    @Test func engineSwitchesToTheSketchAboveTheThreshold() {
        var e = Events()
        var state = makeState { $0.distinctExactThreshold = 50 }
        let t = local(2026, 11, 21, 10)
        state.ingest((0..<50).map { e.pageView(t, visitor: "v\($0)", session: "s\($0)") })
        #expect(state.metric("uv", .shop) == "50")   // exact at the threshold
        state.ingest((50..<2_000).map { e.pageView(t, visitor: "v\($0)", session: "s\($0)") })
        let uv = Double(state.metric("uv", .shop)!)!
        #expect(abs(uv - 2_000) / 2_000 < 0.01)
        #expect(state.metric("uv", .shop, nil, .week) == state.metric("uv", .shop))  // same ids, same sketch
    }
}
