/// Reads what `CheckpointWriter` wrote, checking every read against the end
/// of the buffer and every value against its legal range: corrupt or
/// truncated bytes throw `KPICoreError.corruptCheckpoint`, never trap.
struct CheckpointReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    /// End of the readable part (the checksum trailer is not part of it).
    let limit: Int
    var baseTime: Int64 = 0
    var baseDay: Int64 { CivilTime.floorDiv(baseTime, 86_400_000) }
    var baseHour: Int64 { CivilTime.floorDiv(baseTime, 3_600_000) }

    /// Event times in a checkpoint lie within ±2⁵⁰ ms (≈ ±35,000 years, far
    /// beyond any RFC 3339 timestamp) of 1970: anything beyond is corruption,
    /// and would overflow the engine's time arithmetic (time + horizon,
    /// day × 86,400,000, Int32 hour buckets) later.
    static let timeBound: Int64 = 1 << 50
    static let dayBound: Int64 = timeBound / 86_400_000 + 1
    static let hourBound: Int64 = timeBound / 3_600_000 + 1

    init(_ bytes: [UInt8], limit: Int) {
        self.bytes = bytes
        self.position = 0
        self.limit = min(limit, bytes.count)
    }

    var remaining: Int { limit - position }
    var isAtEnd: Bool { position == limit }

    static func corrupt(_ reason: String) -> KPICoreError { .corruptCheckpoint(reason: reason) }

    @inline(__always)
    mutating func byte() throws(KPICoreError) -> UInt8 {
        guard position < limit else { throw Self.corrupt("truncated at byte \(position)") }
        let b = bytes[position]
        position += 1
        return b
    }

    mutating func raw(_ n: Int) throws(KPICoreError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw Self.corrupt("truncated at byte \(position)") }
        defer { position += n }
        return bytes[position..<position + n]
    }

    mutating func bool() throws(KPICoreError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let b: throw Self.corrupt("flag byte \(b) at \(position - 1)")
        }
    }

    @inline(__always)
    mutating func varint() throws(KPICoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            // The 10th byte may only carry the top bit of a UInt64.
            if shift == 63 && b > 1 { throw Self.corrupt("varint overflow at byte \(position - 1)") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always)
    mutating func signed() throws(KPICoreError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// A signed value in `range`.
    mutating func signed(in range: ClosedRange<Int64>, _ what: @autoclosure () -> String) throws(KPICoreError) -> Int64 {
        let v = try signed()
        guard range.contains(v) else { throw Self.corrupt("\(what()) \(v) out of range") }
        return v
    }

    /// An unsigned value in `range`.
    mutating func unsigned(in range: ClosedRange<UInt64>, _ what: @autoclosure () -> String) throws(KPICoreError) -> UInt64 {
        let v = try varint()
        guard range.contains(v) else { throw Self.corrupt("\(what()) \(v) out of range") }
        return v
    }

    /// A count of items that take at least `minimumBytes` each: bounded by
    /// what is left, so a corrupt count cannot make us allocate gigabytes.
    mutating func count(minimumBytes: Int = 1) throws(KPICoreError) -> Int {
        let v = try varint()
        guard v <= UInt64(remaining / max(minimumBytes, 1)) else { throw Self.corrupt("count \(v) exceeds the bytes left") }
        return Int(v)
    }

    /// An index below `bound`.
    mutating func index(below bound: Int, _ what: @autoclosure () -> String) throws(KPICoreError) -> Int {
        let v = try varint()
        guard v < UInt64(bound) else { throw Self.corrupt("\(what()) index \(v) out of range") }
        return Int(v)
    }

    mutating func fixed64() throws(KPICoreError) -> UInt64 {
        guard remaining >= 8 else { throw Self.corrupt("truncated at byte \(position)") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += 8
        return v
    }

    mutating func string() throws(KPICoreError) -> String {
        let n = try count()
        let utf8 = try raw(n)
        guard let s = String(validating: utf8, as: UTF8.self) else { throw Self.corrupt("invalid UTF-8 at byte \(position - n)") }
        return s
    }

    mutating func optionalString() throws(KPICoreError) -> String? {
        try bool() ? try string() : nil
    }

    /// An event time within `timeBound`.
    mutating func time() throws(KPICoreError) -> Int64 {
        let t = try signed() &+ baseTime
        guard t >= -Self.timeBound && t <= Self.timeBound else { throw Self.corrupt("time \(t) out of range") }
        return t
    }

    mutating func optionalTime() throws(KPICoreError) -> Int64? {
        try bool() ? try time() : nil
    }

    /// A time that may also be one of the sentinels `.min` / `.max`.
    mutating func timeOrSentinel() throws(KPICoreError) -> Int64 {
        let t = try signed() &+ baseTime
        guard t == .min || t == .max || (t >= -Self.timeBound && t <= Self.timeBound) else {
            throw Self.corrupt("time \(t) out of range")
        }
        return t
    }

    mutating func day() throws(KPICoreError) -> Int64 {
        let d = try signed() &+ baseDay
        guard d >= -Self.dayBound && d <= Self.dayBound else { throw Self.corrupt("day \(d) out of range") }
        return d
    }

    /// A day that may also be the sentinel `.min` (nothing evicted yet).
    mutating func dayOrSentinel() throws(KPICoreError) -> Int64 {
        let d = try signed() &+ baseDay
        guard d == .min || (d >= -Self.dayBound && d <= Self.dayBound) else { throw Self.corrupt("day \(d) out of range") }
        return d
    }

    mutating func hour() throws(KPICoreError) -> Int32 {
        let h = try signed() &+ baseHour
        guard h >= -Self.hourBound && h <= Self.hourBound else { throw Self.corrupt("hour \(h) out of range") }
        return Int32(h)
    }

    /// Hashes written by `CheckpointWriter.sortedHashes`: strictly increasing
    /// and non-zero (0 marks an empty slot in `IDSet`/`IDMap`).
    mutating func sortedHashes() throws(KPICoreError) -> [UInt64] {
        let delta = try peekCount() >= CheckpointFormat.deltaHashThreshold
        let n = try count(minimumBytes: delta ? 1 : 8)
        var out: [UInt64] = []
        out.reserveCapacity(n)
        var previous: UInt64 = 0
        for _ in 0..<n {
            let h: UInt64
            if delta {
                let (sum, overflow) = previous.addingReportingOverflow(try varint())
                guard !overflow else { throw Self.corrupt("hash delta overflow") }
                h = sum
            } else {
                h = try fixed64()
            }
            guard h > previous else { throw Self.corrupt("hashes not strictly increasing") }
            out.append(h)
            previous = h
        }
        return out
    }

    /// The next varint, without consuming it.
    private func peekCount() throws(KPICoreError) -> UInt64 {
        var copy = self
        return try copy.varint()
    }
}
