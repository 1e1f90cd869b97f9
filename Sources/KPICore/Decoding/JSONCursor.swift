/// Where one JSON value sits in the record bytes, and what kind it is.
///
/// The decoder first records the span of every field it knows and only then,
/// once `type` is known, converts the fields that type uses. That keeps key
/// order free, makes duplicate keys "last one wins" for free, and never builds
/// a `String` for a field the event does not carry.
struct RawValue {
    enum Kind: UInt8 {
        /// Not present, or JSON `null` (the same thing for every field; a
        /// `null` that was present has a non-empty span).
        case absent
        /// A string without escapes: the span is its UTF-8 bytes verbatim.
        case string
        /// A string with at least one backslash escape: the span is the raw
        /// text between the quotes, to be unescaped on use.
        case escapedString
        case number
        case `true`
        case `false`
        case object
        case array

        /// The JSON type's name, for rejection details.
        var jsonName: String {
            switch self {
            case .absent: "null"
            case .string, .escapedString: "a string"
            case .number: "a number"
            case .true, .false: "a bool"
            case .object: "an object"
            case .array: "an array"
            }
        }
    }

    var kind: Kind = .absent
    /// Byte offsets into the record: for strings the text between the quotes.
    var start = 0
    var end = 0

    static let absent = RawValue()

    @inline(__always) var count: Int { end - start }
    @inline(__always) var isString: Bool { kind == .string || kind == .escapedString }
}

/// A forward-only reader over one record's bytes that validates JSON
/// (RFC 8259) as it goes: every string's UTF-8 and escapes, every number's
/// grammar, literal spelling and nesting, including in values it skips.
///
/// It reads through a raw pointer with explicit bounds checks rather than
/// slicing collections: the decoder's budget is ~0.5 µs per ~210-byte record.
struct JSONCursor {
    /// Nesting deeper than this is rejected as malformed: skipping recurses,
    /// and a hostile `[[[[...` must not exhaust the stack.
    static let maxDepth = 64

    let bytes: UnsafePointer<UInt8>
    let end: Int
    var pos = 0

    init(bytes: UnsafePointer<UInt8>, count: Int) {
        self.bytes = bytes
        self.end = count
    }

    // MARK: Tokens

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    /// The byte at the cursor, or nil at the end of the record.
    @inline(__always)
    func peek() -> UInt8? { pos < end ? bytes[pos] : nil }

    /// Consumes `byte` (after whitespace) or fails naming what was expected.
    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(EventRejection) {
        skipWhitespace()
        guard pos < end, bytes[pos] == byte else { throw unexpected(expected: what) }
        pos += 1
    }

    // MARK: Values

    /// Scans the value at the cursor (after whitespace), recording its span.
    /// `depth` is the nesting depth of the container holding the value.
    mutating func scanValue(depth: Int) throws(EventRejection) -> RawValue {
        skipWhitespace()
        guard pos < end else { throw malformed("unexpected end of input, expected a value") }
        let start = pos
        switch bytes[pos] {
        case UInt8(ascii: "\""):
            let s = try scanString()
            return RawValue(kind: s.escaped ? .escapedString : .string, start: s.start, end: s.end)
        case UInt8(ascii: "{"):
            try skipObject(depth: depth + 1)
            return RawValue(kind: .object, start: start, end: pos)
        case UInt8(ascii: "["):
            try skipArray(depth: depth + 1)
            return RawValue(kind: .array, start: start, end: pos)
        case UInt8(ascii: "t"):
            try scanLiteral("true")
            return RawValue(kind: .true, start: start, end: pos)
        case UInt8(ascii: "f"):
            try scanLiteral("false")
            return RawValue(kind: .false, start: start, end: pos)
        case UInt8(ascii: "n"):
            try scanLiteral("null")
            // Absent for every field, but with its span: a key given twice is
            // noticed even when its first value was `null`.
            return RawValue(kind: .absent, start: start, end: pos)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
            return RawValue(kind: .number, start: start, end: pos)
        default:
            throw unexpected(expected: "a value")
        }
    }

