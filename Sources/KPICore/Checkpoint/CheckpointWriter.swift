/// Appends the primitive values of the checkpoint format to a byte buffer.
///
/// Integers are LEB128 varints (signed ones zigzag-encoded) because almost
/// every number in the state is small; 64-bit id hashes are uniformly random,
/// so they are written as fixed little-endian words (a varint would only add
/// bytes). Event times, local days and hours are written relative to a base
/// (the watermark at checkpoint time): retained state sits within weeks of it,
/// so the differences take 2–5 bytes instead of 6–7.
struct CheckpointWriter {
    private(set) var bytes: [UInt8] = []
    /// Base of `time`, `day` and `hour`; set once the header is written.
    var baseTime: Int64 = 0
    var baseDay: Int64 { CivilTime.floorDiv(baseTime, 86_400_000) }
    var baseHour: Int64 { CivilTime.floorDiv(baseTime, 3_600_000) }

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// The bytes with the checksum trailer appended (see `CheckpointFormat`).
    mutating func finish() -> [UInt8] {
        fixed64(CheckpointFormat.checksum(bytes, count: bytes.count))
        let out = bytes
        bytes = []
        return out
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func raw(_ b: some Collection<UInt8>) { bytes.append(contentsOf: b) }

    @inline(__always)
    mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

    /// An unsigned LEB128 varint (1 ... 10 bytes).
    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// A non-negative count or index.
    @inline(__always)
    mutating func count(_ n: Int) { varint(UInt64(n)) }

    /// A signed integer, zigzag-encoded so small negatives stay small.
    @inline(__always)
    mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    @inline(__always)
    mutating func fixed64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Length-prefixed UTF-8.
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            count(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optionalString(_ s: String?) {
        bool(s != nil)
        if let s { string(s) }
    }

    /// An event time (ms), relative to `baseTime`. Wrapping arithmetic, so the
    /// sentinels `.min`/`.max` round-trip too.
    @inline(__always)
    mutating func time(_ t: Int64) { signed(t &- baseTime) }

    mutating func optionalTime(_ t: Int64?) {
        bool(t != nil)
        if let t { time(t) }
    }

    /// A local day number, relative to the base's day.
    @inline(__always)
    mutating func day(_ d: Int64) { signed(d &- baseDay) }

    /// A UTC hour bucket, relative to the base's hour.
    @inline(__always)
    mutating func hour(_ h: Int32) { signed(Int64(h) &- baseHour) }

    /// Distinct, sorted 64-bit id hashes: fixed words while few (random
    /// hashes are ~2⁶⁴/n apart, so a delta varint only saves bytes once n is
    /// large), deltas from the previous hash when many.
    mutating func sortedHashes(_ sorted: [UInt64]) {
        count(sorted.count)
        if sorted.count < CheckpointFormat.deltaHashThreshold {
            for h in sorted { fixed64(h) }
        } else {
            var previous: UInt64 = 0
            for h in sorted { varint(h &- previous); previous = h }
        }
    }
}
