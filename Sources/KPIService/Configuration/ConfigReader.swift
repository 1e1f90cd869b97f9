import Foundation
import KPICore
import Yams

/// A location in the configuration document: `targets[2].scope.type`.
struct ConfigPath: Sendable, Hashable, CustomStringConvertible {
    enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    var components: [Component] = []

    static let root = ConfigPath()

    func key(_ k: String) -> ConfigPath { ConfigPath(components: components + [.key(k)]) }
    func index(_ i: Int) -> ConfigPath { ConfigPath(components: components + [.index(i)]) }

    /// Keys that are plain words print as `.key`; others (`sasl.password`,
    /// `Authorization Header`) as `["key"]` so the path stays unambiguous.
    var description: String {
        var out = ""
        for c in components {
            switch c {
            case .key(let k):
                if !k.isEmpty, k.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
                    out += out.isEmpty ? k : "." + k
                } else {
                    out += "[\"\(k)\"]"
                }
            case .index(let i):
                out += "[\(i)]"
            }
        }
        return out.isEmpty ? "(document)" : out
    }

    /// `KPI_INGEST_` + the keys uppercased, every other character as `_`,
    /// joined by `_`; nil inside lists, which have no stable name to override.
    var environmentName: String? {
        var parts: [String] = []
        for c in components {
            guard case .key(let k) = c else { return nil }
            parts.append(ConfigPath.environmentWord(k))
        }
        return parts.isEmpty ? nil : "KPI_INGEST_" + parts.joined(separator: "_")
    }

    static func environmentWord(_ key: String) -> String {
        String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}

/// A single value as read: from the file (with its line) or from a
/// `KPI_INGEST_*` variable, which wins over the file.
struct ScalarInput {
    var text: String
    var path: ConfigPath
    var line: Int?
    /// The environment variable it came from.
    var variable: String?
    /// Never shown in a message.
    var secret: Bool

    /// The value for a message: quoted, or `***` for a secret.
    var shown: String { secret ? "***" : "\"\(text)\"" }
}

/// One mapping of the document with its entries by key, after the unknown
/// and duplicate keys have been reported.
struct MappingInput {
    var path: ConfigPath
    /// Line of the mapping (of the parent key when the mapping is absent).
    var line: Int?
    var entries: [String: (key: Node, value: Node)] = [:]
    /// Keys in document order.
    var keys: [String] = []
    var isPresent: Bool
}

/// Walks the YAML node tree and collects every problem instead of stopping
/// at the first: a user fixing a config wants the whole list in one run.
/// Every value lookup also consults the environment, and records which
/// variables it consulted so unknown `KPI_INGEST_*` variables can be reported.
final class ConfigReader {
    private(set) var problems: [ConfigProblem] = []
    let environment: [String: String]
    /// Every `KPI_INGEST_*` name a key could be overridden by (used or not).
    private(set) var knownVariables: Set<String> = []

    init(environment: [String: String]) {
        self.environment = environment
    }

    // MARK: Problems

    func problem(_ path: ConfigPath, line: Int?, _ message: String) {
        problems.append(ConfigProblem(path: path.description, line: line, message: message))
    }

    /// A problem with a value, naming the variable when it came from the environment.
    func problem(_ input: ScalarInput, _ message: String) {
        let prefix = input.variable.map { "\($0) (environment variable): " } ?? ""
        problem(input.path, line: input.line, prefix + message)
    }

    func appendProblem(_ p: ConfigProblem) { problems.append(p) }

    static func line(_ node: Node?) -> Int? { node?.mark?.line }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    static func kindName(_ node: Node) -> String {
        switch node {
        case .scalar: "a single value"
        case .mapping: "a mapping (key: value lines)"
        case .sequence: "a list"
        }
    }

    // MARK: Structure