    /// Skips a whole object, cursor on its `{`.
    mutating func skipObject(depth: Int) throws(EventRejection) {
        guard depth <= Self.maxDepth else { throw malformed("nesting deeper than \(Self.maxDepth)") }
        pos += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { pos += 1; return }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected(expected: "a key") }
            _ = try scanString()
            try expect(UInt8(ascii: ":"), "':'")
            _ = try scanValue(depth: depth)
            skipWhitespace()
            guard pos < end else { throw malformed("unterminated object") }
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "}") { return }
            pos -= 1
            throw unexpected(expected: "',' or '}'")
        }
    }

    /// Skips a whole array, cursor on its `[`.
    mutating func skipArray(depth: Int) throws(EventRejection) {
        guard depth <= Self.maxDepth else { throw malformed("nesting deeper than \(Self.maxDepth)") }
        pos += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { pos += 1; return }
        while true {
            _ = try scanValue(depth: depth)
            skipWhitespace()
            guard pos < end else { throw malformed("unterminated array") }
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "]") { return }
            pos -= 1
            throw unexpected(expected: "',' or ']'")
        }
    }

    @inline(__always)
    mutating func scanLiteral(_ word: StaticString) throws(EventRejection) {
        let n = word.utf8CodeUnitCount
        guard end - pos >= n, Self.equal(bytes + pos, n, word) else { throw unexpected(expected: "a value") }
        pos += n
    }

    /// Validates a JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    /// What the number may be (integer, decimal amount) is decided on use.
    mutating func scanNumber() throws(EventRejection) {
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < end, Self.isDigit(bytes[pos]) else { throw unexpected(expected: "a digit") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
        } else {
            while pos < end, Self.isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < end, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < end, Self.isDigit(bytes[pos]) else { throw unexpected(expected: "a fraction digit") }
            while pos < end, Self.isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < end, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            if pos < end, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < end, Self.isDigit(bytes[pos]) else { throw unexpected(expected: "an exponent digit") }
            while pos < end, Self.isDigit(bytes[pos]) { pos += 1 }
        }
    }

    // MARK: Strings

    /// Scans a string, cursor on its opening quote; returns the span between
    /// the quotes and whether it contains escapes. Rejects control characters,
    /// invalid UTF-8, bad escapes and unpaired surrogates.
    mutating func scanString() throws(EventRejection) -> (start: Int, end: Int, escaped: Bool) {
        pos += 1
        let start = pos
        var escaped = false
        while true {
            skipPlainStringBytes()
            guard pos < end else { break }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let stop = pos
                pos += 1
                return (start, stop, escaped)
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                try scanEscape()
            } else if b < 0x20 {
                throw malformed("control character 0x\(String(b, radix: 16)) in a string")
            } else if b < 0x80 {
                pos += 1
            } else {
                try scanMultibyte(lead: b)
            }
        }
        throw malformed("unterminated string")
    }

    /// Moves the cursor over plain string bytes (printable ASCII other than
    /// `"` and `\`) eight at a time, stopping on the first other byte or when
    /// fewer than 8 bytes are left; `scanString` handles those one by one.
    @inline(__always)
    private mutating func skipPlainStringBytes() {
        while end - pos >= 8 {
            let mask = Self.specialStringBytes(Self.load8(bytes, at: pos))
            if mask != 0 {
                pos += mask.trailingZeroBitCount >> 3
                return
            }
            pos += 8
        }
    }

    /// The 8 bytes at `i` as a little-endian word (the first byte lowest).
    /// The caller guarantees `i + 8 <= end`; the load may be unaligned.
    @inline(__always)
    private static func load8(_ bytes: UnsafePointer<UInt8>, at i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self))
    }

    /// SWAR test of 8 string bytes: a word whose high bit is set in the lane
    /// of the first byte that is a control character (< 0x20), non-ASCII,
    /// `"` or `\`, and possibly in later lanes; 0 when all 8 are plain.
    ///
    /// Per lane, `x - c` sets the high bit when `x < c` (for `x < 0x80`);
    /// a borrow only moves to higher lanes, so the lowest set lane is exact.
    @inline(__always)
    static func specialStringBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let control = w &- ones &* 0x20
        let quote = (w ^ ones &* UInt64(UInt8(ascii: "\""))) &- ones
        let backslash = (w ^ ones &* UInt64(UInt8(ascii: "\\"))) &- ones
        return (control | quote | backslash | w) & 0x8080_8080_8080_8080
    }

    /// Validates one escape, cursor on its backslash.
    private mutating func scanEscape() throws(EventRejection) {
        guard pos + 1 < end else { throw malformed("unterminated string") }
        switch bytes[pos + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"),
             UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            pos += 2
        case UInt8(ascii: "u"):
            guard let unit = Self.hex4(bytes, at: pos + 2, end: end) else { throw malformed("bad \\u escape") }
            pos += 6
            if unit & 0xFC00 == 0xD800 {
                // A high surrogate must be followed by an escaped low one.
                guard pos + 1 < end, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u"),
                      let low = Self.hex4(bytes, at: pos + 2, end: end), low & 0xFC00 == 0xDC00
                else { throw malformed("unpaired surrogate \\u\(String(unit, radix: 16))") }
                pos += 6
            } else if unit & 0xFC00 == 0xDC00 {
                throw malformed("unpaired surrogate \\u\(String(unit, radix: 16))")
            }
        default:
            throw malformed("unknown escape")
        }
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlong forms,
    /// no surrogates, nothing above U+10FFFF), cursor on its lead byte.
    private mutating func scanMultibyte(lead: UInt8) throws(EventRejection) {
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the 2nd byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw malformed("invalid UTF-8")
        }
        guard end - pos >= length else { throw malformed("invalid UTF-8") }
        let second = bytes[pos + 1]
        guard second >= low, second <= high else { throw malformed("invalid UTF-8") }
        var i = 2
        while i < length {
            guard bytes[pos + i] & 0xC0 == 0x80 else { throw malformed("invalid UTF-8") }
            i += 1
        }
        pos += length
    }

    /// The value of 4 hex digits at `i`, or nil.
    @inline(__always)
    static func hex4(_ bytes: UnsafePointer<UInt8>, at i: Int, end: Int) -> UInt16? {
        guard end - i >= 4 else { return nil }
        var v: UInt16 = 0
        for k in 0..<4 {
            let b = bytes[i + k]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    // MARK: Small pieces

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// Whether the `count` bytes at `p` spell `word` exactly.
    @inline(__always)
    static func equal(_ p: UnsafePointer<UInt8>, _ count: Int, _ word: StaticString) -> Bool {
        guard count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<count where p[i] != w[i] { return false }
        return true
    }

    // MARK: Errors (kept out of line: the hot path only branches to them)

    @inline(never)
    func malformed(_ what: String) -> EventRejection {
        EventRejection(reason: .malformedJSON, detail: "\(what) at byte \(pos)")
    }

    @inline(never)
    func unexpected(expected what: StaticString) -> EventRejection {
        if pos >= end {
            return EventRejection(reason: .malformedJSON, detail: "unexpected end of input at byte \(pos), expected \(what)")
        }
        let b = bytes[pos]
        let shown = b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "0x" + String(b, radix: 16)
        return EventRejection(reason: .malformedJSON, detail: "unexpected \(shown) at byte \(pos), expected \(what)")
    }
}
