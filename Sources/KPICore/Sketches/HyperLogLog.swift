import Foundation  // log

/// A mergeable HyperLogLog cardinality sketch, precision 16 (65,536 one-byte
/// registers, standard error 1.04/√m ≈ 0.41%), estimated with Ertl's improved
/// estimator (2017), which needs no empirical bias table and stays unbiased
/// from small to large cardinalities. Insert `StableHash` values only.
public struct HyperLogLog: Sendable, Hashable {
    public static let precision = 16
    static let registerCount = 1 << precision
    /// q = 64 − p: the rank of a register is 1 ... q + 1.
    static let q = 64 - precision

    private(set) var registers: [UInt8]
    /// `histogram[k]`: registers of rank k (0 ... q + 1), kept with every
    /// insert so that `estimate` costs a pass over 50 counts, not over the
    /// 65,536 registers (a window's distinct count is read at every alert
    /// evaluation that watches it).
    // cache: derived, not checkpointed (rebuilt from the registers)
    private var histogram: [Int32]

    public init() {
        registers = [UInt8](repeating: 0, count: Self.registerCount)
        histogram = [Int32](repeating: 0, count: Self.q + 2)
        histogram[0] = Int32(Self.registerCount)
    }

    /// A sketch with these registers (a checkpoint's).
    init(registers: [UInt8]) {
        precondition(registers.count == Self.registerCount)
        self.registers = registers
        histogram = [Int32](repeating: 0, count: Self.q + 2)
        for r in registers { histogram[Int(r)] += 1 }
    }

    public mutating func insert(hash: UInt64) {
        let (index, rank) = Self.register(of: hash, precision: Self.precision, q: Self.q)
        let old = registers.withUnsafeMutableBufferPointer { r -> UInt8 in
            let old = r[index]
            if old < rank { r[index] = rank }
            return old
        }
        if old < rank {
            histogram.withUnsafeMutableBufferPointer { h in
                h[Int(old)] -= 1
                h[Int(rank)] += 1
            }
        }
    }

    /// Union: afterwards this sketch estimates |A ∪ B|.
    public mutating func merge(_ other: HyperLogLog) {
        for i in registers.indices where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
        self = HyperLogLog(registers: registers)
    }

    /// The cardinality estimate, rounded to the nearest integer.
    public var estimate: Int64 {
        Self.estimate(histogram: histogram.map(Int.init), registerCount: Self.registerCount)
    }

    /// The register of `hash` (its top `precision` bits) and its rank: the
    /// position of the first 1 bit in the next `q` bits, or q + 1 when they
    /// are all 0 (a stop bit caps it). Shared by every HyperLogLog variant
    /// here, so they agree on what a hash contributes.
    @inline(__always)
    static func register(of hash: UInt64, precision p: Int, q: Int) -> (index: Int, rank: UInt8) {
        let index = Int(truncatingIfNeeded: hash >> UInt64(64 - p))
        // The bits after the index, with a stop bit so the rank is at most q + 1.
        let rest = (hash << UInt64(p)) | (1 << UInt64(63 - q))
        return (index, UInt8(truncatingIfNeeded: rest.leadingZeroBitCount + 1))
    }

    /// Ertl's improved estimator (2017, algorithm 6) from the register
    /// histogram: `histogram[k]` registers of rank k, for k in 0 ... q + 1
    /// (q = `histogram.count` − 2), out of `registerCount`. Rounded to the
    /// nearest integer.
    static func estimate(histogram: [Int], registerCount: Int) -> Int64 {
        let q = histogram.count - 2
        let m = Double(registerCount)
        if histogram[0] == registerCount { return 0 }
        var z = m * tau(1 - Double(histogram[q + 1]) / m)
        for k in stride(from: q, through: 1, by: -1) { z = 0.5 * (z + Double(histogram[k])) }
        z += m * sigma(Double(histogram[0]) / m)
        let alphaInfinity = 0.5 / log(2.0)
        return Int64((alphaInfinity * m * m / z).rounded())
    }

    static func sigma(_ x0: Double) -> Double {
        if x0 == 1 { return .infinity }
        var x = x0, y = 1.0, z = x0
        while true {
            x *= x
            let previous = z
            z += x * y
            y += y
            if z == previous { return z }
        }
    }

    static func tau(_ x0: Double) -> Double {
        if x0 == 0 || x0 == 1 { return 0 }
        var x = x0, y = 1.0, z = 1 - x0
        while true {
            x = x.squareRoot()
            let previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if z == previous { return z / 3 }
        }
    }
}
