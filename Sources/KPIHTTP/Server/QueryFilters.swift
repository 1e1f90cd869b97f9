import Hummingbird
import KPICore

/// The validated filters of `/api/v1/snapshots`, `/history` and `/stream`
/// (every one optional). Parsing rejects what a caller most likely got wrong
/// — an unknown name, a repeated or empty value, an unknown scope or window
/// type — with a message naming the parameter.
struct SnapshotFilter: Sendable, Equatable {
    var scope: ScopeType?
    var shop: String?
    var id: String?
    var window: WindowType?

    static let parameterNames = ["scope", "shop", "id", "window"]

    static func parse(_ query: some Sequence<(key: Substring, value: Substring)>) throws(KPIHTTPError) -> SnapshotFilter {
        let values = try QueryParameters.single(query, allowed: parameterNames)
        var f = SnapshotFilter()
        if let s = values["scope"] {
            guard let t = ScopeType.allCases.first(where: { $0.name == s }) else {
                throw .badParameter("scope", "parameter 'scope' must be one of \(ScopeType.allCases.map(\.name).joined(separator: ", ")); got '\(QueryParameters.shown(s))'")
            }
            f.scope = t
        }
        if let w = values["window"] {
            guard let t = WindowType.allCases.first(where: { $0.name == w }) else {
                throw .badParameter("window", "parameter 'window' must be one of \(WindowType.allCases.map(\.name).joined(separator: ", ")); got '\(QueryParameters.shown(w))'")
            }
            f.window = t
        }
        f.shop = values["shop"]
        f.id = values["id"]
        return f
    }

    func admits(_ scope: Scope, _ window: WindowType) -> Bool {
        (self.scope == nil || scope.type == self.scope)
            && (shop == nil || scope.shopID == shop)
            && (id == nil || scope.id == id)
            && (self.window == nil || window == self.window)
    }
}

/// The validated filter of `/api/v1/alerts`.
struct AlertFilter: Sendable, Equatable {
    static let states = AlertState.allCases.map(\.name)
    var state: AlertState?

    static func parse(_ query: some Sequence<(key: Substring, value: Substring)>) throws(KPIHTTPError) -> AlertFilter {
        let values = try QueryParameters.single(query, allowed: ["state"])
        guard let s = values["state"] else { return AlertFilter(state: nil) }
        guard let state = AlertState(name: s) else {
            throw .badParameter("state", "parameter 'state' must be one of \(states.joined(separator: ", ")); got '\(QueryParameters.shown(s))'")
        }
        return AlertFilter(state: state)
    }
}

enum QueryParameters {
    /// Each allowed parameter at most once, with a non-empty value.
    static func single(_ query: some Sequence<(key: Substring, value: Substring)>, allowed: [String]) throws(KPIHTTPError) -> [String: String] {
        var values: [String: String] = [:]
        for (rawKey, rawValue) in query {
            let key = String(rawKey)
            guard allowed.contains(key) else {
                throw .badParameter(key, "unknown parameter '\(shown(key))'; allowed: \(allowed.joined(separator: ", "))")
            }
            guard values[key] == nil else {
                throw .badParameter(key, "parameter '\(key)' given more than once")
            }
            guard !rawValue.isEmpty else {
                throw .badParameter(key, "parameter '\(key)' must not be empty")
            }
            values[key] = String(rawValue)
        }
        return values
    }

    /// A caller's value echoed in an error: bounded, control characters replaced.
    static func shown<S: StringProtocol>(_ s: S) -> String {
        let clipped = s.count > 64 ? s.prefix(64) + "…" : Substring(s)
        return String(clipped.map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) ? "?" : $0 })
    }
}
