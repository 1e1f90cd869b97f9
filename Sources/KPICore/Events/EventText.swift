/// The text fields of one `ShopEvent` (its ids, channel and page) as UTF-8
/// bytes inside the event, instead of one `String` each.
///
/// Why: a `String` of more than 15 bytes (most event ids, and ids such as
/// UUIDs) is a heap object. Each one cost a malloc and a UTF-8 validation
/// when decoded, reference counting on every copy of the event, and, since a
/// backfill buffers events before counting them (`BackfillJob.runLength`),
/// cache misses when counted and again when freed; even a short `String`
/// costs its validation (~35 ns for a page). Here the bytes live in the
/// event; the engine hashes and compares them in place, and a `String` is
/// only made when asked for (the public properties of `ShopEvent`) or for a
/// new scope or session. A field that no longer fits the inline space (a
/// long page, or ids beyond `inlineCapacity` bytes in all) is kept as a
/// `String` on its own; the others stay inline.
///
/// The decoder has validated the bytes as UTF-8 (`JSONCursor.scanString`),
/// so they are exactly the `String`'s UTF-8.
struct EventText: Sendable {
    /// The text fields, in storage order.
    enum Field: Int, CaseIterable, Sendable {
        case eventID, shopID, orderID, buyerID, agentID, channel, campaignID, sessionID, visitorID, page
    }

    static let fieldCount = 10
    /// Bytes of text held inline: every field of a typical event fits, and
    /// so do three 36-byte UUIDs (a page view's event, session and visitor
    /// ids) with short shop, channel and campaign ids.
    static let inlineCapacity = 144
    /// `lengths` of a field that is absent (nil).
    static let absent: UInt8 = .max
    /// `lengths` of a field kept in `overflow`.
    static let overflowed: UInt8 = .max - 1

    /// Per field: where its bytes start in `bytes`, and how many (or `absent`, `overflowed`).
    private var starts = InlineArray<10, UInt8>(repeating: 0)
    private var lengths = InlineArray<10, UInt8>(repeating: EventText.absent)
    private var used: UInt8 = 0
    private var bytes = InlineArray<144, UInt8>(repeating: 0)
    /// The fields that did not fit inline, by field (nil until one did not).
    private var overflow: [String?]? = nil

    /// No text: every field absent.
    init() {}

    /// The text of `values`, one per field in `Field` order.
    init(_ values: [String?]) {
        precondition(values.count == Self.fieldCount)
        for (i, v) in values.enumerated() {
            guard var v else { continue }
            v.withUTF8 { append(Field(rawValue: i)!, $0) }
        }
    }

    /// Adds a field that is still absent: its UTF-8 bytes.
    mutating func append(_ field: Field, _ utf8: UnsafeBufferPointer<UInt8>) {
        let f = field.rawValue
        if utf8.count < Int(Self.overflowed) && Int(used) + utf8.count <= Self.inlineCapacity {
            let at = Int(used)
            if let src = utf8.baseAddress, !utf8.isEmpty {
                withUnsafeMutableBytes(of: &bytes) { b in
                    (b.baseAddress! + at).copyMemory(from: src, byteCount: utf8.count)
                }
            }
            starts[f] = UInt8(at)
            lengths[f] = UInt8(utf8.count)
            used += UInt8(utf8.count)
            return
        }
        if overflow == nil { overflow = [String?](repeating: nil, count: Self.fieldCount) }
        overflow![f] = String(decoding: utf8, as: UTF8.self)
        lengths[f] = Self.overflowed
    }

    /// The field as a `String` (made now), nil when absent.
    subscript(_ field: Field) -> String? {
        if lengths[field.rawValue] == Self.overflowed { return overflow![field.rawValue] }
        return withUTF8(field) { String(decoding: $0, as: UTF8.self) }
    }

    /// Sets a field (outside the hot path: repacks every field).
    mutating func set(_ field: Field, _ value: String?) {
        var values = Field.allCases.map { self[$0] }
        values[field.rawValue] = value
        self = EventText(values)
    }

    /// Calls `body` with the field's UTF-8 bytes (valid during `body` only); nil when absent.
    @inline(__always)
    func withUTF8<R>(_ field: Field, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        let f = field.rawValue
        let n = lengths[f]
        guard n != Self.absent else { return nil }
        if n == Self.overflowed {
            var s = overflow![f]!
            return s.withUTF8(body)
        }
        let start = Int(starts[f])
        return bytes.span.withUnsafeBufferPointer { b in
            body(UnsafeBufferPointer(rebasing: b[start..<start + Int(n)]))
        }
    }

    /// Whether the field is present.
    @inline(__always)
    func has(_ field: Field) -> Bool {
        lengths[field.rawValue] != Self.absent
    }

    /// Whether the field is present and not empty.
    @inline(__always)
    func hasText(_ field: Field) -> Bool {
        withUTF8(field) { !$0.isEmpty } ?? false
    }

    /// `StableHash` of the field's bytes (the same as of the field's `String`); nil when absent.
    @inline(__always)
    func hash(_ field: Field) -> UInt64? {
        withUTF8(field) { StableHash.hash(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether the field is present and equal to `string`.
    @inline(__always)
    func field(_ field: Field, equals string: String) -> Bool {
        withUTF8(field) { Self.equal($0, string) } ?? false
    }

    /// Whether `utf8` is the UTF-8 of `string`.
    @inline(__always)
    static func equal(_ utf8: UnsafeBufferPointer<UInt8>, _ string: String) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { other in
            guard other.count == utf8.count else { return false }
            for i in 0..<utf8.count where other[i] != utf8[i] { return false }
            return true
        } ?? string.utf8.elementsEqual(utf8)
    }
}

extension EventText: Hashable {
    static func == (a: EventText, b: EventText) -> Bool {
        Field.allCases.allSatisfy { f in
            switch (a.has(f), b.has(f)) {
            case (false, false): true
            case (true, true): a.withUTF8(f) { x in b.withUTF8(f) { y in x.elementsEqual(y) }! }!
            default: false
            }
        }
    }

    func hash(into hasher: inout Hasher) {
        for f in Field.allCases {
            let n: Int? = withUTF8(f) { utf8 in
                hasher.combine(bytes: UnsafeRawBufferPointer(utf8))
                return utf8.count
            }
            hasher.combine(n ?? -1)
        }
    }
}
