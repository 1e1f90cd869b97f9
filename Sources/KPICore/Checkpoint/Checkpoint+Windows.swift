/// Checkpoint encoding of the per-scope aggregates: counters, distinct sets,
/// emission records, calendar windows and rolling windows.

extension CheckpointWriter {
    /// A presence mask of the non-zero counters, then their values: most
    /// windows use a handful of the 32 counters.
    mutating func counters(_ c: Counters) {
        var mask: UInt64 = 0
        for i in 0..<32 where c.values[i] != 0 { mask |= 1 << UInt64(i) }
        varint(mask)
        for i in 0..<32 where c.values[i] != 0 { signed(c.values[i]) }
    }

    mutating func distinctSet(_ d: DistinctSet) {
        if let sketch = d.sketch {
            byte(1)
            hyperLogLog(sketch)
        } else {
            byte(0)
            sortedHashes(HashOrder.sorted(d.exact.elements))
        }
    }

    /// Sparse (index delta, rank) pairs while most registers are empty, else
    /// all 65,536 registers.
    mutating func hyperLogLog(_ h: HyperLogLog) {
        let nonZero = h.registers.count { $0 != 0 }
        if nonZero * 3 < HyperLogLog.registerCount {
            byte(0)
            count(nonZero)
            var previous = 0
            for (i, r) in h.registers.enumerated() where r != 0 {
                count(i - previous)
                byte(r)
                previous = i
            }
        } else {
            byte(1)
            raw(h.registers)
        }
    }

    /// Exact: id hash → latest hour. Estimated: the sliding sketch.
    mutating func rollingDistinct(_ d: RollingDistinct) {
        if let sketch = d.sketch {
            byte(1)
            slidingHyperLogLog(sketch)
        } else {
            byte(0)
            hashKeyed(d.exact) { $0.hour($1) }
        }
    }

    /// `base`, then the registers in use: index gaps, then each one's list
    /// (length, first hour offset from `base`, offset gaps, ranks). Nothing
    /// for the empty registers.
    mutating func slidingHyperLogLog(_ s: SlidingHyperLogLog) {
        typealias S = SlidingHyperLogLog
        hour(s.base)
        var registers = 0
        s.forEachRegister { _, _ in registers += 1 }
        count(registers)
        var previous = 0
        s.forEachRegister { index, list in
            count(index - previous)
            previous = index
            count(list.count)
            var offset = 0
            for (i, e) in list.enumerated() {
                let o = S.offset(of: e)
                count(i == 0 ? o : o - offset)
                offset = o
                byte(S.rank(of: e))
            }
        }
    }

    mutating func metricValue(_ v: MetricValue) {
        func fraction(_ f: Fraction?, _ tag: UInt8) {
            if let f { byte(tag + 1); signed(f.numerator); signed(f.denominator) } else { byte(tag) }
        }
        switch v {
        case .count(let n): byte(0); signed(n)
        case .money(let m): byte(1); signed(m.minorUnits)
        case .number(let f): fraction(f, 2)
        case .moneyRatio(let f): fraction(f, 4)
        }
    }

    mutating func emission(_ e: EmissionRecord) {
        count(e.revision)
        byte((e.closed ? 1 : 0) | (e.final ? 2 : 0) | (e.complete ? 4 : 0))
        count(e.metrics.count)
        for v in e.metrics { metricValue(v) }
    }

    /// Hash-keyed entries sorted by key: the keys as `sortedHashes`, then the values in key order.
    mutating func hashKeyed<V>(keys: [UInt64], values: [V], _ value: (inout CheckpointWriter, V) -> Void) {
        let order = HashOrder.permutation(keys)
        sortedHashes(order.map { keys[$0] })
        for i in order { value(&self, values[i]) }
    }

    mutating func hashKeyed<V>(_ map: [UInt64: V], _ value: (inout CheckpointWriter, V) -> Void) {
        hashKeyed(keys: Array(map.keys), values: Array(map.values), value)
    }

