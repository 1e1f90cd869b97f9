/// A 64-bit hash that is the same in every process, on every run and machine
/// (unlike `Hasher`, which is seeded per process). Used for distinct-count
/// sketches, dedup ids and buyer keys, whose results must be reproducible.
///
/// wyhash-style: 8-byte little-endian words folded with a 128-bit multiply,
/// then a splitmix64 finalizer for avalanche.
public enum StableHash {
    @usableFromInline static let p0: UInt64 = 0xa076_1d64_78bd_642f
    @usableFromInline static let p1: UInt64 = 0xe703_7ed1_a0b4_28db
    @usableFromInline static let p2: UInt64 = 0x8ebc_6af0_9c88_c6e3

    @inlinable
    static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    /// Hash of raw bytes.
    @inlinable
    public static func hash(bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = p0 ^ UInt64(bytes.count) &* p1
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = mum(h ^ w, p1)
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { w |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            h = mum(h ^ w ^ p2, p1)
        }
        // splitmix64 finalizer
        h ^= h >> 30; h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }

    /// Hash of a string's UTF-8 bytes.
    @inlinable
    public static func hash(_ string: String) -> UInt64 {
        if let h = string.utf8.withContiguousStorageIfAvailable({ hash(bytes: UnsafeRawBufferPointer($0)) }) {
            return h
        }
        return Array(string.utf8).withUnsafeBytes { hash(bytes: $0) }
    }
}
