/// The hour buckets of a scope's rolling windows: hour → `Counters`, kept as
/// two parallel arrays sorted by hour.
///
/// Why not `[Int32: Counters]`: every contribution to a scope adds to the
/// bucket of its hour, and a `Dictionary` lookup SipHashes the key each time
/// (~7% of ingest). Events arrive nearly in time order, so the bucket is
/// almost always the last one (an O(1) check); otherwise a binary search over
/// at most ~720 hours finds it. The dictionary-like surface (`keys`,
/// optional subscript, `for (h, b) in`, `filter`, `count`) keeps callers as
/// they were.
struct HourBuckets: Sequence {
    /// Sorted ascending, no duplicates.
    private(set) var hours: [Int32] = []
    /// Parallel to `hours`.
    private(set) var counters: [Counters] = []

    init() {}

    var count: Int { hours.count }
    var isEmpty: Bool { hours.isEmpty }
    /// The hours present, ascending.
    var keys: [Int32] { hours }

    /// Where hour `h` is, or where it would be inserted.
    @inline(__always)
    func slot(_ h: Int32) -> (index: Int, found: Bool) {
        let n = hours.count
        if n > 0 {
            let last = hours[n - 1]
            if last == h { return (n - 1, true) }
            if last < h { return (n, false) }
        }
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if hours[mid] < h { lo = mid + 1 } else { hi = mid }
        }
        return (lo, lo < n && hours[lo] == h)
    }

    subscript(_ h: Int32) -> Counters? {
        get {
            let (i, found) = slot(h)
            return found ? counters[i] : nil
        }
        set {
            let (i, found) = slot(h)
            switch (found, newValue) {
            case (true, let v?): counters[i] = v
            case (true, nil): hours.remove(at: i); counters.remove(at: i)
            case (false, let v?): hours.insert(h, at: i); counters.insert(v, at: i)
            case (false, nil): break
            }
        }
    }

    /// Adds `d` to the bucket of hour `h` (created when absent), in place.
    @inline(__always)
    mutating func add(_ d: CounterDelta, hour h: Int32) {
        let (i, found) = slot(h)
        if found {
            counters[i].add(d)
        } else {
            var c = Counters()
            c.add(d)
            hours.insert(h, at: i)
            counters.insert(c, at: i)
        }
    }

    /// Drops the buckets before hour `h`, in place.
    mutating func removeBefore(_ h: Int32) {
        let (i, _) = slot(h)
        guard i > 0 else { return }
        hours.removeFirst(i)
        counters.removeFirst(i)
    }

    /// The buckets that pass `keep`.
    func filter(_ keep: ((key: Int32, value: Counters)) -> Bool) -> HourBuckets {
        var out = HourBuckets()
        for i in hours.indices where keep((hours[i], counters[i])) {
            out.hours.append(hours[i])
            out.counters.append(counters[i])
        }
        return out
    }

    struct Iterator: IteratorProtocol {
        let buckets: HourBuckets
        var i = 0
        mutating func next() -> (key: Int32, value: Counters)? {
            guard i < buckets.hours.count else { return nil }
            defer { i += 1 }
            return (buckets.hours[i], buckets.counters[i])
        }
    }

    func makeIterator() -> Iterator { Iterator(buckets: self) }
}