    mutating func hashKeyed<V>(_ map: IDMap<V>, _ value: (inout CheckpointWriter, V) -> Void) {
        var keys: [UInt64] = [], values: [V] = []
        keys.reserveCapacity(map.count); values.reserveCapacity(map.count)
        for i in map.keys.indices where map.keys[i] != 0 { keys.append(map.keys[i]); values.append(map.values[i]) }
        hashKeyed(keys: keys, values: values, value)
    }

    mutating func window(_ w: WindowAggregate) {
        byte(w.type.rawValue)
        day(w.startDay)
        time(w.start)
        signed(w.end &- w.start)
        counters(w.counters)
        distinctSet(w.visitors)
        distinctSet(w.buyers)
        hashKeyed(w.inquirers) { $0.time($1.time) }
        hashKeyed(w.attributedPayers) { $0.count(Int($1)) }
        bool(w.dirty)
        emission(w.emitted)
    }

    /// `sums` are not written: they are the sums of the buckets from each
    /// window's start hour on, rebuilt on restore.
    mutating func rolling(_ r: RollingAggregate) {
        bool(r.hour != nil)
        if let h = r.hour { hour(h) }
        let hours = r.buckets.keys.sorted()
        count(hours.count)
        var previous: Int64 = 0
        for (i, h) in hours.enumerated() {
            // First hour relative to the base, then gaps.
            if i == 0 { hour(h) } else { count(Int(Int64(h) - previous)) }
            previous = Int64(h)
            counters(r.buckets[h]!)
        }
        rollingDistinct(r.visitors)
        rollingDistinct(r.buyers)
        hashKeyed(r.inquiries) { w, times in
            w.count(times.count)
            for t in times { w.time(t) }
        }
        hashKeyed(r.attributedPayerHours) { w, hours in
            w.count(hours.count)
            for h in hours { w.hour(h) }
        }
        bool(r.dirty)
        for e in r.emitted { emission(e) }
    }
}

extension CheckpointReader {
    mutating func counters() throws(KPICoreError) -> Counters {
        let mask = try varint()
        guard mask >> 32 == 0 else { throw Self.corrupt("counter mask \(mask)") }
        var c = Counters()
        let bound = CheckpointFormat.counterBound
        for i in 0..<32 where mask & (1 << UInt64(i)) != 0 {
            c.values[i] = try signed(in: -bound...bound, "counter")
        }
        return c
    }

    mutating func distinctSet(threshold: Int) throws(KPICoreError) -> DistinctSet {
        var d = DistinctSet()
        switch try byte() {
        case 0:
            let hashes = try sortedHashes()
            guard hashes.count <= threshold else { throw Self.corrupt("exact distinct set above the threshold") }
            for h in hashes { d.exact.insert(h) }
        case 1:
            d.sketch = try hyperLogLog()
        case let b:
            throw Self.corrupt("distinct set kind \(b)")
        }
        return d
    }

    mutating func hyperLogLog() throws(KPICoreError) -> HyperLogLog {
        var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        let maxRank = UInt8(HyperLogLog.q + 1)
        switch try byte() {
        case 0:
            let n = try count(minimumBytes: 2)
            var i = -1
            for k in 0..<n {
                let step = try varint()
                guard step <= UInt64(HyperLogLog.registerCount), k == 0 || step > 0 else { throw Self.corrupt("register index") }
                i = (k == 0 ? 0 : i) + Int(step)
                guard i < HyperLogLog.registerCount else { throw Self.corrupt("register index \(i)") }
                let r = try byte()
                guard r > 0 && r <= maxRank else { throw Self.corrupt("register rank \(r)") }
                registers[i] = r
            }
        case 1:
            let all = try raw(HyperLogLog.registerCount)
            // A rank above q + 1 would index past the estimator's histogram.
            guard !all.contains(where: { $0 > maxRank }) else { throw Self.corrupt("register rank above \(maxRank)") }
            registers = Array(all)
        case let b:
            throw Self.corrupt("sketch kind \(b)")
        }
        return HyperLogLog(registers: registers)
    }

