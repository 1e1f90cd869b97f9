/// SplitMix64: expands one 64-bit seed into well-mixed words, used only to
/// seed `SeededRandom` (the xoshiro authors' recommendation).
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the generator's only source of randomness.
///
/// Our own implementation, and our own range reductions rather than
/// `Int.random(in:using:)`: the standard library does not promise that its
/// sampling algorithms stay the same across releases, and `generate` promises
/// the same bytes for the same seed.
struct SeededRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var mix = SplitMix64(state: seed)
        s0 = mix.next(); s1 = mix.next(); s2 = mix.next(); s3 = mix.next()
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    /// Uniform in `0..<n` (`n > 0`), by the high half of a 128-bit product
    /// (Lemire). The bias, below n / 2^64, does not matter here.
    @inline(__always)
    mutating func below(_ n: Int64) -> Int64 {
        Int64(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `lo...hi`.
    @inline(__always)
    mutating func between(_ lo: Int64, _ hi: Int64) -> Int64 { lo + below(hi - lo + 1) }

    /// True with probability `perMille / 1000`.
    @inline(__always)
    mutating func chance(perMille: Int64) -> Bool { below(1000) < perMille }

    /// An index into `cumulative` (running sums of positive weights), chosen
    /// with probability proportional to each weight.
    mutating func pick(cumulative: [Int64]) -> Int {
        let r = below(cumulative[cumulative.count - 1])
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

/// Running sums of weights, the form `SeededRandom.pick` takes.
func runningSums(_ weights: [Int64]) -> [Int64] {
    var total: Int64 = 0
    return weights.map { total += $0; return total }
}