    /// Reads `node` as a mapping. `allowed` nil: any key (free maps such as
    /// `kafka.properties`); else unknown keys are problems with a suggestion.
    func mapping(_ node: Node?, at path: ConfigPath, allowed: [String]?, parentLine: Int? = nil) -> MappingInput {
        var result = MappingInput(path: path, line: Self.line(node) ?? parentLine, isPresent: false)
        guard let node, !Self.isNull(node) else { return result }
        guard case .mapping(let mapping) = node else {
            problem(path, line: Self.line(node), "expected a mapping (key: value lines), found \(Self.kindName(node))")
            return result
        }
        result.isPresent = true
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                problem(path, line: Self.line(keyNode), "a key must be a plain word, found \(Self.kindName(keyNode))")
                continue
            }
            let key = keyScalar.string
            let keyPath = path.key(key)
            if let allowed, !allowed.contains(key) {
                let hint = Self.closest(key, in: allowed).map { "did you mean \"\($0)\"? " } ?? ""
                problem(keyPath, line: Self.line(keyNode),
                        "unknown key \"\(key)\": \(hint)known keys here: \(allowed.joined(separator: ", "))")
                continue
            }
            if result.entries[key] != nil {
                problem(keyPath, line: Self.line(keyNode), "duplicate key \"\(key)\": keep only one")
                continue
            }
            result.entries[key] = (keyNode, value)
            result.keys.append(key)
        }
        return result
    }

    /// The child mapping at `key` (absent → an empty, not-present mapping).
    func mapping(_ parent: MappingInput, _ key: String, allowed: [String]?) -> MappingInput {
        mapping(parent.entries[key]?.value, at: parent.path.key(key), allowed: allowed,
                parentLine: Self.line(parent.entries[key]?.key) ?? parent.line)
    }

    /// The items of a list at `key`, each with its path; empty when absent.
    func sequence(_ parent: MappingInput, _ key: String) -> [(path: ConfigPath, node: Node)] {
        let path = parent.path.key(key)
        guard let node = parent.entries[key]?.value, !Self.isNull(node) else { return [] }
        guard case .sequence(let items) = node else {
            problem(path, line: Self.line(node), "expected a list (lines starting with \"- \"), found \(Self.kindName(node))")
            return []
        }
        return items.enumerated().map { (path.index($0.offset), $0.element) }
    }

    // MARK: Values

    /// The value at `key`: the environment override when set, else the file's
    /// value; nil when absent (or null).
    func scalar(_ m: MappingInput, _ key: String, secret: Bool = false) -> ScalarInput? {
        let path = m.path.key(key)
        if let name = path.environmentName {
            knownVariables.insert(name)
            if let value = environment[name] {
                return ScalarInput(text: value, path: path, line: nil, variable: name, secret: secret)
            }
        }
        guard let entry = m.entries[key] else { return nil }
        return scalar(entry.value, at: path, secret: secret)
    }

    /// The value of an entry of a free map (which is present, by key): a
    /// problem saying `fix` when it is empty, or when it is not a single value.
    func entryValue(_ m: MappingInput, _ key: String, secret: Bool, fix: String) -> ScalarInput? {
        if let s = scalar(m, key, secret: secret) { return s }
        if let node = m.entries[key]?.value, Self.isNull(node) {
            problem(m.path.key(key), line: Self.line(m.entries[key]?.key), "has no value: \(fix)")
        }
        return nil
    }

    /// A list item or map value as a single value.
    func scalar(_ node: Node, at path: ConfigPath, secret: Bool = false) -> ScalarInput? {
        if Self.isNull(node) { return nil }
        guard case .scalar(let s) = node else {
            problem(path, line: Self.line(node), "expected a single value, found \(Self.kindName(node))")
            return nil
        }
        return ScalarInput(text: s.string, path: path, line: Self.line(node), variable: nil, secret: secret)
    }

    /// Registers a variable name as meaning something (free maps' prefixes).
    func noteKnownVariable(_ name: String) { knownVariables.insert(name) }

    func string(_ m: MappingInput, _ key: String, default value: String, secret: Bool = false) -> String {
        guard let s = scalar(m, key, secret: secret) else { return value }
        return nonEmpty(s) ?? value
    }

    /// The text, or a problem when it is empty.
    func nonEmpty(_ s: ScalarInput) -> String? {
        let t = s.text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { problem(s, "must not be empty"); return nil }
        return t
    }

    /// A required value: a problem naming the key when it is missing.
    func required(_ m: MappingInput, _ key: String, what: String) -> ScalarInput? {
        if let s = scalar(m, key) { return s }
        if m.entries[key] == nil {
            problem(m.path.key(key), line: m.line, "missing: add \(key): \(what)")
        } else {
            problem(m.path.key(key), line: Self.line(m.entries[key]?.value), "must not be empty: write \(what)")
        }
        return nil
    }

    func duration(_ m: MappingInput, _ key: String, default value: EventTime.Duration, allowZero: Bool = true) -> EventTime.Duration {
        guard let s = scalar(m, key) else { return value }
        return duration(s, allowZero: allowZero) ?? value
    }

    func duration(_ s: ScalarInput, allowZero: Bool = true) -> EventTime.Duration? {
        guard let d = TimeText.duration(s.text.trimmingCharacters(in: .whitespaces)) else {
            problem(s, "\(s.shown) is not a duration: write a whole number with a unit, like 500ms, 30s, 5m, 2h or 7d")
            return nil
        }
        if !allowZero && d.millis == 0 {
            problem(s, "must be longer than 0, e.g. 1s")
            return nil
        }
        return d
    }

    func int(_ m: MappingInput, _ key: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let s = scalar(m, key) else { return value }
        return int(s, range: range) ?? value
    }

    func int(_ s: ScalarInput, range: ClosedRange<Int>) -> Int? {
        guard let v = Int(s.text.trimmingCharacters(in: .whitespaces).filter { $0 != "_" }) else {
            problem(s, "\(s.shown) is not a whole number: write digits only (\(Self.rangeText(range)))")
            return nil
        }
        guard range.contains(v) else {
            problem(s, "\(v) is out of range: must be \(Self.rangeText(range))")
            return nil
        }
        return v
    }

    static func rangeText(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "≥ \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
    }

    func decimal(_ s: ScalarInput) -> DecimalValue? {
        guard let d = DecimalValue(s.text.trimmingCharacters(in: .whitespaces)) else {
            problem(s, "\(s.shown) is not a decimal number: write it like 30, 0.85 or 1500.00 (no units, no exponent)")
            return nil
        }
        return d
    }

    /// A decimal within `lower...upper` (either end open when nil).
    func decimal(_ s: ScalarInput, min lower: DecimalValue?, max upper: DecimalValue?, exclusiveMin: Bool = false) -> DecimalValue? {
        guard let d = decimal(s) else { return nil }
        let tooLow = lower.map { exclusiveMin ? d <= $0 : d < $0 } ?? false
        let tooHigh = upper.map { d > $0 } ?? false
        if tooLow || tooHigh {
            let bounds: String
            switch (lower, upper) {
            case let (l?, u?): bounds = "between \(l) and \(u)"
            case let (l?, nil): bounds = exclusiveMin ? "greater than \(l)" : "at least \(l)"
            case let (nil, u?): bounds = "at most \(u)"
            case (nil, nil): bounds = "in range"
            }
            problem(s, "\(d) is out of range: must be \(bounds)")
            return nil
        }
        return d
    }

    /// Money parsed exactly into minor units (`"1500.50"` → 150050 with 2 fraction digits).
    func money(_ s: ScalarInput, fractionDigits: Int, allowNegative: Bool = false) -> Money? {
        guard let d = decimal(s) else { return nil }
        guard let minor = d.minorUnits(fractionDigits: fractionDigits) else {
            problem(s, "\(d) has more than \(fractionDigits) fraction digits (kpi.money.fraction_digits): round it to the minor unit")
            return nil
        }
        if !allowNegative && minor < 0 {
            problem(s, "\(d) is negative: an amount of money here must be ≥ 0")
            return nil
        }
        return Money(minorUnits: minor)
    }

    /// One of a fixed set of words.
    func choice<T>(_ s: ScalarInput, _ options: [(String, T)]) -> T? {
        let t = s.text.trimmingCharacters(in: .whitespaces)
        if let hit = options.first(where: { $0.0 == t }) { return hit.1 }
        let names = options.map(\.0)
        let hint = Self.closest(t, in: names).map { "did you mean \"\($0)\"? " } ?? ""
        problem(s, "\(s.shown) is not one of \(names.joined(separator: ", ")): \(hint)write one of them")
        return nil
    }

    /// A list of words: a YAML list, one word, or (from the environment or
    /// where `commaSeparated`) words separated by commas.
    func strings(_ m: MappingInput, _ key: String, commaSeparated: Bool = false) -> [String]? {
        let path = m.path.key(key)
        if let name = path.environmentName {
            knownVariables.insert(name)
            if let value = environment[name] {
                return splitList(ScalarInput(text: value, path: path, line: nil, variable: name, secret: false))
            }
        }
        guard let node = m.entries[key]?.value, !Self.isNull(node) else { return nil }
        switch node {
        case .scalar:
            guard let s = scalar(node, at: path) else { return nil }
            return commaSeparated ? splitList(s) : nonEmpty(s).map { [$0] }
        case .sequence(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                if let s = scalar(item, at: path.index(i)), let t = nonEmpty(s) { out.append(t) }
            }
            return out
        case .mapping:
            problem(path, line: Self.line(node), "expected a list of names, found a mapping")
            return nil
        }
    }

    private func splitList(_ s: ScalarInput) -> [String]? {
        let items = s.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.contains(where: \.isEmpty) else {
            problem(s, "\(s.shown) has an empty item: separate the names by single commas")
            return nil
        }
        return items
    }

    // MARK: Suggestions

    /// The closest candidate within a small edit distance, for "did you mean".
    static func closest(_ word: String, in candidates: [String]) -> String? {
        let w = Array(word.lowercased())
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(w, Array(c.lowercased()))
            if d <= max(1, min(3, c.count / 3)), d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
