/// Sorting of 64-bit id hashes for the checkpoint, in expected linear time:
/// the hashes are uniformly distributed, so a counting pass on their top bits
/// leaves buckets of about one element. A comparison sort of tuples with a
/// closure was most of `checkpoint()`'s time for a million dedup ids.
enum HashOrder {
    /// The positions of `keys` in increasing key order.
    static func permutation(_ keys: [UInt64]) -> [Int] {
        let n = keys.count
        if n < 64 { return keys.indices.sorted { keys[$0] < keys[$1] } }
        let bits = UInt64(Int.bitWidth - (n - 1).leadingZeroBitCount)  // 2^bits ≥ n buckets
        let shift = 64 - bits
        var starts = [Int](repeating: 0, count: (1 << Int(bits)) + 1)
        for k in keys { starts[Int(k >> shift) + 1] += 1 }
        for b in 1..<starts.count { starts[b] += starts[b - 1] }
        var order = [Int](repeating: 0, count: n)
        var next = starts
        for (i, k) in keys.enumerated() {
            let b = Int(k >> shift)
            order[next[b]] = i
            next[b] += 1
        }
        // Each bucket: insertion sort while small; a crafted pile-up falls back to a real sort.
        for b in 0..<(starts.count - 1) where starts[b + 1] - starts[b] > 1 {
            let range = starts[b]..<starts[b + 1]
            if range.count > 32 {
                order[range].sort { keys[$0] < keys[$1] }
                continue
            }
            for i in range.dropFirst() {
                let x = order[i]
                var j = i
                while j > range.lowerBound && keys[order[j - 1]] > keys[x] {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = x
            }
        }
        return order
    }

    static func sorted(_ keys: [UInt64]) -> [UInt64] {
        if keys.count < 64 { return keys.sorted() }
        return permutation(keys).map { keys[$0] }
    }
}
