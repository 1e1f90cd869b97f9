/// A single pass over librdkafka's statistics JSON that picks out what the
/// service reads (per broker: state, node id, `rxidle`; per partition:
/// `consumer_lag`) without building the document: the report of a consumer
/// with 1,536 partitions is ~2 MB every `statistics.interval.ms`, and
/// Foundation's parser spent a tenth of a restore's CPU on it.
///
/// Anything it does not expect (a truncated report, another shape) ends the
/// scan: what was read so far stands, nothing traps.
struct StatisticsScanner {
    /// A broker entry of `brokers`.
    struct Broker {
        var up = false
        var nodeID: Int64 = -1
        /// Microseconds since the last answer on the connection; nil: not reported.
        var rxIdle: Int64?
    }

    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Scans `json`, calling `broker` for each entry of `brokers` and
    /// `partition` for each partition of each topic with a known lag (≥ 0).
    static func scan(_ json: UnsafeRawBufferPointer, broker: (Broker) -> Void,
                     partition: (_ topic: String, _ partition: Int32, _ consumerLag: Int64) -> Void) {
        var s = StatisticsScanner(json)
        _ = s.object { s, key in
            if s.equals(key, "brokers") {
                return s.object { s, _ in
                    var b = Broker()
                    let ok = s.object { s, field in
                        if s.equals(field, "state") {
                            guard let v = s.string() else { return false }
                            b.up = s.equals(v, "UP")
                            return true
                        } else if s.equals(field, "nodeid") {
                            guard let n = s.integer() else { return false }
                            b.nodeID = n
                            return true
                        } else if s.equals(field, "rxidle") {
                            guard let n = s.integer() else { return false }
                            b.rxIdle = n
                            return true
                        }
                        return s.skipValue()
                    }
                    if ok { broker(b) }
                    return ok
                }
            } else if s.equals(key, "topics") {
                return s.object { s, topicKey in
                    let topic = String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[topicKey]), as: UTF8.self)
                    return s.object { s, field in
                        guard s.equals(field, "partitions") else { return s.skipValue() }
                        return s.object { s, _ in
                            var id: Int64 = -1, lag: Int64 = -1
                            let ok = s.object { s, f in
                                if s.equals(f, "partition") {
                                    guard let n = s.integer() else { return false }
                                    id = n
                                    return true
                                } else if s.equals(f, "consumer_lag") {
                                    guard let n = s.integer() else { return false }
                                    lag = n
                                    return true
                                }
                                return s.skipValue()
                            }
                            if ok, id >= 0, id <= Int64(Int32.max), lag >= 0 { partition(topic, Int32(id), lag) }
                            return ok
                        }
                    }
                }
            }
            return s.skipValue()
        }
    }

    // MARK: - Reading

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private mutating func take(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { return false }
        i += 1
        return true
    }

    /// An object: `member` reads each value after its key (a range of the
    /// key's bytes, without quotes) and says whether to go on.
    private mutating func object(_ member: (inout StatisticsScanner, Range<Int>) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = string(), take(UInt8(ascii: ":")), member(&self, key) else { return false }
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }

    /// A string's bytes (escapes left as they are; the keys and values read here have none).
    private mutating func string() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""):
                i += 1
                return start..<(i - 1)
            default: i += 1
            }
        }
        return nil
    }

    private mutating func integer() -> Int64? {
        skipSpace()
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var n: Int64 = 0, digits = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 0x30))
            guard !o1, !o2 else { return nil }
            n = a; digits += 1; i += 1
        }
        guard digits > 0 else { return nil }
        // A fraction or exponent: not an integer field after all; skip it.
        while i < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[i]) || (bytes[i] >= 0x30 && bytes[i] <= 0x39) { i += 1 }
        return negative ? -n : n
    }

    /// Skips any value.
    private mutating func skipValue() -> Bool {
        skipSpace()
        guard i < bytes.count else { return false }
        switch bytes[i] {
        case UInt8(ascii: "{"): return object { s, _ in s.skipValue() }
        case UInt8(ascii: "["):
            i += 1
            if take(UInt8(ascii: "]")) { return true }
            while true {
                guard skipValue() else { return false }
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "\""): return string() != nil
        default:
            // A number, true, false or null.
            let start = i
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: return i > start
                default: i += 1
                }
            }
            return i > start
        }
    }

    private func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount, range.upperBound <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<range.count where bytes[range.lowerBound + k] != p[k] { return false }
        return true
    }
}
