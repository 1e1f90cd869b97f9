import KPICore

/// Small JSON writing for what the store does not hold pre-encoded (arrays of
/// stored objects, errors, history). Appends bytes; no Foundation.
enum JSONText {
    /// `[a,b,c]` from already encoded objects.
    static func array(_ elements: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(2) { $0 + $1.count + 1 })
        out.append(0x5B)
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(contentsOf: e)
        }
        out.append(0x5D)
        return out
    }

    /// `{"error":"..."}`.
    static func error(_ message: String) -> [UInt8] {
        var out = Array(#"{"error":"#.utf8)
        string(message, &out)
        out.append(0x7D)
        return out
    }

    /// The headline histories, for the dashboard's sparklines:
    /// `[{"scope":{...},"window":{"type","id"},"metrics":[names],"points":[[revision,emitted_ms,v...],...]}]`.
    static func histories(_ list: [HeadlineHistory]) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        for (i, h) in list.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(contentsOf: #"{"scope":{"type":"#.utf8)
            string(h.scope.type.name, &out)
            out.append(contentsOf: #","shop_id":"#.utf8)
            string(h.scope.shopID, &out)
            if let id = h.scope.id {
                out.append(contentsOf: #","id":"#.utf8)
                string(id, &out)
            }
            out.append(contentsOf: #"},"window":{"type":"#.utf8)
            string(h.window.type.name, &out)
            out.append(contentsOf: #","id":"#.utf8)
            string(h.window.id, &out)
            out.append(contentsOf: #"},"metrics":["#.utf8)
            for (j, name) in h.names.enumerated() {
                if j > 0 { out.append(0x2C) }
                string(name, &out)
            }
            out.append(contentsOf: #"],"points":["#.utf8)
            for (j, p) in h.points.enumerated() {
                if j > 0 { out.append(0x2C) }
                out.append(0x5B)
                out.append(contentsOf: String(p.revision).utf8)
                out.append(0x2C)
                out.append(contentsOf: String(p.emittedAt.millis).utf8)
                for v in p.values {
                    out.append(0x2C)
                    number(v, &out)
                }
                out.append(0x5D)
            }
            out.append(contentsOf: "]}".utf8)
        }
        out.append(0x5D)
        return out
    }

    static func number(_ v: Double?, _ out: inout [UInt8]) {
        guard let v, v.isFinite else { out.append(contentsOf: "null".utf8); return }
        if v == v.rounded(), abs(v) < 1e15 {
            out.append(contentsOf: String(Int64(v)).utf8)
        } else {
            out.append(contentsOf: String(v).utf8)   // shortest round-trip form; valid JSON (1e-05)
        }
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x00..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