    mutating func rollingDistinct(threshold: Int) throws(KPICoreError) -> RollingDistinct {
        var d = RollingDistinct()
        switch try byte() {
        case 0:
            d.exact = try idMap(empty: 0) { (r: inout CheckpointReader) throws(KPICoreError) in try r.hour() }
            // It would have been promoted.
            guard d.exact.count <= threshold else { throw Self.corrupt("exact rolling distinct ids above the threshold") }
        case 1:
            d.sketch = try slidingHyperLogLog()
        case let b:
            throw Self.corrupt("rolling distinct kind \(b)")
        }
        return d
    }

    /// Checks what `SlidingHyperLogLog.insert` keeps: a base hour in range,
    /// registers in range and increasing, 1 ... 8 entries each, hour offsets
    /// increasing and below 2,048, ranks 1 ... q + 1 and decreasing. A
    /// sketch is never empty (`prune` makes it exact again).
    mutating func slidingHyperLogLog() throws(KPICoreError) -> SlidingHyperLogLog {
        typealias S = SlidingHyperLogLog
        let base = try hour()
        var s = S(base: base)
        let n = try count(minimumBytes: 4)
        guard n > 0 && n <= S.registerCount else { throw Self.corrupt("sliding sketch registers \(n)") }
        var index = -1
        var list: [UInt16] = []
        for _ in 0..<n {
            let step = try varint()
            guard step <= UInt64(S.registerCount), index < 0 || step > 0 else { throw Self.corrupt("sliding register index") }
            index = max(index, 0) + Int(step)
            guard index < S.registerCount else { throw Self.corrupt("sliding register index \(index)") }
            let length = try count(minimumBytes: 2)
            guard length >= 1 && length <= S.depth else { throw Self.corrupt("sliding register length \(length)") }
            list.removeAll(keepingCapacity: true)
            var offset: UInt64 = 0
            var rank = UInt8(S.q + 2)
            for i in 0..<length {
                let step = try varint()
                guard i == 0 || step > 0 else { throw Self.corrupt("sliding entry hour gap \(step)") }
                guard step < UInt64(S.hourSpan) else { throw Self.corrupt("sliding entry hour offset step \(step)") }
                offset += step
                guard offset < UInt64(S.hourSpan) else { throw Self.corrupt("sliding entry hour offset \(offset)") }
                let r = try byte()
                guard r >= 1 && r < rank else { throw Self.corrupt("sliding entry rank \(r)") }
                rank = r
                list.append(S.entry(offset: Int(offset), rank: r))
            }
            s.setRegister(index, list)
        }
        return s
    }

    mutating func metricValue() throws(KPICoreError) -> MetricValue {
        func fraction() throws(KPICoreError) -> Fraction {
            let n = try signed()
            let d = try signed()
            // DecimalText divides by it.
            guard d > 0 else { throw Self.corrupt("fraction denominator \(d)") }
            return Fraction(n, d)
        }
        switch try byte() {
        case 0: return .count(try signed())
        case 1: return .money(Money(minorUnits: try signed()))
        case 2: return .number(nil)
        case 3: return .number(try fraction())
        case 4: return .moneyRatio(nil)
        case 5: return .moneyRatio(try fraction())
        case let b: throw Self.corrupt("metric value kind \(b)")
        }
    }

    mutating func emission() throws(KPICoreError) -> EmissionRecord {
        var e = EmissionRecord()
        let revision = try varint()
        guard revision <= UInt64(Int32.max) else { throw Self.corrupt("revision \(revision)") }
        e.revision = Int(revision)
        let flags = try byte()
        guard flags < 8 else { throw Self.corrupt("emission flags \(flags)") }
        e.closed = flags & 1 != 0
        e.final = flags & 2 != 0
        e.complete = flags & 4 != 0
        let n = try count(minimumBytes: 1)
        e.metrics.reserveCapacity(n)
        for _ in 0..<n { e.metrics.append(try metricValue()) }
        return e
    }

