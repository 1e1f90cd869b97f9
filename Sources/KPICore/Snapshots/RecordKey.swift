/// The `|`-separated identities of outputs: the `kpi.snapshots` record key
/// (`scope|shop|id|window|window id`) and the alert id
/// (`rule|scope|shop|id|window|window id`).
///
/// Ids come from producers and may contain anything, `|` included: shop
/// `zt` with agent `a|b` and shop `zt|a` with agent `b` would both be
/// `agent|zt|a|b|…`, and compaction would keep one of them. So each
/// component is escaped: `\` is written `\\` and `|` is written `\|`. An id
/// without either character (every id in practice) is written as it is, so
/// keys and alert ids of such ids are unchanged.
public enum RecordKey {
    /// The components, each escaped, joined with `|`.
    public static func join(_ components: [String]) -> String {
        var out = ""
        out.reserveCapacity(components.reduce(components.count) { $0 + $1.utf8.count })
        for (i, c) in components.enumerated() {
            if i > 0 { out += "|" }
            out += escape(c)
        }
        return out
    }

    /// The components of a joined key, unescaped (`join`'s inverse); with
    /// `maxParts`, the last holds the rest.
    public static func split(_ key: String, maxParts: Int = .max) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for ch in key.unicodeScalars {
            if escaped {
                current.unicodeScalars.append(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "|" && parts.count < maxParts - 1 {
                parts.append(current)
                current = ""
            } else {
                current.unicodeScalars.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    /// One component with `\` as `\\` and `|` as `\|`.
    public static func escape(_ component: String) -> String {
        guard component.utf8.contains(where: { $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "\\") }) else { return component }
        var out = ""
        out.reserveCapacity(component.utf8.count + 4)
        for ch in component.unicodeScalars {
            if ch == "|" || ch == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(ch)
        }
        return out
    }
}

extension KPISnapshot {
    /// The `kpi.snapshots` record key, the identity of its scope × window:
    /// `scope|shop|id|window|window id`, components escaped (`RecordKey`).
    public var recordKey: String { Self.recordKey(scope, window.type, window.id) }
}