    mutating func hashKeyed<V>(_ value: (inout CheckpointReader) throws(KPICoreError) -> V) throws(KPICoreError) -> [(key: UInt64, value: V)] {
        let keys = try sortedHashes()
        var out: [(key: UInt64, value: V)] = []
        out.reserveCapacity(keys.count)
        for k in keys { out.append((k, try value(&self))) }
        return out
    }

    mutating func hashKeyedDictionary<V>(_ value: (inout CheckpointReader) throws(KPICoreError) -> V) throws(KPICoreError) -> [UInt64: V] {
        let entries = try hashKeyed(value)
        var d: [UInt64: V] = [:]
        d.reserveCapacity(entries.count)
        for e in entries { d[e.key] = e.value }
        return d
    }

    mutating func idMap<V>(empty: V, _ value: (inout CheckpointReader) throws(KPICoreError) -> V) throws(KPICoreError) -> IDMap<V> {
        var map = IDMap<V>(empty: empty)
        for e in try hashKeyed(value) { map.updateValue(e.value, forKey: e.key) }
        return map
    }

    mutating func window(threshold: Int) throws(KPICoreError) -> WindowAggregate {
        let kind = try byte()
        guard let type = WindowType(rawValue: kind), type.isCalendar else { throw Self.corrupt("calendar window type \(kind)") }
        let startDay = try day()
        let start = try time()
        let end = start &+ (try signed())
        guard end > start && end - start <= 32 * 86_400_000 else { throw Self.corrupt("window end") }
        var w = WindowAggregate(type: type, startDay: startDay, start: start, end: end)
        w.counters = try counters()
        w.visitors = try distinctSet(threshold: threshold)
        w.buyers = try distinctSet(threshold: threshold)
        w.inquirers = try hashKeyedDictionary { (r: inout CheckpointReader) throws(KPICoreError) in FirstInquiry(time: try r.time()) }
        w.attributedPayers = try hashKeyedDictionary { (r: inout CheckpointReader) throws(KPICoreError) in
            Int32(try r.unsigned(in: 1...UInt64(Int32.max), "attributed orders"))
        }
        w.dirty = try bool()
        w.emitted = try emission()
        return w
    }

    mutating func rolling(threshold: Int) throws(KPICoreError) -> RollingAggregate {
        var r = RollingAggregate()
        let hour: Int32? = try bool() ? try self.hour() : nil
        let n = try count(minimumBytes: 2)
        var previous: Int64 = 0
        for i in 0..<n {
            let h: Int32
            if i == 0 {
                h = try self.hour()
            } else {
                let gap = try varint()
                guard gap > 0, gap <= UInt64(2 * Self.hourBound), previous + Int64(gap) <= Self.hourBound else {
                    throw Self.corrupt("hour gap \(gap)")
                }
                let next = previous + Int64(gap)
                h = Int32(next)
            }
            previous = Int64(h)
            r.buckets[h] = try counters()
        }
        r.visitors = try rollingDistinct(threshold: threshold)
        r.buyers = try rollingDistinct(threshold: threshold)
        r.inquiries = try hashKeyedDictionary { (r: inout CheckpointReader) throws(KPICoreError) -> [Int64] in
            let n = try r.count()
            guard n > 0 else { throw Self.corrupt("empty inquiry list") }
            var times: [Int64] = []
            for _ in 0..<n { times.append(try r.time()) }
            return times
        }
        r.attributedPayerHours = try hashKeyedDictionary { (r: inout CheckpointReader) throws(KPICoreError) -> [Int32] in
            let n = try r.count()
            guard n > 0 else { throw Self.corrupt("empty attributed hours") }
            var hours: [Int32] = []
            for _ in 0..<n { hours.append(try r.hour()) }
            return hours
        }
        // Rebuild the running sums exactly: positioning from no hour sums the
        // buckets inside each window (wrapping sums, so the order is irrelevant).
        if let hour { r.position(at: hour) }
        r.dirty = try bool()
        for w in 0..<3 { r.emitted[w] = try emission() }
        return r
    }
}
